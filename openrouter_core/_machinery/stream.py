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
instead. The async driver bounds that read with ``asyncio.timeout``; the sync one arms the
process's one janitor thread, which shuts the socket down if the read is still waiting at the
deadline (there is no way to bound a blocking read from the reading thread itself).
The janitor also closes dropped sync streams: a finalizer may run inside the cyclic garbage
collector, on a thread that holds the HTTP pool's lock, so it only hands the response over.
"""

from __future__ import annotations

import abc
import contextlib
import heapq
import json
import queue
import socket
import threading
import time
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from returns.result import Failure, Result, Success

from openrouter_core._machinery.classify import classify_exception, headers_dict
from openrouter_core._machinery.sse import ServerSentEvent, SSEDecoder
from openrouter_core.errors import (
    APITimeoutError,
    StreamConnectionError,
    StreamDecodeError,
    StreamError,
    StreamTimeoutError,
    StreamTruncatedError,
)

if TYPE_CHECKING:
    import asyncio
    from typing import Self

    from openrouter_core._client import AsyncResponse, SyncResponse
    from openrouter_core._machinery.http import HTTPInfo
    from openrouter_core._machinery.operation import Accumulator, ErrorFields, StreamSpec

__all__ = ["AsyncStream", "EventAccumulator", "Stream", "StreamState"]

E = TypeVar("E")
R = TypeVar("R")

#: After the end the rest of the body is read so that the connection can go back to the pool:
#: at most this many bytes, for at most this many seconds; past either, the connection is closed.
_TAIL_BYTES = 64 * 1024
_TAIL_GRACE = 0.05

_ID_HEADER = "x-generation-id"
_OTHER_ID_HEADERS = ("x-request-id", "request-id", "cf-ray")


def _header(headers: Any, name: str) -> str | None:
    try:
        value = headers.get(name)
    except Exception:  # a caller's client may hand over odd headers; an id is optional
        return None
    return value if isinstance(value, str) and value else None


class EventAccumulator(abc.ABC, Generic[E, R]):
    """What an operation's accumulator shares: it counts the events, and unless the operation
    says otherwise names no id or provider and expects more until the stream's end marker. The
    operation's class takes each event (``take``) and builds its response (``build``); pure."""

    def __init__(self) -> None:
        self._count = 0

    @property
    def chunks(self) -> int:
        """How many events were fed."""
        return self._count

    @property
    def id(self) -> str | None:
        """The id the events carry: none unless the operation's events have one."""
        return None

    @property
    def provider(self) -> str | None:
        """The provider the events name: none unless the operation's events name one."""
        return None

    @property
    def finished(self) -> bool:
        """Whether the content is complete, so that a missing end marker is no loss."""
        return False

    @property
    def complete(self) -> bool:
        """Whether nothing more is expected (the stream then ends without its end marker)."""
        return False

    def feed(self, event: E) -> None:
        """Take one event."""
        self._count += 1
        self.take(event)

    @abc.abstractmethod
    def take(self, event: E) -> None:
        """Keep what ``event`` adds to the response."""

    @abc.abstractmethod
    def build(self, *, generation_id: str | None = None) -> R:
        """What arrived so far, as the operation's response."""


