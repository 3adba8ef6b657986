"""A key from a callable: asked for every attempt (so it rotates), sync or async; its failures
are a Failure naming the provider; the key is in no repr, hook event, log line or span."""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import Any

import pytest
from returns.result import Failure, Success

from funcs.chat_send import chat_send, chat_send_async
from funcs.models_list import models_list
from openrouter_core import InvalidRequestError, OpenRouterCore
from openrouter_core.hooks import Hooks
from openrouter_core.testing import FakeOpenRouter

PARAMS = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


def _rotating() -> Any:
    counter = itertools.count(1)

    def vault_key() -> str:
        return f"sk-or-v1-rotated-{next(counter):04d}"

    return vault_key


def _sent_keys(fake: FakeOpenRouter) -> list[str]:
    return [request.headers["authorization"] for request in fake.requests]


def test_a_rotating_key_over_two_calls(caplog: pytest.LogCaptureFixture) -> None:
    events: list[Any] = []
    record = events.append
    fake = FakeOpenRouter()
    core = fake.core(
        api_key=_rotating(), hooks=Hooks(request=record, response=record, result=record)
    )
    with caplog.at_level(logging.DEBUG, logger="openrouter_core"):
        assert isinstance(chat_send(core, PARAMS, stream=False), Success)
        assert isinstance(models_list(core), Success)
    assert _sent_keys(fake) == ["Bearer sk-or-v1-rotated-0001", "Bearer sk-or-v1-rotated-0002"]
    shown = repr(core) + repr(events) + caplog.text
    assert "rotated-000" not in shown
    assert "<provider _rotating.<locals>.vault_key>" in repr(core)


def test_the_key_is_asked_for_again_on_a_retry() -> None:
    fake = FakeOpenRouter().reply_error(503, "busy").reply("ok")
    core = fake.core(api_key=_rotating())
    assert isinstance(chat_send(core, PARAMS, stream=False), Success)
    assert _sent_keys(fake) == ["Bearer sk-or-v1-rotated-0001", "Bearer sk-or-v1-rotated-0002"]


def test_an_async_provider_in_async_calls_and_a_sync_one_too() -> None:
    fake = FakeOpenRouter()
    asked: list[str] = []

    async def from_secret_manager() -> str:
        await asyncio.sleep(0)
        asked.append("async")
        return "sk-or-v1-from-the-vault"

    def plain() -> str:
        asked.append("sync")
        return "Bearer sk-or-v1-plain"

    async def main() -> None:
        for provider in (from_secret_manager, plain):
            core = fake.core(api_key=provider)
            assert isinstance(await chat_send_async(core, PARAMS, stream=False), Success)

    asyncio.run(main())
    assert asked == ["async", "sync"]
    assert _sent_keys(fake) == ["Bearer sk-or-v1-from-the-vault", "Bearer sk-or-v1-plain"]


def test_an_async_provider_in_a_sync_call_is_a_failure_naming_it() -> None:
    async def vault() -> str:  # pragma: no cover - never awaited
        return "sk-or-v1-never"

    fake = FakeOpenRouter()
    result = chat_send(fake.core(api_key=vault), PARAMS, stream=False)
    assert isinstance(result, Failure)
    error = result.failure()
    assert isinstance(error, InvalidRequestError)
    assert error.path == "api_key"
    assert "key provider" in error.message
    assert "vault" in error.message
    assert "async calls" in error.message
    assert fake.requests == []  # nothing sent


def test_a_failing_provider_is_a_failure_naming_it() -> None:
    def broken_vault() -> str:
        raise ConnectionError("vault unreachable")

    fake = FakeOpenRouter()
    events: list[Any] = []
    core = fake.core(api_key=broken_vault, hooks=Hooks(result=events.append))
    result = chat_send(core, PARAMS, stream=False)
    assert isinstance(result, Failure)
    error = result.failure()
    assert isinstance(error, InvalidRequestError)
    assert error.message == (
        "api_key: the key provider test_a_failing_provider_is_a_failure_naming_it.<locals>."
        "broken_vault failed (ConnectionError: vault unreachable)"
    )
    assert fake.requests == []
    assert events[0].result is result
    assert events[0].attempts == 0


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (None, "returned NoneType, not a str"),
        ("  ", "returned an empty key"),
        ("sk-or-v1-é", "cannot be sent as an HTTP header"),
        ("sk-or-v1-a\nb", "cannot be sent as an HTTP header"),
    ],
)
def test_a_provider_answer_that_is_no_key(answer: object, problem: str) -> None:
    fake = FakeOpenRouter()
    result = chat_send(fake.core(api_key=lambda: answer), PARAMS, stream=False)
    assert isinstance(result, Failure)
    assert problem in result.failure().message
    assert fake.requests == []


def test_a_per_call_authorization_header_still_wins() -> None:
    fake = FakeOpenRouter()
    core = fake.core(api_key=_rotating())
    chat_send(core, PARAMS, stream=False, extra_headers={"Authorization": "Bearer other"}).unwrap()
    assert _sent_keys(fake) == ["Bearer other"]


def test_a_core_with_a_provider_is_a_value() -> None:
    provider = _rotating()
    core = OpenRouterCore(api_key=provider)
    assert "Authorization" not in core.base_headers
    assert core == OpenRouterCore(api_key=provider)
    with pytest.raises(TypeError, match="a callable returning it"):
        OpenRouterCore(api_key=12345)  # type: ignore[arg-type]
