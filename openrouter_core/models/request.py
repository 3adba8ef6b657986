"""The request: :class:`ChatGenerationParams` and everything it holds.

Enums the spec marks open (effort, service tier, modalities, provider names, engines, ...) are
plain strings. ``Literal`` fields are the discriminating tags, with their value as the default.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, TypeAlias

import attrs
from returns.result import Failure, Result, Success

from openrouter_core.errors import InvalidRequestError
from openrouter_core.models._base import WireModel
from openrouter_core.models._converter import ModelError, _Tagged, register_tagged, structure
from openrouter_core.models.common import (
    CacheControl,
    ChatAssistantMessage,
    ChatContentPart,
    ChatContentText,
)

__all__ = [
    "AdvisorServerTool",
    "AdvisorToolConfig",
    "AutoBetaRouterPlugin",
    "AutoRouterPlugin",
    "BashServerTool",
    "BashToolConfig",
    "BashToolEnvironment",
    "ChatDebugOptions",
    "ChatDeveloperMessage",
    "ChatFunctionTool",
    "ChatGenerationParams",
    "ChatMessage",
    "ChatNamedToolChoice",
    "ChatNamedToolChoiceFunction",
    "ChatPlugin",
    "ChatReasoningConfig",
    "ChatServerToolChoice",
    "ChatStreamOptions",
    "ChatSystemMessage",
    "ChatTool",
    "ChatToolChoice",
    "ChatToolMessage",
    "ChatUserMessage",
    "ContainerAutoEnvironment",
    "ContainerReferenceEnvironment",
    "ContextCompressionPlugin",
    "DatetimeServerTool",
    "DatetimeToolConfig",
    "FileParserPlugin",
    "FilesServerTool",
    "FilesToolConfig",
    "FunctionDefinition",
    "FusionPlugin",
    "FusionServerTool",
    "FusionToolConfig",
    "ImageGenerationServerTool",
    "ImageGenerationToolConfig",
    "JsonSchemaConfig",
    "MaxPrice",
    "ModerationPlugin",
    "NestedTool",
    "ParetoRouterPlugin",
    "PdfParserOptions",
    "PercentileCutoffs",
    "Prediction",
    "PredictionContentText",
    "PromptCacheOptions",
    "ProviderPreferences",
    "ProviderSortConfig",
    "ResponseFormat",
    "ResponseFormatGrammar",
    "ResponseFormatJsonObject",
    "ResponseFormatJsonSchema",
    "ResponseFormatPython",
    "ResponseFormatText",
    "ResponseHealingPlugin",
    "SearchModelsServerTool",
    "SearchModelsToolConfig",
    "ServerToolReasoning",
    "StopCondition",
    "StopWhenFinishReasonIs",
    "StopWhenHasToolCall",
    "StopWhenMaxCost",
    "StopWhenMaxTokensUsed",
    "StopWhenStepCountIs",
    "SubagentServerTool",
    "SubagentToolConfig",
    "TraceConfig",
    "WebFetchPlugin",
    "WebFetchServerTool",
    "WebFetchToolConfig",
    "WebSearchPlugin",
    "WebSearchServerTool",
    "WebSearchShorthandTool",
    "WebSearchToolConfig",
    "WebSearchUserLocation",
]


# --- messages -----------------------------------------------------------------------------------


@attrs.define(kw_only=True, repr=False, eq=False)
class ChatSystemMessage(WireModel):
    """A system message; list content may hold text parts only."""

    role: Literal["system"] = "system"
    content: str | list[ChatContentText]
    name: str | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ChatDeveloperMessage(WireModel):
    """A developer message; list content may hold text parts only."""

    role: Literal["developer"] = "developer"
    content: str | list[ChatContentText]
    name: str | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ChatUserMessage(WireModel):
    """A user message: a string or a list of content parts."""

    role: Literal["user"] = "user"
    content: str | list[ChatContentPart]
    name: str | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ChatToolMessage(WireModel):
    """The result of a tool call, answering the call ``tool_call_id``."""

    role: Literal["tool"] = "tool"
    content: str | list[ChatContentPart]
    tool_call_id: str


ChatMessage: TypeAlias = (
    ChatSystemMessage
    | ChatDeveloperMessage
    | ChatUserMessage
    | ChatAssistantMessage
    | ChatToolMessage
)
"""One message of the conversation, told apart by ``role``."""


# --- function tool and tool choice ---------------------------------------------------------------


@attrs.define(kw_only=True, repr=False, eq=False)
class FunctionDefinition(WireModel):
    """A callable function: name (<= 64 chars of ``[a-zA-Z0-9_-]``) and JSON-Schema parameters."""

    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ChatFunctionTool(WireModel):
    """A function the model may call."""

    type: Literal["function"] = "function"
    function: FunctionDefinition
    cache_control: CacheControl | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ChatNamedToolChoiceFunction(WireModel):
    """The function a named tool choice forces."""

    name: str


@attrs.define(kw_only=True, repr=False, eq=False)
class ChatNamedToolChoice(WireModel):
    """Force a call of one function."""

    type: Literal["function"] = "function"
    function: ChatNamedToolChoiceFunction


@attrs.define(kw_only=True, repr=False, eq=False)
class ChatServerToolChoice(WireModel):
    """Force a server tool, e.g. ``{"type": "openrouter:web_search"}``."""

    type: str


ChatToolChoice: TypeAlias = (
    Literal["none", "auto", "required"] | ChatNamedToolChoice | ChatServerToolChoice
)
"""``"none"``, ``"auto"``, ``"required"``, a named function or a server tool type."""


# --- server tools -------------------------------------------------------------------------------


@attrs.define(kw_only=True, repr=False, eq=False)
class WebSearchUserLocation(WireModel):
    """An approximate user location for web search."""

    type: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None
    timezone: str | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class WebSearchToolConfig(WireModel):
    """Parameters of ``openrouter:web_search``."""

    engine: str | None = None
    max_results: int | None = None
    max_total_results: int | None = None
    max_uses: int | None = None
    max_characters: int | None = None
    search_context_size: str | None = None
    mode: str | None = None
    allowed_domains: list[str] | None = None
    excluded_domains: list[str] | None = None
    user_location: WebSearchUserLocation | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class WebSearchServerTool(WireModel):
    """The ``openrouter:web_search`` server tool."""

    type: Literal["openrouter:web_search"] = "openrouter:web_search"
    parameters: WebSearchToolConfig | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class WebSearchShorthandTool(WireModel):
    """OpenAI-style web search (``web_search``, ``web_search_preview``, ...), fields given flat."""

    type: str = "web_search"
    parameters: WebSearchToolConfig | None = None
    engine: str | None = None
    max_results: int | None = None
    max_total_results: int | None = None
    max_uses: int | None = None
    max_characters: int | None = None
    search_context_size: str | None = None
    mode: str | None = None
    allowed_domains: list[str] | None = None
    excluded_domains: list[str] | None = None
    user_location: WebSearchUserLocation | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class WebFetchToolConfig(WireModel):
    """Parameters of ``openrouter:web_fetch``."""

    engine: str | None = None
    max_uses: int | None = None
    max_content_tokens: int | None = None
    allowed_domains: list[str] | None = None
    blocked_domains: list[str] | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class WebFetchServerTool(WireModel):
    """The ``openrouter:web_fetch`` server tool."""

    type: Literal["openrouter:web_fetch"] = "openrouter:web_fetch"
    parameters: WebFetchToolConfig | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class DatetimeToolConfig(WireModel):
    """Parameters of ``openrouter:datetime``."""

    timezone: str | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class DatetimeServerTool(WireModel):
    """The ``openrouter:datetime`` server tool."""

    type: Literal["openrouter:datetime"] = "openrouter:datetime"
    parameters: DatetimeToolConfig | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class FilesToolConfig(WireModel):
    """Parameters of ``openrouter:files`` (none are defined)."""


@attrs.define(kw_only=True, repr=False, eq=False)
class FilesServerTool(WireModel):
    """The ``openrouter:files`` server tool."""

    type: Literal["openrouter:files"] = "openrouter:files"
    parameters: FilesToolConfig | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ImageGenerationToolConfig(WireModel):
    """Parameters of ``openrouter:image_generation``; provider options go in ``extras``."""

    _open: ClassVar[bool] = True

    model: str | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ImageGenerationServerTool(WireModel):
    """The ``openrouter:image_generation`` server tool."""

    type: Literal["openrouter:image_generation"] = "openrouter:image_generation"
    parameters: ImageGenerationToolConfig | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class SearchModelsToolConfig(WireModel):
    """Parameters of ``openrouter:experimental__search_models``."""

    max_results: int | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class SearchModelsServerTool(WireModel):
    """The ``openrouter:experimental__search_models`` server tool."""

    type: Literal["openrouter:experimental__search_models"] = (
        "openrouter:experimental__search_models"
    )
    parameters: SearchModelsToolConfig | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ContainerAutoEnvironment(WireModel):
    """Run bash in an automatically provisioned container."""

    type: Literal["container_auto"] = "container_auto"


@attrs.define(kw_only=True, repr=False, eq=False)
class ContainerReferenceEnvironment(WireModel):
    """Run bash in an existing container."""

    type: Literal["container_reference"] = "container_reference"
    container_id: str


BashToolEnvironment: TypeAlias = ContainerAutoEnvironment | ContainerReferenceEnvironment
"""Where ``openrouter:bash`` runs, told apart by ``type``."""


@attrs.define(kw_only=True, repr=False, eq=False)
class BashToolConfig(WireModel):
    """Parameters of ``openrouter:bash``."""

    engine: str | None = None
    environment: BashToolEnvironment | None = None
    sleep_after_seconds: int | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class BashServerTool(WireModel):
    """The ``openrouter:bash`` server tool."""

    type: Literal["openrouter:bash"] = "openrouter:bash"
    parameters: BashToolConfig | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ServerToolReasoning(WireModel):
    """Reasoning settings of a server tool's own model."""

    effort: str | None = None
    max_tokens: int | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class AdvisorToolConfig(WireModel):
    """Parameters of ``openrouter:advisor``."""

    model: str | None = None
    name: str | None = None
    instructions: str | None = None
    max_completion_tokens: int | None = None
    temperature: float | None = None
    stream: bool | None = None
    forward_transcript: bool | None = None
    reasoning: ServerToolReasoning | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class AdvisorServerTool(WireModel):
    """The ``openrouter:advisor`` server tool."""

    type: Literal["openrouter:advisor"] = "openrouter:advisor"
    parameters: AdvisorToolConfig | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class NestedTool(WireModel):
    """A tool given to a sub-agent or to fusion: ``{type, parameters?}``."""

    _open: ClassVar[bool] = True

    type: str
    parameters: dict[str, Any] | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class SubagentToolConfig(WireModel):
    """Parameters of ``openrouter:subagent``."""

    model: str | None = None
    name: str | None = None
    instructions: str | None = None
    tools: list[NestedTool] | None = None
    inherit_functions: bool | None = None
    inherited_function_names: list[str] | None = None
    max_tool_calls: int | None = None
    max_completion_tokens: int | None = None
    temperature: float | None = None
    reasoning: ServerToolReasoning | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class SubagentServerTool(WireModel):
    """The ``openrouter:subagent`` server tool."""

    type: Literal["openrouter:subagent"] = "openrouter:subagent"
    parameters: SubagentToolConfig | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class FusionToolConfig(WireModel):
    """Parameters of ``openrouter:fusion``."""

    analysis_models: list[str] | None = None
    model: str | None = None
    tools: list[NestedTool] | None = None
    max_tool_calls: int | None = None
    max_completion_tokens: int | None = None
    temperature: float | None = None
    reasoning: ServerToolReasoning | None = None
    cache_control: CacheControl | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class FusionServerTool(WireModel):
    """The ``openrouter:fusion`` server tool."""

    type: Literal["openrouter:fusion"] = "openrouter:fusion"
    parameters: FusionToolConfig | None = None


