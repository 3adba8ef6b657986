"""chat_send / chat_send_async against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import logging
import pickle
import socket
import time
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from returns.result import Failure, Success

from funcs.chat_send import chat_send, chat_send_async, operation as chat_operation
from openrouter_core import (
    APIConnectionError,
    APITimeoutError,
    ChatError,
    InvalidRequestError,
    OpenRouterCore,
    OpenRouterDefaultError,
    ResponseValidationError,
    RetryConfig,
)
from openrouter_core._machinery.attempts import run_async, run_sync
from openrouter_core._machinery.pools import pools
from openrouter_core._machinery.request import prepare
from openrouter_core.core import USER_AGENT
from openrouter_core.models import ChatResponse
from openrouter_core.testing import completion_body, error_body
from tests.loopback import (
    LoopbackServer,
    bytes_then_close,
    json_response,
    raw,
    reset,
    stall,
)
from tests.spec_helpers import schema_errors

SECRET = "sk-or-v1-wire-test-secret-key"


def validate_request(body: Any) -> None:
    """Fail the test if ``body`` breaks the spec's request schema."""
    assert schema_errors("request", body) == []


PARAMS: dict[str, Any] = {
    "model": "openai/gpt-4o-mini",
    "messages": [{"role": "user", "content": "Hello"}],
}
FAST = RetryConfig(initial_delay=0.0, max_delay=0.0)


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(default=json_response(200, completion_body("Hi!"))) as srv:
        yield srv


def make_core(server: LoopbackServer, **config: Any) -> OpenRouterCore:
    config.setdefault("retry_config", FAST)
    return OpenRouterCore(api_key=SECRET, server_url=server.base_url, **config)


def send(core: OpenRouterCore, **options: Any) -> Any:
    with core:
        return chat_send(core, PARAMS, stream=False, **options)


def send_async(core: OpenRouterCore, **options: Any) -> Any:
    async def go() -> Any:
        async with core:
            return await chat_send_async(core, PARAMS, stream=False, **options)

    return asyncio.run(go())


SENDERS = [pytest.param(send, id="sync"), pytest.param(send_async, id="async")]


@pytest.mark.parametrize("sender", SENDERS)
def test_success_returns_typed_response(server: LoopbackServer, sender: Any) -> None:
    result = sender(make_core(server))
    assert isinstance(result, Success)
    response = result.unwrap()
    assert isinstance(response, ChatResponse)
    assert response.choices[0].message.content == "Hi!"
    assert response.usage is not None
    assert response.usage.total_tokens == 19
    assert response.id == "gen-fake-1"


@pytest.mark.parametrize("sender", SENDERS)
def test_wire_request_headers_and_body(server: LoopbackServer, sender: Any) -> None:
    core = make_core(
        server,
        http_referer="https://app.example",
        app_title="Wire Test",
        app_categories="cli-agent",
        default_headers={"X-Team": "a", "X-Override": "core"},
    )
    assert isinstance(sender(core, extra_headers={"X-Override": "call"}), Success)
    (req,) = server.requests
    assert req.method == "POST"
    assert req.path == "/api/v1/chat/completions"
    assert req.headers["authorization"] == f"Bearer {SECRET}"
    assert req.headers["content-type"] == "application/json"
    assert req.headers["accept"] == "application/json"
    assert req.headers["user-agent"] == USER_AGENT
    assert req.headers["http-referer"] == "https://app.example"
    assert req.headers["x-openrouter-title"] == "Wire Test"
    assert req.headers["x-openrouter-categories"] == "cli-agent"
    assert req.headers["x-team"] == "a"
    assert req.headers["x-override"] == "call"
    body = req.json()
    assert body == {**PARAMS, "stream": False}
    validate_request(body)


