"""OpenTelemetry for openrouter-core: spans and metrics with no configuration in this library.

Every operation emits a CLIENT span when the application has set a tracer provider (and the
GenAI metrics when it has set a meter provider): chat, Responses and embeddings under the GenAI
semantic conventions, the others as HTTP client spans. ``OpenRouterCore(telemetry=False)`` turns
it off. Without OpenTelemetry loaded by the application nothing of it is imported.

:func:`agent_span` and :func:`tool_span` are for code built from operations (a tool loop): an
``invoke_agent`` span around the turns, an ``execute_tool {name}`` span around each tool run.
The chat calls made inside ``agent_span`` become its children. See ``docs/telemetry.md``.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openrouter_core.core import OpenRouterCore
    from openrouter_core.telemetry._agent import AgentRun

__all__ = ["Activity", "agent_span", "tool_span"]


class Activity:
    """The span of an :func:`agent_span` or :func:`tool_span` block; with no tracer provider
    set (or ``telemetry=False``) it records nothing and costs nothing."""

    __slots__ = ("_capture", "_key", "_span", "_trace")

    def __init__(self, span: Any = None, trace: Any = None, capture: bool = False) -> None:
        self._span = span
        self._trace = trace
        self._capture = capture
        self._key: str | None = None

    @property
    def recording(self) -> bool:
        """Whether a span records what is set on it."""
        return self._span is not None

    def set(self, name: str, value: str | bool | int | float | list[str]) -> None:
        """Set one attribute (``gen_ai.usage.input_tokens``, ``openrouter.cost``, ...)."""
        if self._span is not None:
            self._span.set_attribute(name, value)

    def fail(self, error: BaseException | str) -> None:
        """Mark the span failed: ``error.type`` (the error's class name, or the text given)
        and an ERROR status."""
        if self._span is None:
            return
        kind = error if isinstance(error, str) else type(error).__name__
        message = "" if isinstance(error, str) else str(getattr(error, "message", None) or error)
        self._span.set_attribute("error.type", kind)
        self._span.set_status(self._trace.Status(self._trace.StatusCode.ERROR, message[:500]))

    def content(self, name: str, value: object) -> None:
        """Set ``name`` to ``value`` as JSON, only when message content may be recorded
        (``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true``)."""
        if self._span is None or not self._capture:
            return
        from openrouter_core.telemetry._otel import scrubbed

        text = value if isinstance(value, str) else json.dumps(value, default=str)
        self._span.set_attribute(name, scrubbed(text, self._key))


def _tracer(core: OpenRouterCore) -> Any:
    if not core.telemetry or "opentelemetry" not in sys.modules:
        return None
    from openrouter_core.telemetry._otel import _tracer

    return _tracer()


@contextlib.contextmanager
def _span(core: OpenRouterCore, name: str, attributes: dict[str, Any]) -> Iterator[Activity]:
    tracer = _tracer(core)
    if tracer is None:
        yield Activity()
        return
    from opentelemetry import trace

    from openrouter_core.telemetry._otel import capture_content

    with tracer.start_as_current_span(
        name,
        kind=trace.SpanKind.INTERNAL,
        attributes=attributes,
        record_exception=True,
        set_status_on_exception=True,
    ) as span:
        activity = Activity(span, trace, capture_content())
        key = core.api_key
        activity._key = key if isinstance(key, str) and len(key) >= 8 else None
        yield activity


def _invoke_agent(name: str | None, model: str | None) -> tuple[str, dict[str, Any]]:
    """An ``invoke_agent`` span's name and attributes."""
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.provider.name": "openrouter",
    }
    if name:
        attributes["gen_ai.agent.name"] = name
    if model:
        attributes["gen_ai.request.model"] = model
    return (f"invoke_agent {name}" if name else "invoke_agent"), attributes


@contextlib.contextmanager
def agent_span(
    core: OpenRouterCore, *, name: str | None = None, model: str | None = None
) -> Iterator[Activity]:
    """An ``invoke_agent`` span (``invoke_agent {name}``) around a run of model turns and tool
    calls; the operations called inside it are its children."""
    span_name, attributes = _invoke_agent(name, model)
    with _span(core, span_name, attributes) as activity:
        yield activity


def _agent_run(core: OpenRouterCore, *, model: str | None) -> AgentRun | None:
    """The ``invoke_agent`` span of a streamed tool loop, started (a child of the current span)
    but not made current; None when no tracer provider is set (see ``telemetry._agent``)."""
    tracer = _tracer(core)
    if tracer is None:
        return None
    from opentelemetry import trace

    from openrouter_core.telemetry._agent import AgentRun
    from openrouter_core.telemetry._otel import capture_content

    span_name, attributes = _invoke_agent(None, model)
    span = tracer.start_span(span_name, kind=trace.SpanKind.INTERNAL, attributes=attributes)
    run = AgentRun(span, trace, capture_content())
    key = core.api_key
    run.activity._key = key if isinstance(key, str) and len(key) >= 8 else None
    return run


@contextlib.contextmanager
def tool_span(
    core: OpenRouterCore,
    tool: str,
    *,
    call_id: str | None = None,
    arguments: object = None,
) -> Iterator[Activity]:
    """An ``execute_tool {tool}`` span around one run of a tool. ``arguments`` are recorded
    (``gen_ai.tool.call.arguments``) only when message content may be; so is the result given
    to ``activity.content("gen_ai.tool.call.result", value)``."""
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": tool,
        "gen_ai.tool.type": "function",
    }
    if call_id:
        attributes["gen_ai.tool.call.id"] = call_id
    with _span(core, f"execute_tool {tool}", attributes) as activity:
        if arguments is not None:
            activity.content("gen_ai.tool.call.arguments", arguments)
        yield activity
