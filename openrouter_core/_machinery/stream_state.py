"""The pure core of every event stream: :class:`StreamState` and :class:`EventAccumulator`.

:class:`StreamState` is sans-I/O: a read's outcome in (the bytes and the time they arrived, the
end of the body, the exception a read raised, a watchdog that fired, the caller's close); the
items to hand out, and whether the stream ended, out. It decodes the events (``sse``), feeds them
to the operation's accumulator, tells an event that reports an error, does the watchdogs'
arithmetic and builds ``collect()``'s outcome. Both drivers (``stream``) make every decision
through it, so sync and async cannot drift. :class:`EventAccumulator` is what an operation's
accumulator may build on.

Pure: no I/O, no threads, no sockets, no clock (the drivers hand in the time).
"""

from __future__ import annotations

import abc
import json
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from returns.result import Failure, Result, Success

from openrouter_core._machinery.classify import classify_exception
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
    from openrouter_core._machinery.operation import Accumulator, ErrorFields, StreamSpec

__all__ = ["EventAccumulator", "StreamState"]

E = TypeVar("E")
R = TypeVar("R")

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