ChatTool: TypeAlias = (
    ChatFunctionTool
    | WebSearchServerTool
    | WebSearchShorthandTool
    | WebFetchServerTool
    | DatetimeServerTool
    | FilesServerTool
    | ImageGenerationServerTool
    | SearchModelsServerTool
    | BashServerTool
    | AdvisorServerTool
    | SubagentServerTool
    | FusionServerTool
)
"""A function tool or an OpenRouter server tool, told apart by ``type``."""


# --- response format ----------------------------------------------------------------------------


@attrs.define(kw_only=True, repr=False, eq=False)
class ResponseFormatText(WireModel):
    """Plain text output."""

    type: Literal["text"] = "text"


@attrs.define(kw_only=True, repr=False, eq=False)
class ResponseFormatJsonObject(WireModel):
    """Any JSON object."""

    type: Literal["json_object"] = "json_object"


@attrs.define(kw_only=True, repr=False, eq=False)
class JsonSchemaConfig(WireModel):
    """A named JSON Schema the output must follow."""

    name: str
    description: str | None = None
    schema: dict[str, Any] | None = None
    strict: bool | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ResponseFormatJsonSchema(WireModel):
    """JSON following a schema."""

    type: Literal["json_schema"] = "json_schema"
    json_schema: JsonSchemaConfig


