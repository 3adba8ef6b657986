"""Pure classification of an HTTP exchange: a response, a retryable error or a final error.

Nothing here does I/O; the sync and async drivers feed it status, headers and body bytes, or the
exception the HTTP client raised, and act on the verdict.
"""

from __future__ import annotations

import json
import ssl
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs
from returns.result import Failure

from openrouter_core._machinery.retry import is_retryable_status, parse_retry_after
from openrouter_core.errors import (
    DOCUMENTED_STATUSES,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    HTTPClientError,
    OpenRouterCoreError,
    OpenRouterDefaultError,
    ResponseValidationError,
    body_preview,
)

if TYPE_CHECKING:
    from openrouter_core._machinery.operation import ErrorFields, Operation

__all__ = [
    "Verdict",
    "classify_exception",
    "classify_response",
    "decode_json",
    "error_fields",
    "header_getter",
    "headers_dict",
    "request_id",
    "stamp_attempts",
]

#: Header names a request id may arrive in, most specific first.
_ID_HEADERS = ("x-generation-id", "x-request-id", "request-id", "cf-ray")


@attrs.frozen
class Verdict:
    """The outcome of one attempt: exactly one of ``response`` and ``error`` is set."""

    response: Any = None
    error: OpenRouterCoreError | None = None
    retryable: bool = False
    retry_after: float | None = None


def header_getter(headers: Any) -> Callable[[str], str | None]:
    """A case-insensitive lookup over httpx-style headers (``.get`` is case-insensitive)."""
    getter: Callable[[str], str | None] = headers.get
    return getter


def headers_dict(headers: Any) -> dict[str, str]:
    """Response headers as a plain dict (lower-case names), for storing inside errors."""
    try:
        return {str(k).lower(): str(v) for k, v in headers.items()}
    except Exception:  # a caller's client may hand over something odd; keep what we can
        return {}


def decode_json(body: bytes) -> tuple[Any, str | None]:
    """``(value, None)`` for a JSON body, ``(None, problem)`` otherwise. Never raises."""
    try:
        return json.loads(body), None
    except RecursionError:
        return None, "JSON nested too deeply"
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        return None, f"invalid JSON: {exc}"


def _text(body: bytes) -> str:
    return body.decode("utf-8", errors="replace")


def _is_json(content_type: str | None) -> bool:
    return content_type is None or "json" in content_type.lower()


def _looks_html(body: bytes, content_type: str | None) -> bool:
    if content_type is not None and "html" in content_type.lower():
        return True
    start = body.lstrip()[:15].lower()
    return start.startswith((b"<!doctype html", b"<html"))


#: Said of an HTML page where the API answers JSON: the two usual causes.
_HTML_HINT = (
    "is server_url the API's base URL (such as 'https://openrouter.ai/api/v1', not the web "
    "site), or is a proxy or captive portal answering in its place?"
)


def _html_problem(body: bytes, content_type: str | None) -> str:
    """An HTML page where JSON was due: its type, what it starts with, and where to look."""
    snippet = " ".join(_text(body[:2000]).split())[:160]
    kind = content_type or "no Content-Type"
    return f"an HTML page ({kind}), not JSON: {snippet!r}; {_HTML_HINT}"


def error_fields(obj: Any) -> ErrorFields | None:
    """``(code, message, metadata)`` of an OpenRouter error body, or None if it is not one."""
    if not isinstance(obj, dict):
        return None
    err = obj.get("error")
    if isinstance(err, str):
        return None, err, None
    if not isinstance(err, dict):
        return None
    code = err.get("code")
    if isinstance(code, bool) or not isinstance(code, (int, str)):
        code = None
    message = err.get("message")
    metadata = err.get("metadata")
    return (
        code,
        message if isinstance(message, str) else None,
        metadata if isinstance(metadata, dict) else None,
    )


def request_id(headers: Any) -> str | None:
    """The request id a response's headers carry (``x-generation-id`` first), or None."""
    try:
        get = header_getter(headers)
        return next((value for name in _ID_HEADERS if (value := get(name))), None)
    except Exception:  # a caller's client may hand over odd headers; an id is optional
        return None


