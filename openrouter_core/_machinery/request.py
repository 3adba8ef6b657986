"""Building a request: params, path and query arguments and per-call options in, the exact
method, URL, headers and bytes to send out (or the ``InvalidRequestError`` that says why not).

Pure but for one thing: what depends on the core alone (its headers, its default options, the
client library's URL and header objects) is worked out once and kept in the core's pools
(``pools.py``). Files are values here: an upload's file or a JSON field's file (speech-to-text's
``input_audio``) is sorted into a ``FilePart`` in ``Prepared.files`` and never looked at; the
driver checks and reads them before the first attempt (``files.load``), and :func:`filled` puts
the JSON fields' encoded values into the body.
"""

from __future__ import annotations

import contextlib
import json
import math
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import quote, urlencode

import attrs
from returns.result import Failure, Result, Success

from openrouter_core._machinery.options import resolve
from openrouter_core._machinery.pools import pools
from openrouter_core._shared_methods import shown
from openrouter_core.errors import InvalidRequestError

if TYPE_CHECKING:
    from openrouter_core._machinery.files import FilePart
    from openrouter_core._machinery.operation import Operation, Param
    from openrouter_core.core import OpenRouterCore, RetryConfig, TimeoutTuple

__all__ = ["Prepared", "build_request", "filled", "prepare", "refusal"]

# Built once: json.dumps with non-default options would build a new encoder on every call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)

_MISSING_KEY = (
    "no API key: pass OpenRouterCore(api_key=...) or set the OPENROUTER_API_KEY environment "
    "variable (keys are at https://openrouter.ai/keys)"
)

#: Header names whose values are credentials, hidden from ``repr(Prepared)``.
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})


def _redacted(headers: Mapping[str, str]) -> str:
    # This repr ends up in tracebacks that show locals (pytest, error trackers): no key in it.
    return repr(
        {k: "<redacted>" if k.lower() in _SECRET_HEADERS else v for k, v in headers.items()}
    )


@attrs.define(repr=False)
class Prepared:
    """Everything one call sends, computed once before the first attempt."""

    op: Operation[Any]
    method: str
    url: str
    headers: dict[str, str]
    content: bytes | None
    stream: bool
    timeout: TimeoutTuple | None
    retry: RetryConfig
    first_content_timeout: float | None
    chunk_gap_timeout: float | None
    log_body: bool
    #: True when ``headers`` are the core's own (no per-call headers), so they can be cached.
    standard_headers: bool = True
    #: A multipart body's text fields.
    form_fields: dict[str, str] = attrs.field(factory=dict)
    #: The files the request sends, not yet checked or read: a multipart body's (opened anew by
    #: each attempt) and JSON fields' (read once by the driver, which then drops them).
    files: tuple[FilePart, ...] = ()
    #: A JSON body waiting for its fields' files (``content`` is None until :func:`filled`).
    json_body: dict[str, Any] | None = None
    #: Seconds for which a 404 is retried in this call: the operation's declared window, or
    #: what the caller asked for (``retry_not_found_for=``); None or 0: not retried.
    not_found_for: float | None = None

    def __repr__(self) -> str:
        # The operation by its name, and the headers without their credentials.
        shown = {"op": self.op.name, "headers": _redacted(self.headers)}
        return "Prepared({})".format(
            ", ".join(
                f"{f.name}={shown[f.name] if f.name in shown else repr(getattr(self, f.name))}"
                for f in attrs.fields(type(self))
            )
        )


class _RefusedError(Exception):
    """Carries the ``InvalidRequestError`` of a request refused while it is built (internal)."""

    def __init__(self, error: InvalidRequestError) -> None:
        super().__init__(error.message)
        self.error = error


def _refuse(path: str, problem: str) -> NoReturn:
    raise _RefusedError(refusal(path, problem).failure())


def refusal(path: str, problem: str) -> Failure[InvalidRequestError]:
    """The ``InvalidRequestError`` for ``problem`` with the argument at ``path``."""
    return Failure(
        InvalidRequestError(
            message=f"{path}: {problem}" if path else problem, path=path, problem=problem
        )
    )


