"""The OpenTelemetry part of a call: a CLIENT span and the GenAI metrics.

Imported only once the application has loaded OpenTelemetry (``opentelemetry`` in
``sys.modules``), and active only when it has set a tracer provider (spans) or a meter provider
(metrics) through the global API: the library is never configured for it.

Chat, Responses and embeddings follow the GenAI semantic conventions (span name
``"{gen_ai.operation.name} {gen_ai.request.model}"``, ``gen_ai.*`` attributes, the
``gen_ai.client.operation.duration`` and ``gen_ai.client.token.usage`` histograms); OpenRouter's
own figures are ``openrouter.*`` attributes. Every other operation gets an HTTP client span.

Retries are events on the call's one span (``openrouter.retry``), not a span per attempt: the
span is the operation the caller asked for; an HTTP instrumentation, if the application has one,
already makes a span per request under it, and a second CLIENT span per attempt would nest
client spans and double the spans of every call that needs no retry.

Message content is recorded only when ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` is
``true``: ``gen_ai.input.messages`` and ``gen_ai.output.messages``, as JSON.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from returns.result import Failure, Result

from openrouter_core._version import __version__

if TYPE_CHECKING:
    from openrouter_core._machinery.operation import Operation
    from openrouter_core._machinery.request import Prepared
    from openrouter_core.core import OpenRouterCore
    from openrouter_core.errors import OpenRouterCoreError

__all__ = ["PROVIDER", "CallTelemetry", "capture_content", "listening", "providers", "scrubbed"]

#: ``gen_ai.provider.name``.
PROVIDER = "openrouter"
_SCOPE = "openrouter_core"

#: Operations that are GenAI inference, by their ``gen_ai.operation.name``.
GENAI_OPERATIONS = {
    "chat_send": "chat",
    "responses_send": "chat",
    "beta_responses_send": "chat",
    "embeddings_generate": "embeddings",
}

# Bucket boundaries the GenAI conventions advise for the two histograms.
_DURATION_BUCKETS = (
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
)  # fmt: skip
_TOKEN_BUCKETS = tuple(4**i for i in range(14))

_CAPTURE = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"

#: Request attributes and the request fields they come from (the first one set wins).
_REQUEST_FIELDS = (
    ("gen_ai.request.max_tokens", ("max_completion_tokens", "max_tokens", "max_output_tokens")),
    ("gen_ai.request.temperature", ("temperature",)),
    ("gen_ai.request.top_p", ("top_p",)),
    ("gen_ai.embeddings.dimension.count", ("dimensions",)),
)


def capture_content() -> bool:
    """Whether message content may be recorded (the conventions' opt-in variable)."""
    return os.environ.get(_CAPTURE, "").strip().lower() == "true"


class Instruments:
    """The two GenAI histograms, made once per meter provider."""

    __slots__ = ("duration", "tokens")

    def __init__(self, meter: Any) -> None:
        self.duration = meter.create_histogram(
            "gen_ai.client.operation.duration",
            unit="s",
            description="Seconds a GenAI operation took, from the call to its end",
            explicit_bucket_boundaries_advisory=list(_DURATION_BUCKETS),
        )
        self.tokens = meter.create_histogram(
            "gen_ai.client.token.usage",
            unit="{token}",
            description="Tokens a GenAI operation used, by gen_ai.token.type",
            explicit_bucket_boundaries_advisory=[float(b) for b in _TOKEN_BUCKETS],
        )


# (provider, what it made): replaced whole, so a reader on another thread sees a pair.
_tracing: tuple[Any, Any] = (None, None)
_metering: tuple[Any, Any] = (None, None)


def _tracer() -> Any:
    global _tracing
    trace = sys.modules.get("opentelemetry.trace")
    if trace is None:
        return None
    provider = trace.get_tracer_provider()
    cached = _tracing
    if cached[0] is provider:
        return cached[1]
    if isinstance(provider, (trace.ProxyTracerProvider, trace.NoOpTracerProvider)):
        return None  # no provider set: nothing would be recorded
    tracer = provider.get_tracer(_SCOPE, __version__)
    _tracing = (provider, tracer)
    return tracer


def _instruments() -> Instruments | None:
    global _metering
    metrics = sys.modules.get("opentelemetry.metrics")
    if metrics is None:
        return None
    provider = metrics.get_meter_provider()
    cached = _metering
    if cached[0] is provider:
        return cached[1]  # type: ignore[no-any-return]
    # The API's stand-ins before a provider is set (the proxy's class is not public).
    if isinstance(provider, metrics.NoOpMeterProvider) or type(provider).__name__.startswith(
        "_Proxy"
    ):
        return None
    instruments = Instruments(provider.get_meter(_SCOPE, __version__))
    _metering = (provider, instruments)
    return instruments


def providers() -> tuple[Any, Instruments | None] | None:
    """(tracer or None, instruments or None) when a tracer or a meter provider is set."""
    tracer, instruments = _tracer(), _instruments()
    if tracer is None and instruments is None:
        return None
    return tracer, instruments


# The (tracer provider, meter provider) pair last looked at, and whether either records: decided
# once per pair of objects. Replaced whole, as ``_tracing`` is.
_decided: tuple[Any, Any, bool] | None = None


def listening() -> bool:
    """Whether a tracer or a meter provider is set, so that a call has something to record.

    A call pays the API's two getters and an identity check: what they return is looked at once
    per pair of provider objects (the API's stand-ins while the application has set none; the
    first call after it sets one sees a new object and decides again).
    """
    global _decided
    trace = sys.modules.get("opentelemetry.trace")
    metrics = sys.modules.get("opentelemetry.metrics")
    tracer_provider = trace.get_tracer_provider() if trace is not None else None
    meter_provider = metrics.get_meter_provider() if metrics is not None else None
    decided = _decided
    if decided is not None and decided[0] is tracer_provider and decided[1] is meter_provider:
        return decided[2]
    answer = providers() is not None
    _decided = (tracer_provider, meter_provider, answer)
    return answer


def scrubbed(value: str, key: str | None) -> str:
    """``value`` without the key, should it hold it (message content may)."""
    return value.replace(key, "REDACTED") if key and key in value else value


def _get(params: object, name: str) -> Any:
    """A request field from a mapping or a typed request model."""
    if isinstance(params, Mapping):
        return params.get(name)
    return getattr(params, name, None)


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def _server(url: str) -> dict[str, Any]:
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return {}
    if not host:
        return {}
    default = 443 if parts.scheme == "https" else 80
    return {"server.address": host, "server.port": port or default}


# -- message content (opt-in) -------------------------------------------------------------------


def _parts(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "content": content}]
    parts: list[dict[str, Any]] = []
    if isinstance(content, list):
        for part in content:
            if not isinstance(part, Mapping):
                continue
            kind = part.get("type")
            text = part.get("text")
            if isinstance(text, str):
                parts.append({"type": "text", "content": text})
            else:
                parts.append({"type": str(kind)})
    return parts


