"""Streams without a network: the fake transport, scripted response objects, a fake clock."""

from __future__ import annotations

import asyncio
import gc
import json
import warnings
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import httpx
import pytest
from hypothesis import given, settings, strategies as st
from returns.result import Failure, Success

from funcs.chat_send import chat_send, chat_send_async
from openrouter_core import (
    StreamConnectionError,
    StreamError,
    StreamTimeoutError,
    StreamTruncatedError,
)
from openrouter_core.chat import AsyncChatStream, ChatStream
from openrouter_core.chat.stream import CHAT_STREAM
from openrouter_core.testing import FakeOpenRouter, sse_bytes, stream_chunks

pytestmark = pytest.mark.timeout(20)

PARAMS: dict[str, Any] = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


class ScriptedResponse:
    """Just enough of an httpx response: yields ``pieces``, then raises ``fail`` if given."""

    def __init__(
        self,
        pieces: Sequence[bytes],
        fail: BaseException | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.pieces = pieces
        self.fail = fail
        self.headers = httpx.Headers(headers or {"content-type": "text/event-stream"})
        self.status_code = 200
        self.closes = 0

    def read(self) -> bytes:
        return b"".join(self.pieces)

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        yield from self.pieces
        if self.fail is not None:
            raise self.fail

    def close(self) -> None:
        self.closes += 1

    async def aread(self) -> bytes:
        return self.read()

    async def aiter_bytes(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            yield piece
        if self.fail is not None:
            raise self.fail

    async def aclose(self) -> None:
        self.closes += 1


def sync_stream(response: ScriptedResponse, **options: Any) -> ChatStream:
    options.setdefault("first_content_timeout", None)
    options.setdefault("chunk_gap_timeout", None)
    options.setdefault("started_at", 0.0)
    return ChatStream(response, CHAT_STREAM, **options)


def async_stream(response: ScriptedResponse, **options: Any) -> AsyncChatStream:
    options.setdefault("first_content_timeout", None)
    options.setdefault("chunk_gap_timeout", None)
    options.setdefault("started_at", 0.0)
    return AsyncChatStream(response, CHAT_STREAM, **options)


BODY = sse_bytes(stream_chunks(["Hel", "lo"]))
UNFINISHED = sse_bytes(stream_chunks(["Hel", "lo"])[:3], done=False)


def test_fake_transport_stream_and_collect() -> None:
    fake = FakeOpenRouter().reply_stream(["Hel", "lo"], split=5).reply_stream(["a"])
    with fake.core() as core:
        stream = chat_send(core, PARAMS, stream=True).unwrap()
        with stream:
            items = list(stream)
        assert all(isinstance(i, Success) for i in items)
        assert stream.generation_id == "gen-fake-1"
        response = chat_send(core, PARAMS, stream=False).unwrap()
    assert response.choices[0].message.content == "a"
    assert response.provider == "FakeProvider"


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (httpx.ReadError("connection reset by peer"), StreamConnectionError),
        (httpx.ReadTimeout("timed out"), StreamTimeoutError),
        (httpx.RemoteProtocolError("peer closed connection"), StreamTruncatedError),
        (ValueError("a client bug"), StreamConnectionError),
    ],
)
def test_read_errors_become_stream_errors(exc: Exception, kind: type[StreamError]) -> None:
    fake = FakeOpenRouter().reply_stream(body=UNFINISHED, fail=exc, split=40)
    with fake.core() as core:
        stream = chat_send(core, PARAMS, stream=True).unwrap()
        error = stream.collect().failure()
    assert type(error) is kind
    assert type(exc).__name__ in str(error)
    assert error.partial is not None
    assert error.partial.choices[0].message.content == "Hello"
    assert error.generation_id == "gen-fake-1"
    assert stream.closed


def test_read_error_after_the_finish_reason_is_a_clean_end() -> None:
    body = sse_bytes(stream_chunks(["a"])[:3], done=False)  # role, "a", finish
    response = ScriptedResponse([body], fail=httpx.ReadError("reset"))
    result = sync_stream(response).collect()
    assert result.unwrap().choices[0].finish_reason == "stop"


def test_async_read_errors_become_stream_errors() -> None:
    fake = FakeOpenRouter().reply_stream(body=UNFINISHED, fail=httpx.ReadError("reset"), split=7)

    async def main() -> StreamError:
        core = fake.core()
        stream = (await chat_send_async(core, PARAMS, stream=True)).unwrap()
        error: StreamError = (await stream.collect()).failure()
        await core.aclose()
        return error

    error = asyncio.run(main())
    assert isinstance(error, StreamConnectionError)
    assert error.partial is not None


@pytest.mark.parametrize("signal", [KeyboardInterrupt, GeneratorExit])
def test_interrupts_close_and_propagate(signal: type[BaseException]) -> None:
    response = ScriptedResponse([BODY[:60], b"data: "], fail=signal())
    stream = sync_stream(response)
    with pytest.raises(signal):
        list(stream)
    assert stream.closed
    assert response.closes >= 1


def test_async_cancelled_error_closes_and_propagates() -> None:
    response = ScriptedResponse([BODY[:60]], fail=asyncio.CancelledError())

    async def main() -> None:
        await async_stream(response).collect()

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(main())
    assert response.closes >= 1


def test_close_is_idempotent_and_ends_iteration() -> None:
    response = ScriptedResponse([BODY])
    stream = sync_stream(response)
    stream.close()
    stream.close()
    assert list(stream) == []
    assert response.closes == 1
    assert isinstance(stream.collect().failure(), StreamTruncatedError)