@attrs.define(kw_only=True, repr=False, eq=False)
class ResponseFormatGrammar(WireModel):
    """Output constrained by a grammar."""

    type: Literal["grammar"] = "grammar"
    grammar: str


@attrs.define(kw_only=True, repr=False, eq=False)
class ResponseFormatPython(WireModel):
    """Python code output."""

    type: Literal["python"] = "python"


ResponseFormat: TypeAlias = (
    ResponseFormatText
    | ResponseFormatJsonObject
    | ResponseFormatJsonSchema
    | ResponseFormatGrammar
    | ResponseFormatPython
)
"""The output format, told apart by ``type``."""


# --- routing, plugins and the rest --------------------------------------------------------------


@attrs.define(kw_only=True, repr=False, eq=False)
class ChatReasoningConfig(WireModel):
    """Reasoning: ``effort`` (max ... none) and ``summary`` (auto, concise, detailed)."""

    effort: str | None = None
    summary: str | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ProviderSortConfig(WireModel):
    """Sort providers ``by`` price/throughput/latency/exacto within a ``partition``."""

    by: str | None = None
    partition: str | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class PercentileCutoffs(WireModel):
    """Latency (seconds) or throughput (tokens/s) cutoffs per percentile."""

    p50: float | None = None
    p75: float | None = None
    p90: float | None = None
    p99: float | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class MaxPrice(WireModel):
    """Price ceilings in USD, as strings; prompt and completion are per million tokens."""

    prompt: str | None = None
    completion: str | None = None
    image: str | None = None
    audio: str | None = None
    request: str | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ProviderPreferences(WireModel):
    """Provider routing preferences. Provider names are any strings."""

    order: list[str] | None = None
    only: list[str] | None = None
    ignore: list[str] | None = None
    allow_fallbacks: bool | None = None
    require_parameters: bool | None = None
    data_collection: str | None = None
    zdr: bool | None = None
    enforce_distillable_text: bool | None = None
    quantizations: list[str] | None = None
    sort: str | ProviderSortConfig | None = None
    preferred_max_latency: float | PercentileCutoffs | None = None
    preferred_min_throughput: float | PercentileCutoffs | None = None
    max_price: MaxPrice | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class AutoRouterPlugin(WireModel):
    """The ``auto-router`` plugin."""

    id: Literal["auto-router"] = "auto-router"
    enabled: bool | None = None
    allowed_models: list[str] | None = None
    excluded_models: list[str] | None = None
    cost_tier: str | None = None
    cost_quality_tradeoff: int | None = None
    pin_model: bool | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class AutoBetaRouterPlugin(WireModel):
    """The ``auto-beta-router`` plugin."""

    id: Literal["auto-beta-router"] = "auto-beta-router"
    enabled: bool | None = None
    allowed_models: list[str] | None = None
    excluded_models: list[str] | None = None
    cost_tier: str | None = None
    cost_quality_tradeoff: int | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ModerationPlugin(WireModel):
    """The ``moderation`` plugin."""

    id: Literal["moderation"] = "moderation"


