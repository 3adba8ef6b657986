"""Streamed chat completions: ``ChatStream`` (sync) and ``AsyncChatStream`` (async).

A stream is a context manager and an iterator of Results, one per chunk::

    with stream:
        for item in stream:
            match item:
                case Success(chunk): ...
                case Failure(error): ...   # a StreamError; the stream ends after it

or ``stream.collect()`` for the whole ``ChatResponse``. Iteration never raises; only cancellation
(``KeyboardInterrupt``, ``asyncio.CancelledError``, ``GeneratorExit``) passes through, after the
HTTP response was closed. Leaving the ``with`` block, breaking out of the loop or dropping the
stream also closes the response, so the server sees the client go away.

Both drivers are thin loops around ``_StreamMachine``, which is pure: it takes the bytes (or the
end, or the exception) that a read produced and returns the items to hand out.

Watchdogs: besides the HTTP client's read timeout (which any byte resets, keep-alive comments
included), ``first_content_timeout`` limits the time from the start of the call to the first
event with data, and ``chunk_gap_timeout`` the time between two such events. Comments do not
count, so a server that only sends keep-alives still fails in bounded time. The async stream
enforces them with a timer around each read; the sync stream checks them whenever bytes arrive,
so against a completely silent server only the read timeout applies.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import queue
import select
import socket
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from returns.result import Failure, Result, Success

from openrouter_core._accumulate import StreamAccumulator
from openrouter_core._classify import (
    _choice_error,
    _error_fields,
    classify_exception,
    header_getter,
    headers_dict,
)
from openrouter_core._sse import ServerSentEvent, SSEDecoder
from openrouter_core.errors import (
    APITimeoutError,
    ChatStreamError,
    StreamConnectionError,
    StreamDecodeError,
    StreamError,
    StreamTimeoutError,
    StreamTruncatedError,
)
from openrouter_core.models import ChatResponse, ChatStreamChunk

if TYPE_CHECKING:
    from typing_extensions import Self

    from openrouter_core._client import AsyncResponse, SyncResponse

__all__ = ["AsyncChatStream", "ChatStream", "StreamItem"]

#: What a stream yields: a chunk, or the error that ended the stream.
StreamItem = Result[ChatStreamChunk, StreamError]

#: After ``[DONE]`` the rest of the body (normally only the chunked-encoding terminator) is read
#: so that the connection can go back to the pool; at most this many bytes ...
_DRAIN_BYTES = 64 * 1024
#: ... and for at most this many seconds, away from the caller (see ``_drain_sync``); the
#: caller waits at most ``_DRAIN_GRACE`` seconds for that drain before its loop ends.
_DRAIN_SECONDS = 1.0
_DRAIN_GRACE = 0.02

_DONE = "[DONE]"
_ID_HEADER = "x-generation-id"
_OTHER_ID_HEADERS = ("x-request-id", "request-id", "cf-ray")


def _header(headers: Any, name: str) -> str | None:
    try:
        value = header_getter(headers)(name)
    except Exception:  # a caller's client may hand over odd headers; an id is optional
        return None
    return value if isinstance(value, str) and value else None


class _StreamMachine:
    """The sans-I/O core of a stream: read outcomes in, items out."""

    __slots__ = (
        "_chunk_gap",
        "_first_content",
        "_last_content",
        "_started_at",
        "_watching",
        "acc",
        "closed_early",
        "decoder",
        "ended",
        "failure",
        "got_done",
        "header_id",
        "other_id",
    )

    def __init__(
        self,
        headers: Any,
        *,
        first_content_timeout: float | None,
        chunk_gap_timeout: float | None,
        started_at: float,
    ) -> None:
        self.decoder = SSEDecoder()
        self.acc = StreamAccumulator()
        self.header_id = _header(headers, _ID_HEADER)
        self.other_id = next(
            (v for v in (_header(headers, n) for n in _OTHER_ID_HEADERS) if v), None
        )
        self._first_content = first_content_timeout
        self._chunk_gap = chunk_gap_timeout
        self._started_at = started_at
        self._watching = first_content_timeout is not None or chunk_gap_timeout is not None
        self._last_content: float | None = None
        #: Nothing more will be read: ``[DONE]``, a failure, the end of the body, or closed.
        self.ended = False
        self.got_done = False
        self.closed_early = False
        self.failure: StreamError | None = None

    @property
    def generation_id(self) -> str | None:
        return self.header_id or self.acc.id or self.other_id

    def deadline(self) -> tuple[float, str] | None:
        """When the running watchdog fires, and its name; None when none applies."""
        if self._last_content is None:
            if self._first_content is None:
                return None
            return self._started_at + self._first_content, "first_content"
        if self._chunk_gap is None:
            return None
        return self._last_content + self._chunk_gap, "chunk_gap"

    def receive(self, data: bytes, now: float) -> list[StreamItem]:
        """Bytes arrived at ``now``."""
        items: list[StreamItem] = []
        for event in self.decoder.feed(data):
            self._event(event, now, items)
            if self.ended:
                return items
        if self._watching:
            limit = self.deadline()
            if limit is not None and now >= limit[0]:
                items += self.watchdog(limit[1])
        return items

    def eof(self, now: float) -> list[StreamItem]:
        """The body ended."""
        items: list[StreamItem] = []
        for event in self.decoder.flush():
            self._event(event, now, items)
            if self.ended:
                return items
        return items + self._end(
            StreamTruncatedError,
            "the stream ended without [DONE] and without a finish reason",
        )

    def error(self, exc: Exception) -> list[StreamItem]:
        """A read raised ``exc``."""
        verdict = classify_exception(exc)
        cause = getattr(verdict.error, "cause", "") or f"{type(exc).__name__}: {exc}"
        if isinstance(verdict.error, APITimeoutError):
            return self._end(
                StreamTimeoutError, f"no data within the read timeout ({cause})", watchdog="read"
            )
        names = {cls.__name__ for cls in type(exc).__mro__}
        if "RemoteProtocolError" in names:
            # The server closed the connection in the middle of the body (FIN, not RST).
            return self._end(StreamTruncatedError, f"the stream was cut off ({cause})")
        return self._end(
            StreamConnectionError, f"the connection broke mid-stream ({cause})", cause=cause
        )

    def watchdog(self, which: str) -> list[StreamItem]:
        """The watchdog ``which`` fired."""
        if which == "first_content":
            what = f"no content within {self._first_content}s of the request"
        else:
            what = f"no content for {self._chunk_gap}s after the previous chunk"
        return self._end(StreamTimeoutError, f"{what} (stream watchdog)", watchdog=which)

    def close(self) -> None:
        """The caller closed the stream."""
        if not self.ended:
            self.ended = True
            self.closed_early = True

    def partial(self) -> ChatResponse | None:
        """What arrived so far, or None if no chunk did."""
        if not self.acc.chunks:
            return None
        return self.acc.build(generation_id=self.generation_id)

    def result(self) -> Result[ChatResponse, StreamError]:
        """The outcome of ``collect()`` once no item is left."""
        if self.failure is not None:
            return Failure(self.failure)
        if self.closed_early and not self.acc.finished:
            return Failure(
                StreamTruncatedError(
                    message="the stream was closed before it ended",
                    generation_id=self.generation_id,
                    partial=self.partial(),
                )
            )
        return Success(self.acc.build(generation_id=self.generation_id))

    def _end(self, kind: type[StreamError], message: str, **fields: Any) -> list[StreamItem]:
        """End the stream: cleanly if every choice already finished, else with a failure."""
        if self.ended:
            return []
        self.ended = True
        if self.acc.finished:
            # The content is complete; only [DONE] (and maybe usage) is missing.
            return []
        return [self._fail(kind(message=message, **fields))]

    def _fail(self, error: StreamError) -> StreamItem:
        self.ended = True
        error.generation_id = self.generation_id
        error.partial = self.partial()
        self.failure = error
        return Failure(error)

    def _event(self, event: ServerSentEvent, now: float, items: list[StreamItem]) -> None:
        text = event.data
        if text == _DONE:
            self.ended = self.got_done = True
            return
        self._last_content = now
        try:
            obj = json.loads(text)
        except (ValueError, RecursionError) as exc:
            items.append(self._decode_error(f"event data is not JSON ({exc})", text))
            return
        # Only an event whose text says "error" (or that uses escapes, which could spell it)
        # can report one; skipping the scan otherwise keeps the common chunk cheap.
        reported = self._reported_error(obj) if "error" in text or "\\u" in text else None
        parsed = ChatStreamChunk.from_dict(obj)
        if isinstance(parsed, Success):
            # An error chunk may still carry content; it belongs in the partial response.
            self.acc.feed(parsed.unwrap())
            if reported is None:
                # ``parsed`` already is the Success item; wrapping the chunk again costs a copy.
                items.append(parsed)
                if self.acc.complete:
                    # Every choice finished and usage arrived: the caller's loop ends here, as
                    # at [DONE], even if the server (or a proxy) keeps the body open.
                    self.ended = self.got_done = True
                return
        elif reported is None:
            problem = parsed.failure().message
            items.append(self._decode_error(f"event is not a valid chunk ({problem})", text))
            return
        items.append(self._stream_error(obj, text, *reported))

    def _decode_error(self, problem: str, text: str) -> StreamItem:
        return self._fail(StreamDecodeError(message=f"bad stream event: {problem}", data=text))

    @staticmethod
    def _reported_error(
        obj: Any,
    ) -> tuple[int | str | None, str | None, dict[str, Any] | None] | None:
        if not isinstance(obj, dict):
            return None
        if obj.get("error") is not None:
            fields = _error_fields(obj)
            if fields is not None:
                return fields
        return _choice_error(obj)

    def _stream_error(
        self,
        obj: dict[str, Any],
        text: str,
        code: int | str | None,
        message: str | None,
        metadata: dict[str, Any] | None,
    ) -> StreamItem:
        provider = self.acc.provider or obj.get("provider")
        if not isinstance(provider, str) and metadata is not None:
            provider = metadata.get("provider_name")
        provider = provider if isinstance(provider, str) else None
        shown = f"the stream reported an error: {message or 'unknown error'}"
        if code is not None:
            shown += f" (code {code})"
        if provider:
            shown += f" [provider {provider}]"
        return self._fail(
            ChatStreamError(
                message=shown, code=code, metadata=metadata, provider=provider, data=text
            )
        )


def _close_quietly(response: SyncResponse, chunks: Iterator[bytes] | None = None) -> None:
    # Closing is best effort; it must never raise, least of all from a finalizer.
    close_chunks = getattr(chunks, "close", None)
    if close_chunks is not None:
        # A generator that is already finished or broken needs nothing more.
        with contextlib.suppress(Exception):
            close_chunks()
    with contextlib.suppress(Exception):
        response.close()


# The cyclic garbage collector can run at any allocation, including inside an HTTP pool's
# non-reentrant lock on this very thread (httpcore's). A stream it frees must not close its
# response there, or the close would wait for that lock forever: while a collection runs,
# closes are handed to a closer thread instead.
_collecting = False


def _note_gc_phase(phase: str, info: dict[str, Any]) -> None:
    global _collecting
    _collecting = phase == "start"


gc.callbacks.append(_note_gc_phase)


class _Closer:
    """A daemon thread that closes responses handed over during garbage collection."""

    def __init__(self) -> None:
        # SimpleQueue.put is reentrant: safe from finalizers and collector callbacks.
        self._queue: queue.SimpleQueue[tuple[SyncResponse, Iterator[bytes] | None]] = (
            queue.SimpleQueue()
        )
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def ready(self) -> None:
        """Start the thread; called when a stream is made, never from the collector."""
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    thread = threading.Thread(
                        target=self._run, name="openrouter-core-closer", daemon=True
                    )
                    thread.start()
                    self._thread = thread

    def close(self, response: SyncResponse, chunks: Iterator[bytes] | None = None) -> None:
        """Close now, or soon on the closer thread while the collector runs."""
        if _collecting and self._thread is not None:
            self._queue.put((response, chunks))
        else:
            _close_quietly(response, chunks)

    def _run(self) -> None:
        while True:
            _close_quietly(*self._queue.get())


_closer = _Closer()


# --- draining after the end ------------------------------------------------------------------
#
# After [DONE] the caller's loop ends at once. What is left of the body (normally [DONE]'s
# successors and the 5-byte chunked terminator) is read so that the connection goes back to the
# pool: inline while it is already here (in the HTTP parser's buffer or readable on the socket),
# else away from the caller, bounded in bytes and time: on a daemon thread for a sync stream (the
# socket is shut down when the time is up, which ends a blocked read), in a task for an async
# one. The caller gives that drain a grace of ``_DRAIN_GRACE`` (the tail is normally a packet
# behind), then goes on whether it finished or not. A client whose socket cannot be found is
# closed at once.


def _socket(response: Any) -> Any:
    """The response's socket (httpx and httpx2 expose it for HTTP/1.1), or None."""
    try:
        stream = response.extensions.get("network_stream")
        return None if stream is None else stream.get_extra_info("socket")
    except Exception:  # another client, HTTP/2, or a closed stream
        return None


