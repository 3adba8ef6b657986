"""A command per operation, derived from the operation's own function.

The names come from the files of ``funcs/``, listed, not imported (only the top-level help
imports them all); a command's parser is built when it runs, from its function's signature:
keyword-only parameters (path and query parameters and the like) become ``--options`` typed by
their annotations, the ``params`` argument a JSON body (``--params``), and the docstring the
help. A paginated list (one with an ``_iter`` twin) also takes ``--all``.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import inspect
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from returns.result import Failure

from openrouter_core.cli._main import EXIT_CODES, PROG, UsageError, add_globals
from openrouter_core.cli._output import emit_lines, emit_value, progress_line

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import ModuleType

    from openrouter_core.cli._main import Context

__all__ = [
    "build_parser",
    "operation_names",
    "operation_summaries",
    "python_only",
    "run_operation",
]

_SUMMARY_WIDTH = 60


def _funcs_dir() -> Path:
    import funcs  # loads nothing: the package only holds the modules

    return Path(next(iter(funcs.__path__)))


@functools.cache
def operation_names() -> tuple[str, ...]:
    """Every operation, as named in ``funcs/`` (one module each), sorted."""
    return tuple(
        sorted(path.stem for path in _funcs_dir().glob("*.py") if not path.stem.startswith("_"))
    )


def _summary(doc: str, width: int) -> str:
    """The first line of a module's docstring: the operation's method and path, and its
    summary when the line is no more than that."""
    paragraphs = doc.strip().split("\n\n")
    first = " ".join(paragraphs[0].split())
    # ``name`` (``GET /path``): Summary.  ->  GET /path: Summary.
    first = re.sub(r"^``\w+`` \(``([A-Z]+ \S+)``\):", r"\1:", first)
    first = re.sub(r"^``\w+``:\s*", "", first).replace("``", "")
    if re.fullmatch(r"[A-Z]+ \S+\.", first) and len(paragraphs) > 1:
        first = f"{first[:-1]}: {' '.join(paragraphs[1].split())}"
    first = first[:1].upper() + first[1:]
    return first if len(first) <= width else first[: width - 3] + "..."


def python_only(name: str) -> bool:
    """Whether ``funcs/<name>`` needs an argument only Python can give (a class, callables):
    such a helper is no command. Imports the module."""
    _, func = _function(name)
    return any(
        parameter.default is inspect.Parameter.empty and _option_spec(parameter.annotation) is None
        for parameter in _options(_parameters(func))
    )


def operation_summaries(width: int = _SUMMARY_WIDTH) -> dict[str, str]:
    """Each command's one-line summary (at most ``width`` characters), for the top-level help
    (which alone imports every module, to leave out the Python-only ones)."""
    return {
        name: _summary(_function(name)[0].__doc__ or "", width)
        for name in operation_names()
        if not python_only(name)
    }


# --------------------------------------------------------------------------- the parser


def _annotation_text(annotation: Any) -> str:
    if annotation is inspect.Parameter.empty:
        return "str"
    if isinstance(annotation, str):
        return annotation
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def _split_union(text: str) -> list[str]:
    """The members of ``A | B[C | D] | None``, ``None`` left out."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char == "["
        depth -= char == "]"
        if char == "|" and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    parts.append(current.strip())
    return [part for part in parts if part not in ("None", "NoneType", "")]


def _scalar(member: str) -> Callable[[str], Any]:
    return {"int": int, "float": float}.get(member, str)


_SCALARS = frozenset(("str", "int", "float", "bool"))


def _option_spec(annotation: Any) -> dict[str, Any] | None:
    """argparse's keywords for a parameter of this annotation: booleans as flags, lists as a
    repeated option, ``Literal`` values as choices, numbers typed; None for a type a command
    line cannot give (a callable, a mapping, ``Any``: Python-only parameters)."""
    members = _split_union(_annotation_text(annotation))
    if members == ["bool"]:
        return {"action": argparse.BooleanOptionalAction}
    sequence = re.fullmatch(r"(?:list|Sequence|tuple)\[(\w+)(?:, \.\.\.)?\]", members[0])
    if len(members) == 1 and sequence and sequence.group(1) in _SCALARS:
        return {"action": "append", "type": _scalar(sequence.group(1))}
    if len(members) == 1 and members[0].startswith("Literal["):
        import ast

        choices = ast.literal_eval(f"[{members[0][len('Literal[') : -1]}]")
        return {"choices": [str(choice) for choice in choices]}
    if not members or not all(member in _SCALARS for member in members):
        return None
    if all(member in ("int", "float") for member in members):
        return {"type": int if members == ["int"] else float}
    return {}


def _parameter_help(doc: str) -> dict[str, str]:
    """``name -> text`` from a docstring's ``- ``name``: text`` lines."""
    return dict(re.findall(r"^\s*- ``(\w+)``(?: \([^)]*\))?: (.+)$", doc, re.MULTILINE))


@functools.cache
def _function(name: str) -> tuple[ModuleType, Callable[..., Any]]:
    module = importlib.import_module(f"funcs.{name}")
    return module, getattr(module, name)


def _parameters(func: Callable[..., Any]) -> list[inspect.Parameter]:
    """The function's parameters, its ``**arguments: Unpack[<Op>Arguments]`` spelled out as the
    keyword-only parameters it stands for (the per-call options left out: they are the
    command's global options)."""
    parameters = list(inspect.signature(func).parameters.values())
    last = parameters[-1] if parameters else None
    if last is None or last.kind is not last.VAR_KEYWORD:
        return parameters
    typed = re.fullmatch(r"Unpack\[(\w+)\]", str(last.annotation))
    if typed is None or typed.group(1) == "CallOptions":
        return parameters
    from openrouter_core._machinery.options import OPTION_NAMES

    arguments = getattr(inspect.getmodule(func), typed.group(1))
    spelled = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=hint)
        for name, hint in _annotations(arguments).items()
        if name not in OPTION_NAMES
    ]
    return [*parameters[:-1], *spelled, last]


