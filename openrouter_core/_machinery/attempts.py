"""The attempt loop of every operation: one pure step machine, two thin drivers.

Why a step machine: the loop's every decision (what a response or an exception means, whether
and how long to wait before another attempt, ``Retry-After``, when a stream has started, the
early 404 an operation retries, logging) is made once, in :func:`attempts`, a generator that
does no I/O and makes no stream. It yields what it needs done (check and read the request's
files, send the request, read a body, make and peek a stream, hand a body over, sleep) and
receives the outcome. :func:`run_sync` and
:func:`run_async` perform those steps, one with plain calls and one with ``await``: about twenty
lines each, with nothing in them to drift. They do all the I/O of a call, files included:
``prepare`` before them touches none.
(The other way, one async source with a generated sync twin, would keep two copies of the whole
loop in the tree; here there is one.)
"""

from __future__ import annotations

import contextlib
import functools
import logging
import random
import time
from collections.abc import Awaitable, Callable, Generator
from typing import TYPE_CHECKING, Any

import attrs
from returns.result import Failure, Result, Success

from openrouter_core._machinery.classify import (
    Verdict,
    classify_exception,
    classify_response,
    header_getter,
    headers_dict,
    stamp_attempts,
)
from openrouter_core._machinery.http import HTTPInfo
from openrouter_core._machinery.pools import async_client, sync_client
from openrouter_core._machinery.request import build_request, refusal
from openrouter_core._machinery.retry import backoff_delay, is_retryable_status, next_delay
from openrouter_core.errors import (
    APIStatusError,
    OpenRouterCoreError,
    ResponseValidationError,
    StreamConnectionError,
    StreamTimeoutError,
    StreamTruncatedError,
)
from openrouter_core.models._base import WireModel

if TYPE_CHECKING:
    from openrouter_core._machinery.operation import StreamSpec
    from openrouter_core._machinery.request import Prepared
    from openrouter_core.core import OpenRouterCore

__all__ = ["attempts", "run_async", "run_sync"]

logger = logging.getLogger("openrouter_core")


@attrs.frozen
class Load:
    """Check the files ``prepared`` sends and read those of its JSON fields (``files.load``);
    the outcome is the Result: the request to send, or the refusal."""

    prepared: Prepared


@attrs.frozen
class Open:
    """Make the operation's stream over ``response``, of the driver's kind (sync or async, the
    operation's own classes when it names them); the outcome is the stream."""

    response: Any
    spec: StreamSpec[Any, Any]
    first_content_timeout: float | None
    chunk_gap_timeout: float | None
    started_at: float


@attrs.frozen
class Hold:
    """Hand ``response`` over unread, as the driver's ``Body`` or ``AsyncBody``; the outcome is
    it."""

    response: Any
    http: HTTPInfo


@attrs.frozen
class Send:
    """Send the request ``build(client, opened)`` makes (files it opens go on ``opened``); the
    outcome is the response (body unread) or the exception."""

    build: Callable[[Any, contextlib.ExitStack], Any]


@attrs.frozen
class Read:
    """Read ``response``'s whole body and close it; the outcome is the bytes or the exception."""

    response: Any


@attrs.frozen
class Peek:
    """Wait for ``stream``'s first item; the outcome is that item, or None (it ended empty)."""

    stream: Any


@attrs.frozen
class Collect:
    """Read ``stream`` to its end; the outcome is ``collect()``'s Result."""

    stream: Any


@attrs.frozen
class Sleep:
    """Wait ``seconds`` before the next attempt; the outcome is None."""

    seconds: float


@attrs.frozen
class Key:
    """Ask the core's key provider for this attempt's key; the outcome is the key or the
    exception."""

    provider: Callable[[], Any]


@attrs.frozen
class Note:
    """Tell the call's observer (hooks, telemetry) what happened: ``kind`` is ``"request"``,
    ``"response"`` or ``"retry"``, ``args`` its details; the outcome is ignored."""

    observer: Any
    kind: str
    args: tuple[Any, ...]


Step = Load | Send | Read | Open | Peek | Collect | Hold | Sleep | Key | Note
Steps = Generator[Step, Any, Result[Any, OpenRouterCoreError]]


def _is_event_stream(status: int, headers: Any) -> bool:
    if status != 200:
        return False
    content_type = header_getter(headers)("content-type") or ""
    return content_type.lower().lstrip().startswith("text/event-stream")


