"""A streamed chunk: :class:`ChatStreamChunk` and its parts, read tolerantly."""

from __future__ import annotations

from typing import Any, ClassVar

import attrs
from returns.result import Result

from openrouter_core.errors import ResponseValidationError
from openrouter_core.models._base import WireModel
from openrouter_core.models._converter import read_response
from openrouter_core.models.common import (
    ChatAnnotation,
    ChatAssistantImage,
    ChatAudioOutput,
    ReasoningDetail,
)
from openrouter_core.models.error import ErrorBody
from openrouter_core.models.response import ChatLogprobs, ChatUsage, OpenRouterMetadata

__all__ = [
    "ChatStreamChoice",
    "ChatStreamChunk",
    "ChatStreamDelta",
    "ChatStreamToolCall",
    "ChatStreamToolCallFunction",
]


@attrs.define(kw_only=True, repr=False, eq=False)
class ChatStreamToolCallFunction(WireModel):
    """A fragment of a tool call's function: concatenate ``arguments`` per call ``index``."""

    name: str | None = None
    arguments: str | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ChatStreamToolCall(WireModel):
    """A tool-call fragment; fragments with the same ``index`` belong to one call."""

    index: int | None = None
    id: str | None = None
    type: str | None = None
    function: ChatStreamToolCallFunction | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ChatStreamDelta(WireModel):
    """What one chunk adds to the assistant message."""

    role: str | None = None
    content: str | None = None
    reasoning: str | None = None
    refusal: str | None = None
    reasoning_details: list[ReasoningDetail] | None = None
    audio: ChatAudioOutput | None = None
    tool_calls: list[ChatStreamToolCall] | None = None
    images: list[ChatAssistantImage] | None = None
    annotations: list[ChatAnnotation] | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ChatStreamChoice(WireModel):
    """A choice inside a chunk; ``finish_reason`` is ``None`` until the last one."""

    _always_emit: ClassVar[frozenset[str]] = frozenset({"finish_reason"})

    index: int | None = None
    delta: ChatStreamDelta = attrs.field(factory=ChatStreamDelta)
    finish_reason: str | None = None
    native_finish_reason: str | None = None
    logprobs: ChatLogprobs | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ChatStreamChunk(WireModel):
    """One SSE chunk (``object: "chat.completion.chunk"``). ``choices`` may be empty (the final
    usage chunk); ``error`` reports a failure after the stream started."""

    id: str | None = None
    object: str | None = None
    created: int | None = None
    model: str | None = None
    choices: list[ChatStreamChoice] = attrs.field(factory=list)
    usage: ChatUsage | None = None
    system_fingerprint: str | None = None
    service_tier: str | None = None
    provider: str | None = None
    openrouter_metadata: OpenRouterMetadata | None = None
    error: ErrorBody | None = None

    @classmethod
    def from_dict(cls, data: Any) -> Result[ChatStreamChunk, ResponseValidationError]:
        """Read one chunk (parsed JSON of an SSE ``data:`` line); never raises."""
        return read_response(data, cls)
