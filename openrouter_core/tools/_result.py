"""What the tool loop and structured outputs hand back: steps, results, events and errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, Literal, TypeAlias, TypeVar

import attrs

from openrouter_core.errors import OpenRouterCoreError

if TYPE_CHECKING:
    from openrouter_core.models import ChatResponse, ChatUsage

__all__ = [
    "CallModelError",
    "ModelEvent",
    "ModelResult",
    "ParsedChatResponse",
    "Step",
    "StructuredOutputError",
    "TextDelta",
    "ToolCall",
    "ToolCallEvent",
    "ToolResult",
    "ToolResultEvent",
    "TurnEnd",
]

T = TypeVar("T")


@attrs.frozen
class ToolCall:
    """A call the model asked for: its id, the tool's name and the arguments as the JSON text
    the model wrote."""

    id: str
    name: str
    arguments: str


@attrs.frozen
class ToolResult:
    """What a call answered: ``output`` is the tool's return value (as JSON values), or
    ``{"error": ...}`` when it failed; ``content`` is the text sent back to the model; ``error``
    says what went wrong (the tool raised, the arguments were not JSON or did not fit, the tool
    is unknown, the user rejected the call), ``None`` when it ran."""

    call: ToolCall
    output: Any
    content: str
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the tool ran and returned."""
        return self.error is None


@attrs.frozen
class Step:
    """One model answer (one chat completion) with the tool calls it made and their results.

    A step paused for approval has calls but no results yet.
    """

    response: ChatResponse
    tool_calls: list[ToolCall] = attrs.field(factory=list)
    tool_results: list[ToolResult] = attrs.field(factory=list)

    @property
    def text(self) -> str:
        """The assistant's text in this answer (``""`` when it only called tools)."""
        return message_text(self.response)

    @property
    def finish_reason(self) -> str | None:
        """The answer's finish reason (``"stop"``, ``"tool_calls"``, ``"length"``, ...)."""
        choices = self.response.choices
        return choices[0].finish_reason if choices else None


@attrs.frozen
class ModelResult(Generic[T]):
    """The outcome of ``call_model``.

    ``stop_reason`` says why the loop ended: ``"completed"`` (the model answered without calling
    tools), ``"stop_condition"`` (a ``stop_when`` condition held; the last step's calls ran and
    were answered, and no further request was made) or ``"approval"`` (calls wait for approval:
    ``pending`` lists them and ``state`` is the JSON to resume from).
    """

    text: str
    response: ChatResponse
    steps: list[Step]
    #: The whole conversation as wire JSON (the request's messages, each assistant answer and
    #: each tool message): ready to send again with a new user message.
    messages: list[dict[str, Any]]
    usage: ChatUsage
    stop_reason: Literal["completed", "stop_condition", "approval"] = "completed"
    #: The final answer read into ``response_type`` (``None`` without one, or when the loop
    #: ended before a final answer).
    parsed: T | None = None
    pending: list[ToolCall] = attrs.field(factory=list)
    #: JSON-serialisable (``json.dumps`` takes it as it is); set only when paused for approval.
    state: dict[str, Any] | None = None


@attrs.frozen
class ParsedChatResponse(Generic[T]):
    """A structured output: ``parsed`` is the answer read into the requested class,
    ``response`` the chat completion it came in."""

    parsed: T
    response: ChatResponse


# --- stream events ------------------------------------------------------------------------------


@attrs.frozen
class TextDelta:
    """A piece of assistant text of step ``step`` (0-based), as it streams."""

    step: int
    text: str


@attrs.frozen
class ToolCallEvent:
    """The model called a tool (sent once the turn's answer is complete)."""

    step: int
    call: ToolCall


@attrs.frozen
class ToolResultEvent:
    """A tool call's result, before it is sent back to the model."""

    step: int
    result: ToolResult


@attrs.frozen
class TurnEnd:
    """A step is complete: the answer and, when it called tools, their results."""

    index: int
    step: Step


ModelEvent: TypeAlias = TextDelta | ToolCallEvent | ToolResultEvent | TurnEnd
"""An event of a streamed ``call_model``."""


# --- errors -------------------------------------------------------------------------------------
# Declared with the options of every error class (see openrouter_core.errors).


@attrs.define(kw_only=True, slots=False, auto_exc=False, repr=False, eq=False, unsafe_hash=False)
class CallModelError(OpenRouterCoreError):
    """``call_model`` failed. ``cause`` is the error itself (an ``InvalidRequestError`` for bad
    input, the turn's ``ChatError``, ``APIConnectionError``, ``StreamError``, ...,
    or a ``StructuredOutputError`` for a final answer that does not read as ``response_type``);
    ``steps``, ``messages`` and ``usage`` are what was done before it."""

    cause: OpenRouterCoreError | None = None
    steps: list[Step] = attrs.field(factory=list)
    messages: list[dict[str, Any]] = attrs.field(factory=list)
    usage: ChatUsage | None = None


@attrs.define(kw_only=True, slots=False, auto_exc=False, repr=False, eq=False, unsafe_hash=False)
class StructuredOutputError(OpenRouterCoreError):
    """The answer is not the requested class: ``kind`` is ``"refusal"`` (the model refused;
    ``refusal`` has its text), ``"empty"`` (no content), ``"not_json"`` or ``"mismatch"`` (JSON
    that does not fit the class; ``problem`` names the fields). ``raw`` keeps the content as
    received and ``response`` the chat completion."""

    kind: Literal["refusal", "empty", "not_json", "mismatch"]
    raw: str = ""
    refusal: str | None = None
    problem: str = ""
    response: Any = None


def message_text(response: ChatResponse) -> str:
    """The text of a response's first choice (text parts joined)."""
    if not response.choices:
        return ""
    content = response.choices[0].message.content
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(getattr(part, "text", None) or "" for part in content)