def test_full_request_body_validates_against_spec(server: LoopbackServer) -> None:
    params = {
        **PARAMS,
        "temperature": 0.2,
        "max_completion_tokens": 64,
        "tools": [
            {
                "type": "function",
                "function": {"name": "get_time", "parameters": {"type": "object"}},
            }
        ],
        "tool_choice": "auto",
        "response_format": {"type": "json_object"},
        "provider": {"order": ["OpenAI"], "allow_fallbacks": False},
        "metadata": {"k": "v"},
    }
    core = make_core(server)
    with core:
        assert isinstance(chat_send(core, params, extra_body={"user": "u-1"}), Success)
    body = server.requests[0].json()
    assert body["user"] == "u-1"
    validate_request(body)


def test_one_connection_for_sequential_calls(server: LoopbackServer) -> None:
    core = make_core(server)
    with core:
        for _ in range(100):
            assert isinstance(chat_send(core, PARAMS), Success)
    assert len(server.requests) == 100
    assert server.connections == 1


def test_async_calls_share_one_pool(server: LoopbackServer) -> None:
    core = make_core(server)

    async def go() -> None:
        async with core:
            for _ in range(20):
                assert isinstance(await chat_send_async(core, PARAMS), Success)

    asyncio.run(go())
    assert server.connections == 1


@pytest.mark.parametrize("sender", SENDERS)
@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 413, 422])
def test_final_4xx_is_not_retried(server: LoopbackServer, sender: Any, status: int) -> None:
    body = error_body("nope", code=status, metadata={"provider_name": "Prov", "raw": "x"})
    server.script(json_response(status, body, [("x-generation-id", "gen-42")]))
    result = sender(make_core(server))
    assert isinstance(result, Failure)
    err = result.failure()
    assert isinstance(err, ChatError)
    assert err.status_code == status
    assert err.code == status
    assert err.metadata == {"provider_name": "Prov", "raw": "x"}
    assert err.provider_name == "Prov"
    assert err.generation_id == "gen-42"
    assert err.headers["x-generation-id"] == "gen-42"
    assert json.loads(err.body) == body
    assert "nope" in str(err)
    assert err.attempts == 1
    assert len(server.requests) == 1


@pytest.mark.parametrize("sender", SENDERS)
@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504, 524, 529])
def test_transient_status_then_success_is_retried(
    server: LoopbackServer, sender: Any, status: int
) -> None:
    server.script(json_response(status, error_body("busy", code=status)))
    result = sender(make_core(server))
    assert isinstance(result, Success)
    assert len(server.requests) == 2


@pytest.mark.parametrize("sender", SENDERS)
def test_400_wrapping_upstream_502_is_retried(server: LoopbackServer, sender: Any) -> None:
    server.script(json_response(400, error_body("Provider returned error", code=502)))
    assert isinstance(sender(make_core(server)), Success)
    assert len(server.requests) == 2


@pytest.mark.parametrize("sender", SENDERS)
def test_retries_are_bounded(server: LoopbackServer, sender: Any) -> None:
    server.default = json_response(503, error_body("down", code=503))
    result = sender(make_core(server, retry_config=evolved(FAST, max_retries=3)))
    assert isinstance(result, Failure)
    err = result.failure()
    assert isinstance(err, ChatError)
    assert err.status_code == 503
    assert err.attempts == 4
    assert len(server.requests) == 4


def evolved(config: RetryConfig, **changes: Any) -> RetryConfig:
    return attrs.evolve(config, **changes)


@pytest.mark.parametrize("sender", SENDERS)
def test_per_call_retries_override(server: LoopbackServer, sender: Any) -> None:
    server.default = json_response(500, error_body("boom", code=500))
    assert isinstance(sender(make_core(server), retries=0), Failure)
    assert len(server.requests) == 1


def test_retry_after_is_respected(server: LoopbackServer) -> None:
    server.script(
        json_response(429, error_body("slow", code=429), [("Retry-After", "2")]),
        json_response(429, error_body("slow", code=429), [("retry-after-ms", "1500")]),
    )
    core = make_core(server)
    prepared = prepare(chat_operation(), core, PARAMS).unwrap()
    slept: list[float] = []
    with core:
        result = run_sync(core, prepared, sleep=slept.append)
    assert isinstance(result, Success)
    assert slept == [2.0, 1.5]


