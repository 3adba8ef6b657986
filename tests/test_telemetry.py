"""OpenTelemetry: the spans and metrics calls emit through the global providers, read back with
the SDK's in-memory exporters. A chat call, streams (read to the end, dropped), a retried call,
a 401, other operations, message content on and off, the agent and tool spans, call_model
streamed or not; the key in no exported span; nothing imported or recorded when the application
has not set OpenTelemetry up, and a provider set later seen by the next call."""

from __future__ import annotations

import asyncio
import gc
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import metrics, trace
from opentelemetry.metrics import _internal as metrics_internal
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from opentelemetry.util._once import Once
from returns.result import Failure, Success

from funcs.chat_send import chat_send, chat_send_async
from funcs.embeddings_generate import embeddings_generate
from funcs.models_list import models_list
from openrouter_core.telemetry import agent_span, tool_span
from openrouter_core.testing import FakeOpenRouter, completion_body, stream_chunks
from openrouter_core.tools import TextDelta

ROOT = Path(__file__).resolve().parent.parent
KEY = "sk-or-v1-telemetry-secret-0123456789"
MODEL = "openai/gpt-4o-mini"
PARAMS = {
    "model": MODEL,
    "messages": [{"role": "user", "content": "Say hi"}],
    "temperature": 0.2,
    "top_p": 0.9,
    "max_tokens": 64,
}


def _reset_globals() -> None:
    # The API lets a process set its providers once; each test sets its own and clears them
    # after, as OpenTelemetry's own test utilities do.
    trace._TRACER_PROVIDER_SET_ONCE = Once()
    trace._TRACER_PROVIDER = None
    metrics_internal._METER_PROVIDER_SET_ONCE = Once()
    metrics_internal._METER_PROVIDER = None


class Telemetry:
    def __init__(self) -> None:
        self.spans = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())

    def one(self) -> ReadableSpan:
        (span,) = self.finished()
        return span

    def points(self, name: str) -> list[Any]:
        data = self.reader.get_metrics_data()
        found = []
        for resource in data.resource_metrics if data else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == name:
                        found += list(metric.data.data_points)
        return found


@pytest.fixture
def otel() -> Iterator[Telemetry]:
    telemetry = Telemetry()
    _reset_globals()
    trace.set_tracer_provider(telemetry.tracer_provider)
    metrics.set_meter_provider(telemetry.meter_provider)
    try:
        yield telemetry
    finally:
        _reset_globals()
        telemetry.tracer_provider.shutdown()
        telemetry.meter_provider.shutdown()


def _assert_no_key(spans: list[ReadableSpan]) -> None:
    assert spans
    for span in spans:
        text = json.dumps(
            {
                "name": span.name,
                "attributes": dict(span.attributes or {}),
                "events": [(e.name, dict(e.attributes or {})) for e in span.events],
                "status": span.status.description,
            },
            default=str,
        )
        assert KEY not in text


def test_a_chat_call_is_a_genai_client_span(otel: Telemetry) -> None:
    body = completion_body("Hi!", generation_id="gen-42", provider="Azure")
    core = FakeOpenRouter().reply_json(200, body).core(api_key=KEY)
    assert isinstance(chat_send(core, PARAMS, stream=False), Success)
    span = otel.one()
    assert span.name == f"chat {MODEL}"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    attributes = dict(span.attributes or {})
    usage = body["usage"]
    assert attributes == {
        "openrouter.operation": "chat_send",
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openrouter",
        "gen_ai.request.model": MODEL,
        "gen_ai.request.temperature": 0.2,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.max_tokens": 64,
        "server.address": "fake.openrouter.test",
        "server.port": 443,
        "http.response.status_code": 200,
        "gen_ai.response.id": "gen-42",
        "gen_ai.response.model": MODEL,
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": usage["prompt_tokens"],
        "gen_ai.usage.output_tokens": usage["completion_tokens"],
        "openrouter.cost": usage["cost"],
        "openrouter.provider": "Azure",
        "openrouter.attempts": 1,
    }
    # No message content without the opt-in.
    assert "gen_ai.input.messages" not in attributes
    _assert_no_key([span])
    # The metrics: one duration, and the tokens by type.
    (duration,) = otel.points("gen_ai.client.operation.duration")
    assert duration.count == 1
    assert 0 < duration.sum < 5
    assert duration.attributes["gen_ai.request.model"] == MODEL
    assert duration.attributes["gen_ai.response.model"] == MODEL
    assert "error.type" not in duration.attributes
    tokens = {
        p.attributes["gen_ai.token.type"]: p.sum for p in otel.points("gen_ai.client.token.usage")
    }
    assert tokens == {"input": usage["prompt_tokens"], "output": usage["completion_tokens"]}


