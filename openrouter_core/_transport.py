"""The two thin I/O drivers (sync and async) over the pure parts.

``prepare`` turns params and per-call options into the exact bytes and headers to send (pure).
``send_sync`` / ``send_async`` run the attempt loop: send, hand the response to the classifier,
sleep as the retry policy says, and return a Result. Only cancellation escapes them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs
from returns.result import Failure, Result, Success

from openrouter_core._classify import (
    Verdict,
    classify_exception,
    classify_response,
    header_getter,
    headers_dict,
    stamp_attempts,
)
from openrouter_core._client import TimeoutLike
from openrouter_core._retry import is_retryable_status, next_delay
from openrouter_core.core import (
    OpenRouterCore,
    RetryConfig,
    TimeoutTuple,
    is_timeout,
    timeout_tuple,
)
from openrouter_core.errors import (
    APIStatusError,
    ChatStreamError,
    InvalidRequestError,
    OpenRouterCoreError,
    ResponseValidationError,
    StreamConnectionError,
    StreamTimeoutError,
    StreamTruncatedError,
)
from openrouter_core.models import ChatGenerationParams

if TYPE_CHECKING:
    from openrouter_core.models import ChatResponse
    from openrouter_core.streaming import AsyncChatStream, ChatStream

logger = logging.getLogger("openrouter_core")

TimeoutArg = float | TimeoutLike | None
RetriesArg = RetryConfig | int | None

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


@attrs.define
class Prepared:
    """Everything one call sends, computed once before the first attempt."""

    url: str
    headers: dict[str, str] = attrs.field(repr=_redacted)
    content: bytes
    stream: bool
    timeout: TimeoutTuple | None
    retry: RetryConfig
    first_content_timeout: float | None
    chunk_gap_timeout: float | None
    log_body: bool
    #: True when ``headers`` are the core's own (no per-call headers), so they can be cached.
    standard_headers: bool = True


def _invalid(path: str, problem: str) -> Failure[InvalidRequestError]:
    return Failure(
        InvalidRequestError(
            message=f"{path}: {problem}" if path else problem, path=path, problem=problem
        )
    )


def _check_headers(extra: Mapping[str, str]) -> str | None:
    for key, value in extra.items():
        if not isinstance(key, str) or not isinstance(value, str):
            return f"extra_headers must map str to str; got {key!r}: {type(value).__name__}"
        if not (key.isascii() and value.isascii()) or "\n" in value or "\r" in value:
            return f"extra_headers[{key!r}] must be ASCII without line breaks"
    return None


def prepare(
    core: OpenRouterCore,
    params: Mapping[str, Any] | ChatGenerationParams,
    *,
    stream: bool | None = None,
    timeout: TimeoutArg = None,
    retries: RetriesArg = None,
    extra_headers: Mapping[str, str] | None = None,
    extra_body: Mapping[str, Any] | None = None,
    first_content_timeout: float | None = None,
    chunk_gap_timeout: float | None = None,
) -> Result[Prepared, InvalidRequestError]:
    """Validate params and options and build the request. Pure; never raises."""
    if not core.api_key:
        return _invalid("api_key", _MISSING_KEY)
    if isinstance(params, ChatGenerationParams):
        model = params
    elif isinstance(params, Mapping):
        parsed = ChatGenerationParams.from_dict(params)
        if isinstance(parsed, Failure):
            return parsed
        model = parsed.unwrap()
    else:
        return _invalid(
            "", f"params must be a mapping or ChatGenerationParams, not {type(params).__name__}"
        )
    body = model.to_dict()
    if extra_body:
        body.update(extra_body)
    wants_stream = body.get("stream") is True
    if stream is not None:
        if "stream" in body and bool(body["stream"]) != stream:
            return _invalid(
                "stream", f"params say {body['stream']!r} but stream={stream!r} was passed"
            )
        wants_stream = stream
    body["stream"] = wants_stream
    try:
        content = _ENCODER.encode(body)
    except (TypeError, ValueError, RecursionError) as exc:
        return _invalid("", f"params are not JSON-serialisable: {exc}")
    headers = dict(core.base_headers)
    if wants_stream:
        headers["Accept"] = "text/event-stream"
    if extra_headers:
        problem = _check_headers(extra_headers)
        if problem is not None:
            return _invalid("extra_headers", problem)
        headers.update(extra_headers)
    if timeout is not None and not is_timeout(timeout):
        return _invalid("timeout", f"must be a positive number or a Timeout, not {timeout!r}")
    effective = timeout if timeout is not None else core.timeout
    if isinstance(retries, bool) or (isinstance(retries, int) and retries < 0):
        return _invalid("retries", f"must be a RetryConfig or a count >= 0, not {retries!r}")
    if retries is None:
        retry = core.retry_config
    elif isinstance(retries, RetryConfig):
        retry = retries
    else:
        retry = attrs.evolve(core.retry_config, max_retries=retries)
    return Success(
        Prepared(
            url=core.chat_url,
            headers=headers,
            content=content.encode("utf-8"),
            stream=wants_stream,
            timeout=timeout_tuple(effective) if effective is not None else None,
            retry=retry,
            first_content_timeout=(
                first_content_timeout
                if first_content_timeout is not None
                else core.first_content_timeout
            ),
            chunk_gap_timeout=(
                chunk_gap_timeout if chunk_gap_timeout is not None else core.chunk_gap_timeout
            ),
            log_body=core.log_bodies,
            standard_headers=not extra_headers,
        )
    )


def _is_event_stream(status: int, headers: Any) -> bool:
    if status != 200:
        return False
    content_type = header_getter(headers)("content-type") or ""
    return content_type.lower().lstrip().startswith("text/event-stream")


_KNOWN_LIBRARIES = frozenset({"httpx", "httpx2"})


def _wire_parts(core: OpenRouterCore, client: Any, prepared: Prepared) -> tuple[Any, Any]:
    """URL and headers for ``build_request``, as the client library's own objects when cached."""
    if not prepared.standard_headers:
        return prepared.url, prepared.headers
    key = (type(client), prepared.stream)
    cache = core._pools.wire
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
        cache[key] = parts
    return parts