def _generation_id(get: Callable[[str], str | None], obj: Any) -> str | None:
    for name in _ID_HEADERS:
        value = get(name)
        if value:
            return value
    if isinstance(obj, dict):
        value = obj.get("id")
        if isinstance(value, str):
            return value
    return None


def _status_error(
    status: int,
    headers: Any,
    body: bytes,
    obj: Any,
    fields: ErrorFields | None,
    content_type: str | None,
    now: float,
    error_class: type[APIStatusError],
) -> Verdict:
    get = header_getter(headers)
    retry_after = parse_retry_after(get, now)
    text = _text(body)
    common: dict[str, Any] = {
        "status_code": status,
        "headers": headers_dict(headers),
        "body": text,
        "generation_id": _generation_id(get, obj),
        "retry_after": retry_after,
    }
    err: APIStatusError
    if fields is not None and _is_json(content_type):
        code, message, metadata = fields
        extra_user = obj.get("user_id")
        extra_meta = obj.get("openrouter_metadata")
        cls = (
            error_class
            if status in DOCUMENTED_STATUSES or 200 <= status < 300
            else OpenRouterDefaultError
        )
        err = cls(
            message=f"{status} {message or 'error'}" + (f" (code {code})" if code else ""),
            code=code,
            metadata=metadata,
            user_id=extra_user if isinstance(extra_user, str) else None,
            openrouter_metadata=extra_meta if isinstance(extra_meta, dict) else None,
            **common,
        )
    else:
        kind = f"[Content-Type {content_type}]" if content_type else "[no Content-Type]"
        message = f"API error: status {status} {kind}. Body: {body_preview(text)!r}"
        if _looks_html(body, content_type):
            message = f"API error: status {status}: {_html_problem(body, content_type)}"
        err = OpenRouterDefaultError(message=message, **common)
    code = err.code
    return Verdict(error=err, retryable=is_retryable_status(status, code), retry_after=retry_after)


def classify_response(
    op: Operation[Any], status: int, headers: Any, body: bytes, *, now: float | None = None
) -> Verdict:
    """Classify a complete non-streaming response of ``op``. Total: any input gives a Verdict."""
    if not 200 <= status < 300:
        return _unsuccessful(op, status, headers, body, now)
    obj, problem = decode_json(body)
    if problem is not None:
        if not body.strip():
            problem = "empty body"
        elif _looks_html(body, header_getter(headers)("content-type")):
            problem = _html_problem(body, header_getter(headers)("content-type"))
        return Verdict(error=_invalid(status, headers, body, "", problem))
    if type(obj) is dict:
        # A successful status with OpenRouter's error object in place of an answer. A plain
        # string ``error`` is a field of some answers (a failed video job's reason), not this.
        if isinstance(obj.get("error"), dict):
            fields = error_fields(obj)
            if fields is not None:
                content_type = header_getter(headers)("content-type")
                when = time.time() if now is None else now
                return _status_error(
                    status, headers, body, obj, fields, content_type, when, op.error_class
                )
        reported = op.reported_error(obj) if op.reported_error is not None else None
        if reported is not None:
            code, message, metadata = reported
            return Verdict(
                error=op.error_class(
                    message=f"{status} {message}" + (f" (code {code})" if code else ""),
                    status_code=status,
                    code=code,
                    metadata=metadata,
                    headers=headers_dict(headers),
                    body=_text(body),
                    generation_id=_generation_id(header_getter(headers), obj),
                )
            )
    read = op.read
    assert read is not None  # an operation without a reader answers bytes, never read here
    result = read(obj)
    if isinstance(result, Failure):
        return Verdict(
            error=attrs.evolve(
                result.failure(),
                status_code=status,
                headers=headers_dict(headers),
                body=_text(body),
            )
        )
    return Verdict(response=result.unwrap())