@attrs.define(kw_only=True, repr=False, eq=False)
class WebSearchPlugin(WireModel):
    """The ``web`` plugin."""

    id: Literal["web"] = "web"
    enabled: bool | None = None
    engine: str | None = None
    max_results: int | None = None
    max_uses: int | None = None
    search_prompt: str | None = None
    include_domains: list[str] | None = None
    exclude_domains: list[str] | None = None
    mode: str | None = None
    user_location: WebSearchUserLocation | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class WebFetchPlugin(WireModel):
    """The ``web-fetch`` plugin."""

    id: Literal["web-fetch"] = "web-fetch"
    max_uses: int | None = None
    max_content_tokens: int | None = None
    allowed_domains: list[str] | None = None
    blocked_domains: list[str] | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class PdfParserOptions(WireModel):
    """PDF parsing: ``engine`` is mistral-ocr, native, cloudflare-ai (or deprecated pdf-text)."""

    engine: str | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class FileParserPlugin(WireModel):
    """The ``file-parser`` plugin."""

    id: Literal["file-parser"] = "file-parser"
    enabled: bool | None = None
    pdf: PdfParserOptions | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ResponseHealingPlugin(WireModel):
    """The ``response-healing`` plugin."""

    id: Literal["response-healing"] = "response-healing"
    enabled: bool | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ContextCompressionPlugin(WireModel):
    """The ``context-compression`` plugin (engine ``middle-out``)."""

    id: Literal["context-compression"] = "context-compression"
    enabled: bool | None = None
    engine: str | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ParetoRouterPlugin(WireModel):
    """The ``pareto-router`` plugin."""

    id: Literal["pareto-router"] = "pareto-router"
    enabled: bool | None = None
    min_coding_score: float | None = None
    max_price: float | None = None
    price_source: str | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class FusionPlugin(WireModel):
    """The ``fusion`` plugin."""

    id: Literal["fusion"] = "fusion"
    enabled: bool | None = None
    preset: str | None = None
    analysis_models: list[str] | None = None
    model: str | None = None
    max_tool_calls: int | None = None
    tools: list[NestedTool] | None = None