def _build(core: OpenRouterCore, client: Any, prepared: Prepared) -> Any:
    url, headers = _wire_parts(core, client, prepared)
    if prepared.timeout is None:
        return client.build_request("POST", url, content=prepared.content, headers=headers)
    return client.build_request(
        "POST", url, content=prepared.content, headers=headers, timeout=prepared.timeout
    )


def _log_attempt(
    prepared: Prepared, attempt: int, status: int | str, started: float, clock: Callable[[], float]
) -> None:
    logger.debug(
        "POST %s attempt=%d status=%s elapsed=%.3fs",
        prepared.url,
        attempt,
        status,
        clock() - started,
    )


def _log_body(prepared: Prepared, body: bytes) -> None:
    if prepared.log_body:
        logger.debug("request body: %s", prepared.content.decode("utf-8", "replace"))
        logger.debug("response body: %s", body.decode("utf-8", "replace"))


def _classify(prepared: Prepared, status: int, headers: Any, body: bytes) -> Verdict:
    """``classify_response``, except that a streaming request must not get a plain response."""
    verdict = classify_response(status, headers, body)
    if prepared.stream and verdict.response is not None:
        content_type = header_getter(headers)("content-type")
        problem = (
            "a streaming request got a complete response instead of an event stream "
            f"(Content-Type {content_type!r}, expected 'text/event-stream')"
        )
        return Verdict(
            error=ResponseValidationError(
                message=problem,
                status_code=status,
                headers=headers_dict(headers),
                body=body.decode("utf-8", "replace"),
                path="",
                problem=problem,
            )
        )
    return verdict


def _stream_start(first: Any) -> Verdict | None:
    """None when the stream started (its first item is a chunk, or it ended cleanly empty).

    A stream that fails before its first chunk has given the caller nothing, so it is the
    call's failure, retried like any other attempt when another one may fix it: a dropped or
    silent connection, or an error event whose code is a transient status.
    """
    if not isinstance(first, Failure):
        return None
    error = first.failure()
    if isinstance(error, ChatStreamError):
        retryable = error.code is not None and is_retryable_status(200, error.code)
    else:
        retryable = isinstance(
            error, (StreamConnectionError, StreamTimeoutError, StreamTruncatedError)
        )
    return Verdict(error=error, retryable=retryable)


def _delay_after(
    verdict: Verdict, prepared: Prepared, attempt: int, elapsed: float, rand: Callable[[], float]
) -> float | None:
    if not verdict.retryable:
        return None
    if not _is_status(verdict) and not prepared.retry.retry_connection_errors:
        return None
    return next_delay(
        prepared.retry,
        retries_done=attempt - 1,
        elapsed=elapsed,
        retry_after=verdict.retry_after,
        rand=rand(),
    )


