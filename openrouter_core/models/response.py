"""The non-streaming response: :class:`ChatResponse` and its parts, read tolerantly.

Unknown fields land in ``extras`` and unknown enum strings are kept as they are. Nullable fields
the schema *requires* (``system_fingerprint``, ``finish_reason``, logprob ``content``/``bytes``,
``region``) are always written, as ``null`` when ``None``; every other ``None`` is omitted, so an
explicit ``null`` on an optional field does not survive a round trip.
"""

from __future__ import annotations

from typing import Any, ClassVar

import attrs
from returns.result import Result

from openrouter_core.errors import ResponseValidationError
from openrouter_core.models._base import WireModel
from openrouter_core.models._converter import read_response
from openrouter_core.models.common import ChatAssistantMessage

__all__ = [
    "ChatChoice",
    "ChatLogprobs",
    "ChatResponse",
    "ChatTokenLogprob",
    "ChatTopLogprob",
    "ChatUsage",
    "CompletionTokensDetails",
    "CostDetails",
    "EndpointInfo",
    "EndpointsMetadata",
    "OpenRouterMetadata",
    "PipelineStage",
    "PromptTokensDetails",
    "RouterAttempt",
    "RouterParams",
    "ServerToolUseDetails",
]


@attrs.define(kw_only=True, repr=False, eq=False)
class ChatTopLogprob(WireModel):
    """One alternative token with its log probability."""

    _always_emit: ClassVar[frozenset[str]] = frozenset({"bytes"})

    token: str | None = None
    logprob: float | None = None
    bytes: list[int] | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ChatTokenLogprob(WireModel):
    """A token with its log probability and the most likely alternatives."""

    _always_emit: ClassVar[frozenset[str]] = frozenset({"bytes"})

    token: str | None = None
    logprob: float | None = None
    bytes: list[int] | None = None
    top_logprobs: list[ChatTopLogprob] = attrs.field(factory=list)


@attrs.define(kw_only=True, repr=False, eq=False)
class ChatLogprobs(WireModel):
    """Log probabilities of the content and refusal tokens."""

    _always_emit: ClassVar[frozenset[str]] = frozenset({"content"})

    content: list[ChatTokenLogprob] | None = None
    refusal: list[ChatTokenLogprob] | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ChatChoice(WireModel):
    """One completion choice. ``finish_reason`` is any string (stop, length, tool_calls, ...)."""

    _always_emit: ClassVar[frozenset[str]] = frozenset({"finish_reason"})

    index: int | None = None
    message: ChatAssistantMessage = attrs.field(factory=ChatAssistantMessage)
    finish_reason: str | None = None
    native_finish_reason: str | None = None
    logprobs: ChatLogprobs | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class CostDetails(WireModel):
    """Upstream inference costs in USD."""

    upstream_inference_prompt_cost: float | None = None
    upstream_inference_completions_cost: float | None = None
    upstream_inference_cost: float | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class PromptTokensDetails(WireModel):
    """Breakdown of prompt tokens."""

    cached_tokens: int | None = None
    cache_write_tokens: int | None = None
    audio_tokens: int | None = None
    video_tokens: int | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class CompletionTokensDetails(WireModel):
    """Breakdown of completion tokens."""

    reasoning_tokens: int | None = None
    audio_tokens: int | None = None
    accepted_prediction_tokens: int | None = None
    rejected_prediction_tokens: int | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ServerToolUseDetails(WireModel):
    """Server-tool usage counters."""

    web_search_requests: int | None = None
    tool_calls_requested: int | None = None
    tool_calls_executed: int | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ChatUsage(WireModel):
    """Token counts and cost of a generation."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    cost: float | None = None
    is_byok: bool | None = None
    cost_details: CostDetails | None = None
    prompt_tokens_details: PromptTokensDetails | None = None
    completion_tokens_details: CompletionTokensDetails | None = None
    server_tool_use_details: ServerToolUseDetails | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class EndpointInfo(WireModel):
    """An endpoint the router considered."""

    provider: str | None = None
    model: str | None = None
    selected: bool | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class EndpointsMetadata(WireModel):
    """The endpoints the router considered."""

    total: int | None = None
    available: list[EndpointInfo] = attrs.field(factory=list)


@attrs.define(kw_only=True, repr=False, eq=False)
class RouterAttempt(WireModel):
    """One routing attempt and the status it got."""

    provider: str | None = None
    model: str | None = None
    status: int | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class RouterParams(WireModel):
    """Router parameters; other keys stay in ``extras``."""

    quality_floor: float | None = None
    throughput_floor: float | None = None
    version_group: str | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class PipelineStage(WireModel):
    """A pipeline stage run on the request (guardrail, plugin, server tools, ...)."""

    type: str | None = None
    name: str | None = None
    summary: str | None = None
    data: dict[str, Any] | None = None
    cost_usd: float | None = None
    guardrail_id: str | None = None
    guardrail_scope: str | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class OpenRouterMetadata(WireModel):
    """Routing metadata, sent with ``X-OpenRouter-Metadata: enabled``. All fields are optional
    here (the spec requires most) so that a partial object still parses."""

    _always_emit: ClassVar[frozenset[str]] = frozenset({"region"})

    requested: str | None = None
    strategy: str | None = None
    region: str | None = None
    summary: str | None = None
    attempt: int | None = None
    is_byok: bool | None = None
    endpoints: EndpointsMetadata | None = None
    attempts: list[RouterAttempt] | None = None
    params: RouterParams | None = None
    pipeline: list[PipelineStage] | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ChatResponse(WireModel):
    """A non-streaming chat completion (``object: "chat.completion"``).

    ``system_fingerprint`` is always written (``null`` when unknown), as the schema requires it.
    """

    _always_emit: ClassVar[frozenset[str]] = frozenset({"system_fingerprint"})

    id: str | None = None
    object: str | None = None
    created: int | None = None
    model: str | None = None
    choices: list[ChatChoice]
    system_fingerprint: str | None = None
    usage: ChatUsage | None = None
    service_tier: str | None = None
    provider: str | None = None
    openrouter_metadata: OpenRouterMetadata | None = None

    @classmethod
    def from_dict(cls, data: Any) -> Result[ChatResponse, ResponseValidationError]:
        """Read a response body (parsed JSON); never raises."""
        return read_response(data, cls)