def _query_value(value: object) -> str:
    # OpenAPI's form style, as the API reads it: booleans in lower case, numbers as written.
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def _query_pairs(named: list[tuple[str, Any]]) -> list[tuple[str, str]]:
    """``(wire name, value)`` pairs as sent: a list repeats its name, ``None`` is left out."""
    pairs: list[tuple[str, str]] = []
    for wire, value in named:
        for item in value if isinstance(value, (list, tuple)) else (value,):
            if item is not None:
                pairs.append((wire, _query_value(item)))
    return pairs


def _nearest(name: str, known: list[str]) -> str:
    """`` (did you mean 'x'?)`` for the known name closest to a misspelt one, or nothing."""
    import difflib

    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _unknown_keyword(op: Operation[Any], name: str) -> tuple[str, str]:
    """What to say about a keyword argument that is neither a parameter nor an option."""
    from openrouter_core._machinery.options import OPTION_NAMES

    own = [p.name for p in (*op.path_params, *op.query_params)]
    if op.stream is not None:
        own.append("stream")
    if op.retry_not_found_for is not None:
        own.append("retry_not_found_for")
    options = sorted(OPTION_NAMES)
    listed = f"its parameters: {', '.join(own)}; " if own else "it takes no parameters; "
    return name, (
        f"{op.name} has no parameter or option {name!r}{_nearest(name, own + options)} "
        f"({listed}options: {', '.join(options)})"
    )


def _describe(param: Param) -> str:
    if param.choices:
        return "one of " + ", ".join(repr(c) for c in param.choices)
    kinds = {"string": "a string", "integer": "an int", "number": "a number", "boolean": "a bool"}
    what = kinds.get(param.kind, "a string, number or boolean")
    if param.minimum is not None and param.maximum is not None:
        what += f" from {param.minimum:g} to {param.maximum:g}"
    elif param.minimum is not None:
        what += f" >= {param.minimum:g}"
    elif param.maximum is not None:
        what += f" <= {param.maximum:g}"
    return what


def _check_value(param: Param, value: object, *, path: bool) -> str | None:
    """What is wrong with ``value`` for ``param``, as the API document describes it, or None."""
    what = shown(value)
    kind = param.kind
    is_bool = isinstance(value, bool)
    if kind == "boolean":
        if is_bool or (isinstance(value, str) and value in param.choices):
            return None
        return f"must be a bool, not {what}"
    if kind in ("integer", "number"):
        number = int if kind == "integer" else (int, float)
        if is_bool or not isinstance(value, number):
            return f"must be {_describe(param)}, not {what}"
        if not math.isfinite(value):
            return f"must be a finite number, not {what}"
        if (param.minimum is not None and value < param.minimum) or (
            param.maximum is not None and value > param.maximum
        ):
            return f"must be {_describe(param)}, not {what}"
        return None
    if is_bool and param.choices and set(param.choices) <= {"true", "false"}:
        # A flag the document spells as the strings "true"/"false": a bool is sent as those.
        text = "true" if value else "false"
        return None if text in param.choices else f"must be {_describe(param)}, not {value!r}"
    if kind == "string" or path:
        # A path segment may be an int (an id); a query string must be a string.
        allowed: tuple[type, ...] = (str, int) if path else (str,)
        if is_bool or not isinstance(value, allowed):
            return f"must be {'a non-empty string' if path else 'a string'}, not {what}"
        text = str(value)
        if param.choices and text not in param.choices:
            return f"must be {_describe(param)}, not {value!r}{_nearest(text, list(param.choices))}"
        if (param.min_length or path) and text == "":
            return "must be a non-empty string"
        if param.pattern is not None:
            import re

            if re.search(param.pattern, text) is None:
                return f"must match {param.pattern!r}, not {text!r}"
        if path and text in (".", ".."):
            return f"must not be {text!r}: the URL would name another resource"
        return None
    if is_bool or isinstance(value, (str, int)):
        return None
    if isinstance(value, float) and math.isfinite(value):
        return None
    return f"must be a string, number or boolean, not {what}"