def _buffered(response: Any) -> bool:
    """Whether the HTTP/1.1 parser holds received bytes not yet handed out (best effort)."""
    try:
        pool_stream = response.stream._httpcore_stream
        h11_state = pool_stream._stream._connection._h11_state
        return bool(h11_state.trailing_data[0])
    except Exception:  # not httpcore's HTTP/1.1 connection: only the socket can tell
        return False


def _ready(response: Any, sock: Any) -> bool:
    """Whether the next read of the body returns without waiting on the network."""
    if _buffered(response):
        return True
    try:
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):  # closed meanwhile
        return False


def _cut(sock: Any) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _drain_sync(response: SyncResponse, chunks: Iterator[bytes], sock: Any) -> None:
    """Read the rest of the body on this (daemon) thread within the bounds, then close."""
    timer = threading.Timer(_DRAIN_SECONDS, _cut, (sock,))
    timer.daemon = True
    timer.start()
    received = 0
    try:
        for data in chunks:
            received += len(data)
            if received > _DRAIN_BYTES:
                break
    except Exception:  # the socket was cut, or the tail broke: only the connection is lost
        pass
    finally:
        timer.cancel()
        _close_quietly(response, chunks)


def _close_held(held: list[Any]) -> None:
    """Finalizer of a dropped sync stream: close its response and body iterator."""
    _closer.close(held[0], held[1])


