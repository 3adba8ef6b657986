"""Chat's part of streaming: its stream classes, how a chunk reports an error, and the spec that
plugs them into the generic stream machinery."""

from __future__ import annotations

from typing import Any

from openrouter_core._machinery.operation import StreamSpec
from openrouter_core._machinery.stream import AsyncStream, Stream
from openrouter_core.chat.accumulate import StreamAccumulator
from openrouter_core.chat.errors import choice_error, reported_error
from openrouter_core.errors import ChatStreamError
from openrouter_core.models import ChatResponse, ChatStreamChunk

__all__ = ["CHAT_STREAM", "AsyncChatStream", "ChatStream", "choice_error", "reported_error"]


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
    truncated="the stream ended without [DONE] and without a finish reason",
)