def _log_attempt(prepared: Prepared, attempt: int, status: int | str, elapsed: float) -> None:
    logger.debug(
        "%s %s attempt=%d status=%s elapsed=%.3fs",
        prepared.method,
        prepared.url,
        attempt,
        status,
        elapsed,
    )


def _log_body(prepared: Prepared, body: bytes) -> None:
    if prepared.log_body:
        if prepared.content is not None:
            logger.debug("request body: %s", prepared.content.decode("utf-8", "replace"))
        logger.debug("response body: %s", body.decode("utf-8", "replace"))


def _classify(prepared: Prepared, status: int, headers: Any, body: bytes) -> Verdict:
    """``classify_response``, except that a streaming request must not get a plain response."""
    verdict = classify_response(prepared.op, status, headers, body)
    if prepared.stream and verdict.error is None:
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


def _unreadable(exc: Exception, status: int, headers: Any) -> ResponseValidationError:
    """A stream that could not be read for a reason no server should cause (a bug here)."""
    problem = f"the stream could not be read ({type(exc).__name__}: {exc})"
    return ResponseValidationError(
        message=problem, status_code=status, headers=headers_dict(headers), problem=problem
    )


def _stream_start(first: Any, prepared: Prepared) -> Verdict | None:
    """None when the stream started (its first item is an event).

    A stream that fails before its first event has given the caller nothing, so it is the
    call's failure, retried like any other attempt when another one may fix it: a dropped or
    silent connection, an error event whose code is a transient status, or a stream that ended
    before any event.
    """
    if isinstance(first, Exception):
        return Verdict(error=_unreadable(first, 200, {}))
    if first is None:
        return Verdict(
            error=StreamTruncatedError(
                message="the stream held no completion: it ended before any event with data"
            ),
            retryable=True,
        )
    if not isinstance(first, Failure):
        return None
    error = first.failure()
    spec = prepared.op.stream
    if spec is not None and isinstance(error, spec.error_class):
        code = getattr(error, "code", None)
        retryable = code is not None and is_retryable_status(200, code)
    else:
        retryable = isinstance(
            error, (StreamConnectionError, StreamTimeoutError, StreamTruncatedError)
        )
    return Verdict(error=error, retryable=retryable)


def _delay_after(
    verdict: Verdict, prepared: Prepared, attempt: int, elapsed: float, rand: float
) -> float | None:
    error = verdict.error
    not_found_for = prepared.not_found_for
    if not_found_for and isinstance(error, APIStatusError) and error.status_code == 404:
        # The answer appears shortly after another call: retried for a bounded time.
        delay = backoff_delay(prepared.retry, attempt - 1, rand)
        return delay if elapsed + delay <= not_found_for else None
    if not verdict.retryable:
        return None
    # A server-reported error (a status, or an error event before a stream's first item) is
    # retried by its code, whatever ``retry_connection_errors`` says.
    from_server = isinstance(error, APIStatusError) or getattr(error, "code", None) is not None
    if not from_server and not prepared.retry.retry_connection_errors:
        return None
    return next_delay(
        prepared.retry,
        retries_done=attempt - 1,
        elapsed=elapsed,
        retry_after=verdict.retry_after,
        rand=rand,
    )


def _http(response: Any, attempt: int, elapsed: float) -> HTTPInfo:
    return HTTPInfo(
        status_code=response.status_code,
        attempts=attempt,
        elapsed=elapsed,
        raw_headers=response.headers,
    )


def _stamp(value: Any, http: HTTPInfo) -> Any:
    # Models keep the exchange in a slot of their base class; other values carry none.
    if isinstance(value, WireModel):
        value._http = http  # type: ignore[misc]  # a slot of the base class
    return value


# The stream and body classes are imported when an answer first needs them: a call that
# neither streams nor downloads loads none of that code.