ChatPlugin: TypeAlias = (
    AutoRouterPlugin
    | AutoBetaRouterPlugin
    | ModerationPlugin
    | WebSearchPlugin
    | WebFetchPlugin
    | FileParserPlugin
    | ResponseHealingPlugin
    | ContextCompressionPlugin
    | ParetoRouterPlugin
    | FusionPlugin
)
"""A plugin, told apart by ``id``."""


@attrs.define(kw_only=True, repr=False, eq=False)
class StopWhenStepCountIs(WireModel):
    """Stop the server-tool loop after ``step_count`` steps."""

    type: Literal["step_count_is"] = "step_count_is"
    step_count: int


@attrs.define(kw_only=True, repr=False, eq=False)
class StopWhenHasToolCall(WireModel):
    """Stop the server-tool loop once ``tool_name`` is called."""

    type: Literal["has_tool_call"] = "has_tool_call"
    tool_name: str


@attrs.define(kw_only=True, repr=False, eq=False)
class StopWhenMaxTokensUsed(WireModel):
    """Stop the server-tool loop after ``max_tokens`` tokens."""

    type: Literal["max_tokens_used"] = "max_tokens_used"
    max_tokens: int


@attrs.define(kw_only=True, repr=False, eq=False)
class StopWhenMaxCost(WireModel):
    """Stop the server-tool loop once it cost ``max_cost_in_dollars``."""

    type: Literal["max_cost"] = "max_cost"
    max_cost_in_dollars: float