def _check_arguments(op: Operation[Any], given: Mapping[str, Any]) -> tuple[str, str] | None:
    known = {p.name for p in op.path_params} | {p.name for p in op.query_params}
    unknown = sorted(set(given) - known)
    if unknown:
        return _unknown_keyword(op, unknown[0])
    for param in op.path_params:
        value = given.get(param.name)
        if value is None:
            return param.name, "required path parameter missing"
        problem = _check_value(param, value, path=True)
        if problem is not None:
            return param.name, problem
    for param in op.query_params:
        value = given.get(param.name)
        if value is None:
            if param.required:
                return param.name, "required query parameter missing"
            continue
        # A list repeats the parameter in the query, each value checked as one would be.
        for item in value if isinstance(value, (list, tuple)) else (value,):
            problem = _check_value(param, item, path=False)
            if problem is not None:
                return param.name, problem
    return None


def _form(op: Operation[Any], params: object) -> tuple[dict[str, str], tuple[FilePart, ...]]:
    """The text fields and the files of a multipart body, checked."""
    form = op.form
    assert form is not None
    if not isinstance(params, Mapping):
        _refuse("", f"params must be a mapping of form fields, not {type(params).__name__}")
    known = set(form.files) | set(form.fields)
    for key in params:
        if key not in known:
            _refuse(str(key), f"unknown field (known: {', '.join(sorted(known))})")
    for key in form.required:
        if params.get(key) is None:
            _refuse(key, "required field missing")
    from openrouter_core._machinery.files import file_part

    fields: dict[str, str] = {}
    files: list[FilePart] = []
    for key, value in params.items():
        if value is None:
            continue
        if key in form.files:
            part = file_part(key, value)
            if isinstance(part, str):
                _refuse(key, part)
            files.append(part)
        elif isinstance(value, bool):
            fields[key] = "true" if value else "false"
        elif isinstance(value, (str, int, float)):
            fields[key] = str(value)
        else:
            _refuse(key, f"must be a string, number or boolean, not {type(value).__name__}")
    return fields, tuple(files)


def _stand_in_files(
    op: Operation[Any], data: Mapping[str, Any]
) -> tuple[Mapping[str, Any], tuple[FilePart, ...]]:
    """``data`` with each file given to a JSON file field replaced by its value for empty
    content (which the body model checks like any value), and those files, still unread."""
    from openrouter_core._machinery.files import file_part

    out: dict[str, Any] | None = None
    parts: list[FilePart] = []
    for name, encode in ((field.name, field.encode) for field in op.file_fields):
        value = data.get(name)
        if value is None or isinstance(value, Mapping):
            continue
        part = file_part(name, value, encode)
        if isinstance(part, str):
            _refuse(name, part)
        try:
            stand_in = encode(b"", part.filename)
        except Exception as exc:  # the operation's encoder refuses the file's name, say
            _refuse(name, f"the file cannot be encoded: {type(exc).__name__}: {exc}")
        out = out if out is not None else dict(data)
        out[name] = stand_in
        parts.append(part)
    return (out if out is not None else data), tuple(parts)


def _classes_in(tp: Any, depth: int = 0) -> list[Any]:
    """The attrs classes a type hint holds (through unions, lists and dicts)."""
    import typing

    if isinstance(tp, type) and attrs.has(tp):
        return [tp]
    if depth > 4:
        return []
    return [c for arg in typing.get_args(tp) for c in _classes_in(arg, depth + 1)]


def _fields_at(cls: Any, path: list[str]) -> list[str]:
    """The field names of the model classes ``path`` leads to from ``cls`` (through lists,
    optional values and unions); none when it leads to no model."""
    import typing

    classes = [cls]
    for step in path:
        found: list[Any] = []
        for one in classes:
            try:
                hints = typing.get_type_hints(one)
            except Exception:  # a hint that does not resolve: no suggestion, the error stands
                continue
            found += _classes_in(hints.get(step))
        classes = found
    names = {f.name for one in classes for f in attrs.fields(one)}
    return sorted(n for n in names if n != "extras" and not n.startswith("_"))


def _with_suggestion(model_cls: Any, error: InvalidRequestError) -> InvalidRequestError:
    """An unknown field's error with the nearest known name, as for a misspelt argument."""
    if not error.problem.startswith("unknown field") or not error.path:
        return error
    import re

    steps = [part for part in re.split(r"\[\d+\]|\.", error.path) if part]
    if not steps:
        return error
    hint = _nearest(steps[-1], _fields_at(model_cls, steps[:-1]))
    if not hint:
        return error
    problem = error.problem + hint
    return attrs.evolve(error, problem=problem, message=f"{error.path}: {problem}")


