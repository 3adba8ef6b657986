"""Streams, as users meet them: ``ChatStream`` and ``AsyncChatStream`` (chat completions), the
generic ``Stream`` / ``AsyncStream`` they specialise, and ``StreamItem``.

A stream is a context manager and an iterator of Results, one per chunk; ``collect()`` gives
the whole response. See :mod:`openrouter_core._machinery.stream` for its guarantees.
"""

from returns.result import Result

from openrouter_core._machinery.stream import AsyncStream, Stream
from openrouter_core.chat.stream import AsyncChatStream, ChatStream
from openrouter_core.errors import StreamError
from openrouter_core.models import ChatStreamChunk

__all__ = ["AsyncChatStream", "AsyncStream", "ChatStream", "Stream", "StreamItem"]

#: What a chat stream yields: a chunk, or the error that ended the stream.
StreamItem = Result[ChatStreamChunk, StreamError]
