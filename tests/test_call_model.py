"""call_model / call_model_async: the tool loop against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import pickle
import threading
from collections.abc import Iterator, Sequence
from typing import Annotated, Any, Literal

import attrs
import pytest
from returns.result import Failure, Success

from funcs.call_model import call_model, call_model_async
from openrouter_core import ChatError, InvalidRequestError, OpenRouterCore, RetryConfig
from openrouter_core.testing import (
    completion_body,
    error_body,
    sse_bytes,
    tool_call,
    tool_calls_body,
)
from openrouter_core.tools import (
    CallModelError,
    ModelResult,
    Step,
    StructuredOutputError,
    TextDelta,
    ToolCallEvent,
    ToolResultEvent,
    TurnEnd,
    finish_reason_is,
    has_tool_call,
    max_cost,
    max_tokens_used,
    step_count_is,
    tool,
)
from tests.loopback import LoopbackServer, json_response, sse
from tests.spec_helpers import schema_errors

FAST = RetryConfig(initial_delay=0.0, max_delay=0.0)
USER = [{"role": "user", "content": "What is the weather in Paris?"}]
PARAMS: dict[str, Any] = {"model": "openai/gpt-4o-mini", "messages": USER}


@pytest.fixture(scope="module")
def shared() -> Iterator[LoopbackServer]:
    with LoopbackServer(default=json_response(200, completion_body("default answer"))) as srv:
        yield srv


@pytest.fixture
def server(shared: LoopbackServer) -> Iterator[LoopbackServer]:
    shared.requests.clear()
    yield shared
    shared.drop_script()


@pytest.fixture
def core(server: LoopbackServer) -> Iterator[OpenRouterCore]:
    with OpenRouterCore(api_key="sk-or-test", server_url=server.base_url, retry_config=FAST) as c:
        yield c


def answer(*calls: dict[str, Any], **fields: Any) -> Any:
    """A server action answering with tool calls."""
    return json_response(200, tool_calls_body(*calls, **fields))


def text(content: str, **fields: Any) -> Any:
    return json_response(200, completion_body(content, **fields))


def bodies(server: LoopbackServer) -> list[Any]:
    return [r.json() for r in server.requests]


# --- tools of the tests ---

calls_seen: list[tuple[str, Any]] = []


def get_weather(
    city: Annotated[str, "The city's name"], unit: Literal["celsius", "fahrenheit"] = "celsius"
) -> dict[str, Any]:
    """The current weather in a city."""
    calls_seen.append(("get_weather", (city, unit)))
    return {"city": city, "temperature": 21, "unit": unit}


@attrs.define
class Booking:
    city: str
    nights: int


def book(booking: Booking, notes: list[str] | None = None) -> str:
    """Book a hotel."""
    calls_seen.append(("book", (booking, notes)))
    return f"booked {booking.nights} nights in {booking.city}"


def explode(reason: str) -> str:
    """Always fails."""
    raise ValueError(f"cannot do {reason}")


@pytest.fixture(autouse=True)
def _clear_calls() -> None:
    calls_seen.clear()


# --- the loop ---


def test_two_turn_weather_loop(server: LoopbackServer, core: OpenRouterCore) -> None:
    server.script(
        answer(tool_call("get_weather", {"city": "Paris"}, id="call_1")),
        text("It is 21 degrees in Paris."),
    )
    result = call_model(core, PARAMS, tools=[get_weather])
    assert isinstance(result, Success), result
    model = result.unwrap()
    assert model.text == "It is 21 degrees in Paris."
    assert model.stop_reason == "completed"
    assert calls_seen == [("get_weather", ("Paris", "celsius"))]

    first, second = bodies(server)
    assert first["messages"] == USER
    assert first["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "The current weather in a city.",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "city": {"type": "string", "description": "The city's name"},
                        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                    },
                    "required": ["city"],
                    "additionalProperties": False,
                },
            },
        }
    ]
    # The second request carries the assistant's call and the tool's answer to it.
    assert second["messages"][:1] == USER
    assistant, tool_message = second["messages"][1:]
    assert assistant["role"] == "assistant"
    assert assistant["tool_calls"] == [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
        }
    ]
    assert tool_message["role"] == "tool"
    assert tool_message["tool_call_id"] == "call_1"
    assert json.loads(tool_message["content"]) == {
        "city": "Paris",
        "temperature": 21,
        "unit": "celsius",
    }
    for body in (first, second):
        assert schema_errors("request", body) == []

    assert [len(s.tool_calls) for s in model.steps] == [1, 0]
    assert model.steps[0].tool_results[0].output["temperature"] == 21
    assert model.steps[0].finish_reason == "tool_calls"
    assert model.response is model.steps[-1].response
    assert model.response.http is not None
    assert model.response.http.status_code == 200
    # Usage is summed over both turns (the fake body's 19 tokens and its cost, twice).
    assert model.usage.total_tokens == 38
    assert model.usage.cost == pytest.approx(2 * 0.0000123)
    # The conversation is ready to continue: the request's, then both turns.
    assert model.messages == [*second["messages"], {"role": "assistant", "content": model.text}]


def test_the_conversation_continues_from_messages(
    server: LoopbackServer, core: OpenRouterCore
) -> None:
    server.script(text("first"), text("second"))
    first = call_model(core, PARAMS, tools=[get_weather]).unwrap()
    follow = [*first.messages, {"role": "user", "content": "and tomorrow?"}]
    second = call_model(core, {**PARAMS, "messages": follow}, tools=[get_weather]).unwrap()
    assert second.text == "second"
    assert bodies(server)[1]["messages"] == follow


def test_a_raising_tool_answers_the_model_and_the_loop_goes_on(
    server: LoopbackServer, core: OpenRouterCore
) -> None:
    server.script(answer(tool_call("explode", {"reason": "that"}, id="c1")), text("Sorry."))
    model = call_model(core, PARAMS, tools=[explode]).unwrap()
    assert model.text == "Sorry."
    sent = bodies(server)[1]["messages"][-1]
    assert sent["tool_call_id"] == "c1"
    assert json.loads(sent["content"]) == {"error": "the tool raised ValueError: cannot do that"}
    result = model.steps[0].tool_results[0]
    assert not result.ok
    assert result.error == "the tool raised ValueError: cannot do that"


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ('{"city": "Par', "the arguments are not JSON"),
        ("[1, 2]", "the arguments must be a JSON object"),
        ('{"booking": {"city": "Paris", "nights": "two"}}', "booking.nights: expected integer"),
        ('{"booking": {"city": "Paris"}}', "booking.nights: required field missing"),
        ('{"booking": {"city": "Paris", "nights": 2, "pool": true}}', "unexpected fields: pool"),
        (
            '{"booking": {"city": "Paris", "nights": 2}, "extra": 1}',
            "unexpected argument(s): extra",
        ),
        ('{"notes": ["a"]}', "booking: required argument missing"),
        ('{"booking": {"city": "Paris", "nights": 2}, "notes": "a"}', "notes: expected array"),
    ],
)
def test_arguments_that_do_not_read_are_the_calls_answer(
    server: LoopbackServer, core: OpenRouterCore, arguments: str, problem: str
) -> None:
    server.script(answer(tool_call("book", arguments, id="c1")), text("ok"))
    model = call_model(core, PARAMS, tools=[book]).unwrap()
    assert calls_seen == []  # the tool never ran
    content = json.loads(bodies(server)[1]["messages"][-1]["content"])
    assert problem in content["error"]
    assert model.steps[0].tool_results[0].error == content["error"]


def test_arguments_are_read_into_the_annotated_types(
    server: LoopbackServer, core: OpenRouterCore
) -> None:
    arguments = {"booking": {"city": "Rome", "nights": 3}, "notes": ["late"]}
    server.script(answer(tool_call("book", arguments)), text("done"))
    call_model(core, PARAMS, tools=[book]).unwrap()
    assert calls_seen == [("book", (Booking("Rome", 3), ["late"]))]
    assert bodies(server)[1]["messages"][-1]["content"] == "booked 3 nights in Rome"


def test_an_unknown_tool_is_answered_with_the_known_ones(
    server: LoopbackServer, core: OpenRouterCore
) -> None:
    server.script(answer(tool_call("teleport", {})), text("ok"))
    call_model(core, PARAMS, tools=[get_weather]).unwrap()
    content = json.loads(bodies(server)[1]["messages"][-1]["content"])
    assert content == {"error": "no tool named 'teleport' (tools: get_weather)"}


# --- stop conditions ---


def weather_forever(server: LoopbackServer, turns: int = 8, **fields: Any) -> None:
    server.script(
        *(
            answer(tool_call("get_weather", {"city": f"c{i}"}, id=f"c{i}"), **fields)
            for i in range(turns)
        )
    )


def test_the_default_bound_is_five_steps(server: LoopbackServer, core: OpenRouterCore) -> None:
    weather_forever(server)
    model = call_model(core, PARAMS, tools=[get_weather]).unwrap()
    assert len(server.requests) == 5
    assert len(model.steps) == 5
    assert model.stop_reason == "stop_condition"


def test_stopping_with_calls_pending_runs_them_and_sends_nothing_more(
    server: LoopbackServer, core: OpenRouterCore
) -> None:
    weather_forever(server)
    model = call_model(core, PARAMS, tools=[get_weather], stop_when=step_count_is(2)).unwrap()
    assert len(server.requests) == 2
    # The last step's call ran and was answered: the conversation can go on as it is.
    assert calls_seen[-1] == ("get_weather", ("c1", "celsius"))
    assert model.messages[-1]["role"] == "tool"
    assert model.messages[-1]["tool_call_id"] == "c1"
    assert model.steps[-1].tool_results[0].ok
    assert model.text == ""  # the last answer only called tools


def test_has_tool_call(server: LoopbackServer, core: OpenRouterCore) -> None:
    def finish(summary: str) -> str:
        """Give the final answer."""
        return "noted"

    server.script(
        answer(tool_call("get_weather", {"city": "Paris"})),
        answer(tool_call("finish", {"summary": "sunny"})),
        text("never sent"),
    )
    model = call_model(
        core, PARAMS, tools=[get_weather, finish], stop_when=has_tool_call("finish")
    ).unwrap()
    assert len(server.requests) == 2
    assert model.steps[-1].tool_results[0].output == "noted"


def test_max_tokens_used(server: LoopbackServer, core: OpenRouterCore) -> None:
    weather_forever(server)
    call_model(core, PARAMS, tools=[get_weather], stop_when=max_tokens_used(38)).unwrap()
    assert len(server.requests) == 2  # 19 tokens a turn


def test_max_cost(server: LoopbackServer, core: OpenRouterCore) -> None:
    usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2, "cost": 0.25}
    weather_forever(server, usage=usage)
    model = call_model(core, PARAMS, tools=[get_weather], stop_when=max_cost(0.6)).unwrap()
    assert len(server.requests) == 3
    assert model.usage.cost == pytest.approx(0.75)


def test_finish_reason_is_fires(server: LoopbackServer, core: OpenRouterCore) -> None:
    weather_forever(server)
    model = call_model(
        core, PARAMS, tools=[get_weather], stop_when=finish_reason_is("tool_calls")
    ).unwrap()
    assert len(server.requests) == 1
    assert model.stop_reason == "stop_condition"


def test_a_list_means_any_and_custom_conditions_work(
    server: LoopbackServer, core: OpenRouterCore
) -> None:
    weather_forever(server)

    def third_city(steps: Sequence[Step]) -> bool:
        return any(c.arguments == '{"city": "c2"}' for s in steps for c in s.tool_calls)

    call_model(core, PARAMS, tools=[get_weather], stop_when=[step_count_is(4), third_city]).unwrap()
    assert len(server.requests) == 3


def test_a_raising_condition_is_a_failure(server: LoopbackServer, core: OpenRouterCore) -> None:
    weather_forever(server)

    def broken(steps: Sequence[Step]) -> bool:
        raise RuntimeError("oops")

    result = call_model(core, PARAMS, tools=[get_weather], stop_when=broken)
    assert isinstance(result, Failure)
    error = result.failure()
    assert isinstance(error.cause, InvalidRequestError)
    assert "raised RuntimeError: oops" in error.message
    assert len(error.steps) == 1


# --- failures ---


def test_a_failed_turn_carries_the_steps_done(server: LoopbackServer, core: OpenRouterCore) -> None:
    server.script(
        answer(tool_call("get_weather", {"city": "Paris"})),
        json_response(400, error_body("bad things", code=400)),
    )
    result = call_model(core, PARAMS, tools=[get_weather])
    assert isinstance(result, Failure)
    error = result.failure()
    assert isinstance(error, CallModelError)
    assert isinstance(error.cause, ChatError)
    assert error.cause.status_code == 400
    assert "bad things" in error.message
    assert len(error.steps) == 1
    assert error.steps[0].tool_results[0].ok
    assert error.messages[-1]["role"] == "tool"
    assert error.usage is not None
    assert error.usage.total_tokens == 19
    assert pickle.loads(pickle.dumps(error)) == error


def test_bad_input_is_a_failure_before_anything_is_sent(
    server: LoopbackServer, core: OpenRouterCore
) -> None:
    def no_annotation(city):  # type: ignore[no-untyped-def]
        return city

    def star(*cities: str) -> str:
        return ""

    cases: list[tuple[dict[str, Any], str]] = [
        ({"tools": [no_annotation]}, "tools['no_annotation'].city: has no type annotation"),
        ({"tools": [star]}, "*cities cannot be described"),
        ({"tools": [tool(lambda: 1)]}, "a tool's name is 1 to 64 letters"),
        ({"tools": [get_weather, get_weather]}, "two tools are named 'get_weather'"),
        ({"tools": [get_weather], "stop_when": []}, "stop_when is empty"),
        ({"tools": [get_weather], "stop_when": 3}, "stop_when must be a condition"),
        ({"tools": "get_weather"}, "tools must be a list"),
        ({"tools": [get_weather], "approve": ["x"]}, "approve and reject go with state="),
    ]
    for kwargs, problem in cases:
        result = call_model(core, PARAMS, **kwargs)
        assert isinstance(result, Failure), kwargs
        error = result.failure()
        assert isinstance(error.cause, InvalidRequestError), kwargs
        assert problem in error.message, (problem, error.message)
    bad_params = call_model(core, {"messages": [{"role": "wizard", "content": "x"}]})
    assert isinstance(bad_params.failure().cause, InvalidRequestError)
    assert "messages[0].role" in bad_params.failure().message
    assert "not both" in call_model(core, PARAMS, state={"kind": "x"}).failure().message
    assert server.requests == []


# --- approval ---


def test_approval_pauses_and_resumes_from_the_json_state(
    server: LoopbackServer, core: OpenRouterCore
) -> None:
    guarded = tool(book, require_approval=True)
    tools: list[Any] = [get_weather, guarded]
    server.script(
        answer(
            tool_call("get_weather", {"city": "Rome"}, id="w1"),
            tool_call("book", {"booking": {"city": "Rome", "nights": 2}}, id="b1"),
            tool_call("book", {"booking": {"city": "Oslo", "nights": 9}}, id="b2"),
        )
    )
    paused = call_model(core, PARAMS, tools=tools).unwrap()
    assert paused.stop_reason == "approval"
    assert [c.id for c in paused.pending] == ["b1", "b2"]
    assert calls_seen == []  # nothing of that turn ran before the decision
    assert paused.state is not None
    state = json.loads(json.dumps(paused.state))  # JSON as it is

    undecided = call_model(core, state=state, approve=["b1"], tools=tools)
    assert "'b2' waits for approval" in undecided.failure().message
    unknown = call_model(core, state=state, approve=["b1", "zz"], reject=["b2"], tools=tools)
    assert "no pending call has the id 'zz'" in unknown.failure().message
    assert len(server.requests) == 1

    server.script(text("Booked Rome; Oslo was declined."))
    done = call_model(core, state=state, approve=["b1"], reject=["b2"], tools=tools).unwrap()
    assert done.text == "Booked Rome; Oslo was declined."
    assert calls_seen == [
        ("get_weather", ("Rome", "celsius")),
        ("book", (Booking("Rome", 2), None)),
    ]
    resumed = bodies(server)[1]["messages"]
    answers = {m["tool_call_id"]: m["content"] for m in resumed if m["role"] == "tool"}
    assert answers["b1"] == "booked 2 nights in Rome"
    assert json.loads(answers["b2"]) == {"error": "rejected by the user"}
    assert json.loads(answers["w1"])["city"] == "Rome"
    assert len(done.steps) == 2  # the paused step, answered, and the final one
    assert done.usage.total_tokens == 38


def test_a_tampered_state_is_refused(core: OpenRouterCore) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"kind": "other"}, "not the state of a paused call_model"),
        (
            {"kind": "openrouter_core.call_model", "version": 99},
            "state has version 99",
        ),
    ]
    for state, problem in cases:
        result = call_model(core, state=state, tools=[get_weather])
        assert problem in result.failure().message


# --- async ---


def test_async_tools_of_one_turn_run_concurrently(
    server: LoopbackServer, core: OpenRouterCore
) -> None:
    started: dict[str, asyncio.Event] = {}
    caller = threading.get_ident()
    threads: list[int] = []

    async def first(x: int) -> int:
        """Waits for second to have started."""
        started["first"].set()
        await asyncio.wait_for(started["second"].wait(), 5)
        return x + 1

    async def second(x: int) -> int:
        """Waits for first to have started."""
        started["second"].set()
        await asyncio.wait_for(started["first"].wait(), 5)
        return x + 2

    def plain(x: int) -> int:
        """Sync."""
        threads.append(threading.get_ident())
        return x

    server.script(
        answer(
            tool_call("first", {"x": 1}, id="a"),
            tool_call("plain", {"x": 5}, id="p"),
            tool_call("second", {"x": 1}, id="b"),
        ),
        text("done"),
    )

    async def go() -> ModelResult[None]:
        started.update(first=asyncio.Event(), second=asyncio.Event())
        async with OpenRouterCore(api_key="k", server_url=server.base_url, retry_config=FAST) as c:
            result = await call_model_async(c, PARAMS, tools=[first, plain, second])
        return result.unwrap()

    model = asyncio.run(go())
    assert [r.output for r in model.steps[0].tool_results] == [2, 5, 3]
    tool_messages = [m for m in bodies(server)[1]["messages"] if m["role"] == "tool"]
    assert [m["tool_call_id"] for m in tool_messages] == ["a", "p", "b"]  # the calls' order
    assert threads == [caller]  # sync tools run in the caller's thread


def test_sync_call_model_runs_async_tools(server: LoopbackServer, core: OpenRouterCore) -> None:
    async def lookup(key: str) -> dict[str, str]:
        """Async lookup."""
        await asyncio.sleep(0)
        return {"key": key}

    server.script(answer(tool_call("lookup", {"key": "k"})), text("ok"))
    model = call_model(core, PARAMS, tools=[lookup]).unwrap()
    assert model.steps[0].tool_results[0].output == {"key": "k"}


def test_async_failure_and_approval(server: LoopbackServer) -> None:
    server.script(
        answer(tool_call("book", {"booking": {"city": "A", "nights": 1}}, id="b1")),
        text("fine"),
    )
    tools = [tool(book, require_approval=True)]

    async def go() -> tuple[Any, Any]:
        async with OpenRouterCore(api_key="k", server_url=server.base_url, retry_config=FAST) as c:
            paused = (await call_model_async(c, PARAMS, tools=tools)).unwrap()
            done = await call_model_async(c, state=paused.state, reject=["b1"], tools=tools)
            return paused, done

    paused, done = asyncio.run(go())
    assert paused.stop_reason == "approval"
    assert done.unwrap().text == "fine"
    assert calls_seen == []


# --- structured final answer ---


@attrs.define
class Forecast:
    city: str
    celsius: float


def test_response_type_reads_the_final_answer(server: LoopbackServer, core: OpenRouterCore) -> None:
    server.script(
        answer(tool_call("get_weather", {"city": "Paris"})),
        text('{"city": "Paris", "celsius": 21}'),
    )
    model = call_model(core, PARAMS, tools=[get_weather], response_type=Forecast).unwrap()
    assert model.parsed == Forecast("Paris", 21.0)
    fmt = bodies(server)[0]["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["schema"]["required"] == ["city", "celsius"]


def test_response_type_mismatch_is_a_failure_with_the_steps(
    server: LoopbackServer, core: OpenRouterCore
) -> None:
    server.script(text('{"city": "Paris"}'))
    result = call_model(core, PARAMS, tools=[get_weather], response_type=Forecast)
    error = result.failure()
    assert isinstance(error.cause, StructuredOutputError)
    assert error.cause.kind == "mismatch"
    assert error.cause.raw == '{"city": "Paris"}'
    assert len(error.steps) == 1


# --- streaming ---


def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": "gen-s",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }


def tool_call_stream() -> Any:
    """A streamed answer calling get_weather, its arguments split over two chunks."""
    events = [
        chunk({"role": "assistant", "content": "Let me look. "}),
        chunk(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "s1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"ci'},
                    }
                ]
            }
        ),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": 'ty": "Paris"}'}}]}),
        chunk({}, "tool_calls"),
    ]
    return sse([sse_bytes(events, done=False), b"data: [DONE]\n\n"])


def text_stream(*pieces: str) -> Any:
    events = [chunk({"role": "assistant", "content": ""})]
    events += [chunk({"content": p}) for p in pieces]
    events.append(chunk({}, "stop"))
    return sse([*(sse_bytes([e], done=False) for e in events), b"data: [DONE]\n\n"])


def test_streaming_events_across_turns_and_collect(
    server: LoopbackServer, core: OpenRouterCore
) -> None:
    server.script(tool_call_stream(), text_stream("It is ", "21 degrees."))
    opened = call_model(core, PARAMS, tools=[get_weather], stream=True)
    assert isinstance(opened, Success), opened
    with opened.unwrap() as stream:
        events = [item.unwrap() for item in stream]
    kinds = [type(e).__name__ for e in events]
    assert kinds == [
        "TextDelta",
        "ToolCallEvent",
        "ToolResultEvent",
        "TurnEnd",
        "TextDelta",
        "TextDelta",
        "TurnEnd",
    ]
    assert events[0] == TextDelta(step=0, text="Let me look. ")
    call_event = events[1]
    assert isinstance(call_event, ToolCallEvent)
    assert call_event.call.arguments == '{"city": "Paris"}'
    result_event = events[2]
    assert isinstance(result_event, ToolResultEvent)
    assert result_event.result.output["city"] == "Paris"
    assert isinstance(events[-1], TurnEnd)
    assert events[-1].index == 1
    model = stream.collect().unwrap()
    assert model.text == "It is 21 degrees."
    assert len(model.steps) == 2
    first, second = bodies(server)
    assert first["stream"] is True
    assert second["messages"][1]["tool_calls"][0]["function"]["arguments"] == '{"city": "Paris"}'
    assert second["messages"][1]["content"] == "Let me look. "


def test_streaming_collect_without_iterating(server: LoopbackServer, core: OpenRouterCore) -> None:
    server.script(tool_call_stream(), text_stream("Sunny."))
    model = call_model(core, PARAMS, tools=[get_weather], stream=True).unwrap().collect()
    assert model.unwrap().text == "Sunny."


def test_streaming_failures(server: LoopbackServer, core: OpenRouterCore) -> None:
    # The first turn fails before its stream starts: a Failure, no stream.
    server.script(json_response(400, error_body("nope", code=400)))
    first = call_model(core, PARAMS, tools=[get_weather], stream=True)
    assert isinstance(first.failure().cause, ChatError)
    # A later turn fails: the stream's last item is the Failure, with the steps done.
    server.script(tool_call_stream(), json_response(500, error_body("down", code=500)))
    stream = call_model(core, PARAMS, tools=[get_weather], stream=True, retries=0).unwrap()
    items = list(stream)
    assert isinstance(items[-1], Failure)
    assert len(items[-1].failure().steps) == 1
    assert stream.collect() == items[-1]
    # Closed early: collect() says so.
    server.script(tool_call_stream(), text_stream("x"))
    stream = call_model(core, PARAMS, tools=[get_weather], stream=True).unwrap()
    for _ in stream:
        break
    assert "closed before the loop ended" in stream.collect().failure().message


def test_async_streaming(server: LoopbackServer) -> None:
    server.script(tool_call_stream(), text_stream("Warm."))

    async def go() -> tuple[list[Any], Any]:
        async with OpenRouterCore(api_key="k", server_url=server.base_url, retry_config=FAST) as c:
            stream = (await call_model_async(c, PARAMS, tools=[get_weather], stream=True)).unwrap()
            async with stream:
                events = [item.unwrap() async for item in stream]
            return events, await stream.collect()

    events, result = asyncio.run(go())
    assert [type(e).__name__ for e in events][:4] == [
        "TextDelta",
        "ToolCallEvent",
        "ToolResultEvent",
        "TurnEnd",
    ]
    assert result.unwrap().text == "Warm."


# --- the README's example ---


def test_the_readme_two_tool_agent_runs_against_the_fake() -> None:
    import contextlib
    import io
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Tools: `call_model`", 1)[1].split("\n### ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert code is not None
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code.group(1), "README.md", "exec"), {"__name__": "__readme__"})
    assert printed.getvalue().splitlines() == ["In Paris it is 14:05 and 21 degrees.", "2 38"]