def test_async_retry_after_is_respected(server: LoopbackServer) -> None:
    server.script(json_response(503, error_body("x", code=503), [("Retry-After", "3")]))
    core = make_core(server)
    prepared = prepare(chat_operation(), core, PARAMS).unwrap()
    slept: list[float] = []

    async def fake_sleep(delay: float) -> None:
        slept.append(delay)

    async def go() -> Any:
        async with core:
            return await run_async(core, prepared, sleep=fake_sleep)

    assert isinstance(asyncio.run(go()), Success)
    assert slept == [3.0]


@pytest.mark.parametrize("sender", SENDERS)
def test_retry_after_beyond_cap_is_not_waited(server: LoopbackServer, sender: Any) -> None:
    server.script(json_response(429, error_body("later", code=429), [("Retry-After", "3600")]))
    started = time.monotonic()
    result = sender(make_core(server))
    assert time.monotonic() - started < 5
    err = result.failure()
    assert isinstance(err, ChatError)
    assert err.retry_after == 3600.0
    assert len(server.requests) == 1


@pytest.mark.parametrize("sender", SENDERS)
def test_html_error_page(server: LoopbackServer, sender: Any) -> None:
    page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    server.default = raw(502, page, content_type="text/html")
    result = sender(make_core(server, retry_config=RetryConfig.disabled()))
    err = result.failure()
    assert isinstance(err, OpenRouterDefaultError)
    assert err.status_code == 502
    assert err.code is None
    assert err.body == page.decode()
    assert "text/html" in str(err)


@pytest.mark.parametrize("sender", SENDERS)
def test_unknown_status_gives_default_error(server: LoopbackServer, sender: Any) -> None:
    server.script(json_response(418, error_body("teapot", code=418)))
    err = sender(make_core(server)).failure()
    assert isinstance(err, OpenRouterDefaultError)
    assert err.status_code == 418
    assert err.code == 418
    assert len(server.requests) == 1


@pytest.mark.parametrize("sender", SENDERS)
@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[1, 2]", b'{"id": 1}', b'{"choices": "x"}', b"\xff\xfe\x00", b"[" * 50000],
    ids=["empty", "text", "list", "wrong-type", "bad-choices", "bad-utf8", "deep"],
)
def test_garbage_200_bodies(server: LoopbackServer, sender: Any, body: bytes) -> None:
    server.script(raw(200, body))
    err = sender(make_core(server)).failure()
    assert isinstance(err, ResponseValidationError)
    assert err.status_code == 200
    assert err.message


@pytest.mark.parametrize("sender", SENDERS)
def test_200_error_body_is_a_failure(server: LoopbackServer, sender: Any) -> None:
    server.script(json_response(200, error_body("upstream exploded", code="server_error")))
    err = sender(make_core(server)).failure()
    assert isinstance(err, ChatError)
    assert err.status_code == 200
    assert err.code == "server_error"
    assert "upstream exploded" in err.message


@pytest.mark.parametrize("sender", SENDERS)
def test_choice_with_error_finish_is_a_failure(server: LoopbackServer, sender: Any) -> None:
    body = completion_body("", finish_reason="error")
    body["choices"][0]["error"] = {"code": 502, "message": "provider died"}
    server.script(json_response(200, body))
    err = sender(make_core(server)).failure()
    assert isinstance(err, ChatError)
    assert err.code == 502
    assert "provider died" in err.message


@pytest.mark.parametrize("sender", SENDERS)
def test_unknown_fields_and_finish_reason_are_tolerated(
    server: LoopbackServer, sender: Any
) -> None:
    body = completion_body("ok", finish_reason="brand_new_reason")
    body["brand_new_field"] = {"x": 1}
    del body["system_fingerprint"]
    server.script(json_response(200, body))
    response = sender(make_core(server)).unwrap()
    assert response.choices[0].finish_reason == "brand_new_reason"
    assert response.to_dict()["brand_new_field"] == {"x": 1}


