"""The entry point: global options, the choice of command, configuration and exit codes.

Parsing happens in two steps so that a run imports one operation only: the global options and
the command's name first, then the options of that one command, whose parser is built from its
function's signature (``_operations``) or written out for a shortcut (``_shortcuts``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

import attrs

if TYPE_CHECKING:
    from openrouter_core.cli._output import Progress
    from openrouter_core.core import OpenRouterCore
    from openrouter_core.errors import OpenRouterCoreError

__all__ = ["EXIT_CODES", "Context", "UsageError", "main"]

PROG = "openrouter-core"

# Exit codes: what kind of failure, for scripts to branch on.
OK, OTHER, USAGE, AUTH, CLIENT, SERVER = 0, 1, 2, 3, 4, 5

EXIT_CODES = f"""\
exit codes:
  {OK}  success
  {USAGE}  bad arguments, or a request the library refused before sending it
  {AUTH}  authentication or permission (401, 403)
  {CLIENT}  not found (404) or another client error (400, 402, 408, 409, 429, ...)
  {SERVER}  server error (5xx) or no connection (refused, reset, timed out)
  {OTHER}  anything else (an answer that does not read, a failed job, ...)

environment:
  OPENROUTER_API_KEY   the API key (or --api-key-file FILE); never printed
  OPENROUTER_BASE_URL  the API's base URL (default https://openrouter.ai/api/v1)"""


class UsageError(Exception):
    """Bad arguments found after parsing: reported as one line, exit code 2."""


@attrs.define
class Context:
    """One run: the global options, the standard streams and the core (built on first use)."""

    args: argparse.Namespace
    stdin: TextIO
    stdout: TextIO
    stderr: TextIO
    command: str = ""
    _core: OpenRouterCore | None = None
    #: The progress line, when stderr is a terminal (set with the core).
    progress: Progress | None = None

    @property
    def core(self) -> OpenRouterCore:
        """The configured core: environment, ``--api-key-file``, ``--timeout``, ``--retries``;
        on a terminal, hooks that show the progress of long waits."""
        if self._core is None:
            if self.stderr.isatty():
                from openrouter_core.cli._output import Progress

                self.progress = Progress(self.stderr, polling=self.command.endswith("_wait"))
            self._core = _build_core(self.args, self.progress)
        return self._core

    def close(self) -> None:
        """Close the core's connections, if it was built."""
        if self._core is not None:
            self._core.close()

    @property
    def pretty(self) -> bool:
        """Whether JSON is indented (``--pretty``)."""
        return bool(self.args.pretty)

    def fail(self, error: OpenRouterCoreError) -> int:
        """Report a Failure's error on stderr as one line; its exit code."""
        from openrouter_core.cli._output import describe, exit_code

        self.say(describe(error, self._key_given(), self.command))
        return exit_code(error)

    def say(self, line: str) -> None:
        """One line on stderr, without the API key in it, whatever the line held."""
        keys = {os.environ.get("OPENROUTER_API_KEY")}
        if self._core is not None and isinstance(self._core.api_key, str):
            keys.add(self._core.api_key)
        for key in keys:
            if key and len(key) >= 8:  # a shorter one would blank out ordinary words
                line = line.replace(key, "***")
        self.stderr.write(f"{PROG}: {line}\n")
        self.stderr.flush()

    def _key_given(self) -> bool:
        return bool(self._core is not None and self._core.api_key)


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {text}")
    return value


#: The global options, accepted before the command and after it.
GLOBALS: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = (
    (
        ("--api-key-file",),
        {"metavar": "FILE", "help": "read the API key from FILE (else OPENROUTER_API_KEY)"},
    ),
    (
        ("--timeout",),
        {"type": _positive, "metavar": "SECONDS", "help": "timeout of each request"},
    ),
    (
        ("--retries",),
        {"type": _count, "metavar": "N", "help": "retries of a failed request (default 2)"},
    ),
    (("--pretty",), {"action": "store_true", "help": "indent the JSON printed"}),
    (
        ("-o", "--output"),
        {"metavar": "FILE", "help": "write the answer to FILE instead of stdout"},
    ),
)
GLOBAL_NAMES = frozenset(("api_key_file", "timeout", "retries", "pretty", "output"))


def add_globals(parser: argparse.ArgumentParser, *, taken: frozenset[str] = frozenset()) -> None:
    """The global options on a command's parser; given there, they override those given before
    the command (their default is to be absent). ``taken``: names the command uses itself."""
    group = parser.add_argument_group("global options")
    for flags, spec in GLOBALS:
        if flags[-1].lstrip("-").replace("-", "_") not in taken:
            group.add_argument(*flags, **{**spec, "default": argparse.SUPPRESS})


