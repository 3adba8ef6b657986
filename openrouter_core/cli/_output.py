"""What the command line prints: JSON as received, binary bodies, streams, errors as one line
with an exit code, and the progress line of long waits."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TextIO

from returns.result import Failure, Result

from openrouter_core.errors import (
    APIConnectionError,
    APIStatusError,
    InvalidRequestError,
    JobTimeoutError,
    OpenRouterCoreError,
    StreamAPIError,
    StreamConnectionError,
    StreamTimeoutError,
    StreamTruncatedError,
)

if TYPE_CHECKING:
    from openrouter_core.cli._main import Context
    from openrouter_core.hooks import Hooks, RequestEvent, RetryEvent

__all__ = [
    "Progress",
    "describe",
    "dumps",
    "emit",
    "emit_lines",
    "emit_value",
    "exit_code",
    "progress_line",
    "to_json",
]


def to_json(value: Any) -> Any:
    """A value as JSON: the object exactly as received when the value was read from an answer,
    else its wire form (``to_dict``), its attrs fields, or the value itself."""
    received = getattr(value, "received_json", None)
    if received is not None:
        return received
    if callable(getattr(value, "to_dict", None)):
        return value.to_dict()
    import attrs

    if attrs.has(type(value)):
        return attrs.asdict(value)
    return value


def dumps(obj: Any, *, pretty: bool = False) -> str:
    """JSON text: compact on one line, or indented; non-ASCII text kept as is."""
    if pretty:
        return json.dumps(obj, indent=2, ensure_ascii=False, default=str)
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=str)


def _open_output(path: str) -> TextIO:
    from openrouter_core.cli._main import UsageError

    try:
        return open(path, "w", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--output: cannot write {path}: {exc.strerror or exc}") from None


def emit(context: Context, text: str) -> None:
    """Write ``text`` and a newline to stdout, or to ``--output``."""
    output = context.args.output
    if output:
        with _open_output(output) as file:
            file.write(text + "\n")
        return
    context.stdout.write(text + "\n")
    context.stdout.flush()


def emit_value(context: Context, value: Any) -> int:
    """Print a Success's value: JSON, a stream's events as JSON lines, or a binary body."""
    from openrouter_core._machinery.binary import Body
    from openrouter_core._machinery.stream import Stream

    if isinstance(value, Body):
        return _emit_body(context, value)
    if isinstance(value, Stream):
        with value:
            return emit_lines(context, iter(value))
    emit(context, dumps(to_json(value), pretty=context.pretty))
    return 0


def emit_lines(context: Context, items: Iterator[Result[Any, OpenRouterCoreError]]) -> int:
    """Each Success as one JSON line as it arrives (``--all``, streams); a Failure ends it."""
    output = context.args.output
    out = _open_output(output) if output else context.stdout
    try:
        for item in items:
            if isinstance(item, Failure):
                return context.fail(item.failure())
            out.write(dumps(to_json(item.unwrap())) + "\n")
            out.flush()
    finally:
        if output:
            out.close()
    return 0


def _emit_body(context: Context, body: Any) -> int:
    with body:
        if context.args.output:
            saved = body.save(context.args.output)
            return context.fail(saved.failure()) if isinstance(saved, Failure) else 0
        if context.stdout.isatty():
            kind = body.content_type or "bytes"
            context.say(f"error: the answer is binary ({kind}): give --output FILE or pipe it")
            return 2
        context.stdout.flush()
        target = context.stdout.buffer
        # Chunk by chunk: a video never has to fit in memory.
        for chunk in body.iter_bytes():
            if isinstance(chunk, Failure):
                return context.fail(chunk.failure())
            target.write(chunk.unwrap())
        target.flush()
    return 0


#: Errors of the connection or of a server that stopped answering midway (exit code 5).
_CONNECTION = (APIConnectionError, StreamConnectionError, StreamTimeoutError, StreamTruncatedError)


def _status(error: OpenRouterCoreError) -> int | None:
    if isinstance(error, APIStatusError):
        return error.status_code
    if isinstance(error, StreamAPIError) and isinstance(error.code, int):
        return error.code  # an error reported mid-stream carries the status as its code
    return None


def exit_code(error: OpenRouterCoreError) -> int:
    """The exit code of a Failure's error (see ``EXIT_CODES``)."""
    if isinstance(error, InvalidRequestError):
        return 2
    status = _status(error)
    if status is not None:
        if status in (401, 403):
            return 3
        if 400 <= status < 500:
            return 4
        if status >= 500:
            return 5
        return 1
    if isinstance(error, _CONNECTION):
        return 5
    return 1


def _hint(error: OpenRouterCoreError, key_given: bool, command: str) -> str:
    status = _status(error)
    if isinstance(error, InvalidRequestError):
        if error.path == "api_key":
            return "set OPENROUTER_API_KEY or pass --api-key-file FILE"
        return f"see openrouter-core {command} --help" if command else ""
    if status in (401, 403):
        if not key_given:
            return "no API key: set OPENROUTER_API_KEY or pass --api-key-file FILE"
        return "check the API key (OPENROUTER_API_KEY or --api-key-file) and what it may do"
    if status == 402:
        return "the account or the key is out of credits"
    if status == 404:
        return "check the id or name asked for"
    if status == 429:
        wait = getattr(error, "retry_after", None)
        return f"rate limited; try again in {wait:g} s" if wait else "rate limited; try again later"
    if status is not None and status >= 500:
        return "the server failed; try again later (--retries N retries it)"
    if isinstance(error, _CONNECTION):
        return "check the network and OPENROUTER_BASE_URL, or raise --timeout"
    if isinstance(error, JobTimeoutError):
        return "the job may still end: wait again, with a longer --max-wait"
    return ""


def describe(error: OpenRouterCoreError, key_given: bool, command: str) -> str:
    """One line: the error's kind and status, its message and a hint of what to do."""
    status = _status(error)
    message = " ".join(str(error).split()) or "no message"
    kind = type(error).__name__
    if status is not None and str(status) not in message:
        kind += f" {status}"
    hint = _hint(error, key_given, command)
    return f"{kind}: {message}" + (f" (hint: {hint})" if hint else "")


class Progress:
    """A progress line on a terminal's stderr, fed by the core's event hooks: the retries'
    waits and, for a command that polls (``video_generation_wait``), each poll."""

    def __init__(self, stream: TextIO, *, polling: bool) -> None:
        self.stream = stream
        self.polling = polling
        self.polls = 0
        self.started = time.monotonic()
        self.shown = False

    def hooks(self) -> Hooks:
        """The hooks that feed this line."""
        from openrouter_core.hooks import Hooks

        return Hooks(request=self.request, retry=self.retry)

    def retry(self, event: RetryEvent) -> None:
        """Show a retry's wait."""
        self.show(f"{type(event.reason).__name__}: retrying in {event.delay:.1f} s")

    def request(self, event: RequestEvent) -> None:
        """Count a poll (a first attempt, while a command polls)."""
        if self.polling and event.attempt == 1:
            self.polls += 1
            elapsed = time.monotonic() - self.started
            self.show(f"waiting: poll {self.polls}, {elapsed:.0f} s so far")

    def show(self, text: str) -> None:
        """Write ``text`` over the previous line."""
        self.stream.write(f"\r\x1b[K{text}")
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        """Erase the progress line, if one was shown."""
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False


@contextlib.contextmanager
def progress_line(context: Context) -> Iterator[None]:
    """Erase the progress line (shown on a terminal's stderr) once the body ran."""
    try:
        yield
    finally:
        if context.progress is not None:
            context.progress.clear()