def attempts(
    core: OpenRouterCore,
    prepared: Prepared,
    clock: Callable[[], float],
    rand: Callable[[], float],
    *,
    observer: Any = None,
) -> Steps:
    """The attempt loop as steps; its return value is the call's Result. The drivers make the
    streams and binary bodies (``Open``, ``Hold``), of their own kind, sync or async.
    ``observer`` (hooks, telemetry) is told of each request, response and retry; None: no one
    listens, and no step is spent on it."""
    spec = prepared.op.stream
    if prepared.files:
        # Before anything is sent: a missing file is refused without a request.
        loaded = yield Load(prepared)
        if isinstance(loaded, Exception):
            loaded = refusal("", f"the files could not be read: {type(loaded).__name__}: {loaded}")
        if isinstance(loaded, Failure):
            result: Result[Any, OpenRouterCoreError] = loaded
            return result
        prepared = loaded.unwrap()
    send = Send(functools.partial(build_request, core, prepared))
    provider = core.api_key if callable(core.api_key) else None
    started = clock()
    attempt = 0
    while True:
        attempt += 1
        if provider is not None:
            from openrouter_core._machinery.keys import with_key

            keyed = with_key(prepared, (yield Key(provider)), provider)
            if isinstance(keyed, OpenRouterCoreError):
                return Failure(stamp_attempts(keyed, attempt - 1))
            send = Send(functools.partial(build_request, core, keyed))
        if observer is not None:
            yield Note(observer, "request", (attempt,))
        attempt_started = clock()
        outcome = yield send
        if isinstance(outcome, Exception):
            if logger.isEnabledFor(logging.DEBUG):
                _log_attempt(prepared, attempt, type(outcome).__name__, clock() - attempt_started)
            verdict = classify_exception(outcome, attempts=attempt)
        else:
            response, status = outcome, outcome.status_code
            if logger.isEnabledFor(logging.DEBUG):
                _log_attempt(prepared, attempt, status, clock() - attempt_started)
            if observer is not None:
                yield Note(observer, "response", (attempt, response, clock() - attempt_started))
            if spec is not None and _is_event_stream(status, response.headers):
                stream = yield Open(
                    response,
                    spec,
                    prepared.first_content_timeout,
                    prepared.chunk_gap_timeout,
                    started,
                )
                if isinstance(stream, Exception):
                    raise stream  # making a stream does no I/O: a failure is a bug, not a verdict
                failed = _stream_start((yield Peek(stream)), prepared)
                if failed is None:
                    stream.http = _http(response, attempt, clock() - started)
                    if prepared.stream:
                        return Success(stream)
                    collected = yield Collect(stream)
                    if isinstance(collected, Exception):
                        return Failure(_unreadable(collected, status, response.headers))
                    result = collected
                    return result
                verdict = failed
            elif prepared.op.binary and 200 <= status < 300:
                held = yield Hold(response, _http(response, attempt, clock() - started))
                if isinstance(held, Exception):
                    raise held  # as for Open
                return Success(held)
            else:
                body = yield Read(response)
                if isinstance(body, Exception):
                    verdict = classify_exception(body, attempts=attempt)
                else:
                    _log_body(prepared, body)
                    verdict = _classify(prepared, status, response.headers, body)
                    if verdict.error is None:
                        http = _http(response, attempt, clock() - started)
                        return Success(_stamp(verdict.response, http))
        delay = _delay_after(verdict, prepared, attempt, clock() - started, rand())
        if delay is None:
            assert verdict.error is not None
            return Failure(stamp_attempts(verdict.error, attempt))
        logger.debug("retrying in %.3fs after %s", delay, type(verdict.error).__name__)
        if observer is not None:
            yield Note(observer, "retry", (attempt, float(delay), verdict.error))
        yield Sleep(float(delay))


@attrs.frozen
class Done:
    """The machine's end: ``result`` is the call's Result."""

    result: Result[Any, OpenRouterCoreError]


def _advance(steps: Steps, outcome: Any) -> Step | Done:
    """The machine's next step, given the outcome of the last one."""
    try:
        return steps.send(outcome)
    except StopIteration as done:
        return Done(done.value)


# What each step does, with the sync client and with the async one: a line or two each, so that
# nothing of the loop's logic lives twice.


def _send(client: Any, step: Any, sleep: Any) -> Any:
    with contextlib.ExitStack() as opened:
        return client.send(step.build(client, opened), stream=True)


def _read(client: Any, step: Any, sleep: Any) -> Any:
    try:
        return step.response.read()
    finally:
        step.response.close()


def _load(client: Any, step: Any, sleep: Any) -> Any:
    from openrouter_core._machinery.files import load

    return load(step.prepared)


# The stream and body classes are imported when an answer first needs them: a call that
# neither streams nor downloads loads none of that code.


def _open(step: Open, sync: bool) -> Any:
    spec = step.spec
    named = spec.sync_class if sync else spec.async_class
    if named is None:
        from openrouter_core._machinery.stream import AsyncStream, Stream

        named = Stream if sync else AsyncStream
    return named(
        step.response,
        spec,
        first_content_timeout=step.first_content_timeout,
        chunk_gap_timeout=step.chunk_gap_timeout,
        started_at=step.started_at,
    )


