"""The fake OpenRouter in openrouter_core.testing, and chat_send unit tests built on it."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from returns.result import Failure, Success

from funcs.chat_send import chat_send, chat_send_async, chat_stream
from openrouter_core import (
    APIConnectionError,
    APITimeoutError,
    ChatError,
    RetryConfig,
)
from openrouter_core.testing import FakeOpenRouter, completion_body

PARAMS: dict[str, Any] = {"model": "m", "messages": [{"role": "user", "content": "Hi"}]}


def test_default_reply_and_recorded_request() -> None:
    fake = FakeOpenRouter()
    core = fake.core()
    response = chat_send(core, PARAMS, stream=False).unwrap()
    assert (
        response.choices[0].message.content == completion_body()["choices"][0]["message"]["content"]
    )
    (request,) = fake.requests
    assert request.method == "POST"
    assert request.url.endswith("/chat/completions")
    assert request.json["messages"] == PARAMS["messages"]
    assert request.headers["authorization"] == "Bearer sk-or-fake-key"


def test_scripted_replies_in_order() -> None:
    fake = FakeOpenRouter().reply("one").reply("two")
    core = fake.core()
    contents = [chat_send(core, PARAMS, stream=False).unwrap().choices[0].message.content]
    contents.append(chat_send(core, PARAMS, stream=False).unwrap().choices[0].message.content)
    assert contents == ["one", "two"]


def test_error_then_success_is_retried() -> None:
    fake = FakeOpenRouter().reply_error(429, "slow down").reply("done")
    result = chat_send(fake.core(), PARAMS, stream=False)
    assert result.unwrap().choices[0].message.content == "done"
    assert len(fake.requests) == 2


def test_final_error_value() -> None:
    fake = FakeOpenRouter().reply_error(402, "Insufficient credits", metadata={"k": 1})
    err = chat_send(fake.core(), PARAMS).failure()
    assert isinstance(err, ChatError)
    assert (err.status_code, err.code, err.metadata) == (402, 402, {"k": 1})
    assert "Insufficient credits" in str(err)


def test_retry_after_over_cap_is_reported() -> None:
    fake = FakeOpenRouter().reply_error(429, "later", retry_after=120)
    err = chat_send(fake.core(), PARAMS).failure()
    assert isinstance(err, ChatError)
    assert err.retry_after == 120.0
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (httpx.ConnectError("refused"), APIConnectionError),
        (httpx.ReadTimeout("slow"), APITimeoutError),
        (httpx.RemoteProtocolError("garbled"), APIConnectionError),
    ],
)
def test_transport_failures_become_values(exc: Exception, kind: type[Exception]) -> None:
    fake = FakeOpenRouter().fail_with(exc).fail_with(exc).fail_with(exc)
    err = chat_send(fake.core(), PARAMS).failure()
    assert isinstance(err, kind)
    assert err.attempts == 3  # type: ignore[attr-defined]


def test_retries_disabled() -> None:
    fake = FakeOpenRouter().fail_with(httpx.ConnectError("refused"))
    core = fake.core(retry_config=RetryConfig.disabled())
    assert isinstance(chat_send(core, PARAMS), Failure)
    assert len(fake.requests) == 1


def test_connection_errors_not_retried_when_configured() -> None:
    fake = FakeOpenRouter().fail_with(httpx.ConnectError("refused"))
    core = fake.core(retry_config=RetryConfig(retry_connection_errors=False))
    assert isinstance(chat_send(core, PARAMS), Failure)
    assert len(fake.requests) == 1


def test_async_twin() -> None:
    fake = FakeOpenRouter().reply_error(503, "busy").reply("async ok")

    async def go() -> Any:
        return await chat_send_async(fake.core(), PARAMS, stream=False)

    result = asyncio.run(go())
    assert result.unwrap().choices[0].message.content == "async ok"


def test_fake_streams() -> None:
    fake = FakeOpenRouter().reply_stream(["Hel", "lo"], split=7)
    result = chat_stream(fake.core(), PARAMS)
    assert isinstance(result, Success)
    with result.unwrap() as stream:
        response = stream.collect().unwrap()
    assert response.choices[0].message.content == "Hello"
    assert fake.requests[0].json["stream"] is True
    assert fake.requests[0].headers["accept"] == "text/event-stream"


def test_sse_answer_to_non_streaming_request_is_collected() -> None:
    fake = FakeOpenRouter().reply_stream(["a", "b", "c"])
    response = chat_send(fake.core(), PARAMS, stream=False).unwrap()
    assert response.choices[0].message.content == "abc"