def test_the_span_is_a_child_of_the_current_one_and_async_too(otel: Telemetry) -> None:
    core = FakeOpenRouter().core(api_key=KEY)
    tracer = trace.get_tracer("app")
    with tracer.start_as_current_span("handler") as parent:
        assert isinstance(chat_send(core, PARAMS, stream=False), Success)

        async def main() -> None:
            assert isinstance(await chat_send_async(core, PARAMS, stream=False), Success)

        asyncio.run(main())
    sync_span, async_span, handler = otel.finished()
    assert handler.name == "handler"
    for span in (sync_span, async_span):
        assert span.name == f"chat {MODEL}"
        assert span.parent is not None
        assert span.parent.span_id == parent.get_span_context().span_id
    # The call's span is no longer current after the call.
    assert trace.get_current_span() is trace.INVALID_SPAN


def test_a_retried_call_has_one_span_with_retry_events(otel: Telemetry) -> None:
    core_fake = FakeOpenRouter().reply_error(429, "slow down").reply_error(503, "busy").reply("ok")
    core = core_fake.core(api_key=KEY)
    assert isinstance(chat_send(core, PARAMS, stream=False), Success)
    span = otel.one()
    assert span.attributes is not None
    assert span.attributes["openrouter.attempts"] == 3
    assert span.attributes["http.response.status_code"] == 200
    events = [(e.name, dict(e.attributes or {})) for e in span.events]
    assert [name for name, _ in events] == ["openrouter.retry", "openrouter.retry"]
    first, second = (attributes for _, attributes in events)
    assert first["openrouter.attempt"] == 1
    assert first["http.response.status_code"] == 429
    assert second["openrouter.attempt"] == 2
    assert second["http.response.status_code"] == 503
    assert first["error.type"] == "ChatError"
    assert first["openrouter.retry.delay"] == 0.0
    assert span.status.status_code is StatusCode.UNSET


def test_a_401_is_an_error_span_and_counted(otel: Telemetry) -> None:
    core = FakeOpenRouter().reply_error(401, "No auth credentials found").core(api_key=KEY)
    result = chat_send(core, PARAMS, stream=False)
    assert isinstance(result, Failure)
    span = otel.one()
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description is not None
    assert "No auth credentials" in span.status.description
    assert span.attributes is not None
    assert span.attributes["error.type"] == type(result.failure()).__name__
    assert span.attributes["http.response.status_code"] == 401
    assert span.attributes["openrouter.error.code"] == "401"
    assert "gen_ai.response.id" not in span.attributes
    (duration,) = otel.points("gen_ai.client.operation.duration")
    assert duration.attributes["error.type"] == type(result.failure()).__name__
    assert otel.points("gen_ai.client.token.usage") == []
    _assert_no_key([span])


def test_a_stream_span_ends_when_the_stream_does(otel: Telemetry) -> None:
    core = FakeOpenRouter().reply_stream(["Hel", "lo"], split=40).core(api_key=KEY)
    stream = chat_send(core, PARAMS, stream=True).unwrap()
    assert otel.finished() == []  # open while the stream is
    assert stream.collect().unwrap().choices[0].message.content == "Hello"
    span = otel.one()
    attributes = dict(span.attributes or {})
    assert span.name == f"chat {MODEL}"
    assert attributes["gen_ai.request.stream"] is True
    assert attributes["openrouter.stream.outcome"] == "completed"
    chunks = attributes["openrouter.stream.chunks"]
    assert isinstance(chunks, int)
    assert chunks >= 2
    ttfc = attributes["gen_ai.response.time_to_first_chunk"]
    assert isinstance(ttfc, float)
    assert ttfc >= 0
    assert span.end_time is not None
    assert span.start_time is not None
    assert ttfc <= (span.end_time - span.start_time) / 1e9
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    output_tokens = attributes["gen_ai.usage.output_tokens"]
    assert isinstance(output_tokens, int)
    assert output_tokens > 0
    assert len(otel.points("gen_ai.client.operation.duration")) == 1
    _assert_no_key([span])


