"""Event streams of every operation: ``Stream`` (sync) and ``AsyncStream`` (async).

A stream is a context manager and an iterator of Results, one per event::

    with stream:
        for item in stream:
            match item:
                case Success(event): ...
                case Failure(error): ...   # a StreamError; the stream ends after it

or ``stream.collect()`` for the operation's whole response. Iteration never raises; only
cancellation (``KeyboardInterrupt``, ``asyncio.CancelledError``, ``GeneratorExit``) passes
through, after the HTTP response was closed. Leaving the ``with`` block, breaking out of the loop
or dropping the stream also closes the response, so the server sees the client go away.

Sync and async cannot drift: every decision is made by :class:`StreamState`, which is pure (the
bytes, end or exception a read produced in; the items to hand out, and whether the stream ended,
out), and everything a stream is besides reading lives once in :class:`_StreamBase`. The two
drivers below it only read (``next`` or ``await __anext__``) and close: a few lines each.
What an operation's events are (their model, the accumulator behind ``collect()``, how an event
reports an error) is the operation's :class:`StreamSpec`; :class:`EventAccumulator` is what its
accumulator may build on, and its stream classes are ``Stream`` / ``AsyncStream`` under its own
names (the spec says which, ``sync_class`` / ``async_class``).

Watchdogs: besides the HTTP client's read timeout (which any byte resets, keep-alive comments
included), ``first_content_timeout`` limits the time from the start of the call to the first
event with data, and ``chunk_gap_timeout`` the time between two such events. Comments do not
count, so a server that only sends keep-alives still fails in bounded time. The async stream
enforces them with a timer around each read; the sync stream checks them whenever bytes arrive,
so against a completely silent server only the read timeout applies.

The end: after ``[DONE]`` (or once the accumulator says nothing more is expected) the caller's
loop ends at once. The rest of the body (normally only the chunked encoding's last chunk, in the
same packet or the next) is read so the connection can go back to the pool, for at most
``_TAIL_GRACE`` seconds and ``_TAIL_BYTES`` bytes; past either bound the connection is closed
instead. The async driver bounds that read with ``asyncio.timeout``; the sync one with the
process's one janitor thread (``janitor``), which also closes dropped sync streams.

This module holds the drivers and what they share (``_StreamBase``); it does the I/O (reads
bodies, closes responses). The pure state and the accumulator base live in ``stream_state``
(``StreamState`` and ``EventAccumulator``, re-exported here); the janitor thread in ``janitor``.
"""

from __future__ import annotations

import contextlib
import time
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from returns.result import Failure, Result, Success

from openrouter_core._machinery.classify import headers_dict
from openrouter_core._machinery.janitor import _close_held, _close_quietly, _janitor, _socket
from openrouter_core._machinery.stream_state import EventAccumulator, StreamState
from openrouter_core.errors import StreamError

if TYPE_CHECKING:
    import asyncio
    from typing import Self

    from openrouter_core._client import AsyncResponse, SyncResponse
    from openrouter_core._machinery.http import HTTPInfo
    from openrouter_core._machinery.operation import StreamSpec

__all__ = ["AsyncStream", "EventAccumulator", "Stream", "StreamState"]

E = TypeVar("E")
R = TypeVar("R")

#: After the end the rest of the body is read so that the connection can go back to the pool:
#: at most this many bytes, for at most this many seconds; past either, the connection is closed.
_TAIL_BYTES = 64 * 1024
_TAIL_GRACE = 0.05


# --- what both drivers share -------------------------------------------------------------------


