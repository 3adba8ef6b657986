"""The tagged unions of the contract: which key tells the variants apart, and the fallback."""

from openrouter_core.models import common as c
from openrouter_core.models import request as r
from openrouter_core.models._converter import _Tagged

__all__ = ["TAGGED"]

TAGGED: tuple[_Tagged, ...] = (
    _Tagged(
        "role",
        {
            "system": r.ChatSystemMessage,
            "developer": r.ChatDeveloperMessage,
            "user": r.ChatUserMessage,
            "assistant": c.ChatAssistantMessage,
            "tool": r.ChatToolMessage,
        },
        "role",
    ),
    _Tagged(
        "type",
        {
            "text": c.ChatContentText,
            "image_url": c.ChatContentImage,
            "input_audio": c.ChatContentAudio,
            "file": c.ChatContentFile,
            "video_url": c.ChatContentVideo,
            "input_video": c.ChatContentInputVideo,
        },
        "content part type",
        unknown=c.ChatContentUnknown,
    ),
    _Tagged(
        "type",
        {
            "reasoning.summary": c.ReasoningDetailSummary,
            "reasoning.encrypted": c.ReasoningDetailEncrypted,
            "reasoning.text": c.ReasoningDetailText,
            "reasoning.server_tool_call": c.ReasoningDetailServerToolCall,
        },
        "reasoning detail type",
        unknown=c.ReasoningDetailUnknown,
    ),
    _Tagged(
        "type",
        {
            "function": r.ChatFunctionTool,
            "openrouter:web_search": r.WebSearchServerTool,
            "web_search": r.WebSearchShorthandTool,
            "web_search_preview": r.WebSearchShorthandTool,
            "web_search_preview_2025_03_11": r.WebSearchShorthandTool,
            "web_search_2025_08_26": r.WebSearchShorthandTool,
            "openrouter:web_fetch": r.WebFetchServerTool,
            "openrouter:datetime": r.DatetimeServerTool,
            "openrouter:files": r.FilesServerTool,
            "openrouter:image_generation": r.ImageGenerationServerTool,
            "openrouter:experimental__search_models": r.SearchModelsServerTool,
            "openrouter:bash": r.BashServerTool,
            "openrouter:advisor": r.AdvisorServerTool,
            "openrouter:subagent": r.SubagentServerTool,
            "openrouter:fusion": r.FusionServerTool,
        },
        "tool type",
    ),
    _Tagged(
        "type",
        {"function": r.ChatNamedToolChoice},
        "tool choice type",
        unknown=r.ChatServerToolChoice,
        unknown_always=True,
    ),
    _Tagged(
        "type",
        {
            "text": r.ResponseFormatText,
            "json_object": r.ResponseFormatJsonObject,
            "json_schema": r.ResponseFormatJsonSchema,
            "grammar": r.ResponseFormatGrammar,
            "python": r.ResponseFormatPython,
        },
        "response format type",
    ),
    _Tagged(
        "type",
        {
            "container_auto": r.ContainerAutoEnvironment,
            "container_reference": r.ContainerReferenceEnvironment,
        },
        "environment type",
    ),
    _Tagged(
        "id",
        {
            "auto-router": r.AutoRouterPlugin,
            "auto-beta-router": r.AutoBetaRouterPlugin,
            "moderation": r.ModerationPlugin,
            "web": r.WebSearchPlugin,
            "web-fetch": r.WebFetchPlugin,
            "file-parser": r.FileParserPlugin,
            "response-healing": r.ResponseHealingPlugin,
            "context-compression": r.ContextCompressionPlugin,
            "pareto-router": r.ParetoRouterPlugin,
            "fusion": r.FusionPlugin,
        },
        "plugin id",
    ),
    _Tagged(
        "type",
        {
            "step_count_is": r.StopWhenStepCountIs,
            "has_tool_call": r.StopWhenHasToolCall,
            "max_tokens_used": r.StopWhenMaxTokensUsed,
            "max_cost": r.StopWhenMaxCost,
            "finish_reason_is": r.StopWhenFinishReasonIs,
        },
        "stop condition type",
    ),
)
