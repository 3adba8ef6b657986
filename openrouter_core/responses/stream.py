"""The Responses API's stream: typed events (``response.created``, ``response.output_text.delta``,
tool and reasoning events, ``response.completed``, ``error``, and event types not known yet as
``ResponsesStreamEventUnknown``), and ``collect()`` giving the final response object.

The accumulator and ``reported_error`` are pure; the stream classes are the generic drivers
(``Stream`` / ``AsyncStream``, which do the I/O) under this operation's names."""

from __future__ import annotations

from typing import Any

from openrouter_core._machinery.operation import ErrorFields, StreamSpec
from openrouter_core._machinery.stream import AsyncStream, EventAccumulator, Stream
from openrouter_core.models._converter import reader
from openrouter_core.models.responses import OpenResponsesResult, ResponsesStreamEvent

__all__ = ["STREAM", "AsyncResponsesStream", "ResponsesAccumulator", "ResponsesStream"]

#: Events after which a response does not change.
_ENDS = frozenset({"response.completed", "response.incomplete", "response.failed"})


class ResponsesAccumulator(EventAccumulator[Any, OpenResponsesResult]):
    """Keeps the latest response object the events carry (``response.created``, ...
    ``response.completed``) and the text deltas, for ``collect()`` and a partial answer."""

    def __init__(self) -> None:
        super().__init__()
        self._response: OpenResponsesResult | None = None
        self._ended = False
        self._text: list[str] = []

    @property
    def id(self) -> str | None:
        """The response's id, once an event carried the response."""
        return self._response.id if self._response is not None else None

    @property
    def finished(self) -> bool:
        """Whether the response completed, ended incomplete or failed."""
        return self._ended

    @property
    def complete(self) -> bool:
        """Nothing follows the end of a response."""
        return self._ended

    def take(self, event: Any) -> None:
        """Keep the event's response object, or its text delta."""
        response = getattr(event, "response", None)
        if isinstance(response, OpenResponsesResult):
            self._response = response
        kind = getattr(event, "type", None)
        if kind == "response.output_text.delta" and isinstance(getattr(event, "delta", None), str):
            self._text.append(event.delta)
        if kind in _ENDS:
            self._ended = True

    def build(self, *, generation_id: str | None = None) -> OpenResponsesResult:
        """The final response (or the latest one, for a partial answer); ``output_text`` in its
        ``extras`` holds the text deltas when no response object arrived."""
        if self._response is not None:
            return self._response
        return OpenResponsesResult(id=generation_id, extras={"output_text": "".join(self._text)})


def reported_error(obj: Any) -> ErrorFields | None:
    """The error an event reports: an ``error`` event, or a failed response's error."""
    if not isinstance(obj, dict):
        return None
    if obj.get("type") == "error":
        code, message = obj.get("code"), obj.get("message")
        return (
            code if isinstance(code, (str, int)) and not isinstance(code, bool) else None,
            message if isinstance(message, str) else "the stream reported an error",
            None,
        )
    if obj.get("type") == "response.failed":
        error = (obj.get("response") or {}).get("error") or {}
        message = error.get("message") if isinstance(error, dict) else None
        code = error.get("code") if isinstance(error, dict) else None
        return (
            code if isinstance(code, str) else None,
            message if isinstance(message, str) else "the response failed",
            None,
        )
    return None


class ResponsesStream(Stream[ResponsesStreamEvent, OpenResponsesResult]):
    """A streamed response (sync): iterate for ``Result`` events, or ``collect()`` the final
    response."""


class AsyncResponsesStream(AsyncStream[ResponsesStreamEvent, OpenResponsesResult]):
    """A streamed response (async): ``async for`` over events, or ``await collect()``."""


#: How a response streams.
STREAM: StreamSpec[Any, OpenResponsesResult] = StreamSpec(
    read_event=reader(ResponsesStreamEvent),
    accumulator=ResponsesAccumulator,
    reported_error=reported_error,
    sync_class=ResponsesStream,
    async_class=AsyncResponsesStream,
    truncated="the stream ended before the response completed, failed or ended incomplete",
)