def _annotations(typed_dict: type) -> dict[str, str]:
    """A TypedDict's keys, inherited ones included, and their annotations as text (its module
    postpones them)."""
    return {
        name: getattr(hint, "__forward_arg__", hint if isinstance(hint, str) else str(hint))
        for name, hint in typed_dict.__annotations__.items()
    }


def _takes_body(parameters: list[inspect.Parameter]) -> inspect.Parameter | None:
    return next(
        (p for p in parameters if p.name == "params" and p.kind is not p.KEYWORD_ONLY), None
    )


def _options(parameters: list[inspect.Parameter]) -> list[inspect.Parameter]:
    """The parameters given as ``--options`` or positional arguments (all but the core, the
    body and the per-call options)."""
    return [
        p
        for p in parameters
        if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and p.name not in ("core", "params")
    ]


def build_parser(name: str) -> argparse.ArgumentParser:
    """The parser of operation ``name``, from its function's signature and docstring."""
    module, func = _function(name)
    parameters = _parameters(func)
    doc = inspect.getdoc(func) or ""
    helps = _parameter_help(doc)
    # The parameters' texts go with their options below, not twice.
    doc = doc.split("\nParameters:\n")[0].rstrip()
    heading = (module.__doc__ or "").strip().split("\n\n")[0]
    parser = argparse.ArgumentParser(
        prog=f"{PROG} {name}",
        description=f"{' '.join(heading.split())}\n\n{doc}".replace("``", ""),
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    names = set()
    for parameter in _options(parameters):
        spec = _option_spec(parameter.annotation)
        if spec is None:
            if parameter.default is inspect.Parameter.empty:
                raise UsageError(
                    f"{name} is for Python only: its {parameter.name} cannot be given on a "
                    "command line"
                )
            continue  # left at its default: the command line cannot express it
        names.add(parameter.name)
        text = helps.get(parameter.name, "")
        if parameter.default not in (inspect.Parameter.empty, None):
            text = f"{text} (default: {parameter.default})".strip()
        text = text.replace("%", "%%")  # argparse %-formats help texts
        if parameter.kind is parameter.KEYWORD_ONLY:
            spec.update(
                dest=parameter.name,
                default=argparse.SUPPRESS,
                required=parameter.default is inspect.Parameter.empty,
                help=text or None,
            )
            parser.add_argument("--" + parameter.name.replace("_", "-"), **spec)
        else:
            optional = parameter.default is not inspect.Parameter.empty
            spec.pop("action", None)
            parser.add_argument(
                parameter.name,
                nargs="?" if optional else None,
                default=argparse.SUPPRESS,
                help=text or None,
                **spec,
            )
    body = _takes_body(parameters)
    if body is not None:
        parser.add_argument(
            "--params",
            metavar="JSON",
            help="the JSON body: text, @FILE, or - for stdin (read from stdin when it is not "
            "a terminal and --params is not given)",
        )
    if hasattr(module, f"{name}_iter"):
        parser.add_argument(
            "--all",
            action="store_true",
            help="walk every page of the list, one JSON line per item",
        )
    add_globals(parser, taken=frozenset(names))
    return parser


# --------------------------------------------------------------------------- the run


def read_body(context: Context, source: str | None) -> Any:
    """The JSON body from ``--params`` (text, ``@FILE``, ``-``) or from stdin when it is not a
    terminal; None when none is given."""
    if source is None:
        if context.stdin is None or context.stdin.isatty():
            return None
        text, origin = context.stdin.read(), "standard input"
        if not text.strip():
            return None
    elif source == "-":
        text, origin = context.stdin.read(), "standard input"
    elif source.startswith("@"):
        origin = source[1:]
        try:
            with open(origin, encoding="utf-8") as file:
                text = file.read()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8"
            raise UsageError(f"--params: cannot read {origin}: {reason}") from None
    else:
        text, origin = source, "the text given"
    import json

    try:
        return json.loads(text)
    except ValueError as exc:
        raise UsageError(f"--params: {origin} is not JSON: {exc}") from None


def _is_binary(module: ModuleType) -> bool:
    declare = getattr(module, "operation", None)
    return bool(callable(declare) and getattr(declare(), "binary", False))


def run_operation(context: Context, name: str, argv: list[str]) -> int:
    """Parse the command's options, call the operation, print its answer; the exit code."""
    module, func = _function(name)
    parser = build_parser(name)
    namespace = parser.parse_args(argv, namespace=argparse.Namespace(**vars(context.args)))
    context.args = namespace
    parameters = _parameters(func)
    arguments = {
        p.name: getattr(namespace, p.name)
        for p in _options(parameters)
        if hasattr(namespace, p.name)
    }
    positional = [
        arguments.pop(p.name)
        for p in _options(parameters)
        if p.kind is not p.KEYWORD_ONLY and p.name in arguments
    ]
    if _is_binary(module) and not namespace.output and context.stdout.isatty():
        raise UsageError(f"{name} answers bytes: give --output FILE or pipe stdout")
    body = _takes_body(parameters)
    if body is not None:
        value = read_body(context, namespace.params)
        if value is None and body.default is inspect.Parameter.empty:
            raise UsageError(f"{name} needs a JSON body: --params '{{...}}', @FILE or stdin")
        if value is not None:
            positional.insert(0, value)
    if parameters and parameters[0].name == "core":
        positional.insert(0, context.core)
    with progress_line(context):
        if getattr(namespace, "all", False):
            walk = getattr(module, f"{name}_iter")
            accepted = {p.name for p in _parameters(walk)}
            extra = sorted(set(arguments) - accepted)
            if extra:
                raise UsageError(f"--{extra[0].replace('_', '-')} does not go with --all")
            return emit_lines(context, walk(*positional, **arguments))
        result = func(*positional, **arguments)
        if isinstance(result, Failure):
            return context.fail(result.failure())
        return emit_value(context, result.unwrap())
