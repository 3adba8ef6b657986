"""TLS: certificates are verified by default; a caller's own client decides otherwise.

A loopback HTTPS server with a certificate from a private CA (trustme) gives a clear Failure by
default (``APIConnectionError`` naming certificate verification, not retried), and a Success
when the caller injects a client that trusts that CA: httpx sync and async, and httpx2 when it
is installed.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import trustme
from returns.result import Failure, Success

from funcs.chat_send import chat_send, chat_send_async
from openrouter_core import APIConnectionError, APITimeoutError, OpenRouterCore, RetryConfig
from openrouter_core.testing import completion_body
from tests.loopback import LoopbackServer, json_response

pytestmark = pytest.mark.timeout(30)

SECRET = "sk-or-v1-reliability-tls-secret"
PARAMS: dict[str, Any] = {
    "model": "openai/gpt-4o-mini",
    "messages": [{"role": "user", "content": "Hello"}],
}


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def server(ca: trustme.CA) -> Iterator[LoopbackServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    with LoopbackServer(
        default=json_response(200, completion_body("over tls")), ssl_context=context
    ) as srv:
        yield srv


@pytest.fixture
def trusting(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def make_core(server: LoopbackServer, **config: Any) -> OpenRouterCore:
    # Default retries (2): a verification failure must not use them.
    return OpenRouterCore(api_key=SECRET, server_url=server.base_url, **config)


def check_refused(result: object, server: LoopbackServer) -> None:
    assert isinstance(result, Failure), result
    err = result.failure()
    assert isinstance(err, APIConnectionError)
    assert not isinstance(err, APITimeoutError)
    assert "certificate verification" in err.message
    assert err.attempts == 1
    assert server.connections == 1
    assert server.requests == []


def test_untrusted_certificate_is_a_clear_failure_sync(server: LoopbackServer) -> None:
    assert server.url.startswith("https://")
    with make_core(server) as core:
        check_refused(chat_send(core, PARAMS), server)


def test_untrusted_certificate_is_a_clear_failure_async(server: LoopbackServer) -> None:
    async def go() -> object:
        async with make_core(server) as core:
            return await chat_send_async(core, PARAMS)

    check_refused(asyncio.run(go()), server)


def content(result: object) -> object:
    assert isinstance(result, Success), result
    return result.unwrap().choices[0].message.content


def test_injected_httpx_client_with_its_own_trust(
    server: LoopbackServer, trusting: ssl.SSLContext
) -> None:
    with httpx.Client(verify=trusting) as client:
        core = make_core(server, client=client, retry_config=RetryConfig.disabled())
        assert content(chat_send(core, PARAMS)) == "over tls"
        assert not client.is_closed  # the SDK never closes a caller's client
    assert server.requests[0].headers["authorization"] == f"Bearer {SECRET}"


def test_injected_async_httpx_client_with_its_own_trust(
    server: LoopbackServer, trusting: ssl.SSLContext
) -> None:
    async def go() -> object:
        async with httpx.AsyncClient(verify=trusting) as client:
            core = make_core(server, async_client=client, retry_config=RetryConfig.disabled())
            return await chat_send_async(core, PARAMS)

    assert content(asyncio.run(go())) == "over tls"


def test_injected_httpx2_clients(server: LoopbackServer, trusting: ssl.SSLContext) -> None:
    httpx2: Any = pytest.importorskip("httpx2")
    with httpx2.Client(verify=trusting) as client:
        core = make_core(server, client=client, retry_config=RetryConfig.disabled())
        assert content(chat_send(core, PARAMS)) == "over tls"

    async def go() -> object:
        async with httpx2.AsyncClient(verify=trusting) as client:
            core = make_core(server, async_client=client, retry_config=RetryConfig.disabled())
            return await chat_send_async(core, PARAMS)

    assert content(asyncio.run(go())) == "over tls"


def test_httpx2_client_refuses_untrusted_certificate(server: LoopbackServer) -> None:
    httpx2: Any = pytest.importorskip("httpx2")
    with httpx2.Client() as client:
        core = make_core(server, client=client)
        check_refused(chat_send(core, PARAMS), server)
