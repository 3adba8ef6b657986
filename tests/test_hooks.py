"""Event hooks on the core: what each hook gets, in the scenarios a call goes through (a reply, a
stream read, closed or dropped, a retry, a 401, another operation, a tool loop, a refused
request), sync and async; a raising hook is logged and changes nothing; the key is in no event."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
from typing import Any

import attrs
import httpx2
import pytest
from returns.result import Failure, Success

from funcs.chat_send import chat_send, chat_send_async
from funcs.models_list import models_list
from openrouter_core import APIError, InvalidRequestError, OpenRouterCore
from openrouter_core.hooks import (
    Hooks,
    RequestEvent,
    ResponseEvent,
    ResultEvent,
    RetryEvent,
    StreamEndEvent,
)
from openrouter_core.testing import FakeOpenRouter

KEY = "sk-or-v1-hooks-secret-0123456789"
PARAMS = {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}


def _recording(events: list[Any]) -> Hooks:
    record = events.append
    return Hooks(request=record, response=record, retry=record, result=record, stream_end=record)


def _kinds(events: list[Any]) -> list[str]:
    return [type(event).__name__ for event in events]


def _assert_no_key(events: list[Any]) -> None:
    for event in events:
        assert KEY not in repr(event)
        assert KEY not in repr(attrs.asdict(event, recurse=False))


def test_a_chat_call_tells_every_hook_in_order() -> None:
    events: list[Any] = []
    fake = FakeOpenRouter().reply("Hi there")
    core = fake.core(api_key=KEY, hooks=_recording(events))
    result = chat_send(core, PARAMS, stream=False)
    assert result.unwrap().choices[0].message.content == "Hi there"
    assert _kinds(events) == ["RequestEvent", "ResponseEvent", "ResultEvent"]
    request, response, done = events
    assert request == RequestEvent(
        operation="chat_send",
        method="POST",
        url="https://fake.openrouter.test/api/v1/chat/completions",
        attempt=1,
        body_size=len(fake.requests[0].content),
    )
    assert isinstance(response, ResponseEvent)
    assert response.status_code == 200
    assert response.attempt == 1
    assert response.headers["content-type"] == "application/json"
    assert response.elapsed >= 0
    assert isinstance(done, ResultEvent)
    assert done.result is result
    assert done.attempts == 1
    assert done.elapsed >= response.elapsed
    _assert_no_key(events)


def test_a_retried_call_tells_the_retry_and_its_reason() -> None:
    events: list[Any] = []
    fake = FakeOpenRouter().reply_error(503, "busy").reply("ok")
    core = fake.core(api_key=KEY, hooks=_recording(events))
    assert isinstance(chat_send(core, PARAMS, stream=False), Success)
    assert _kinds(events) == [
        "RequestEvent",
        "ResponseEvent",
        "RetryEvent",
        "RequestEvent",
        "ResponseEvent",
        "ResultEvent",
    ]
    retry = events[2]
    assert isinstance(retry, RetryEvent)
    assert retry.attempt == 1
    assert retry.delay == 0.0
    assert isinstance(retry.reason, APIError)
    assert retry.reason.status_code == 503
    assert [e.attempt for e in events if isinstance(e, RequestEvent)] == [1, 2]
    assert events[-1].attempts == 2
    _assert_no_key(events)


def test_a_401_failure_reaches_the_result_hook() -> None:
    events: list[Any] = []
    core = FakeOpenRouter().reply_error(401, "no auth").core(api_key=KEY, hooks=_recording(events))
    result = chat_send(core, PARAMS, stream=False)
    assert isinstance(result, Failure)
    assert _kinds(events) == ["RequestEvent", "ResponseEvent", "ResultEvent"]
    assert events[1].status_code == 401
    assert events[-1].result is result
    assert events[-1].attempts == 1
    _assert_no_key(events)


def test_another_operation_tells_the_same_hooks() -> None:
    events: list[Any] = []
    core = FakeOpenRouter().core(api_key=KEY, hooks=_recording(events))
    result = models_list(core, category="programming")
    assert isinstance(result, Success)
    request = events[0]
    assert request.operation == "models_list"
    assert request.method == "GET"
    assert request.url.endswith("/models?category=programming")
    assert request.body_size == 0
    assert events[-1].operation == "models_list"
    assert events[-1].result is result


def test_call_model_with_a_tool_tells_the_hooks_of_each_turn() -> None:
    from funcs.call_model import call_model
    from openrouter_core.testing import tool_call

    def get_weather(city: str) -> dict[str, object]:
        """The weather in a city."""
        return {"city": city, "celsius": 21}

    events: list[Any] = []
    fake = FakeOpenRouter().reply_tool_calls(tool_call("get_weather", {"city": "Paris"}))
    core = fake.reply("Sunny").core(api_key=KEY, hooks=_recording(events))
    result = call_model(core, PARAMS, tools=[get_weather])
    assert result.unwrap().text == "Sunny"
    # One chat call a turn: the tool's call, then the answer that uses its result.
    assert _kinds(events) == ["RequestEvent", "ResponseEvent", "ResultEvent"] * 2
    turns = [e for e in events if isinstance(e, ResultEvent)]
    assert [t.result.unwrap().choices[0].finish_reason for t in turns] == ["tool_calls", "stop"]
    assert all(e.operation == "chat_send" for e in events if isinstance(e, RequestEvent))
    _assert_no_key(events)


def test_a_refused_request_has_a_result_and_no_request() -> None:
    events: list[Any] = []
    core = FakeOpenRouter().core(api_key=KEY, hooks=_recording(events))
    result = chat_send(core, {"messages": "hi"}, stream=False)
    assert isinstance(result, Failure)
    assert isinstance(result.failure(), InvalidRequestError)
    assert _kinds(events) == ["ResultEvent"]
    assert events[0].attempts == 0


def test_a_stream_read_to_its_end_tells_stream_end() -> None:
    events: list[Any] = []
    core = FakeOpenRouter().reply_stream(["Hel", "lo"]).core(hooks=_recording(events))
    stream = chat_send(core, PARAMS, stream=True).unwrap()
    assert _kinds(events) == ["RequestEvent", "ResponseEvent", "ResultEvent"]
    collected = stream.collect().unwrap()
    assert collected.choices[0].message.content == "Hello"
    end = events[-1]
    assert isinstance(end, StreamEndEvent)
    assert end.outcome == "completed"
    assert end.error is None
    assert end.chunks >= 2
    assert end.time_to_first_chunk is not None
    assert 0 <= end.time_to_first_chunk <= end.elapsed
    stream.close()  # already ended: told once only
    assert _kinds(events).count("StreamEndEvent") == 1


def test_a_stream_closed_early_and_a_cut_stream() -> None:
    events: list[Any] = []
    # Delivered in small pieces, so the stream is still open after its first chunk.
    fake = FakeOpenRouter().reply_stream(["a", "b", "c"], split=40)
    fake.reply_stream(["a", "b"], fail=httpx2.ReadError("reset"))
    core = fake.core(hooks=Hooks(stream_end=events.append))
    with chat_send(core, PARAMS, stream=True).unwrap() as stream:
        next(iter(stream)).unwrap()
    assert [e.outcome for e in events] == ["closed"]
    stream = chat_send(core, PARAMS, stream=True).unwrap()
    assert isinstance(stream.collect(), Failure)
    assert [e.outcome for e in events] == ["closed", "failed"]
    assert events[-1].error is not None


def test_a_dropped_stream_is_reported_abandoned() -> None:
    told = threading.Event()
    events: list[Any] = []

    def on_end(event: StreamEndEvent) -> None:
        events.append((event, threading.current_thread().name))
        told.set()

    fake = FakeOpenRouter().reply_stream(["a", "b", "c"], split=40)
    stream = chat_send(fake.core(hooks=Hooks(stream_end=on_end)), PARAMS, stream=True).unwrap()
    del stream
    gc.collect()
    assert told.wait(5.0)
    (event, thread), *_ = events
    assert event.outcome == "abandoned"
    # Reported by the streams' janitor, never inside the garbage collection.
    assert thread == "openrouter-core-streams"


def test_a_raising_hook_is_logged_and_changes_nothing(caplog: pytest.LogCaptureFixture) -> None:
    after: list[Any] = []

    def broken(event: object) -> None:
        raise RuntimeError("hook bug")

    hooks = Hooks(
        request=[broken, after.append],
        response=broken,
        retry=broken,
        result=[broken, after.append],
        stream_end=[broken, after.append],
    )
    fake = FakeOpenRouter().reply_error(500, "x").reply("fine").reply_stream(["a"])
    core = fake.core(hooks=hooks)
    with caplog.at_level(logging.WARNING, logger="openrouter_core"):
        result = chat_send(core, PARAMS, stream=False)
        stream = chat_send(core, PARAMS, stream=True).unwrap()
        assert stream.collect().unwrap().choices[0].message.content == "a"
    assert result.unwrap().choices[0].message.content == "fine"
    raised = [r for r in caplog.records if "hook" in r.getMessage() and "raised" in r.getMessage()]
    # request x3, response x3, retry, result x2, stream_end
    assert len(raised) == 10
    assert all(r.exc_info and r.exc_info[0] is RuntimeError for r in raised)
    # The hooks after the broken one still ran.
    assert _kinds(after) == [
        "RequestEvent",
        "RequestEvent",
        "ResultEvent",
        "RequestEvent",
        "ResultEvent",
        "StreamEndEvent",
    ]


def test_an_async_hook_in_a_sync_call_is_skipped(caplog: pytest.LogCaptureFixture) -> None:
    async def on_result(event: ResultEvent) -> None:  # pragma: no cover - never awaited
        raise AssertionError

    core = FakeOpenRouter().reply("ok").core(hooks=Hooks(result=on_result))
    with caplog.at_level(logging.WARNING, logger="openrouter_core"):
        assert isinstance(chat_send(core, PARAMS, stream=False), Success)
    assert any("async" in r.getMessage() and "skipped" in r.getMessage() for r in caplog.records)


def test_async_calls_await_async_hooks_and_call_sync_ones() -> None:
    events: list[Any] = []

    async def later(event: object) -> None:
        await asyncio.sleep(0)
        events.append(("async", type(event).__name__))

    async def broken(event: object) -> None:
        raise ValueError("async hook bug")

    def now(event: object) -> None:
        events.append(("sync", type(event).__name__))

    hooks = Hooks(
        request=[later, now], retry=later, result=[broken, later], stream_end=[later, now]
    )
    fake = FakeOpenRouter().reply_error(429, "slow").reply("one").reply_stream(["t", "wo"])
    core = fake.core(hooks=hooks)

    async def main() -> None:
        first = await chat_send_async(core, PARAMS, stream=False)
        assert first.unwrap().choices[0].message.content == "one"
        stream = (await chat_send_async(core, PARAMS, stream=True)).unwrap()
        async with stream:
            assert (await stream.collect()).unwrap().choices[0].message.content == "two"

    asyncio.run(main())
    assert events == [
        ("async", "RequestEvent"),
        ("sync", "RequestEvent"),
        ("async", "RetryEvent"),
        ("async", "RequestEvent"),
        ("sync", "RequestEvent"),
        ("async", "ResultEvent"),
        ("async", "RequestEvent"),
        ("sync", "RequestEvent"),
        ("async", "ResultEvent"),
        ("async", "StreamEndEvent"),
        ("sync", "StreamEndEvent"),
    ]


def test_a_dropped_async_stream_is_reported_on_its_loop() -> None:
    events: list[StreamEndEvent] = []

    async def on_end(event: StreamEndEvent) -> None:
        events.append(event)

    fake = FakeOpenRouter().reply_stream(["a", "b"], split=40)
    core = fake.core(hooks=Hooks(stream_end=on_end))

    async def main() -> None:
        stream = (await chat_send_async(core, PARAMS, stream=True)).unwrap()
        del stream
        gc.collect()
        for _ in range(100):  # a few loop turns: the report is scheduled on this loop
            if events:
                break
            await asyncio.sleep(0)

    asyncio.run(main())
    assert [e.outcome for e in events] == ["abandoned"]


def test_hooks_are_checked_and_immutable() -> None:
    with pytest.raises(TypeError, match="a hook must be callable"):
        Hooks(result=["not callable"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="hooks must be a Hooks"):
        OpenRouterCore(api_key="k", hooks={"result": print})  # type: ignore[arg-type]
    hooks = Hooks(result=print)
    assert hooks.result == (print,)
    assert hooks.request == ()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        hooks.result = ()  # type: ignore[misc]
