"""Redirects: the API key never follows a redirect to another origin.

Two loopback servers on different ports are different origins (so are ``127.0.0.1`` and
``localhost`` on the same port). A redirect from the API server to another origin reaches it
without ``Authorization``; a same-origin redirect keeps the header and works, body included.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from returns.result import Success

from funcs.chat_send import chat_send, chat_send_async
from openrouter_core import OpenRouterCore, RetryConfig
from openrouter_core.testing import completion_body
from tests.loopback import LoopbackServer, json_response, redirect

pytestmark = pytest.mark.timeout(30)

SECRET = "sk-or-v1-reliability-redirect-secret"
PARAMS: dict[str, Any] = {
    "model": "openai/gpt-4o-mini",
    "messages": [{"role": "user", "content": "Hello"}],
}


def send_sync(core: OpenRouterCore) -> object:
    with core:
        return chat_send(core, PARAMS)


def send_async(core: OpenRouterCore) -> object:
    async def go() -> object:
        async with core:
            return await chat_send_async(core, PARAMS)

    return asyncio.run(go())


SENDERS = [pytest.param(send_sync, id="sync"), pytest.param(send_async, id="async")]


@pytest.fixture
def servers() -> Iterator[tuple[LoopbackServer, LoopbackServer]]:
    with LoopbackServer() as a, LoopbackServer() as b:
        b.default = json_response(200, completion_body("from b"))
        yield a, b


def make_core(server: LoopbackServer) -> OpenRouterCore:
    return OpenRouterCore(
        api_key=SECRET, server_url=server.base_url, retry_config=RetryConfig.disabled()
    )


@pytest.mark.parametrize("sender", SENDERS)
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_key_does_not_cross_to_another_port(
    servers: tuple[LoopbackServer, LoopbackServer], sender: Any, status: int
) -> None:
    a, b = servers
    a.default = redirect(f"{b.base_url}/chat/completions", status)
    result = sender(make_core(a))
    assert isinstance(result, Success), result
    assert a.requests[0].headers["authorization"] == f"Bearer {SECRET}"
    (seen,) = b.requests
    assert "authorization" not in seen.headers
    assert SECRET.encode() not in seen.body


@pytest.mark.parametrize("sender", SENDERS)
def test_key_does_not_cross_to_another_host_name(
    servers: tuple[LoopbackServer, LoopbackServer], sender: Any
) -> None:
    a, _ = servers
    a.script(redirect(f"http://localhost:{a.port}/api/v1/chat/completions"))
    a.default = json_response(200, completion_body("renamed"))
    result = sender(make_core(a))
    assert isinstance(result, Success), result
    first, second = a.requests
    assert first.headers["authorization"] == f"Bearer {SECRET}"
    assert second.headers["host"].startswith("localhost")
    assert "authorization" not in second.headers


@pytest.mark.parametrize("sender", SENDERS)
@pytest.mark.parametrize("status", [307, 308])
def test_same_origin_redirect_keeps_working(
    servers: tuple[LoopbackServer, LoopbackServer], sender: Any, status: int
) -> None:
    a, _ = servers
    a.script(redirect(f"{a.base_url}/chat/completions-moved", status))
    a.default = json_response(200, completion_body("moved"))
    result = sender(make_core(a))
    assert isinstance(result, Success), result
    assert result.unwrap().choices[0].message.content == "moved"
    first, second = a.requests
    assert second.path == "/api/v1/chat/completions-moved"
    assert second.headers["authorization"] == f"Bearer {SECRET}"
    assert second.json() == first.json()
