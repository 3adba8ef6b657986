"""The tool loop's parts: tools, stop conditions, results, stream events and errors.

``funcs.call_model`` runs the loop and ``funcs.chat_parse`` reads a structured output; this
package holds what their callers name::

    from openrouter_core.tools import ModelResult, has_tool_call, step_count_is, tool

Importing it loads attrs classes only; the schema writer, the converter of the caller's types
and the loop itself are imported on first use.
"""

from openrouter_core.tools._loop import AsyncModelStream, ModelStream
from openrouter_core.tools._result import (
    CallModelError,
    ModelEvent,
    ModelResult,
    ParsedChatResponse,
    Step,
    StructuredOutputError,
    TextDelta,
    ToolCall,
    ToolCallEvent,
    ToolResult,
    ToolResultEvent,
    TurnEnd,
)
from openrouter_core.tools._stop import (
    FinishReasonIs,
    HasToolCall,
    MaxCost,
    MaxTokensUsed,
    StepCountIs,
    StopCondition,
    finish_reason_is,
    has_tool_call,
    max_cost,
    max_tokens_used,
    step_count_is,
)
from openrouter_core.tools._tool import Tool, tool

__all__ = [
    "AsyncModelStream",
    "CallModelError",
    "FinishReasonIs",
    "HasToolCall",
    "MaxCost",
    "MaxTokensUsed",
    "ModelEvent",
    "ModelResult",
    "ModelStream",
    "ParsedChatResponse",
    "Step",
    "StepCountIs",
    "StopCondition",
    "StructuredOutputError",
    "TextDelta",
    "Tool",
    "ToolCall",
    "ToolCallEvent",
    "ToolResult",
    "ToolResultEvent",
    "TurnEnd",
    "finish_reason_is",
    "has_tool_call",
    "max_cost",
    "max_tokens_used",
    "step_count_is",
    "tool",
]