def test_a_dropped_stream_ends_its_span(otel: Telemetry) -> None:
    core = FakeOpenRouter().reply_stream(["a", "b", "c"], split=40).core(api_key=KEY)
    stream = chat_send(core, PARAMS, stream=True).unwrap()
    next(stream).unwrap()  # taken without a loop, whose end would close the stream
    del stream
    gc.collect()
    deadline = time.monotonic() + 5.0
    while not otel.finished() and time.monotonic() < deadline:  # the janitor thread ends it
        time.sleep(0.005)
    span = otel.one()
    assert span.attributes is not None
    assert span.attributes["openrouter.stream.outcome"] == "abandoned"
    assert span.status.status_code is StatusCode.UNSET


def test_an_async_stream_dropped_after_its_loop_closed_still_ends_its_spans(
    otel: Telemetry,
) -> None:
    from funcs.call_model import call_model_async
    from openrouter_core._machinery.janitor import _janitor

    core = FakeOpenRouter().reply_stream(["a", "b", "c"], split=40).core(api_key=KEY)

    async def start() -> tuple[Any, Any]:
        chat = (await chat_send_async(core, PARAMS, stream=True)).unwrap()
        loop = (await call_model_async(core, STREAM_PARAMS, stream=True)).unwrap()
        return chat, loop

    streams = asyncio.run(start())  # returns with the loop closed, the streams still open
    assert otel.finished() == []
    del streams
    gc.collect()
    reported = threading.Event()
    _janitor.call_later(reported.set)  # past this marker the janitor has ended them
    assert reported.wait(5.0)
    spans = otel.finished()
    assert sorted(s.name for s in spans) == [f"chat {MODEL}", f"chat {MODEL}", "invoke_agent"]
    for span in spans:
        assert (span.attributes or {})["openrouter.stream.outcome"] == "abandoned"


def test_a_cut_stream_is_an_error_span(otel: Telemetry) -> None:
    import httpx2

    core = FakeOpenRouter().reply_stream(["a", "b"], fail=httpx2.ReadError("reset")).core()
    stream = chat_send(core, PARAMS, stream=True).unwrap()
    failure = stream.collect()
    assert isinstance(failure, Failure)
    span = otel.one()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["error.type"] == type(failure.failure()).__name__
    assert span.attributes["openrouter.stream.outcome"] == "failed"


def test_other_operations_are_http_client_spans(otel: Telemetry) -> None:
    core = FakeOpenRouter().core(api_key=KEY)
    result = models_list(core, category="programming", extra_query={"token": KEY})
    assert isinstance(result, Success)
    span = otel.one()
    assert span.name == "GET /models"
    assert span.kind is SpanKind.CLIENT
    attributes = dict(span.attributes or {})
    assert attributes["http.request.method"] == "GET"
    assert attributes["http.response.status_code"] == 200
    assert attributes["url.template"] == "/models"
    assert attributes["url.full"] == (
        "https://fake.openrouter.test/api/v1/models?category=programming&token=REDACTED"
    )
    assert attributes["server.address"] == "fake.openrouter.test"
    assert not [name for name in attributes if name.startswith("gen_ai.")]
    assert otel.points("gen_ai.client.operation.duration") == []
    _assert_no_key([span])


def test_embeddings_follow_the_genai_conventions(otel: Telemetry) -> None:
    core = FakeOpenRouter().core(api_key=KEY)
    model = "openai/text-embedding-3-small"
    assert isinstance(embeddings_generate(core, {"model": model, "input": "hello"}), Success)
    span = otel.one()
    assert span.name == f"embeddings {model}"
    assert span.attributes is not None
    assert span.attributes["gen_ai.operation.name"] == "embeddings"
    assert span.attributes["gen_ai.request.model"] == model


def test_message_content_only_when_asked(otel: Telemetry, monkeypatch: pytest.MonkeyPatch) -> None:
    body = completion_body("Bonjour")
    core = FakeOpenRouter().reply_json(200, body).reply_json(200, body).core(api_key=KEY)
    params = {"model": MODEL, "messages": [{"role": "user", "content": f"my key is {KEY}"}]}
    chat_send(core, params, stream=False).unwrap()
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
    chat_send(core, params, stream=False).unwrap()
    without, with_content = otel.finished()
    assert "gen_ai.input.messages" not in (without.attributes or {})
    assert "gen_ai.output.messages" not in (without.attributes or {})
    attributes = dict(with_content.attributes or {})
    sent = json.loads(str(attributes["gen_ai.input.messages"]))
    assert sent == [{"role": "user", "parts": [{"type": "text", "content": "my key is REDACTED"}]}]
    answered = json.loads(str(attributes["gen_ai.output.messages"]))
    assert answered == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": "Bonjour"}],
            "finish_reason": "stop",
        }
    ]
    _assert_no_key([without, with_content])