class StreamState(Generic[E, R]):
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
        "spec",
    )

    def __init__(
        self,
        spec: StreamSpec[E, R],
        headers: Any,
        *,
        first_content_timeout: float | None,
        chunk_gap_timeout: float | None,
        started_at: float,
    ) -> None:
        # A spec loaded on first use (``lazy_stream``) is read once here, not per event.
        self.spec = spec = getattr(spec, "_spec", spec)
        self.decoder = SSEDecoder()
        self.acc: Accumulator[E, R] = spec.accumulator()
        self.header_id = _header(headers, _ID_HEADER)
        self.other_id = next(
            (v for v in (_header(headers, n) for n in _OTHER_ID_HEADERS) if v), None
        )
        self._first_content = first_content_timeout
        self._chunk_gap = chunk_gap_timeout
        self._started_at = started_at
        self._watching = first_content_timeout is not None or chunk_gap_timeout is not None
        self._last_content: float | None = None
        #: Nothing more will be read: the end, a failure, the end of the body, or closed.
        self.ended = False
        #: The stream ended as it should (``[DONE]``, or complete): the rest may be drained.
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

    def receive(self, data: bytes, now: float) -> list[Result[E, StreamError]]:
        """Bytes arrived at ``now``."""
        items: list[Result[E, StreamError]] = []
        for event in self.decoder.feed(data):
            self._event(event, now, items)
            if self.ended:
                return items
        if self._watching:
            limit = self.deadline()
            if limit is not None and now >= limit[0]:
                items += self.watchdog(limit[1])
        return items

    def eof(self, now: float) -> list[Result[E, StreamError]]:
        """The body ended."""
        items: list[Result[E, StreamError]] = []
        for event in self.decoder.flush():
            self._event(event, now, items)
            if self.ended:
                return items
        return items + self._end(StreamTruncatedError, self.spec.truncated)

    def error(self, exc: Exception) -> list[Result[E, StreamError]]:
        """A read raised ``exc``."""
        verdict = classify_exception(exc)
        cause = getattr(verdict.error, "cause", "") or f"{type(exc).__name__}: {exc}"
        if isinstance(verdict.error, APITimeoutError):
            return self._end(
                StreamTimeoutError, f"no data within the read timeout ({cause})", watchdog="read"
            )
        if verdict.retryable and _is_remote_close(exc):
            # The server closed the connection in the middle of the body (FIN, not RST).
            return self._end(StreamTruncatedError, f"the stream was cut off ({cause})")
        return self._end(
            StreamConnectionError, f"the connection broke mid-stream ({cause})", cause=cause
        )

    def watchdog(self, which: str) -> list[Result[E, StreamError]]:
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

    def partial(self) -> R | None:
        """What arrived so far, or None if nothing did."""
        if not self.acc.chunks:
            return None
        return self.acc.build(generation_id=self.generation_id)

    def result(self) -> Result[R, StreamError]:
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
        if not self.acc.chunks:
            return Failure(
                StreamTruncatedError(
                    message="the stream held no completion: it ended before any event with data",
                    generation_id=self.generation_id,
                )
            )
        return Success(self.acc.build(generation_id=self.generation_id))

    def _end(self, kind: type[StreamError], message: str, **fields: Any) -> list[Any]:
        """End the stream: cleanly if the content is already complete, else with a failure."""
        if self.ended:
            return []
        self.ended = True
        if self.acc.finished:
            # The content is complete; only [DONE] (and maybe usage) is missing.
            return []
        return [self._fail(kind(message=message, **fields))]

    def _fail(self, error: StreamError) -> Result[E, StreamError]:
        self.ended = True
        error.generation_id = self.generation_id
        error.partial = self.partial()
        self.failure = error
        return Failure(error)

    def _event(
        self, event: ServerSentEvent, now: float, items: list[Result[E, StreamError]]
    ) -> None:
        text = event.data
        if text == self.spec.end_marker:
            self.ended = self.got_done = True
            return
        self._last_content = now
        try:
            obj = json.loads(text)
        except (ValueError, RecursionError) as exc:
            items.append(self._decode_error(f"event data is not JSON ({exc})", text))
            return
        # An event reports an error with the word "error" in it (or escapes, which could spell
        # it); skipping the scan otherwise keeps the common event cheap.
        spec = self.spec
        reported = spec.reported_error(obj) if "error" in text or "\\u" in text else None
        parsed = spec.read_event(obj)
        if isinstance(parsed, Success):
            # An error event may still carry content; it belongs in the partial response.
            self.acc.feed(parsed.unwrap())
            if reported is None:
                # ``parsed`` already is the Success item; wrapping the event again costs a copy.
                items.append(parsed)
                if self.acc.complete:
                    # Nothing more is expected: the caller's loop ends here, as at [DONE],
                    # even if the server (or a proxy) keeps the body open.
                    self.ended = self.got_done = True
                return
        elif reported is None:
            problem = parsed.failure().message
            items.append(self._decode_error(f"event does not read as one ({problem})", text))
            return
        items.append(self._stream_error(obj, text, reported))

    def _decode_error(self, problem: str, text: str) -> Result[E, StreamError]:
        return self._fail(StreamDecodeError(message=f"bad stream event: {problem}", data=text))

    def _stream_error(self, obj: Any, text: str, reported: ErrorFields) -> Result[E, StreamError]:
        code, message, metadata = reported
        provider = self.acc.provider or (obj.get("provider") if isinstance(obj, dict) else None)
        if not isinstance(provider, str) and metadata is not None:
            provider = metadata.get("provider_name")
        provider = provider if isinstance(provider, str) else None
        shown = f"the stream reported an error: {message or 'unknown error'}"
        if code is not None:
            shown += f" (code {code})"
        if provider:
            shown += f" [provider {provider}]"
        return self._fail(
            self.spec.error_class(
                message=shown, code=code, metadata=metadata, provider=provider, data=text
            )
        )


