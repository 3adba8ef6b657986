"""Chat's part of streaming: its stream classes, how a chunk reports an error, and the spec that
plugs them into the generic stream machinery. The stream classes are the generic drivers
(``Stream`` / ``AsyncStream``, which do the I/O) under chat's names; the accumulator
(``accumulate.py``) and the error reading (``errors.py``) are pure."""

from __future__ import annotations

from typing import TypeAlias

from returns.result import Result

from openrouter_core._machinery.operation import StreamSpec
from openrouter_core._machinery.stream import AsyncStream, Stream
from openrouter_core.chat.accumulate import StreamAccumulator
from openrouter_core.chat.errors import choice_error, reported_error
from openrouter_core.errors import ChatStreamError, StreamError
from openrouter_core.models import ChatResponse, ChatStreamChunk

__all__ = [
    "CHAT_STREAM",
    "AsyncChatStream",
    "ChatStream",
    "ChatStreamItem",
    "choice_error",
    "reported_error",
]

#: What a chat stream yields: a chunk, or the error that ended the stream.
ChatStreamItem: TypeAlias = Result[ChatStreamChunk, StreamError]


class ChatStream(Stream[ChatStreamChunk, ChatResponse]):
    """A streamed chat completion (sync): iterate for ``Result[ChatStreamChunk, StreamError]``
    items, or ``collect()`` the ``ChatResponse``."""


class AsyncChatStream(AsyncStream[ChatStreamChunk, ChatResponse]):
    """A streamed chat completion (async): ``async for`` over Result items, or
    ``await collect()``."""


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