def test_async_aclose_is_idempotent() -> None:
    response = ScriptedResponse([BODY])

    async def main() -> None:
        stream = async_stream(response)
        async with stream:
            pass
        await stream.aclose()
        assert [item async for item in stream] == []

    asyncio.run(main())
    assert response.closes == 1


def test_garbage_collection_closes_the_response() -> None:
    response = ScriptedResponse([BODY])
    stream = sync_stream(response)
    del stream
    gc.collect()
    assert response.closes == 1


def test_garbage_collection_of_an_async_stream_closes_on_its_loop() -> None:
    response = ScriptedResponse([BODY])

    async def main() -> None:
        stream = async_stream(response)
        del stream
        gc.collect()
        for _ in range(3):
            await asyncio.sleep(0)

    asyncio.run(main())
    assert response.closes == 1


def test_generation_id_from_headers() -> None:
    response = ScriptedResponse([b"data: [DONE]\n\n"], headers={"x-request-id": "req-9"})
    stream = sync_stream(response)
    assert stream.generation_id == "req-9"
    # A stream that is only [DONE] held no completion: a Failure that says so, with the id.
    error = stream.collect().failure()
    assert "held no completion" in error.message
    assert error.generation_id == "req-9"
    assert stream.headers["x-request-id"] == "req-9"


def test_first_chunk_id_wins_over_a_request_id_but_not_over_the_generation_header() -> None:
    one = sync_stream(ScriptedResponse([BODY], headers={"x-request-id": "req-9"}))
    one.collect()
    assert one.generation_id == "gen-fake-1"
    two = sync_stream(ScriptedResponse([BODY], headers={"x-generation-id": "gen-h"}))
    two.collect()
    assert two.generation_id == "gen-h"


class FakeClock:
    def __init__(self, times: list[float]) -> None:
        self.times = times

    def __call__(self) -> float:
        return self.times.pop(0) if len(self.times) > 1 else self.times[0]


def test_sync_watchdogs_with_a_fake_clock() -> None:
    comments = [b": ping\n\n"] * 5
    response = ScriptedResponse(comments)
    stream = sync_stream(response, first_content_timeout=2.5, clock=FakeClock([1, 2, 3, 4]))
    error = stream.collect().failure()
    assert isinstance(error, StreamTimeoutError)
    assert error.watchdog == "first_content"
    assert "2.5" in str(error)

    chunks = stream_chunks(["a"])
    pieces = [sse_bytes(chunks[:2], done=False), *comments]
    stream = sync_stream(
        ScriptedResponse(pieces), chunk_gap_timeout=1.5, clock=FakeClock([0, 1, 2, 3])
    )
    error = stream.collect().failure()
    assert isinstance(error, StreamTimeoutError)
    assert error.watchdog == "chunk_gap"
    assert error.partial is not None


def test_content_arriving_late_is_still_delivered() -> None:
    response = ScriptedResponse([BODY])
    stream = sync_stream(response, first_content_timeout=1.0, clock=FakeClock([10.0]))
    assert stream.collect().unwrap().choices[0].message.content == "Hello"


def test_unknown_fields_and_events_are_tolerated() -> None:
    chunk = stream_chunks(["x"])[1]
    body = (
        b"event: message\nid: 4\nretry: 100\n"
        + b"data: "
        + json.dumps({**chunk, "brand_new": {"a": 1}}).encode()
        + b"\n\n"
        + sse_bytes(stream_chunks([])[1:])
    )
    stream = sync_stream(ScriptedResponse([body]))
    items = list(stream)
    first = items[0].unwrap()
    assert first.extras == {"brand_new": {"a": 1}}
    assert stream.collect().unwrap().extras == {"brand_new": {"a": 1}}


@settings(max_examples=150, deadline=None)
@given(
    body=st.one_of(
        st.binary(max_size=400),
        st.sampled_from([BODY, UNFINISHED]).flatmap(
            lambda b: st.integers(0, len(b)).map(lambda n: b[:n] + b"\n\n")
        ),
    ),
    size=st.integers(min_value=1, max_value=64),
    fail=st.sampled_from([None, httpx.ReadError("x"), httpx.ReadTimeout("t")]),
)
def test_any_bytes_give_results_and_never_raise(
    body: bytes, size: int, fail: Exception | None
) -> None:
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    response = ScriptedResponse(pieces, fail=fail)
    stream = sync_stream(response)
    items = list(stream)
    assert all(isinstance(i, Success) for i in items[:-1])
    assert response.closes >= 1
    result = stream.collect()
    if items and isinstance(items[-1], Failure):
        assert result.failure() is items[-1].failure()
    assert isinstance(result, (Success, Failure))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("ChatStream", "ChatStream"),
        ("AsyncChatStream", "AsyncChatStream"),
        ("StreamItem", "ChatStreamItem"),
    ],
)
def test_chats_old_names_in_streaming_warn_and_are_chats(old: str, new: str) -> None:
    import openrouter_core.chat
    import openrouter_core.streaming

    with pytest.warns(DeprecationWarning, match=f"import {new} from openrouter_core.chat"):
        found = getattr(openrouter_core.streaming, old)
    assert found is getattr(openrouter_core.chat, new)


def test_streaming_exports_the_generic_streams_only() -> None:
    import openrouter_core.streaming

    assert openrouter_core.streaming.__all__ == ["AsyncStream", "Stream"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from openrouter_core.streaming import AsyncStream, Stream  # noqa: F401 - no warning
    with pytest.raises(AttributeError, match="no attribute 'ResponsesStream'"):
        openrouter_core.streaming.ResponsesStream  # noqa: B018 - the lookup is the test
