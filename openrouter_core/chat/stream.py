"""Chat's part of streaming: its stream classes, how a chunk reports an error, and the spec that
plugs them into the generic stream machinery."""

from __future__ import annotations

from typing import Any

from openrouter_core._machinery.classify import error_fields
from openrouter_core._machinery.operation import ErrorFields, StreamSpec
from openrouter_core._machinery.stream import AsyncStream, Stream
from openrouter_core.chat.accumulate import StreamAccumulator
from openrouter_core.errors import ChatStreamError
from openrouter_core.models import ChatResponse, ChatStreamChunk

__all__ = ["CHAT_STREAM", "AsyncChatStream", "ChatStream", "choice_error", "reported_error"]


def choice_error(obj: dict[str, Any]) -> ErrorFields | None:
    """The error a choice of a completion or chunk reports (``error``, or ``finish_reason``
    ``"error"``), or None."""
    choices = obj.get("choices")
    if not isinstance(choices, list):
        return None
    for choice in choices:
        if not isinstance(choice, dict):
            continue
        err = choice.get("error")
        if isinstance(err, dict):
            fields = error_fields({"error": err})
            if fields is not None:
                code, message, metadata = fields
                return code, message or "the provider reported an error", metadata
        if choice.get("finish_reason") == "error":
            return None, "the generation ended with finish_reason 'error'", None
    return None


def reported_error(obj: Any) -> ErrorFields | None:
    """The error a chunk reports: a top-level ``error`` object, or a choice's."""
    if not isinstance(obj, dict):
        return None
    if obj.get("error") is not None:
        fields = error_fields(obj)
        if fields is not None:
            return fields
    return choice_error(obj)


class ChatStream(Stream[ChatStreamChunk, ChatResponse]):
    """A streamed chat completion (sync): iterate for ``Result[ChatStreamChunk, StreamError]``
    items, or ``collect()`` the ``ChatResponse``."""

    def __init__(
        self,
        response: Any,
        spec: StreamSpec[ChatStreamChunk, ChatResponse] | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(response, spec or CHAT_STREAM, **kw)


class AsyncChatStream(AsyncStream[ChatStreamChunk, ChatResponse]):
    """A streamed chat completion (async): ``async for`` over Result items, or
    ``await collect()``."""

    def __init__(
        self,
        response: Any,
        spec: StreamSpec[ChatStreamChunk, ChatResponse] | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(response, spec or CHAT_STREAM, **kw)


#: How a chat completion streams.
CHAT_STREAM: StreamSpec[ChatStreamChunk, ChatResponse] = StreamSpec(
    read_event=ChatStreamChunk.from_dict,
    accumulator=StreamAccumulator,
    reported_error=reported_error,
    error_class=ChatStreamError,
    sync_class=ChatStream,
    async_class=AsyncChatStream,
)