def test_telemetry_false_emits_nothing(otel: Telemetry) -> None:
    core = FakeOpenRouter().core(api_key=KEY, telemetry=False)
    assert isinstance(chat_send(core, PARAMS, stream=False), Success)
    assert otel.finished() == []
    assert otel.points("gen_ai.client.operation.duration") == []


def test_agent_and_tool_spans(otel: Telemetry, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
    core = FakeOpenRouter().core(api_key=KEY)
    with agent_span(core, name="weather", model=MODEL) as agent:
        assert agent.recording
        chat_send(core, PARAMS, stream=False).unwrap()
        with tool_span(core, "get_weather", call_id="call_1", arguments={"city": "Paris"}) as tool:
            tool.content("gen_ai.tool.call.result", {"celsius": 21})
        with tool_span(core, "broken") as failing:
            failing.fail(ValueError("no such city"))
        agent.set("gen_ai.usage.input_tokens", 12)
    chat, ran, broken, invoke = otel.finished()
    assert invoke.name == "invoke_agent weather"
    assert invoke.kind is SpanKind.INTERNAL
    assert dict(invoke.attributes or {}) == {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.provider.name": "openrouter",
        "gen_ai.agent.name": "weather",
        "gen_ai.request.model": MODEL,
        "gen_ai.usage.input_tokens": 12,
    }
    agent_id = invoke.context.span_id if invoke.context else None
    for child in (chat, ran, broken):
        assert child.parent is not None
        assert child.parent.span_id == agent_id
    assert ran.name == "execute_tool get_weather"
    assert dict(ran.attributes or {}) == {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "get_weather",
        "gen_ai.tool.type": "function",
        "gen_ai.tool.call.id": "call_1",
        "gen_ai.tool.call.arguments": '{"city": "Paris"}',
        "gen_ai.tool.call.result": '{"celsius": 21}',
    }
    assert broken.status.status_code is StatusCode.ERROR
    assert (broken.attributes or {})["error.type"] == "ValueError"
    _assert_no_key([chat, ran, broken, invoke])


def test_helpers_record_nothing_when_off(otel: Telemetry) -> None:
    core = FakeOpenRouter().core(api_key=KEY, telemetry=False)
    with agent_span(core, name="a") as agent, tool_span(core, "t") as tool:
        assert not agent.recording
        assert not tool.recording
        tool.fail("boom")  # no span: nothing to record, nothing raised
    assert otel.finished() == []


_PROBE = """\
import json, sys
from openrouter_core.testing import FakeOpenRouter
from funcs.chat_send import chat_send
SETUP
core = FakeOpenRouter().core()
params = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
assert chat_send(core, params, stream=False).unwrap().choices
stream = chat_send(core, params, stream=True).unwrap()
assert stream.collect().unwrap().choices
print(json.dumps(sorted(m for m in sys.modules
                        if m.startswith(("opentelemetry", "openrouter_core.telemetry")))))
"""


def _loaded_after_calls(setup: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.replace("SETUP", setup)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=60,
    )
    loaded = json.loads(out.stdout)
    assert isinstance(loaded, list)
    return loaded


def test_without_opentelemetry_loaded_nothing_of_it_is_imported() -> None:
    assert _loaded_after_calls("") == []


def test_opentelemetry_loaded_without_a_provider_records_nothing() -> None:
    # The application imported the API but set no provider: the calls find none and record
    # nothing (the SDK is never imported by this package).
    loaded = _loaded_after_calls("import opentelemetry.trace, opentelemetry.metrics")
    # The check found no provider: the calls took the path of a call nobody observes.
    assert "openrouter_core.telemetry._otel" in loaded
    assert "openrouter_core.telemetry._observe" not in loaded
    assert "opentelemetry.sdk" not in " ".join(loaded)
    from openrouter_core.telemetry._otel import providers

    _reset_globals()
    assert providers() is None


def test_a_provider_set_later_is_seen_by_the_next_call() -> None:
    from openrouter_core.telemetry._otel import listening

    telemetry = Telemetry()
    core = FakeOpenRouter().core(api_key=KEY)
    _reset_globals()
    try:
        assert isinstance(chat_send(core, PARAMS, stream=False), Success)
        assert not listening()  # decided once for the API's stand-ins
        trace.set_tracer_provider(telemetry.tracer_provider)
        assert listening()
        assert isinstance(chat_send(core, PARAMS, stream=False), Success)
        assert [s.name for s in telemetry.finished()] == [f"chat {MODEL}"]
        _reset_globals()  # back to no provider: nothing recorded again
        assert not listening()
        assert isinstance(chat_send(core, PARAMS, stream=False), Success)
        assert len(telemetry.finished()) == 1
        metrics.set_meter_provider(telemetry.meter_provider)  # a meter provider alone is enough
        assert listening()
        assert isinstance(chat_send(core, PARAMS, stream=False), Success)
        (duration,) = telemetry.points("gen_ai.client.operation.duration")
        assert duration.count == 1
        assert len(telemetry.finished()) == 1
    finally:
        _reset_globals()
        telemetry.tracer_provider.shutdown()
        telemetry.meter_provider.shutdown()


def _readme_block(marker: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = text.split("```python\n")[1:]
    (block,) = [b.split("```", 1)[0] for b in blocks if marker in b]
    return block


def test_the_readme_console_example_prints_the_span(capsys: pytest.CaptureFixture[str]) -> None:
    # The exporter's default output is the stdout of when OpenTelemetry was imported: point it
    # at the one captured now.
    code = _readme_block("ConsoleSpanExporter").replace(
        "ConsoleSpanExporter()", "ConsoleSpanExporter(out=sys.stdout)"
    )
    _reset_globals()
    try:
        exec(  # the README's example, against the fake
            compile(code, "README telemetry example", "exec"),
            {"core": FakeOpenRouter().core(api_key=KEY), "chat_send": chat_send, "sys": sys},
        )
        trace.get_tracer_provider().force_flush()  # type: ignore[attr-defined]
    finally:
        _reset_globals()
    printed = capsys.readouterr().out
    assert '"name": "chat openai/gpt-4o-mini"' in printed
    assert '"gen_ai.usage.input_tokens": 12' in printed
    assert '"openrouter.cost"' in printed
    assert KEY not in printed


def test_the_readme_hooks_and_key_examples(capsys: pytest.CaptureFixture[str]) -> None:
    from openrouter_core import OpenRouterCore

    namespace: dict[str, Any] = {"OpenRouterCore": OpenRouterCore}
    exec(compile(_readme_block("def on_retry"), "README hooks example", "exec"), namespace)
    exec(compile(_readme_block("def current_key"), "README key example", "exec"), namespace)
    assert namespace["rotating"].api_key is namespace["current_key"]
    hooks = namespace["watched"].hooks
    core = FakeOpenRouter().reply_error(429, "slow").reply("ok").core(hooks=hooks)
    assert isinstance(chat_send(core, PARAMS, stream=False), Success)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "chat_send: retry in 0.0s after ChatError"
    assert lines[1].startswith("chat_send 2 attempt(s) ")


def test_call_model_with_a_tool_is_an_invoke_agent_span(otel: Telemetry) -> None:
    from funcs.call_model import call_model, call_model_async
    from openrouter_core.testing import tool_call

    def get_weather(city: str) -> dict[str, object]:
        """The weather in a city."""
        return {"city": city, "celsius": 21}

    async def get_time(city: str) -> str:
        """The time in a city."""
        return "12:00"

    fake = FakeOpenRouter()
    for _ in range(2):
        calls = (
            tool_call("get_weather", {"city": "Paris"}),
            tool_call("get_time", {"city": "Paris"}),
        )
        fake.reply_tool_calls(*calls).reply("Sunny")
    core = fake.core(api_key=KEY)
    params = {"model": MODEL, "messages": [{"role": "user", "content": "Weather in Paris?"}]}
    assert call_model(core, params, tools=[get_weather, get_time]).unwrap().text == "Sunny"

    async def main() -> None:
        result = await call_model_async(core, params, tools=[get_weather, get_time])
        assert result.unwrap().text == "Sunny"

    asyncio.run(main())
    spans = otel.finished()
    one_run = [
        f"chat {MODEL}",
        "execute_tool get_weather",
        "execute_tool get_time",
        f"chat {MODEL}",
        "invoke_agent",
    ]
    assert [s.name for s in spans] == one_run * 2
    for run_spans in (spans[0:5], spans[5:10]):
        agent = run_spans[-1]
        assert (agent.attributes or {})["gen_ai.request.model"] == MODEL
        assert agent.status.status_code is StatusCode.UNSET
        for child in run_spans[:-1]:
            assert child.parent is not None
            assert agent.context is not None
            assert child.parent.span_id == agent.context.span_id
        tools = [s for s in run_spans if s.name.startswith("execute_tool")]
        assert [(s.attributes or {})["gen_ai.tool.name"] for s in tools] == [
            "get_weather",
            "get_time",
        ]
        assert all((s.attributes or {})["gen_ai.operation.name"] == "execute_tool" for s in tools)
    _assert_no_key(spans)


# -- call_model(stream=True): its invoke_agent span ------------------------------------------------

STREAM_PARAMS = {"model": MODEL, "messages": [{"role": "user", "content": "Weather in Paris?"}]}


def _weather(city: str) -> dict[str, object]:
    """The weather in a city."""
    return {"city": city, "celsius": 21}


async def _time(city: str) -> str:
    """The time in a city."""
    return "12:00"


def _tool_call_chunks() -> list[dict[str, Any]]:
    """A turn streaming two tool calls: a sync and an async tool."""
    chunks = stream_chunks([], finish_reason="tool_calls")
    calls = [
        {
            "index": index,
            "id": f"call_{name}",
            "type": "function",
            "function": {"name": name, "arguments": json.dumps({"city": "Paris"})},
        }
        for index, name in enumerate(("_weather", "_time"))
    ]
    delta = {"index": 0, "delta": {"tool_calls": calls}, "finish_reason": None}
    chunks.insert(1, {**chunks[0], "choices": [delta]})
    return chunks


def _streamed(core: Any, mode: str) -> tuple[list[Any], Any]:
    """Read a streamed call_model to its end: the caller's current span at each event, and the
    collected result."""
    from funcs.call_model import call_model, call_model_async

    seen: list[Any] = []
    if mode == "sync":
        stream = call_model(core, STREAM_PARAMS, tools=[_weather, _time], stream=True).unwrap()
        for item in stream:
            assert isinstance(item, Success)
            seen.append(trace.get_current_span())
        return seen, stream.collect()

    async def main() -> tuple[list[Any], Any]:
        opened = await call_model_async(core, STREAM_PARAMS, tools=[_weather, _time], stream=True)
        stream = opened.unwrap()
        async for item in stream:
            assert isinstance(item, Success)
            seen.append(trace.get_current_span())
        return seen, await stream.collect()

    return asyncio.run(main())


def _agent_and_children(spans: list[ReadableSpan]) -> tuple[ReadableSpan, list[ReadableSpan]]:
    (agent,) = [s for s in spans if s.name == "invoke_agent"]
    assert agent.context is not None
    children = [
        s for s in spans if s.parent is not None and s.parent.span_id == agent.context.span_id
    ]
    return agent, children


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_streamed_call_model_is_an_invoke_agent_span(otel: Telemetry, mode: str) -> None:
    fake = FakeOpenRouter().reply_stream(events=_tool_call_chunks()).reply_stream(["Sun", "ny"])
    core = fake.core(api_key=KEY)
    with trace.get_tracer("app").start_as_current_span("handler") as handler:
        seen, result = _streamed(core, mode)
        # Between two events the caller's own span is the current one, never the agent's.
        assert seen
        assert all(span is handler for span in seen)
        assert trace.get_current_span() is handler
    assert result.unwrap().text == "Sunny"
    spans = otel.finished()
    assert [s.name for s in spans] == [
        f"chat {MODEL}",
        "execute_tool _weather",
        "execute_tool _time",
        f"chat {MODEL}",
        "invoke_agent",
        "handler",
    ]
    agent, children = _agent_and_children(spans)
    assert children == spans[:4]  # both turns and both tools
    assert agent.parent is not None
    assert agent.parent.span_id == handler.get_span_context().span_id
    assert agent.kind is SpanKind.INTERNAL
    assert agent.status.status_code is StatusCode.UNSET
    assert dict(agent.attributes or {}) == {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.provider.name": "openrouter",
        "gen_ai.request.model": MODEL,
        "openrouter.stream.outcome": "completed",
    }
    assert [(s.attributes or {})["openrouter.stream.outcome"] for s in spans[0:4:3]] == [
        "completed",
        "completed",
    ]
    _assert_no_key(spans)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_streamed_call_model_closed_early_ends_its_span_once(
    otel: Telemetry, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    from funcs.call_model import call_model, call_model_async

    core = FakeOpenRouter().reply_stream(["a", "b", "c"], split=40).core(api_key=KEY)
    if mode == "sync":
        stream = call_model(core, STREAM_PARAMS, tools=[_weather], stream=True).unwrap()
        events = iter(stream)
        assert next(events).unwrap() == TextDelta(step=0, text="a")
        # Read partly: the caller's context is its own again, and the span is still open.
        assert trace.get_current_span() is trace.INVALID_SPAN
        assert otel.finished() == []
        stream.close()
        del events  # its end closes the stream again: nothing more happens to the span
    else:

        async def main() -> None:
            opened = await call_model_async(core, STREAM_PARAMS, tools=[_weather], stream=True)
            async with opened.unwrap() as stream:
                async for item in stream:
                    assert item.unwrap() == TextDelta(step=0, text="a")
                    break
                assert trace.get_current_span() is trace.INVALID_SPAN
                assert otel.finished() == []

        asyncio.run(main())
    gc.collect()
    spans = otel.finished()
    assert [s.name for s in spans] == [f"chat {MODEL}", "invoke_agent"]
    agent, children = _agent_and_children(spans)
    assert children == spans[:1]
    assert (agent.attributes or {})["openrouter.stream.outcome"] == "closed"
    assert (spans[0].attributes or {})["openrouter.stream.outcome"] == "closed"
    assert agent.status.status_code is StatusCode.UNSET
    assert trace.get_current_span() is trace.INVALID_SPAN
    # The SDK warns of an ended span changed or ended again: it never was.
    assert "ended span" not in caplog.text


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_dropped_streamed_call_model_ends_its_span(otel: Telemetry, mode: str) -> None:
    from funcs.call_model import call_model, call_model_async
    from openrouter_core._machinery.janitor import _janitor

    core = FakeOpenRouter().reply_stream(["a", "b", "c"], split=40).core(api_key=KEY)
    if mode == "sync":
        stream = call_model(core, STREAM_PARAMS, tools=[_weather], stream=True).unwrap()
        assert otel.finished() == []
        del stream
        gc.collect()
        # The janitor thread ends dropped streams' spans in order: past this marker, they are.
        reported = threading.Event()
        _janitor.call_later(reported.set)
        assert reported.wait(5.0)
    else:

        async def main() -> None:
            opened = await call_model_async(core, STREAM_PARAMS, tools=[_weather], stream=True)
            stream = opened.unwrap()
            assert otel.finished() == []
            del opened, stream
            gc.collect()
            for _ in range(3):  # the loop runs what the finalizers handed it
                await asyncio.sleep(0)

        asyncio.run(main())
    spans = otel.finished()
    assert sorted(s.name for s in spans) == [f"chat {MODEL}", "invoke_agent"]
    _, children = _agent_and_children(spans)
    assert [s.name for s in children] == [f"chat {MODEL}"]
    for span in spans:
        assert (span.attributes or {})["openrouter.stream.outcome"] == "abandoned"
        assert span.status.status_code is StatusCode.UNSET


def test_a_streamed_call_model_cut_by_an_error_is_an_error_span(otel: Telemetry) -> None:
    from funcs.call_model import call_model

    # The second turn fails: the stream's last item is the Failure, the span ends failed.
    fake = FakeOpenRouter().reply_stream(events=_tool_call_chunks()).reply_error(500, "down")
    core = fake.core(api_key=KEY)
    stream = call_model(core, STREAM_PARAMS, tools=[_weather, _time], stream=True, retries=0)
    failure = stream.unwrap().collect()
    assert isinstance(failure, Failure)
    # The first turn fails: no stream, and the span has ended already.
    core = FakeOpenRouter().reply_error(401, "no auth").core(api_key=KEY)
    assert isinstance(call_model(core, STREAM_PARAMS, stream=True), Failure)
    agents = [s for s in otel.finished() if s.name == "invoke_agent"]
    assert len(agents) == 2
    for agent in agents:
        assert agent.status.status_code is StatusCode.ERROR
        attributes = dict(agent.attributes or {})
        assert attributes["error.type"] == "CallModelError"
        assert attributes["openrouter.stream.outcome"] == "failed"
    _assert_no_key(otel.finished())