@pytest.mark.parametrize("sender", SENDERS)
def test_connection_reset(server: LoopbackServer, sender: Any) -> None:
    server.default = reset()
    err = sender(make_core(server)).failure()
    assert isinstance(err, APIConnectionError)
    assert err.attempts == 3
    assert len(server.requests) == 3


@pytest.mark.parametrize("sender", SENDERS)
def test_reset_then_success(server: LoopbackServer, sender: Any) -> None:
    server.script(reset())
    assert isinstance(sender(make_core(server)), Success)


@pytest.mark.parametrize("sender", SENDERS)
def test_garbage_status_line(server: LoopbackServer, sender: Any) -> None:
    server.default = bytes_then_close(b"HTTQ/9 banana\r\n\r\n")
    err = sender(make_core(server, retry_config=RetryConfig.disabled())).failure()
    assert isinstance(err, APIConnectionError)


@pytest.mark.parametrize("sender", SENDERS)
def test_connection_refused(sender: Any) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    core = OpenRouterCore(
        api_key=SECRET, server_url=f"http://127.0.0.1:{port}/api/v1", retry_config=FAST
    )
    err = sender(core).failure()
    assert isinstance(err, APIConnectionError)
    assert not isinstance(err, APITimeoutError)
    assert err.attempts == 3


@pytest.mark.parametrize("sender", SENDERS)
def test_stalled_server_times_out(server: LoopbackServer, sender: Any) -> None:
    server.default = stall(5.0)
    started = time.monotonic()
    err = sender(make_core(server), timeout=0.3, retries=1).failure()
    assert isinstance(err, APITimeoutError)
    assert err.attempts == 2
    assert time.monotonic() - started < 3.0


@pytest.mark.parametrize("sender", SENDERS)
def test_bad_params_never_reach_the_network(server: LoopbackServer, sender: Any) -> None:
    core = make_core(server)

    def bad(core: OpenRouterCore, **_: Any) -> Any:
        params = {"model": "m", "messages": [{"role": "wizard", "content": "hi"}]}
        if sender is send:
            return chat_send(core, params)

        async def go() -> Any:
            return await chat_send_async(core, params)

        return asyncio.run(go())

    err = bad(core).failure()
    assert isinstance(err, InvalidRequestError)
    assert err.path.startswith("messages[0]")
    assert server.requests == []


@pytest.mark.parametrize(
    ("options", "path"),
    [
        ({"timeout": -1}, "timeout"),
        ({"retries": -2}, "retries"),
        ({"extra_headers": {"X": "é"}}, "extra_headers"),
        ({"extra_body": {"bad": float("nan")}}, ""),
    ],
)
def test_bad_options_never_reach_the_network(
    server: LoopbackServer, options: dict[str, Any], path: str
) -> None:
    err = send(make_core(server), **options).failure()
    assert isinstance(err, InvalidRequestError)
    assert err.path == path
    assert server.requests == []


def test_stream_flag_conflict_is_refused(server: LoopbackServer) -> None:
    core = make_core(server)
    err = chat_send(core, {**PARAMS, "stream": True}, stream=False).failure()
    assert isinstance(err, InvalidRequestError)
    assert err.path == "stream"


def test_non_mapping_params_are_refused(server: LoopbackServer) -> None:
    err = chat_send(make_core(server), ["not", "a", "mapping"]).failure()  # type: ignore[call-overload]
    assert isinstance(err, InvalidRequestError)
    assert "mapping" in err.message