def _hold(step: Hold, sync: bool) -> Any:
    from openrouter_core._machinery.binary import AsyncBody, Body

    return (Body if sync else AsyncBody)(step.response, step.http)


_SYNC: dict[type, Callable[[Any, Any, Any], Any]] = {
    Load: _load,
    Send: _send,
    Read: _read,
    Open: lambda client, step, sleep: _open(step, sync=True),
    Peek: lambda client, step, sleep: step.stream.peek(),
    Collect: lambda client, step, sleep: step.stream.collect(),
    Hold: lambda client, step, sleep: _hold(step, sync=True),
    Sleep: lambda client, step, sleep: sleep(step.seconds),
    Key: lambda client, step, sleep: _ask_sync(step.provider),
    Note: lambda client, step, sleep: step.observer.note(step.kind, step.args),
}


def _ask_sync(provider: Any) -> Any:
    from openrouter_core._machinery.keys import ask_sync

    return ask_sync(provider)


async def _aload(client: Any, step: Any, sleep: Any) -> Any:
    # On the loop's thread, as when ``prepare`` read the file: the loop waits no longer than it
    # did. A worker thread would free it for a large file, but would go on reading the caller's
    # file object after a cancelled call had returned. (An upload is only checked here; each
    # attempt streams it.)
    return _load(client, step, sleep)


async def _asend(client: Any, step: Any, sleep: Any) -> Any:
    with contextlib.ExitStack() as opened:
        return await client.send(step.build(client, opened), stream=True)


async def _aread(client: Any, step: Any, sleep: Any) -> Any:
    try:
        return await step.response.aread()
    finally:
        await step.response.aclose()


async def _aopen(client: Any, step: Any, sleep: Any) -> Any:
    return _open(step, sync=False)


async def _ahold(client: Any, step: Any, sleep: Any) -> Any:
    return _hold(step, sync=False)


async def _apeek(client: Any, step: Any, sleep: Any) -> Any:
    return await step.stream.peek()


async def _acollect(client: Any, step: Any, sleep: Any) -> Any:
    return await step.stream.collect()


async def _asleep(client: Any, step: Any, sleep: Any) -> None:
    await sleep(step.seconds)


async def _akey(client: Any, step: Any, sleep: Any) -> Any:
    value = step.provider()
    return (await value) if hasattr(value, "__await__") else value


async def _anote(client: Any, step: Any, sleep: Any) -> None:
    await step.observer.anote(step.kind, step.args)


_ASYNC: dict[type, Callable[[Any, Any, Any], Awaitable[Any]]] = {
    Load: _aload,
    Send: _asend,
    Read: _aread,
    Open: _aopen,
    Peek: _apeek,
    Collect: _acollect,
    Hold: _ahold,
    Sleep: _asleep,
    Key: _akey,
    Note: _anote,
}


def _perform(client: Any, step: Step, sleep: Any) -> Any:
    try:
        return _SYNC[type(step)](client, step, sleep)
    except Exception as exc:  # a transport error or a broken body: the machine's next input
        return exc


async def _aperform(client: Any, step: Step, sleep: Any) -> Any:
    try:
        return await _ASYNC[type(step)](client, step, sleep)
    except Exception as exc:  # as in _perform
        return exc


def run_sync(
    core: OpenRouterCore,
    prepared: Prepared,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    rand: Callable[[], float] = random.random,
    observer: Any = None,
) -> Result[Any, OpenRouterCoreError]:
    """Perform the steps of :func:`attempts` with the sync client."""
    client = sync_client(core)
    steps = attempts(core, prepared, clock, rand, observer=observer)
    outcome: Any = None
    while not isinstance(step := _advance(steps, outcome), Done):
        outcome = _perform(client, step, sleep)
    return step.result


async def run_async(
    core: OpenRouterCore,
    prepared: Prepared,
    *,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    clock: Callable[[], float] = time.monotonic,
    rand: Callable[[], float] = random.random,
    observer: Any = None,
) -> Result[Any, OpenRouterCoreError]:
    """Perform the steps of :func:`attempts` with the async client of the running loop."""
    import asyncio

    client = async_client(core)
    steps = attempts(core, prepared, clock, rand, observer=observer)
    outcome: Any = None
    while not isinstance(step := _advance(steps, outcome), Done):
        outcome = await _aperform(client, step, sleep or asyncio.sleep)
    return step.result