def _body(
    op: Operation[Any], params: object, stream: bool | None, extra: Mapping[str, Any]
) -> tuple[dict[str, Any] | None, bool, tuple[FilePart, ...]]:
    """The JSON body to send, whether the call streams, and the files its fields take."""
    model_cls = op.body
    if op.form is not None:
        return None, False, ()
    if model_cls is None:
        if params is not None:
            _refuse("", f"{op.name} takes no request body")
        return (dict(extra) if extra else None), False, ()
    files: tuple[FilePart, ...] = ()
    if isinstance(params, model_cls):
        from openrouter_core.models._base import WireModel
        from openrouter_core.models._converter import check_types

        problem = check_types(params) if isinstance(params, WireModel) else None
        if problem is not None:
            path = problem.dotted
            _refuse(path, problem.problem)
        data: Any = params.to_dict()
    elif isinstance(params, Mapping):
        data = params
        if op.file_fields:
            data, files = _stand_in_files(op, data)
    else:
        _refuse(
            "", f"params must be a mapping or {model_cls.__name__}, not {type(params).__name__}"
        )
    # A mapping, or the typed model written out: both pass the same strict reader.
    parsed = model_cls.from_dict(data)
    if isinstance(parsed, Failure):
        raise _RefusedError(_with_suggestion(model_cls, parsed.failure()))
    model = parsed.unwrap()
    body: dict[str, Any] = model.to_dict()
    # ``None`` is "not set" in a model; a null the caller wrote where the API reads it as
    # "clear this" goes out as null.
    if isinstance(data, Mapping):
        nullable: frozenset[str] = getattr(model_cls, "_nullable", frozenset())
        body.update({k: None for k in nullable if k in data and data[k] is None})
    if extra:
        body.update(extra)
    if op.stream is None:
        return body, False, files
    wants_stream = body.get("stream") is True
    if stream is not None and not isinstance(stream, bool):
        _refuse("stream", f"must be True, False or None, not {shown(stream)}")
    if stream is not None:
        if "stream" in body and bool(body["stream"]) != stream:
            _refuse("stream", f"params say {body['stream']!r} but stream={stream!r} was passed")
        wants_stream = stream
    body["stream"] = wants_stream
    return body, wants_stream, files


def prepare(
    op: Operation[Any],
    core: OpenRouterCore,
    params: object = None,
    *,
    arguments: Mapping[str, Any] | None = None,
    stream: bool | None = None,
    options: Mapping[str, Any] | None = None,
) -> Result[Prepared, InvalidRequestError]:
    """Check params, path and query arguments and options, and build the request. Never raises;
    touches no file (the driver checks and reads them: ``files.load``)."""
    try:
        return Success(_prepare(op, core, params, arguments, stream, options))
    except _RefusedError as refused:
        return Failure(refused.error)


def _prepare(
    op: Operation[Any],
    core: OpenRouterCore,
    params: object,
    arguments: Mapping[str, Any] | None,
    stream: bool | None,
    options: Mapping[str, Any] | None,
) -> Prepared:
    if not core.api_key:
        _refuse("api_key", _MISSING_KEY)
    if options:
        from openrouter_core._machinery.options import OPTION_NAMES

        for name in options:
            if name == "stream" and op.stream is not None:
                _refuse("stream", f"{op.name}'s stream function always streams; leave it out")
            if name not in OPTION_NAMES:
                _refuse(*_unknown_keyword(op, str(name)))
        resolved = resolve(core, options)
    else:
        # Most calls pass no options: the core's settings, resolved once per core.
        held = pools(core)
        resolved = held.defaults
        if resolved is None:
            resolved = held.defaults = resolve(core, {})
    if isinstance(resolved, tuple):
        _refuse(*resolved)
    given = arguments or {}
    if given or op.path_params or op.query_params:
        bad = _check_arguments(op, given)
        if bad is not None:
            _refuse(*bad)
    body, wants_stream, files = _body(op, params, stream, resolved.extra_body)
    form_fields: dict[str, str] = {}
    if op.form is not None:
        form_fields, files = _form(op, params)
    content: bytes | None = None
    if body is not None:
        # With files still to read, the body holds their stand-ins: written out only to be
        # refused now if it cannot be, and again with the files' values by ``filled``.
        content = _json(body)
    json_body = body if body is not None and files else None
    path = op.path
    for param in op.path_params:
        path = path.replace("{" + param.wire + "}", quote(str(given[param.name]), safe=""))
    url = core.server_url + path
    pairs = _query_pairs([(p.wire, given.get(p.name)) for p in op.query_params])
    pairs += _query_pairs(list(resolved.extra_query.items()))
    if pairs:
        url += "?" + urlencode(pairs)
    headers = pools(core).headers  # shared, never changed: copied below before any change
    accept = "text/event-stream" if wants_stream else op.accept
    if accept or body is None or resolved.extra_headers:
        headers = dict(headers)
        if accept:
            headers["Accept"] = accept
        if body is None:
            headers.pop("Content-Type", None)
        if resolved.extra_headers:
            headers.update(resolved.extra_headers)
    return Prepared(
        op=op,
        method=op.method,
        url=url,
        headers=headers,
        content=None if json_body is not None else content,
        stream=wants_stream,
        timeout=resolved.timeout,
        retry=resolved.retry,
        first_content_timeout=resolved.first_content_timeout,
        chunk_gap_timeout=resolved.chunk_gap_timeout,
        log_body=core.log_bodies,
        standard_headers=not resolved.extra_headers,
        form_fields=form_fields,
        files=files,
        json_body=json_body,
    )