class _StreamBase(Generic[E, R]):
    """Everything a stream is besides reading and closing: its state, headers, ids, items."""

    #: The call's observer (hooks, telemetry), told once when the stream ends; set by the call
    #: when someone listens.
    _observer: Any = None

    def __init__(
        self,
        response: Any,
        spec: StreamSpec[E, R],
        *,
        first_content_timeout: float | None,
        chunk_gap_timeout: float | None,
        started_at: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._response = response
        self._clock = clock
        self._state: StreamState[E, R] = StreamState(
            spec,
            response.headers,
            first_content_timeout=first_content_timeout,
            chunk_gap_timeout=chunk_gap_timeout,
            started_at=started_at,
        )
        self._items: deque[Result[E, StreamError]] = deque()
        self._closed = False
        #: The HTTP exchange that opened the stream (set by the call that made it).
        self.http: HTTPInfo | None = None
        # Set by each driver: its body iterator, and the finalizer that closes a dropped stream.
        self._chunks: Any = None
        self._finalizer: weakref.finalize[Any, Any]

    @property
    def generation_id(self) -> str | None:
        """The generation id: the ``X-Generation-Id`` header, else the first event's ``id``."""
        return self._state.generation_id

    def __repr__(self) -> str:
        # What it streams (the class names the operation's events), how far it got, its state.
        state = self._state
        failure = getattr(state, "failure", None)
        if failure is not None:
            status = f"failed: {type(failure).__name__}"
        elif self._closed and not getattr(state, "ended", False):
            status = "closed early"
        elif getattr(state, "ended", False):
            status = "ended"
        else:
            status = "open"
        count = state.acc.chunks
        waiting = len(getattr(self, "_items", ()))
        ident = self.generation_id
        return (
            f"<{type(self).__name__}{f' {ident}' if ident else ''}: "
            f"{count} event{'s' if count != 1 else ''} received"
            f"{f' ({waiting} not taken yet)' if waiting else ''}, {status}>"
        )

    @property
    def headers(self) -> Mapping[str, str]:
        """The response headers (lower-case names)."""
        return headers_dict(self._response.headers)

    @property
    def closed(self) -> bool:
        """Whether the HTTP response has been closed."""
        return self._closed

    def _take(self, outcome: Any, data: bytes = b"") -> bool:
        """Feed one read's outcome to the state; True when the response should close now.

        ``outcome`` is ``None`` for ``data``, ``"eof"``, a watchdog name, or the exception.
        """
        state = self._state
        if outcome is None:
            self._items += state.receive(data, self._clock())
        elif outcome == "eof":
            self._items += state.eof(self._clock())
        elif isinstance(outcome, str):
            self._items += state.watchdog(outcome)
        else:
            self._items += state.error(outcome)
        return state.ended and not state.got_done

    def _collected(self) -> Result[R, StreamError]:
        result = self._state.result()
        if isinstance(result, Success):
            _stamp(result.unwrap(), self.http)
        return result

    def _tail_wanted(self) -> bool:
        """Whether the rest of the body should be read (a clean end, the body still open)."""
        return not self._closed and self._state.got_done and self._chunks is not None


def _stamp(value: Any, http: HTTPInfo | None) -> None:
    if http is not None:
        with contextlib.suppress(AttributeError, TypeError):
            value._http = http


# --- the sync driver ----------------------------------------------------------------------------


class Stream(_StreamBase[E, R]):
    """An event stream (sync): iterate for ``Result`` items, or ``collect()``."""

    def __init__(self, response: SyncResponse, spec: StreamSpec[E, R], **kwargs: Any) -> None:
        super().__init__(response, spec, **kwargs)
        self._chunks: Iterator[bytes] | None = None
        _janitor.ready()
        # A stream dropped without being closed is closed by this finalizer (which holds no
        # self). The finalizer's arguments stay referenced by it, so the body iterator kept in
        # ``_held`` is never freed inside a collection either (its own cleanup would take the
        # pool lock there); the finalizer hands both to the janitor instead.
        self._held: list[Any] = [response, None]
        self._finalizer = weakref.finalize(self, _close_held, self._held)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __iter__(self) -> Iterator[Result[E, StreamError]]:
        # A generator, so that a loop left early (break, an exception) closes the response
        # when the generator is dropped, not only when the stream object is.
        try:
            while (item := self._next()) is not None:
                yield item
        finally:
            self.close()

    def __next__(self) -> Result[E, StreamError]:
        item = self._next()
        if item is None:
            raise StopIteration
        return item

    def peek(self) -> Result[E, StreamError] | None:
        """Wait for the first item without taking it (None: the stream ended empty)."""
        item = self._next()
        if item is not None:
            self._items.appendleft(item)
        return item

    def collect(self) -> Result[R, StreamError]:
        """Read the rest and return the whole response (items already iterated included).

        On a failure the error's ``partial`` holds what arrived before it.
        """
        try:
            while (item := self._next()) is not None:
                if isinstance(item, Failure):
                    return Failure(item.failure())
        finally:
            self.close()
        return self._collected()

    def close(self) -> None:
        """Close the HTTP response (idempotent). A stream closed before its end stays ended."""
        if self._closed:
            return
        self._closed = True
        self._state.close()
        chunks, self._chunks = self._chunks, None
        self._finalizer.detach()
        self._held[1] = None
        _close_quietly(self._response, chunks)
        if self._observer is not None:
            self._observer.stream_ended(self)

    def _next(self) -> Result[E, StreamError] | None:
        while not self._items:
            if self._state.ended or self._closed:
                self._finish()
                return None
            try:
                if self._chunks is None:
                    self._chunks = self._held[1] = iter(self._response.iter_bytes())
                data = next(self._chunks)
            except StopIteration:
                close = self._take("eof")
            except Exception as exc:
                close = self._take(exc)
            except BaseException:
                self.close()
                raise
            else:
                close = self._take(None, data)
            if close:
                self.close()
        return self._items.popleft()

    def _finish(self) -> None:
        chunks = self._chunks
        sock = _socket(self._response) if self._tail_wanted() else None
        if chunks is None or sock is None:
            return self.close()
        deadline = _janitor.arm(sock, _TAIL_GRACE)
        received = 0
        try:
            while received <= _TAIL_BYTES:
                received += len(next(chunks))
        except Exception:  # the end (StopIteration: the connection is back in the pool), a cut
            pass
        except BaseException:
            deadline.done = True
            self.close()
            raise
        deadline.done = True
        return self.close()


# --- the async driver ---------------------------------------------------------------------------


#: Tasks closing dropped or draining async streams; referenced so they are not collected.
_closing: set[asyncio.Task[None]] = set()


async def _aclose_quietly(response: AsyncResponse, chunks: AsyncIterator[bytes] | None) -> None:
    close_chunks = getattr(chunks, "aclose", None)
    if close_chunks is not None:
        with contextlib.suppress(Exception):  # already finished or broken
            await close_chunks()
    with contextlib.suppress(Exception):  # best effort, as for the sync stream
        await response.aclose()


def _aclose_later(response: AsyncResponse, loop: asyncio.AbstractEventLoop | None) -> None:
    """Finalizer of a dropped async stream: schedule ``aclose`` on its loop, if it still runs."""
    if loop is None or loop.is_closed():
        return

    def start() -> None:
        _keep(loop.create_task(_aclose_quietly(response, None)))

    with contextlib.suppress(RuntimeError):  # the loop closed in between
        loop.call_soon_threadsafe(start)


def close_when_dropped(owner: object, response: AsyncResponse) -> weakref.finalize[Any, Any]:
    """A finalizer that closes ``response`` on its event loop when ``owner`` is dropped."""
    import asyncio

    try:
        loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    return weakref.finalize(owner, _aclose_later, response, loop)


def _keep(task: asyncio.Task[None]) -> None:
    _closing.add(task)
    task.add_done_callback(_closing.discard)


class _WatchdogExpiredError(Exception):
    """A watchdog's timer ran out during a read."""


async def _next_within(chunks: AsyncIterator[bytes], seconds: float) -> bytes:
    import asyncio

    try:
        async with asyncio.timeout(seconds) as scope:
            return await chunks.__anext__()
    except TimeoutError:
        if scope.expired():
            raise _WatchdogExpiredError from None
        raise


class AsyncStream(_StreamBase[E, R]):
    """An event stream (async): ``async for`` over ``Result`` items, or ``await collect()``.
    Use ``async with`` to close it; dropping it closes it as well, as soon as its event loop
    gets to it."""

    def __init__(self, response: AsyncResponse, spec: StreamSpec[E, R], **kwargs: Any) -> None:

        super().__init__(response, spec, **kwargs)
        self._chunks: AsyncIterator[bytes] | None = None
        self._finalizer = close_when_dropped(self, response)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __aiter__(self) -> AsyncIterator[Result[E, StreamError]]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Result[E, StreamError]]:
        # Dropping an async generator makes asyncio run its ``aclose()``, which closes the
        # response when a loop is left early.
        try:
            while (item := await self._next()) is not None:
                yield item
        finally:
            await self.aclose()

    async def __anext__(self) -> Result[E, StreamError]:
        item = await self._next()
        if item is None:
            raise StopAsyncIteration
        return item

    async def peek(self) -> Result[E, StreamError] | None:
        """Wait for the first item without taking it (None: the stream ended empty)."""
        item = await self._next()
        if item is not None:
            self._items.appendleft(item)
        return item

    async def collect(self) -> Result[R, StreamError]:
        """Read the rest and return the whole response (items already iterated included).

        On a failure the error's ``partial`` holds what arrived before it.
        """
        try:
            while (item := await self._next()) is not None:
                if isinstance(item, Failure):
                    return Failure(item.failure())
        finally:
            await self.aclose()
        return self._collected()

    async def aclose(self) -> None:
        """Close the HTTP response (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._state.close()
        self._finalizer.detach()
        chunks, self._chunks = self._chunks, None
        await _aclose_quietly(self._response, chunks)
        if self._observer is not None:
            await self._observer.astream_ended(self)

    async def _next(self) -> Result[E, StreamError] | None:
        while not self._items:
            if self._state.ended or self._closed:
                await self._finish()
                return None
            if self._chunks is None:
                self._chunks = self._response.aiter_bytes()
            limit = self._state.deadline()
            try:
                if limit is None:
                    data = await self._chunks.__anext__()
                else:
                    data = await _next_within(self._chunks, limit[0] - self._clock())
            except StopAsyncIteration:
                close = self._take("eof")
            except _WatchdogExpiredError:
                close = self._take(limit[1] if limit is not None else "read")
            except Exception as exc:
                close = self._take(exc)
            except BaseException:
                await self.aclose()
                raise
            else:
                close = self._take(None, data)
            if close:
                await self.aclose()
        return self._items.popleft()

    async def _finish(self) -> None:
        import asyncio

        chunks = self._chunks
        if chunks is not None and self._tail_wanted():
            received = 0
            try:
                async with asyncio.timeout(_TAIL_GRACE):
                    while received <= _TAIL_BYTES:
                        received += len(await chunks.__anext__())
            except Exception:  # the end (the connection is back in the pool), the time is up
                pass
            except BaseException:
                await self.aclose()
                raise
        await self.aclose()