@pytest.mark.parametrize("sender", SENDERS)
def test_missing_key_fails_before_network(
    server: LoopbackServer, sender: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    core = OpenRouterCore(server_url=server.base_url)
    err = sender(core).failure()
    assert isinstance(err, InvalidRequestError)
    assert "OPENROUTER_API_KEY" in err.message
    assert server.requests == []


@pytest.mark.parametrize("sender", SENDERS)
def test_key_absent_from_errors_and_logs(
    server: LoopbackServer, sender: Any, caplog: pytest.LogCaptureFixture
) -> None:
    server.default = json_response(401, error_body("bad key", code=401))
    with caplog.at_level(logging.DEBUG, logger="openrouter_core"):
        err = sender(make_core(server)).failure()
    assert isinstance(err, ChatError)
    for text in (repr(err), str(err), pickle.dumps(err).decode("latin-1"), caplog.text):
        assert SECRET not in text
    assert "attempt=1 status=401" in caplog.text


def test_debug_log_lines_per_attempt_without_bodies(
    server: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.script(json_response(503, error_body("x", code=503)))
    with caplog.at_level(logging.DEBUG, logger="openrouter_core"):
        assert isinstance(send(make_core(server)), Success)
    lines = [r.getMessage() for r in caplog.records]
    assert any("attempt=1 status=503" in line for line in lines)
    assert any("attempt=2 status=200" in line for line in lines)
    assert not any("Hello" in line for line in lines)


def test_bodies_logged_only_on_opt_in(
    server: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="openrouter_core"):
        assert isinstance(send(make_core(server, log_bodies=True)), Success)
    assert "Hello" in caplog.text
    assert SECRET not in caplog.text


def test_typed_params_are_accepted(server: LoopbackServer) -> None:
    from openrouter_core.models import ChatGenerationParams

    params = ChatGenerationParams.from_dict(PARAMS).unwrap()
    core = make_core(server)
    with core:
        assert isinstance(chat_send(core, params), Success)
    assert server.requests[0].json()["messages"] == PARAMS["messages"]


@pytest.mark.parametrize("library", ["httpx", "httpx2"])
def test_injected_clients_of_either_library(server: LoopbackServer, library: str) -> None:
    import importlib

    mod = importlib.import_module(library)
    server.script(json_response(503, error_body("busy", code=503)))
    client = mod.Client()
    async_client = mod.AsyncClient()
    core = make_core(server, client=client, async_client=async_client, timeout=5.0)
    assert chat_send(core, PARAMS, stream=False).unwrap().choices[0].message.content == "Hi!"
    server.script(json_response(404, error_body("no such model", code=404)))
    err = chat_send(core, PARAMS).failure()
    assert isinstance(err, ChatError)
    assert err.status_code == 404

    async def go() -> Any:
        async with core:
            result = await chat_send_async(core, PARAMS, stream=False)
        assert not async_client.is_closed
        await async_client.aclose()
        return result

    assert asyncio.run(go()).unwrap().choices[0].message.content == "Hi!"
    assert not client.is_closed
    client.close()
    assert len(server.requests) == 4


def test_request_parts_are_built_once_per_client_class(server: LoopbackServer) -> None:
    import httpx2

    core = make_core(server)
    with core:
        for _ in range(3):
            assert isinstance(chat_send(core, PARAMS), Success)
        assert isinstance(chat_send(core, PARAMS, extra_headers={"X-Once": "1"}), Success)
        wire = pools(core).wire
        key = (httpx2.Client, core.server_url + "/chat/completions", False, False)
        assert list(wire) == [key]
        url, headers = wire[key]
        assert isinstance(url, httpx2.URL)
        assert str(url) == core.server_url + "/chat/completions"
        assert isinstance(headers, httpx2.Headers)
    assert [r.headers.get("x-once") for r in server.requests] == [None, None, None, "1"]


def test_retry_config_given_in_whole_seconds(server: LoopbackServer) -> None:
    server.script(json_response(503, error_body("busy", code=503)))
    config = RetryConfig(initial_delay=1, max_delay=2, jitter=False)
    core = make_core(server, retry_config=config)
    slept: list[float] = []
    with core:
        result = run_sync(
            core, prepare(chat_operation(), core, PARAMS).unwrap(), sleep=slept.append
        )
    assert isinstance(result, Success)
    assert slept == [1.0]