def _unsuccessful(
    op: Operation[Any], status: int, headers: Any, body: bytes, now: float | None
) -> Verdict:
    get = header_getter(headers)
    if 300 <= status < 400:
        return Verdict(
            error=OpenRouterDefaultError(
                message=f"unexpected redirect status {status} (Location: {get('location')!r})",
                status_code=status,
                headers=headers_dict(headers),
                body=_text(body),
            )
        )
    obj, _ = decode_json(body)
    when = time.time() if now is None else now
    verdict = _status_error(
        status, headers, body, obj, error_fields(obj), get("content-type"), when, op.error_class
    )
    hint = ""
    if op.management_key and status in (401, 403):
        hint = (
            f" ({op.name} needs a management key: an inference key, or no key, gets this "
            "answer; create one at https://openrouter.ai/settings/management-keys)"
        )
    elif status == 401:
        hint = (
            " (the API key was refused: check OpenRouterCore(api_key=...) or the "
            "OPENROUTER_API_KEY environment variable; keys are at https://openrouter.ai/keys)"
        )
    if hint and verdict.error is not None:
        verdict = attrs.evolve(
            verdict, error=attrs.evolve(verdict.error, message=verdict.error.message + hint)
        )
    return verdict


def _invalid(
    status: int, headers: Any, body: bytes, path: str, problem: str
) -> ResponseValidationError:
    return ResponseValidationError(
        message=f"{path}: {problem}" if path else f"response body: {problem}",
        status_code=status,
        headers=headers_dict(headers),
        body=_text(body),
        path=path,
        problem=problem,
    )


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 16:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _classes(*names: str) -> tuple[type[BaseException], ...]:
    """The exception classes ``names`` of httpx and httpx2, as far as they are loaded."""
    found: list[type[BaseException]] = []
    for library in ("httpx2", "httpx"):
        module = sys.modules.get(library)
        if module is not None:
            found += [getattr(module, name) for name in names if hasattr(module, name)]
    return tuple(found)


def _host(chain: list[BaseException]) -> str | None:
    """The host the failed request went to, as httpx and httpx2 note it on their errors."""
    for exc in chain:
        try:
            host = exc.request.url.host  # type: ignore[attr-defined]
        except Exception:  # not an httpx error, or one raised before a request existed
            continue
        if isinstance(host, str) and host:
            return host
    return None


def _attempts(count: int) -> str:
    return f"{count} attempt{'s' if count != 1 else ''}"


def classify_exception(exc: Exception, *, attempts: int = 1) -> Verdict:
    """Turn an exception raised by the HTTP client (httpx, httpx2 or other) into a Verdict.

    Told apart by class: httpx's and httpx2's transport errors and ``OSError`` are connection
    failures (timeouts among them); anything else a client raises is a programming error. The
    message names the host and how many attempts were made.
    """
    chain = _chain(exc)
    cause = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    host = _host(chain)
    to = f" to {host}" if host else ""
    timeouts: tuple[type[BaseException], ...] = (TimeoutError, *_classes("TimeoutException"))
    if any(isinstance(e, timeouts) for e in chain):
        return Verdict(
            error=APITimeoutError(
                message=f"request{to} timed out after {_attempts(attempts)} ({cause})",
                cause=cause,
                attempts=attempts,
            ),
            retryable=True,
        )
    if not isinstance(exc, (OSError, *_classes("HTTPError", "InvalidURL"))):
        return Verdict(
            error=HTTPClientError(
                message=f"the HTTP client raised {cause}: not a transport error; is the "
                "injected client an httpx or httpx2 client?",
                cause=cause,
            )
        )
    cert_failure = any(isinstance(e, ssl.SSLCertVerificationError) for e in chain)
    bad_url = isinstance(exc, _classes("UnsupportedProtocol", "InvalidURL"))
    permanent = (
        cert_failure
        or bad_url
        or isinstance(exc, _classes("LocalProtocolError", "TooManyRedirects"))
    )
    if cert_failure:
        what = f"TLS certificate verification failed{' for ' + host if host else ''}"
    else:
        what = f"connection{to} failed"
    hint = ""
    if bad_url:
        hint = "; check the core's server_url (such as 'https://openrouter.ai/api/v1')"
    return Verdict(
        error=APIConnectionError(
            message=f"{what} after {_attempts(attempts)} ({cause}){hint}",
            cause=cause,
            attempts=attempts,
        ),
        retryable=not permanent,
    )


def stamp_attempts(error: OpenRouterCoreError, attempts: int) -> OpenRouterCoreError:
    """The error with its ``attempts`` count set, for error types that carry one."""
    if isinstance(error, (APIStatusError, APIConnectionError)) and error.attempts != attempts:
        return attrs.evolve(error, attempts=attempts)
    return error