@attrs.define(kw_only=True, repr=False, eq=False)
class StopWhenFinishReasonIs(WireModel):
    """Stop the server-tool loop on finish reason ``reason``."""

    type: Literal["finish_reason_is"] = "finish_reason_is"
    reason: str


StopCondition: TypeAlias = (
    StopWhenStepCountIs
    | StopWhenHasToolCall
    | StopWhenMaxTokensUsed
    | StopWhenMaxCost
    | StopWhenFinishReasonIs
)
"""A ``stop_server_tools_when`` condition, told apart by ``type``."""


@attrs.define(kw_only=True, repr=False, eq=False)
class PredictionContentText(WireModel):
    """A text part of a predicted output."""

    type: Literal["text"] = "text"
    text: str


@attrs.define(kw_only=True, repr=False, eq=False)
class Prediction(WireModel):
    """Predicted output, to lower latency."""

    type: Literal["content"] = "content"
    content: str | list[PredictionContentText]


@attrs.define(kw_only=True, repr=False, eq=False)
class PromptCacheOptions(WireModel):
    """Explicit prompt caching."""

    mode: Literal["explicit"] = "explicit"
    ttl: str | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ChatStreamOptions(WireModel):
    """Stream options; ``include_usage`` is deprecated and has no effect."""

    include_usage: bool | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ChatDebugOptions(WireModel):
    """Debug options (streaming only)."""

    echo_upstream_body: bool | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class TraceConfig(WireModel):
    """Observability metadata; extra keys (in ``extras``) are passed through."""

    _open: ClassVar[bool] = True

    trace_id: str | None = None
    trace_name: str | None = None
    span_name: str | None = None
    generation_name: str | None = None
    parent_span_id: str | None = None


# --- the request --------------------------------------------------------------------------------


@attrs.define(kw_only=True, repr=False, eq=False)
class ChatGenerationParams(WireModel):
    """The body of ``POST /chat/completions``. Only ``messages`` is required.

    :meth:`from_dict` reads strictly: wrong JSON types, missing required fields, unknown roles or
    ``type``/``id`` tags and unknown keys are a ``Failure(InvalidRequestError)`` naming the path.
    To send a field the models do not know, build the model and put it in ``extras``.
    """

    messages: list[ChatMessage]
    model: str | None = None
    models: list[str] | None = None
    stream: bool | None = None
    stream_options: ChatStreamOptions | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    top_a: float | None = None
    min_p: float | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    repetition_penalty: float | None = None
    logit_bias: dict[str, float] | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = None
    seed: int | None = None
    stop: str | list[str] | None = None
    max_completion_tokens: int | None = None
    max_tokens: int | None = None
    tools: list[ChatTool] | None = None
    tool_choice: ChatToolChoice | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None
    reasoning: ChatReasoningConfig | None = None
    reasoning_effort: str | None = None
    provider: ProviderPreferences | None = None
    plugins: list[ChatPlugin] | None = None
    stop_server_tools_when: list[StopCondition] | None = None
    modalities: list[str] | None = None
    image_config: dict[str, Any] | None = None
    prediction: Prediction | None = None
    cache_control: CacheControl | None = None
    prompt_cache_key: str | None = None
    prompt_cache_options: PromptCacheOptions | None = None
    service_tier: str | None = None
    metadata: dict[str, str] | None = None
    user: str | None = None
    session_id: str | None = None
    trace: TraceConfig | None = None
    debug: ChatDebugOptions | None = None
    route: str | None = None

    @classmethod
    def from_dict(cls, data: object) -> Result[ChatGenerationParams, InvalidRequestError]:
        """Read a request mapping; never raises."""
        try:
            params = structure(data, cls, strict=True)
            if not params.messages:
                raise ModelError(["messages"], "must hold at least one message")
            if params.stop_server_tools_when is not None and not params.stop_server_tools_when:
                raise ModelError(["stop_server_tools_when"], "must hold at least one condition")
        except ModelError as err:
            path = err.dotted
            return Failure(
                InvalidRequestError(
                    message=f"{path}: {err.problem}" if path else err.problem,
                    path=path,
                    problem=err.problem,
                )
            )
        return Success(params)


