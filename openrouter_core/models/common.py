"""Models shared by requests and responses: content parts, tool calls, reasoning details and the
assistant message (which a request sends back exactly as a response delivered it)."""

from __future__ import annotations

from typing import ClassVar, Literal, TypeAlias

import attrs

from openrouter_core.models._base import WireModel
from openrouter_core.models._converter import _Tagged, register_tagged

__all__ = [
    "CacheControl",
    "ChatAnnotation",
    "ChatAssistantImage",
    "ChatAssistantMessage",
    "ChatAudioOutput",
    "ChatContentAudio",
    "ChatContentFile",
    "ChatContentImage",
    "ChatContentInputVideo",
    "ChatContentPart",
    "ChatContentText",
    "ChatContentUnknown",
    "ChatContentVideo",
    "ChatToolCall",
    "ChatToolCallFunction",
    "FileInput",
    "ImageUrl",
    "InputAudio",
    "PromptCacheBreakpoint",
    "ReasoningDetail",
    "ReasoningDetailEncrypted",
    "ReasoningDetailServerToolCall",
    "ReasoningDetailSummary",
    "ReasoningDetailText",
    "ReasoningDetailUnknown",
    "UrlCitation",
    "VideoUrl",
]


@attrs.define(kw_only=True, repr=False, eq=False)
class CacheControl(WireModel):
    """A prompt-cache breakpoint: ``{"type": "ephemeral", "ttl": "5m" | "1h"}`` (ttl is open)."""

    type: Literal["ephemeral"] = "ephemeral"
    ttl: str | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class PromptCacheBreakpoint(WireModel):
    """An explicit prompt-cache breakpoint on a text part: ``{"mode": "explicit"}``."""

    mode: Literal["explicit"] = "explicit"


# --- content parts ------------------------------------------------------------------------------


@attrs.define(kw_only=True, repr=False, eq=False)
class ChatContentText(WireModel):
    """A text content part."""

    _strict_required: ClassVar[frozenset[str]] = frozenset({"text"})

    type: Literal["text"] = "text"
    text: str | None = None
    cache_control: CacheControl | None = None
    prompt_cache_breakpoint: PromptCacheBreakpoint | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ImageUrl(WireModel):
    """An image reference: an http(s) or ``data:`` URL; ``detail`` is auto/low/high/original."""

    _strict_required: ClassVar[frozenset[str]] = frozenset({"url"})

    url: str | None = None
    detail: str | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ChatContentImage(WireModel):
    """An image content part."""

    _strict_required: ClassVar[frozenset[str]] = frozenset({"image_url"})

    type: Literal["image_url"] = "image_url"
    image_url: ImageUrl | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class InputAudio(WireModel):
    """Base64 audio with its format (wav, mp3, flac, ...; any string)."""

    _strict_required: ClassVar[frozenset[str]] = frozenset({"data", "format"})

    data: str | None = None
    format: str | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ChatContentAudio(WireModel):
    """An audio content part."""

    _strict_required: ClassVar[frozenset[str]] = frozenset({"input_audio"})

    type: Literal["input_audio"] = "input_audio"
    input_audio: InputAudio | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class FileInput(WireModel):
    """A file: ``file_data`` (base64 data URL or URL), ``file_id`` and/or ``filename``."""

    file_data: str | None = None
    file_id: str | None = None
    filename: str | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ChatContentFile(WireModel):
    """A file content part (PDFs and other documents)."""

    _strict_required: ClassVar[frozenset[str]] = frozenset({"file"})

    type: Literal["file"] = "file"
    file: FileInput | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class VideoUrl(WireModel):
    """A video reference: an http(s) or ``data:`` URL."""

    _strict_required: ClassVar[frozenset[str]] = frozenset({"url"})

    url: str | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ChatContentVideo(WireModel):
    """A video content part."""

    _strict_required: ClassVar[frozenset[str]] = frozenset({"video_url"})

    type: Literal["video_url"] = "video_url"
    video_url: VideoUrl | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ChatContentInputVideo(WireModel):
    """The deprecated legacy video part, ``{"type": "input_video", "video_url": {...}}``."""

    _strict_required: ClassVar[frozenset[str]] = frozenset({"video_url"})

    type: Literal["input_video"] = "input_video"
    video_url: VideoUrl | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ChatContentUnknown(WireModel):
    """A content part of a type this version does not know (responses only).

    Everything but ``type`` is in ``extras``; it round-trips unchanged. Requests reject it.
    """

    type: str


ChatContentPart: TypeAlias = (
    ChatContentText
    | ChatContentImage
    | ChatContentAudio
    | ChatContentFile
    | ChatContentVideo
    | ChatContentInputVideo
    | ChatContentUnknown
)
"""One content part, told apart by ``type``."""


# --- tool calls ---------------------------------------------------------------------------------