def _input_messages(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    messages = body.get("messages")
    if messages is None:
        given = body.get("input")  # the Responses API: a string or a list of items
        messages = [{"role": "user", "content": given}] if isinstance(given, str) else given
    out: list[dict[str, Any]] = []
    for message in messages if isinstance(messages, list) else ():
        if not isinstance(message, Mapping):
            continue
        role = message.get("role") or "user"
        if role == "tool":
            parts: list[dict[str, Any]] = [
                {
                    "type": "tool_call_response",
                    "id": message.get("tool_call_id"),
                    "response": message.get("content"),
                }
            ]
        else:
            parts = _parts(message.get("content"))
        for call in message.get("tool_calls") or ():
            function = call.get("function") if isinstance(call, Mapping) else None
            function = function if isinstance(function, Mapping) else {}
            parts.append(
                {
                    "type": "tool_call",
                    "id": call.get("id") if isinstance(call, Mapping) else None,
                    "name": function.get("name"),
                    "arguments": function.get("arguments"),
                }
            )
        out.append({"role": role, "parts": parts})
    return out


def _output_messages(value: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for choice in getattr(value, "choices", None) or ():
        message = getattr(choice, "message", None)
        if message is None:
            continue
        parts = _parts(getattr(message, "content", None))
        for call in getattr(message, "tool_calls", None) or ():
            function = getattr(call, "function", None)
            parts.append(
                {
                    "type": "tool_call",
                    "id": getattr(call, "id", None),
                    "name": getattr(function, "name", None),
                    "arguments": getattr(function, "arguments", None),
                }
            )
        out.append(
            {
                "role": getattr(message, "role", None) or "assistant",
                "parts": parts,
                "finish_reason": getattr(choice, "finish_reason", None),
            }
        )
    text = getattr(value, "output_text", None)
    if not out and isinstance(text, str):  # the Responses API's final text
        out.append({"role": "assistant", "parts": [{"type": "text", "content": text}]})
    return out


# -- what a response says -----------------------------------------------------------------------


def response_attributes(value: Any) -> dict[str, Any]:
    """``gen_ai.response.*``, ``gen_ai.usage.*`` and ``openrouter.*`` from a response model
    (chat, Responses or embeddings: their fields are read by name)."""
    found: dict[str, Any] = {}
    for attribute, name in (("gen_ai.response.id", "id"), ("gen_ai.response.model", "model")):
        got = getattr(value, name, None)
        if isinstance(got, str):
            found[attribute] = got
    provider = getattr(value, "provider", None)
    if isinstance(provider, str):
        found["openrouter.provider"] = provider
    reasons = [
        reason
        for choice in getattr(value, "choices", None) or ()
        if isinstance(reason := getattr(choice, "finish_reason", None), str)
    ]
    if reasons:
        found["gen_ai.response.finish_reasons"] = reasons
    usage = getattr(value, "usage", None)
    if usage is not None:
        prompt = _number(getattr(usage, "prompt_tokens", None))
        source = prompt if prompt is not None else _number(getattr(usage, "input_tokens", None))
        if source is not None:
            found["gen_ai.usage.input_tokens"] = int(source)
        completion = _number(getattr(usage, "completion_tokens", None))
        if completion is None:
            completion = _number(getattr(usage, "output_tokens", None))
        if completion is not None:
            found["gen_ai.usage.output_tokens"] = int(completion)
        cost = _number(getattr(usage, "cost", None))
        if cost is not None:
            found["openrouter.cost"] = float(cost)
    return found


def error_type(error: BaseException) -> str:
    """``error.type``: the error's class name (``APIError``, ``APITimeoutError``, ...)."""
    return type(error).__name__


class CallTelemetry:
    """One call's span (if a tracer provider is set) and metrics (if a meter provider is)."""

    __slots__ = ("base", "capture", "genai", "instruments", "key", "model", "span", "trace")

    def __init__(
        self,
        otel: tuple[Any, Instruments | None],
        op: Operation[Any],
        core: OpenRouterCore,
        params: object,
        prepared: Prepared | None,
        url: str,
        key: str | None,
    ) -> None:
        tracer, self.instruments = otel
        self.key = key
        self.genai = GENAI_OPERATIONS.get(op.name)
        self.capture = self.genai is not None and capture_content()
        model = _get(params, "model")
        self.model = model if isinstance(model, str) else None
        server = _server(url or core.server_url)
        # What the metrics are broken down by: the operation, never per-call values.
        self.base: dict[str, Any] = {}
        if self.genai is not None:
            self.base = {"gen_ai.operation.name": self.genai, "gen_ai.provider.name": PROVIDER}
            if self.model:
                self.base["gen_ai.request.model"] = self.model
            self.base.update(server)
        self.span: Any = None
        self.trace: Any = None
        if tracer is None:
            return
        from opentelemetry import trace

        self.trace = trace
        attributes: dict[str, Any] = {"openrouter.operation": op.name}
        if self.genai is not None:
            name = f"{self.genai} {self.model}" if self.model else self.genai
            attributes.update(self.base)
            attributes.update(self._request(params, prepared))
        else:
            name = f"{op.method} {op.path}"
            attributes.update(server)
            attributes["http.request.method"] = op.method
            attributes["url.template"] = op.path
            if url:
                attributes["url.full"] = url
        self.span = tracer.start_span(name, kind=trace.SpanKind.CLIENT, attributes=attributes)

    def _request(self, params: object, prepared: Prepared | None) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for attribute, names in _REQUEST_FIELDS:
            for name in names:
                value = _number(_get(params, name))
                if value is not None:
                    found[attribute] = value
                    break
        if prepared is not None and prepared.stream:
            found["gen_ai.request.stream"] = True
        if self.capture and prepared is not None and prepared.content:
            try:
                body = json.loads(prepared.content)
            except ValueError:
                body = None
            if isinstance(body, Mapping):
                text = json.dumps(_input_messages(body), ensure_ascii=False, default=str)
                found["gen_ai.input.messages"] = scrubbed(text, self.key)
        return found

    # -- during the call -------------------------------------------------------------------------

    def enter(self) -> Any:
        if self.span is None:
            return None
        from opentelemetry import context

        return context.attach(self.trace.set_span_in_context(self.span))

    def leave(self, token: Any) -> None:
        from opentelemetry import context

        context.detach(token)

    def status(self, status_code: int) -> None:
        if self.span is not None:
            self.span.set_attribute("http.response.status_code", status_code)

    def retry(self, attempt: int, delay: float, error: OpenRouterCoreError) -> None:
        if self.span is None:
            return
        event: dict[str, Any] = {
            "openrouter.attempt": attempt,
            "openrouter.retry.delay": delay,
            "error.type": error_type(error),
        }
        status = getattr(error, "status_code", None)
        if isinstance(status, int):
            event["http.response.status_code"] = status
        self.span.add_event("openrouter.retry", event)

    # -- the end ---------------------------------------------------------------------------------

    def finish(
        self, result: Result[Any, OpenRouterCoreError], attempts: int, elapsed: float
    ) -> None:
        if isinstance(result, Failure):
            self._end(None, result.failure(), attempts, elapsed, {})
        else:
            self._end(result.unwrap(), None, attempts, elapsed, {})

    def stream_end(
        self,
        state: Any,
        outcome: str,
        chunks: int,
        ttfc: float | None,
        attempts: int,
        elapsed: float,
    ) -> None:
        extra: dict[str, Any] = {
            "openrouter.stream.outcome": outcome,
            "openrouter.stream.chunks": chunks,
        }
        if ttfc is not None and chunks:
            extra["gen_ai.response.time_to_first_chunk"] = ttfc
        value = state.partial() if self.genai is not None and chunks else None
        self._end(value, state.failure, attempts, elapsed, extra)

    def cancelled(self, exc: BaseException, elapsed: float) -> None:
        self._end(None, exc, 0, elapsed, {})

    def _end(
        self,
        value: Any,
        error: BaseException | None,
        attempts: int,
        elapsed: float,
        extra: dict[str, Any],
    ) -> None:
        found = response_attributes(value) if value is not None and self.genai else {}
        span = self.span
        if span is not None:
            attributes = {**found, **extra, "openrouter.attempts": attempts}
            if self.capture and value is not None:
                text = json.dumps(_output_messages(value), ensure_ascii=False, default=str)
                attributes["gen_ai.output.messages"] = scrubbed(text, self.key)
            if error is not None:
                attributes["error.type"] = error_type(error)
                status = getattr(error, "status_code", None)
                if isinstance(status, int):
                    attributes["http.response.status_code"] = status
                code = getattr(error, "code", None)
                if isinstance(code, (int, str)) and not isinstance(code, bool):
                    attributes["openrouter.error.code"] = str(code)
                message = getattr(error, "message", None) or str(error)
                span.set_status(
                    self.trace.Status(
                        self.trace.StatusCode.ERROR, scrubbed(str(message)[:500], self.key)
                    )
                )
            span.set_attributes(attributes)
            span.end()
        instruments = self.instruments
        if instruments is not None and self.genai is not None:
            labels = dict(self.base)
            if "gen_ai.response.model" in found:
                labels["gen_ai.response.model"] = found["gen_ai.response.model"]
            if error is not None:
                labels["error.type"] = error_type(error)
            instruments.duration.record(elapsed, labels)
            for kind, attribute in (
                ("input", "gen_ai.usage.input_tokens"),
                ("output", "gen_ai.usage.output_tokens"),
            ):
                if attribute in found:
                    instruments.tokens.record(
                        found[attribute], {**labels, "gen_ai.token.type": kind}
                    )