def _is_remote_close(exc: Exception) -> bool:
    from openrouter_core._machinery.classify import _classes

    return isinstance(exc, _classes("RemoteProtocolError"))


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


def _socket(response: Any) -> Any:
    """The response's socket (httpcore's ``network_stream`` extension, HTTP/1.1), or None."""
    try:
        stream = response.extensions.get("network_stream")
        return None if stream is None else stream.get_extra_info("socket")
    except Exception:  # another client, HTTP/2, or a closed stream
        return None


# --- the sync driver's janitor: closes dropped streams, bounds the read of a tail --------------


def _close_quietly(response: SyncResponse, chunks: Iterator[bytes] | None = None) -> None:
    # Closing is best effort; it must never raise, least of all on the janitor's thread.
    close_chunks = getattr(chunks, "close", None)
    if close_chunks is not None:
        # A generator that is already finished or broken needs nothing more.
        with contextlib.suppress(Exception):
            close_chunks()
    with contextlib.suppress(Exception):
        response.close()


class _Deadline:
    """A socket to shut down at ``when`` unless the read it bounds ended first."""

    __slots__ = ("done", "sock", "when")

    def __init__(self, sock: Any, when: float) -> None:
        self.sock = sock
        self.when = when
        self.done = False

    def __lt__(self, other: _Deadline) -> bool:
        return self.when < other.when


class _Janitor:
    """One daemon thread per process, started with the first sync stream: it closes the
    responses of dropped streams and shuts down sockets whose tail read ran out of time.

    Work reaches it through a ``SimpleQueue``, whose ``put`` is reentrant: safe from a
    finalizer that the garbage collector runs in the middle of any code."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def ready(self) -> None:
        """Start the thread (when a stream is made: never from a finalizer)."""
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    thread = threading.Thread(
                        target=self._run, name="openrouter-core-streams", daemon=True
                    )
                    thread.start()
                    self._thread = thread

    def close_later(self, response: SyncResponse, chunks: Iterator[bytes] | None) -> None:
        """Close ``response`` on the janitor's thread."""
        self._queue.put((response, chunks))

    def call_later(self, function: Callable[[], object]) -> None:
        """Run ``function`` (which must not raise) on the janitor's thread: work a finalizer
        hands over, as it must not run inside a garbage collection."""
        self._queue.put(function)

    def arm(self, sock: Any, seconds: float) -> _Deadline:
        """Shut ``sock`` down in ``seconds`` unless :meth:`_Deadline.done` is set first."""
        deadline = _Deadline(sock, time.monotonic() + seconds)
        self._queue.put(deadline)
        return deadline

    def _run(self) -> None:
        pending: list[_Deadline] = []
        while True:
            wait = None if not pending else max(0.0, pending[0].when - time.monotonic())
            try:
                item = self._queue.get(timeout=wait)
            except queue.Empty:
                item = None
            if isinstance(item, _Deadline):
                heapq.heappush(pending, item)
            elif callable(item):
                with contextlib.suppress(Exception):
                    item()
            elif item is not None:
                _close_quietly(*item)
            now = time.monotonic()
            while pending and (pending[0].done or pending[0].when <= now):
                due = heapq.heappop(pending)
                if not due.done:
                    # The read gives up: the connection is closed, never handed back. A shutdown
                    # that lands just after the read ended is harmless: the pool does not reuse a
                    # connection whose socket reads as closed.
                    with contextlib.suppress(OSError):
                        due.sock.shutdown(socket.SHUT_RDWR)


_janitor = _Janitor()


def _close_held(held: list[Any]) -> None:
    """Finalizer of a dropped sync stream: its response and body iterator go to the janitor."""
    _janitor.close_later(held[0], held[1])


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