@attrs.define(kw_only=True, repr=False, eq=False)
class ChatToolCallFunction(WireModel):
    """The function a tool call invokes; ``arguments`` is a JSON string."""

    _strict_required: ClassVar[frozenset[str]] = frozenset({"name", "arguments"})

    name: str | None = None
    arguments: str | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ChatToolCall(WireModel):
    """A complete tool call made by the assistant."""

    _strict_required: ClassVar[frozenset[str]] = frozenset({"id", "function"})

    id: str | None = None
    type: str = "function"
    function: ChatToolCallFunction | None = None


# --- reasoning details --------------------------------------------------------------------------


@attrs.define(kw_only=True, repr=False, eq=False)
class ReasoningDetailSummary(WireModel):
    """A reasoning summary."""

    _strict_required: ClassVar[frozenset[str]] = frozenset({"summary"})

    type: Literal["reasoning.summary"] = "reasoning.summary"
    summary: str | None = None
    id: str | None = None
    format: str | None = None
    index: int | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ReasoningDetailEncrypted(WireModel):
    """Encrypted (opaque) reasoning; send it back unchanged."""

    _strict_required: ClassVar[frozenset[str]] = frozenset({"data"})

    type: Literal["reasoning.encrypted"] = "reasoning.encrypted"
    data: str | None = None
    id: str | None = None
    format: str | None = None
    index: int | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ReasoningDetailText(WireModel):
    """Plain-text reasoning, optionally signed."""

    type: Literal["reasoning.text"] = "reasoning.text"
    text: str | None = None
    signature: str | None = None
    id: str | None = None
    format: str | None = None
    index: int | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ReasoningDetailServerToolCall(WireModel):
    """A server-tool call made during reasoning, with its result."""

    _strict_required: ClassVar[frozenset[str]] = frozenset({"tool_name", "arguments", "result"})

    type: Literal["reasoning.server_tool_call"] = "reasoning.server_tool_call"
    tool_name: str | None = None
    arguments: str | None = None
    result: str | None = None
    tool_call_id: str | None = None
    id: str | None = None
    format: str | None = None
    index: int | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ReasoningDetailUnknown(WireModel):
    """A reasoning detail of a type this version does not know (responses only).

    Its other fields are in ``extras`` and round-trip unchanged. Requests reject it.
    """

    type: str
    id: str | None = None
    format: str | None = None
    index: int | None = None


ReasoningDetail: TypeAlias = (
    ReasoningDetailSummary
    | ReasoningDetailEncrypted
    | ReasoningDetailText
    | ReasoningDetailServerToolCall
    | ReasoningDetailUnknown
)
"""One reasoning detail, told apart by ``type``."""


# --- assistant output ---------------------------------------------------------------------------


@attrs.define(kw_only=True, repr=False, eq=False)
class ChatAudioOutput(WireModel):
    """Audio produced by the assistant."""

    id: str | None = None
    data: str | None = None
    expires_at: int | None = None
    transcript: str | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ChatAssistantImage(WireModel):
    """An image generated by the assistant."""

    image_url: ImageUrl | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class UrlCitation(WireModel):
    """A web citation: the cited URL, its title and content, and where it applies in the text."""

    url: str | None = None
    title: str | None = None
    content: str | None = None
    start_index: int | None = None
    end_index: int | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ChatAnnotation(WireModel):
    """An annotation on the assistant's text (not in the spec; sent live, e.g. ``url_citation``).

    Any ``type`` is accepted; fields other than ``url_citation`` are kept in ``extras``.
    """

    type: str
    url_citation: UrlCitation | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ChatAssistantMessage(WireModel):
    """An assistant message: ``choices[].message`` of a response, or a request's earlier turn."""

    role: Literal["assistant"] = "assistant"
    content: str | list[ChatContentPart] | None = None
    name: str | None = None
    tool_calls: list[ChatToolCall] | None = None
    refusal: str | None = None
    reasoning: str | None = None
    reasoning_details: list[ReasoningDetail] | None = None
    images: list[ChatAssistantImage] | None = None
    audio: ChatAudioOutput | None = None
    annotations: list[ChatAnnotation] | None = None
    model: str | None = None


# The tagged unions of this module: which key tells the variants apart, and the fallback.
register_tagged(
    _Tagged(
        "type",
        {
            "text": ChatContentText,
            "image_url": ChatContentImage,
            "input_audio": ChatContentAudio,
            "file": ChatContentFile,
            "video_url": ChatContentVideo,
            "input_video": ChatContentInputVideo,
        },
        "content part type",
        unknown=ChatContentUnknown,
    ),
    _Tagged(
        "type",
        {
            "reasoning.summary": ReasoningDetailSummary,
            "reasoning.encrypted": ReasoningDetailEncrypted,
            "reasoning.text": ReasoningDetailText,
            "reasoning.server_tool_call": ReasoningDetailServerToolCall,
        },
        "reasoning detail type",
        unknown=ReasoningDetailUnknown,
    ),
)