def _json(body: dict[str, Any]) -> bytes:
    try:
        return _ENCODER.encode(body).encode("utf-8")
    except (TypeError, ValueError, RecursionError) as exc:
        _refuse("", f"params are not JSON-serialisable: {exc}")


def filled(prepared: Prepared, values: Mapping[str, Any]) -> Result[Prepared, InvalidRequestError]:
    """``prepared`` with its JSON fields' files given as ``values`` (field name to encoded
    value): the body written out, and only the multipart files left to send. Pure."""
    parts = tuple(part for part in prepared.files if part.encode is None)
    if prepared.json_body is None:
        return Success(
            prepared if len(parts) == len(prepared.files) else attrs.evolve(prepared, files=parts)
        )
    try:
        content = _json({**prepared.json_body, **values})
    except _RefusedError as refused:
        return Failure(refused.error)
    return Success(attrs.evolve(prepared, content=content, files=parts, json_body=None))


_KNOWN_LIBRARIES = frozenset({"httpx", "httpx2"})


def _wire_parts(core: OpenRouterCore, client: Any, prepared: Prepared) -> tuple[Any, Any]:
    """URL and headers for ``build_request``, as the client library's own objects when cached."""
    if not prepared.standard_headers:
        return prepared.url, prepared.headers
    key = (type(client), prepared.url, prepared.stream, prepared.content is None)
    cache = pools(core).wire
    parts = cache.get(key)
    if parts is None:
        parts = (prepared.url, prepared.headers)
        # httpx and httpx2 export URL and Headers at the top of the package the client is from;
        # any other client gets plain strings and a dict.
        name = type(client).__module__.partition(".")[0]
        library = sys.modules.get(name) if name in _KNOWN_LIBRARIES else None
        if library is not None:
            with contextlib.suppress(Exception):
                parts = (library.URL(prepared.url), library.Headers(prepared.headers))
        if len(cache) >= 256:  # URLs with ids and queries vary; keep the cache small
            cache.clear()
        cache[key] = parts
    return parts


def build_request(
    core: OpenRouterCore, prepared: Prepared, client: Any, opened: contextlib.ExitStack
) -> Any:
    """The client library's request object for ``prepared``; files it opens go on ``opened``."""
    assert prepared.json_body is None, "the driver fills a JSON body's files first (files.load)"
    url, headers = _wire_parts(core, client, prepared)
    kwargs: dict[str, Any] = {"headers": headers}
    if prepared.content is not None:
        kwargs["content"] = prepared.content
    if prepared.files:
        # httpx writes the multipart body itself (boundary, lengths), reading files in chunks.
        kwargs["files"] = [(part.field, part.open(opened)) for part in prepared.files]
        kwargs["data"] = prepared.form_fields
    elif prepared.form_fields:
        kwargs["data"] = prepared.form_fields
    if prepared.timeout is not None:
        kwargs["timeout"] = prepared.timeout
    return client.build_request(prepared.method, url, **kwargs)