class ChatStream:
    """A streamed chat completion (sync): iterate for ``Result`` items, or ``collect()``.

    ``ChatStream(response, first_content_timeout=..., chunk_gap_timeout=..., started_at=...)``
    wraps a response opened with ``send(..., stream=True)``; ``chat_send`` builds it.
    """

    def __init__(
        self,
        response: SyncResponse,
        *,
        first_content_timeout: float | None,
        chunk_gap_timeout: float | None,
        started_at: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._response = response
        self._clock = clock
        self._machine = _StreamMachine(
            response.headers,
            first_content_timeout=first_content_timeout,
            chunk_gap_timeout=chunk_gap_timeout,
            started_at=started_at,
        )
        self._items: deque[StreamItem] = deque()
        self._chunks: Iterator[bytes] | None = None
        self._closed = False
        _closer.ready()
        # A stream dropped without being closed is closed by this finalizer (which holds no
        # self). The finalizer's arguments stay referenced by it, so the body iterator kept in
        # ``_held`` is never freed inside a collection either (its own cleanup would take the
        # pool lock there); the finalizer hands both to the closer instead.
        self._held: list[Any] = [response, None]
        self._finalizer = weakref.finalize(self, _close_held, self._held)

    @property
    def generation_id(self) -> str | None:
        """The generation id: the ``X-Generation-Id`` header, else the first chunk's ``id``."""
        return self._machine.generation_id

    @property
    def headers(self) -> Mapping[str, str]:
        """The response headers (lower-case names)."""
        return headers_dict(self._response.headers)

    @property
    def closed(self) -> bool:
        """Whether the HTTP response has been closed."""
        return self._closed

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __iter__(self) -> Iterator[StreamItem]:
        return self._iterate()

    def _iterate(self) -> Iterator[StreamItem]:
        # A generator, so that a loop left early (break, an exception) closes the response
        # when the generator is dropped, not only when the stream object is.
        try:
            while (item := self._next()) is not None:
                yield item
        finally:
            self.close()

    def peek(self) -> StreamItem | None:
        """Wait for the first item without taking it (None: the stream ended empty).

        ``chat_send`` uses this to retry a stream that fails before any chunk reached you.
        """
        item = self._next()
        if item is not None:
            self._items.appendleft(item)
        return item

    def __next__(self) -> StreamItem:
        item = self._next()
        if item is None:
            raise StopIteration
        return item

    def collect(self) -> Result[ChatResponse, StreamError]:
        """Read the rest and return the whole response (chunks already iterated included).

        On a failure the error's ``partial`` holds what arrived before it.
        """
        try:
            while (item := self._next()) is not None:
                if isinstance(item, Failure):
                    return Failure(item.failure())
        finally:
            self.close()
        return self._machine.result()

    def close(self) -> None:
        """Close the HTTP response (idempotent). A stream closed before its end stays ended."""
        if self._closed:
            return
        self._closed = True
        self._machine.close()
        chunks, self._chunks = self._chunks, None
        self._finalizer.detach()
        self._held[1] = None
        _closer.close(self._response, chunks)

    def _next(self) -> StreamItem | None:
        items = self._items
        machine = self._machine
        while not items:
            if machine.ended or self._closed:
                self._finish()
                return None
            try:
                if self._chunks is None:
                    self._chunks = self._held[1] = iter(self._response.iter_bytes())
                data = next(self._chunks)
            except StopIteration:
                items += machine.eof(self._clock())
            except Exception as exc:
                items += machine.error(exc)
            except BaseException:
                self.close()
                raise
            else:
                items += machine.receive(data, self._clock())
            if machine.ended and not machine.got_done:
                self.close()
        return items.popleft()

    def _finish(self) -> None:
        if self._closed:
            return
        chunks = self._chunks
        if self._machine.got_done and chunks is not None:
            sock = _socket(self._response)
            received = 0
            try:
                while sock is not None and received <= _DRAIN_BYTES:
                    if not _ready(self._response, sock):
                        # More is due but not here: drain it off the caller's thread.
                        self._closed = True
                        self._machine.close()
                        self._chunks = None
                        self._finalizer.detach()
                        self._held[1] = None
                        drain = threading.Thread(
                            target=_drain_sync,
                            args=(self._response, chunks, sock),
                            name="openrouter-core-drain",
                            daemon=True,
                        )
                        drain.start()
                        drain.join(_DRAIN_GRACE)
                        return
                    received += len(next(chunks))
            except Exception:  # the end (StopIteration), or a broken tail: close
                pass
            except BaseException:
                self.close()
                raise
        self.close()


#: Tasks closing dropped async streams; referenced so they are not collected mid-way.
_closing: set[asyncio.Task[None]] = set()


async def _aclose_quietly(response: AsyncResponse) -> None:
    with contextlib.suppress(Exception):  # best effort, as for the sync stream
        await response.aclose()


def _aclose_later(response: AsyncResponse, loop: asyncio.AbstractEventLoop | None) -> None:
    """Finalizer of a dropped async stream: schedule ``aclose`` on its loop, if it still runs."""
    if loop is None or loop.is_closed():
        return

    def start() -> None:
        task = loop.create_task(_aclose_quietly(response))
        _closing.add(task)
        task.add_done_callback(_closing.discard)

    with contextlib.suppress(RuntimeError):  # the loop closed in between
        loop.call_soon_threadsafe(start)


async def _drain_async(response: AsyncResponse, chunks: AsyncIterator[bytes]) -> None:
    """Read the rest of the body within the bounds, then close."""
    received = 0
    try:
        async with asyncio.timeout(_DRAIN_SECONDS):
            async for data in chunks:
                received += len(data)
                if received > _DRAIN_BYTES:
                    break
    except Exception:  # the time is up, or the tail broke: only the connection is lost
        pass
    finally:
        close_chunks = getattr(chunks, "aclose", None)
        if close_chunks is not None:
            with contextlib.suppress(Exception):
                await close_chunks()
        await _aclose_quietly(response)


class _WatchdogExpiredError(Exception):
    """A watchdog's timer ran out during a read."""


if sys.version_info >= (3, 11):

    async def _next_within(chunks: AsyncIterator[bytes], seconds: float) -> bytes:
        try:
            async with asyncio.timeout(seconds) as scope:
                return await chunks.__anext__()
        except TimeoutError:
            if scope.expired():
                raise _WatchdogExpiredError from None
            raise

else:  # pragma: no cover - exercised on Python 3.10 only

    async def _next_within(chunks: AsyncIterator[bytes], seconds: float) -> bytes:
        try:
            return await asyncio.wait_for(chunks.__anext__(), seconds)
        except asyncio.TimeoutError:
            raise _WatchdogExpiredError from None


class AsyncChatStream:
    """A streamed chat completion (async): ``async for`` over ``Result`` items, or
    ``await collect()``. Use ``async with`` to close it; dropping it closes it as well, as soon
    as its event loop gets to it."""

    def __init__(
        self,
        response: AsyncResponse,
        *,
        first_content_timeout: float | None,
        chunk_gap_timeout: float | None,
        started_at: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._response = response
        self._clock = clock
        self._machine = _StreamMachine(
            response.headers,
            first_content_timeout=first_content_timeout,
            chunk_gap_timeout=chunk_gap_timeout,
            started_at=started_at,
        )
        self._items: deque[StreamItem] = deque()
        self._chunks: AsyncIterator[bytes] | None = None
        self._closed = False
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        self._finalizer = weakref.finalize(self, _aclose_later, response, loop)

    @property
    def generation_id(self) -> str | None:
        """The generation id: the ``X-Generation-Id`` header, else the first chunk's ``id``."""
        return self._machine.generation_id

    @property
    def headers(self) -> Mapping[str, str]:
        """The response headers (lower-case names)."""
        return headers_dict(self._response.headers)

    @property
    def closed(self) -> bool:
        """Whether the HTTP response has been closed."""
        return self._closed

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __aiter__(self) -> AsyncIterator[StreamItem]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[StreamItem]:
        # Dropping an async generator makes asyncio run its ``aclose()``, which closes the
        # response when a loop is left early.
        try:
            while (item := await self._next()) is not None:
                yield item
        finally:
            await self.aclose()

    async def peek(self) -> StreamItem | None:
        """Wait for the first item without taking it (None: the stream ended empty)."""
        item = await self._next()
        if item is not None:
            self._items.appendleft(item)
        return item

    async def __anext__(self) -> StreamItem:
        item = await self._next()
        if item is None:
            raise StopAsyncIteration
        return item

    async def collect(self) -> Result[ChatResponse, StreamError]:
        """Read the rest and return the whole response (chunks already iterated included).

        On a failure the error's ``partial`` holds what arrived before it.
        """
        try:
            while (item := await self._next()) is not None:
                if isinstance(item, Failure):
                    return Failure(item.failure())
        finally:
            await self.aclose()
        return self._machine.result()

    async def aclose(self) -> None:
        """Close the HTTP response (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._machine.close()
        self._finalizer.detach()
        chunks, self._chunks = self._chunks, None
        close_chunks = getattr(chunks, "aclose", None)
        try:
            if close_chunks is not None:
                with contextlib.suppress(Exception):  # already finished or broken
                    await close_chunks()
        finally:
            await _aclose_quietly(self._response)

    async def _next(self) -> StreamItem | None:
        items = self._items
        machine = self._machine
        while not items:
            if machine.ended or self._closed:
                await self._finish()
                return None
            if self._chunks is None:
                self._chunks = self._response.aiter_bytes()
            limit = machine.deadline()
            try:
                if limit is None:
                    data = await self._chunks.__anext__()
                else:
                    data = await _next_within(self._chunks, limit[0] - self._clock())
            except StopAsyncIteration:
                items += machine.eof(self._clock())
            except _WatchdogExpiredError:
                assert limit is not None
                items += machine.watchdog(limit[1])
            except Exception as exc:
                items += machine.error(exc)
            except BaseException:
                await self.aclose()
                raise
            else:
                items += machine.receive(data, self._clock())
            if machine.ended and not machine.got_done:
                await self.aclose()
        return items.popleft()

    async def _finish(self) -> None:
        if self._closed:
            return
        chunks = self._chunks
        if self._machine.got_done and chunks is not None:
            sock = _socket(self._response)
            received = 0
            try:
                while sock is not None and received <= _DRAIN_BYTES:
                    if not _ready(self._response, sock):
                        # More is due but not here: drain it in a task, off the caller's loop.
                        self._closed = True
                        self._machine.close()
                        self._chunks = None
                        self._finalizer.detach()
                        task = asyncio.get_running_loop().create_task(
                            _drain_async(self._response, chunks)
                        )
                        _closing.add(task)
                        task.add_done_callback(_closing.discard)
                        await asyncio.wait([task], timeout=_DRAIN_GRACE)
                        return
                    received += len(await chunks.__anext__())
            except Exception:  # the end (StopAsyncIteration), or a broken tail: close
                pass
            except BaseException:
                await self.aclose()
                raise
        await self.aclose()