def _is_status(verdict: Verdict) -> bool:
    # A server-reported error (a status, or an error event before a stream's first chunk) is
    # retried by its code, whatever ``retry_connection_errors`` says.
    return isinstance(verdict.error, (APIStatusError, ChatStreamError))


def _after_attempt(
    verdict: Verdict,
    prepared: Prepared,
    attempt: int,
    elapsed: float,
    rand: Callable[[], float],
) -> Success[ChatResponse] | Failure[OpenRouterCoreError] | float:
    """The call's Result, or the seconds to wait before the next attempt."""
    if verdict.response is not None:
        return Success(verdict.response)
    delay = _delay_after(verdict, prepared, attempt, elapsed, rand)
    if delay is None:
        assert verdict.error is not None
        return Failure(stamp_attempts(verdict.error, attempt))
    logger.debug("retrying in %.3fs after %s", delay, type(verdict.error).__name__)
    return float(delay)  # a config given in ints must still read as a delay, not a Result


def send_sync(
    core: OpenRouterCore,
    prepared: Prepared,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    rand: Callable[[], float] = random.random,
) -> Result[ChatResponse | ChatStream, OpenRouterCoreError]:
    """Run the attempt loop on the sync client."""
    client = core.sync_client()
    started = clock()
    attempt = 0
    while True:
        attempt += 1
        attempt_started = clock()
        try:
            response = client.send(_build(core, client, prepared), stream=True)
        except Exception as exc:
            verdict = classify_exception(exc, attempts=attempt)
            _log_attempt(prepared, attempt, type(exc).__name__, attempt_started, clock)
        else:
            status = response.status_code
            _log_attempt(prepared, attempt, status, attempt_started, clock)
            if _is_event_stream(status, response.headers):
                from openrouter_core.streaming import ChatStream

                stream = ChatStream(
                    response,
                    first_content_timeout=prepared.first_content_timeout,
                    chunk_gap_timeout=prepared.chunk_gap_timeout,
                    started_at=started,
                )
                failed = _stream_start(stream.peek())
                if failed is None:
                    return Success(stream) if prepared.stream else stream.collect()
                verdict = failed
            else:
                try:
                    body = response.read()
                except Exception as exc:
                    verdict = classify_exception(exc, attempts=attempt)
                else:
                    _log_body(prepared, body)
                    verdict = _classify(prepared, status, response.headers, body)
                finally:
                    response.close()
        outcome = _after_attempt(verdict, prepared, attempt, clock() - started, rand)
        if not isinstance(outcome, float):
            return outcome
        sleep(outcome)


async def send_async(
    core: OpenRouterCore,
    prepared: Prepared,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
    rand: Callable[[], float] = random.random,
) -> Result[ChatResponse | AsyncChatStream, OpenRouterCoreError]:
    """Run the attempt loop on the async client of the running event loop."""
    client = core.async_client_for_loop()
    started = clock()
    attempt = 0
    while True:
        attempt += 1
        attempt_started = clock()
        try:
            response = await client.send(_build(core, client, prepared), stream=True)
        except Exception as exc:
            verdict = classify_exception(exc, attempts=attempt)
            _log_attempt(prepared, attempt, type(exc).__name__, attempt_started, clock)
        else:
            status = response.status_code
            _log_attempt(prepared, attempt, status, attempt_started, clock)
            if _is_event_stream(status, response.headers):
                from openrouter_core.streaming import AsyncChatStream

                stream = AsyncChatStream(
                    response,
                    first_content_timeout=prepared.first_content_timeout,
                    chunk_gap_timeout=prepared.chunk_gap_timeout,
                    started_at=started,
                )
                failed = _stream_start(await stream.peek())
                if failed is None:
                    return Success(stream) if prepared.stream else await stream.collect()
                verdict = failed
            else:
                try:
                    body = await response.aread()
                except Exception as exc:
                    verdict = classify_exception(exc, attempts=attempt)
                else:
                    _log_body(prepared, body)
                    verdict = _classify(prepared, status, response.headers, body)
                finally:
                    await response.aclose()
        outcome = _after_attempt(verdict, prepared, attempt, clock() - started, rand)
        if not isinstance(outcome, float):
            return outcome
        await sleep(outcome)