# The tagged unions of the request: which key tells the variants apart, and the fallback.
register_tagged(
    _Tagged(
        "role",
        {
            "system": ChatSystemMessage,
            "developer": ChatDeveloperMessage,
            "user": ChatUserMessage,
            "assistant": ChatAssistantMessage,
            "tool": ChatToolMessage,
        },
        "role",
    ),
    _Tagged(
        "type",
        {
            "function": ChatFunctionTool,
            "openrouter:web_search": WebSearchServerTool,
            "web_search": WebSearchShorthandTool,
            "web_search_preview": WebSearchShorthandTool,
            "web_search_preview_2025_03_11": WebSearchShorthandTool,
            "web_search_2025_08_26": WebSearchShorthandTool,
            "openrouter:web_fetch": WebFetchServerTool,
            "openrouter:datetime": DatetimeServerTool,
            "openrouter:files": FilesServerTool,
            "openrouter:image_generation": ImageGenerationServerTool,
            "openrouter:experimental__search_models": SearchModelsServerTool,
            "openrouter:bash": BashServerTool,
            "openrouter:advisor": AdvisorServerTool,
            "openrouter:subagent": SubagentServerTool,
            "openrouter:fusion": FusionServerTool,
        },
        "tool type",
    ),
    _Tagged(
        "type",
        {"function": ChatNamedToolChoice},
        "tool choice type",
        unknown=ChatServerToolChoice,
        unknown_always=True,
    ),
    _Tagged(
        "type",
        {
            "text": ResponseFormatText,
            "json_object": ResponseFormatJsonObject,
            "json_schema": ResponseFormatJsonSchema,
            "grammar": ResponseFormatGrammar,
            "python": ResponseFormatPython,
        },
        "response format type",
    ),
    _Tagged(
        "type",
        {
            "container_auto": ContainerAutoEnvironment,
            "container_reference": ContainerReferenceEnvironment,
        },
        "environment type",
    ),
    _Tagged(
        "id",
        {
            "auto-router": AutoRouterPlugin,
            "auto-beta-router": AutoBetaRouterPlugin,
            "moderation": ModerationPlugin,
            "web": WebSearchPlugin,
            "web-fetch": WebFetchPlugin,
            "file-parser": FileParserPlugin,
            "response-healing": ResponseHealingPlugin,
            "context-compression": ContextCompressionPlugin,
            "pareto-router": ParetoRouterPlugin,
            "fusion": FusionPlugin,
        },
        "plugin id",
    ),
    _Tagged(
        "type",
        {
            "step_count_is": StopWhenStepCountIs,
            "has_tool_call": StopWhenHasToolCall,
            "max_tokens_used": StopWhenMaxTokensUsed,
            "max_cost": StopWhenMaxCost,
            "finish_reason_is": StopWhenFinishReasonIs,
        },
        "stop condition type",
    ),
)