def _top_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        usage=f"{PROG} [global options] COMMAND [options]",
        description="OpenRouter's API from the shell: a command per operation, and shortcuts.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        add_help=False,
    )
    parser.add_argument("-h", "--help", action="store_true", help="show this help and exit")
    for flags, spec in GLOBALS:
        parser.add_argument(*flags, **{**spec, "default": None})
    parser.add_argument("command", nargs="?", help=argparse.SUPPRESS)
    parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


def normalise(argv: Sequence[str]) -> list[str]:
    """``--supported_parameters`` read as ``--supported-parameters`` (both spellings work); a
    value after ``=`` is left alone, and so is everything after ``--``."""
    out: list[str] = []
    for index, arg in enumerate(argv):
        if arg == "--":
            return [*out, *argv[index:]]
        name, eq, value = arg.partition("=")
        if arg.startswith("--") and "_" in name:
            out.append(name.replace("_", "-") + eq + value)
        else:
            out.append(arg)
    return out


def _build_core(args: argparse.Namespace, progress: Progress | None) -> OpenRouterCore:
    from openrouter_core.core import OpenRouterCore, RetryConfig

    config: dict[str, Any] = {}
    if progress is not None:
        config["hooks"] = progress.hooks()
    if args.api_key_file:
        try:
            with open(args.api_key_file, encoding="utf-8") as file:
                config["api_key"] = file.read().strip() or None
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8"
            raise UsageError(f"--api-key-file: cannot read {args.api_key_file}: {reason}") from None
    if args.timeout is not None:
        config["timeout"] = args.timeout
    if args.retries is not None:
        config["retry_config"] = RetryConfig(max_retries=args.retries)
    try:
        return OpenRouterCore(**config)
    except (TypeError, ValueError) as exc:  # a key or URL the core refuses; its text hides the key
        raise UsageError(f"configuration: {exc}") from None


def _top_help(parser: argparse.ArgumentParser) -> str:
    from openrouter_core.cli._operations import operation_names, operation_summaries
    from openrouter_core.cli._shortcuts import SHORTCUTS

    width = max(len(name) for name in operation_names()) + 2
    summaries = operation_summaries(max(40, 98 - width))
    lines = [f"shortcuts ({PROG} NAME --help shows one's options):"]
    lines += [f"  {usage:<{width}}{text}" for usage, text in SHORTCUTS.values()]
    lines += ["", f"operations ({PROG} NAME --help shows one's options; dashes work too):"]
    lines += [f"  {name:<{width}}{text}" for name, text in summaries.items()]
    parser.epilog = "\n".join([*lines, "", EXIT_CODES])
    return parser.format_help()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line on ``argv`` (default ``sys.argv[1:]``); the exit code."""
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, and keep the interpreter's final
        # flush of stdout from failing again.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):  # a stdout without a descriptor (tests): nothing to do
            pass
        return OTHER


def _main(argv: list[str]) -> int:
    from openrouter_core.cli._operations import operation_names
    from openrouter_core.cli._shortcuts import SHORTCUTS

    parser = _top_parser()
    try:
        args = parser.parse_args(normalise(argv))
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else USAGE
    if args.help or args.command is None:
        text = _top_help(parser)
        (sys.stdout if args.help else sys.stderr).write(text)
        return OK if args.help else USAGE
    name = args.command.replace("-", "_")
    context = Context(args, sys.stdin, sys.stdout, sys.stderr, command=name)
    try:
        if name in SHORTCUTS:
            from openrouter_core.cli._shortcuts import run_shortcut

            return run_shortcut(context, name, args.rest)
        if name in operation_names():
            from openrouter_core.cli._operations import run_operation

            return run_operation(context, name, args.rest)
        import difflib

        near = difflib.get_close_matches(name, [*SHORTCUTS, *operation_names()], n=3)
        hint = f" (did you mean {', '.join(near)}?)" if near else ""
        raise UsageError(f"unknown command {args.command!r}{hint}; see {PROG} --help")
    except UsageError as error:
        context.say(f"error: {error}")
        return USAGE
    except SystemExit as stop:  # argparse: --help (0) or bad arguments (2, already reported)
        return OK if stop.code is None else stop.code if isinstance(stop.code, int) else USAGE
    finally:
        context.close()
