"""Big and odd bodies: each gives a Result, and a valid one gives a Success.

A 50 MB completion, a body with a UTF-8 byte-order mark or leading whitespace, a gzip-encoded
body, a close-delimited body (no Content-Length, no chunking), for plain and streamed calls, and
a streaming request answered with a plain JSON completion (a Failure, never a Success of the
wrong type).
"""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Iterator
from typing import Any

import pytest
from returns.result import Failure, Result, Success

from funcs.chat_send import chat_send, chat_send_async, chat_stream, chat_stream_async
from openrouter_core import OpenRouterCore, RetryConfig
from openrouter_core.chat import AsyncChatStream, ChatStream
from openrouter_core.errors import OpenRouterCoreError, ResponseValidationError
from openrouter_core.models import ChatResponse
from openrouter_core.testing import completion_body, sse_bytes, stream_chunks
from tests.loopback import LoopbackServer, bytes_then_close, patient, raw

pytestmark = pytest.mark.timeout(60)

SECRET = "sk-or-v1-reliability-bodies-secret"
PARAMS: dict[str, Any] = {
    "model": "openai/gpt-4o-mini",
    "messages": [{"role": "user", "content": "Hello"}],
}
COMPLETION = json.dumps(completion_body("odd body ok")).encode()


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as srv:
        yield srv


def make_core(server: LoopbackServer) -> OpenRouterCore:
    return OpenRouterCore(
        api_key=SECRET, server_url=server.base_url, retry_config=RetryConfig.disabled()
    )


def send_sync(server: LoopbackServer) -> Result[ChatResponse, OpenRouterCoreError]:
    with make_core(server) as core:
        return chat_send(core, PARAMS, stream=False, timeout=5.0)


def send_async(server: LoopbackServer) -> Result[ChatResponse, OpenRouterCoreError]:
    async def go() -> Result[ChatResponse, OpenRouterCoreError]:
        async with make_core(server) as core:
            return await chat_send_async(core, PARAMS, stream=False, timeout=5.0)

    return asyncio.run(go())


def stream_sync(server: LoopbackServer) -> Result[ChatResponse, OpenRouterCoreError]:
    with make_core(server) as core:
        result = chat_stream(core, PARAMS, timeout=5.0)
        if isinstance(result, Failure):
            return Failure(result.failure())
        stream = result.unwrap()
        assert isinstance(stream, ChatStream)
        return stream.collect()


def stream_async(server: LoopbackServer) -> Result[ChatResponse, OpenRouterCoreError]:
    async def go() -> Result[ChatResponse, OpenRouterCoreError]:
        async with make_core(server) as core:
            result = await chat_stream_async(core, PARAMS, timeout=5.0)
            if isinstance(result, Failure):
                return Failure(result.failure())
            stream = result.unwrap()
            assert isinstance(stream, AsyncChatStream)
            return await stream.collect()

    return asyncio.run(go())


SENDERS = [pytest.param(send_sync, id="sync"), pytest.param(send_async, id="async")]
STREAMERS = [pytest.param(stream_sync, id="sync"), pytest.param(stream_async, id="async")]


def content_of(result: Result[ChatResponse, OpenRouterCoreError]) -> object:
    assert isinstance(result, Success), result
    response: ChatResponse = result.unwrap()
    return response.choices[0].message.content


@pytest.mark.parametrize("sender", SENDERS)
def test_fifty_megabyte_completion(server: LoopbackServer, sender: Any) -> None:
    huge = "x" * (50 * 1024 * 1024)
    body = json.dumps(completion_body(huge)).encode()
    server.script(patient(raw(200, body)))
    content = content_of(sender(server))
    assert isinstance(content, str)
    assert len(content) == len(huge)


@pytest.mark.parametrize("sender", SENDERS)
@pytest.mark.parametrize(
    "prefix", [b"\xef\xbb\xbf", b" \r\n\t ", b"\xef\xbb\xbf\n"], ids=["bom", "ws", "bom-ws"]
)
def test_bom_and_leading_whitespace(server: LoopbackServer, sender: Any, prefix: bytes) -> None:
    server.script(raw(200, prefix + COMPLETION))
    assert content_of(sender(server)) == "odd body ok"


@pytest.mark.parametrize("sender", SENDERS)
def test_gzip_encoded_body(server: LoopbackServer, sender: Any) -> None:
    server.script(raw(200, gzip.compress(COMPLETION), [("Content-Encoding", "gzip")]))
    assert content_of(sender(server)) == "odd body ok"


@pytest.mark.parametrize("sender", SENDERS)
def test_broken_gzip_is_a_failure(server: LoopbackServer, sender: Any) -> None:
    server.script(raw(200, b"\x1f\x8b not gzip at all", [("Content-Encoding", "gzip")]))
    result = sender(server)
    assert isinstance(result, Failure)
    assert isinstance(result.failure(), OpenRouterCoreError)


@pytest.mark.parametrize("sender", SENDERS)
def test_close_delimited_body(server: LoopbackServer, sender: Any) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
    server.script(bytes_then_close(head + COMPLETION))
    assert content_of(sender(server)) == "odd body ok"


STREAM_BODY = sse_bytes(stream_chunks(["odd ", "stream ", "ok"]))


@pytest.mark.parametrize("streamer", STREAMERS)
def test_close_delimited_stream(server: LoopbackServer, streamer: Any) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
    server.script(bytes_then_close(head + STREAM_BODY))
    assert content_of(streamer(server)) == "odd stream ok"


@pytest.mark.parametrize("streamer", STREAMERS)
def test_gzip_encoded_stream(server: LoopbackServer, streamer: Any) -> None:
    server.script(
        raw(
            200,
            gzip.compress(STREAM_BODY),
            [("Content-Encoding", "gzip")],
            content_type="text/event-stream",
        )
    )
    assert content_of(streamer(server)) == "odd stream ok"


@pytest.mark.parametrize("streamer", STREAMERS)
def test_stream_with_bom_and_crlf(server: LoopbackServer, streamer: Any) -> None:
    body = b"\xef\xbb\xbf" + STREAM_BODY.replace(b"\n", b"\r\n")
    server.script(raw(200, body, content_type="text/event-stream"))
    assert content_of(streamer(server)) == "odd stream ok"


@pytest.mark.parametrize("streamer", STREAMERS)
def test_streaming_request_answered_with_json_is_a_failure(
    server: LoopbackServer, streamer: Any
) -> None:
    # Found by the fuzz property: this used to be Success(ChatResponse) where the caller's
    # types (and code) expect a stream.
    server.script(raw(200, COMPLETION))
    result = streamer(server)
    assert isinstance(result, Failure)
    err = result.failure()
    assert isinstance(err, ResponseValidationError)
    assert "text/event-stream" in err.message
    assert err.status_code == 200
    assert len(server.requests) == 1
