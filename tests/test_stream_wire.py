"""Streaming over a real HTTP server on loopback (tests/loopback.py), sync and async."""

from __future__ import annotations

import asyncio
import gc
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from returns.result import Failure, Result, Success

from funcs.chat_send import chat_send, chat_send_async, chat_stream, chat_stream_async
from openrouter_core import (
    ChatStreamError,
    OpenRouterCore,
    OpenRouterCoreError,
    RetryConfig,
    StreamConnectionError,
    StreamDecodeError,
    StreamError,
    StreamTimeoutError,
    StreamTruncatedError,
)
from openrouter_core.chat import AsyncChatStream, ChatStream
from openrouter_core.models import ChatResponse, ChatStreamChunk
from tests.loopback import LoopbackServer, sse

pytestmark = pytest.mark.timeout(20)

PARAMS: dict[str, Any] = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
DONE = b"data: [DONE]\n\n"
KEEPALIVE = b": OPENROUTER PROCESSING\n\n"
Item = Result[ChatStreamChunk, StreamError]


def chunk_obj(
    content: str | None = None, finish: str | None = None, **extra: Any
) -> dict[str, Any]:
    delta = {} if content is None else {"content": content}
    obj: dict[str, Any] = {
        "id": "gen-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "provider": "P",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    obj.update(extra)
    return obj


def event(obj: Any) -> bytes:
    return b"data: " + json.dumps(obj).encode() + b"\n\n"


def chunk(content: str | None = None, finish: str | None = None, **extra: Any) -> bytes:
    return event(chunk_obj(content, finish, **extra))


USAGE = {"prompt_tokens": 2, "completion_tokens": 3, "total_tokens": 5}
USAGE_CHUNK = event({**chunk_obj(), "choices": [], "usage": USAGE})
HELLO = [KEEPALIVE, chunk("Hel"), chunk("lo"), chunk(finish="stop"), USAGE_CHUNK, DONE]


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as srv:
        yield srv


@pytest.fixture
def core(server: LoopbackServer) -> Iterator[OpenRouterCore]:
    with OpenRouterCore(
        api_key="k", server_url=server.base_url, retry_config=RetryConfig.disabled()
    ) as c:
        yield c


def open_stream(core: OpenRouterCore, **options: Any) -> ChatStream:
    result = chat_send(core, {**PARAMS, "stream": True}, **options)
    assert isinstance(result, Success), result
    stream: ChatStream = result.unwrap()
    return stream


def start_failure(core: OpenRouterCore, **options: Any) -> StreamError:
    """The call's Failure for a stream that fails before its first chunk."""
    result = chat_send(core, {**PARAMS, "stream": True}, **options)
    assert isinstance(result, Failure), result
    error: StreamError = result.failure()
    return error


def read_all(stream: ChatStream) -> list[Item]:
    with stream:
        return list(stream)


def contents(items: list[Item]) -> str:
    out = ""
    for item in items:
        if isinstance(item, Success):
            for c in item.unwrap().choices:
                out += c.delta.content or ""
    return out


def the_failure(items: list[Item]) -> StreamError:
    assert isinstance(items[-1], Failure), items[-1]
    assert all(isinstance(i, Success) for i in items[:-1])
    error: StreamError = items[-1].failure()
    return error


# ---------------------------------------------------------------------------- sync, happy path


def test_stream_yields_chunks_and_reuses_the_connection(
    server: LoopbackServer, core: OpenRouterCore
) -> None:
    server.script(sse(HELLO), sse(HELLO))
    stream = open_stream(core)
    items = read_all(stream)
    assert all(isinstance(i, Success) for i in items)
    assert contents(items) == "Hello"
    assert stream.generation_id == "gen-1"
    assert stream.closed
    assert read_all(open_stream(core)) != []
    assert server.connections == 1


def test_collect_builds_the_response(server: LoopbackServer, core: OpenRouterCore) -> None:
    server.script(sse(HELLO, headers=[("X-Generation-Id", "gen-header")]))
    stream = open_stream(core)
    assert stream.generation_id == "gen-header"
    response = stream.collect().unwrap()
    assert response.choices[0].message.content == "Hello"
    assert response.choices[0].finish_reason == "stop"
    assert response.provider == "P"
    assert response.usage is not None
    assert response.usage.total_tokens == 5
    assert stream.closed


def test_collect_after_iterating_part_includes_the_whole_stream(
    server: LoopbackServer, core: OpenRouterCore
) -> None:
    server.script(sse(HELLO))
    stream = open_stream(core)
    first = next(stream)
    assert contents([first]) == "Hel"
    assert stream.collect().unwrap().choices[0].message.content == "Hello"


def test_non_streaming_call_answered_with_sse_is_collected(
    server: LoopbackServer, core: OpenRouterCore
) -> None:
    server.script(sse(HELLO))
    result = chat_send(core, PARAMS, stream=False)
    assert isinstance(result.unwrap(), ChatResponse)
    assert result.unwrap().choices[0].message.content == "Hello"


def test_chat_stream_entry_point(server: LoopbackServer, core: OpenRouterCore) -> None:
    server.script(sse(HELLO))
    with chat_stream(core, PARAMS).unwrap() as stream:
        assert contents(list(stream)) == "Hello"
    assert server.requests[0].json()["stream"] is True
    assert server.requests[0].headers["accept"] == "text/event-stream"


def _split_points(body: bytes) -> list[int]:
    wanted = {1, 5, 6, len(body) - 1, len(body) - 2}
    wanted |= set(range(0, len(body), 17))
    for needle in (b"\r\n", "é".encode(), "😀".encode(), b"data:", b"\n\n"):
        at = body.find(needle)
        wanted |= {at + 1, at + 2, at + 3}
    return sorted(i for i in wanted if 0 < i < len(body))


_UNICODE = [KEEPALIVE, chunk("héllo 😀"), chunk(" ok", "stop"), DONE]


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"], ids=["LF", "CRLF"])
@pytest.mark.parametrize("cut", range(12))
def test_odd_splits(server: LoopbackServer, core: OpenRouterCore, newline: bytes, cut: int) -> None:
    body = b"".join(_UNICODE).replace(b"\n", newline)
    points = _split_points(body)
    # Each run cuts the body at several points, so together they cover every point above.
    mine = points[cut::12]
    pieces = [body[a:b] for a, b in zip([0, *mine], [*mine, len(body)], strict=True)]
    server.script(sse(pieces, delay=0.001))
    response = open_stream(core).collect().unwrap()
    assert response.choices[0].message.content == "héllo 😀 ok"


def test_multi_line_data(server: LoopbackServer, core: OpenRouterCore) -> None:
    pretty = json.dumps(chunk_obj("multi", "stop"), indent=1).encode()
    body = b"data: " + pretty.replace(b"\n", b"\ndata: ") + b"\n\n"
    server.script(sse([body, DONE]))
    assert open_stream(core).collect().unwrap().choices[0].message.content == "multi"


def test_tool_call_deltas_collect(server: LoopbackServer, core: OpenRouterCore) -> None:
    def tool_chunk(calls: list[dict[str, Any]], finish: str | None = None) -> bytes:
        obj = chunk_obj(finish=finish)
        obj["choices"][0]["delta"] = {"tool_calls": calls}
        return event(obj)

    server.script(
        sse(
            [
                tool_chunk(
                    [{"index": 0, "id": "c1", "type": "function", "function": {"name": "f"}}]
                ),
                tool_chunk([{"index": 0, "function": {"arguments": '{"a"'}}]),
                tool_chunk([{"index": 1, "id": "c2", "function": {"name": "g", "arguments": ""}}]),
                tool_chunk([{"index": 0, "function": {"arguments": ": 1}"}}]),
                chunk(finish="tool_calls"),
                USAGE_CHUNK,
                DONE,
            ]
        )
    )
    response = open_stream(core).collect().unwrap()
    calls = response.choices[0].message.tool_calls
    assert calls is not None
    assert [
        (c.id, c.function and c.function.name, c.function and c.function.arguments) for c in calls
    ] == [
        ("c1", "f", '{"a": 1}'),
        ("c2", "g", ""),
    ]
    assert response.choices[0].finish_reason == "tool_calls"
    assert response.usage is not None


def test_usage_only_last_chunk_is_an_item(server: LoopbackServer, core: OpenRouterCore) -> None:
    server.script(sse(HELLO))
    items = read_all(open_stream(core))
    last = items[-1].unwrap()
    assert last.choices == []
    assert last.usage is not None
    assert last.usage.total_tokens == 5


def test_finish_reason_without_done_is_a_clean_end(
    server: LoopbackServer, core: OpenRouterCore
) -> None:
    server.script(sse([chunk("a"), chunk(finish="stop")]), sse([chunk("b"), chunk(finish="stop")]))
    assert open_stream(core).collect().unwrap().choices[0].message.content == "a"
    server.script(sse([chunk("c"), chunk(finish="stop")], finish="cut"))
    assert open_stream(core).collect().unwrap().choices[0].message.content == "b"


# ------------------------------------------------------------------------------- sync, failures


def test_error_chunk_mid_stream(server: LoopbackServer, core: OpenRouterCore) -> None:
    err = chunk_obj(finish="error")
    err["error"] = {
        "code": 502,
        "message": "upstream exploded",
        "metadata": {"error_type": "provider_unavailable", "provider_code": "overloaded"},
    }
    server.script(sse([chunk("par"), chunk("tial"), event(err), chunk("never"), DONE]))
    stream = open_stream(core)
    items = read_all(stream)
    assert contents(items) == "partial"
    error = the_failure(items)
    assert isinstance(error, ChatStreamError)
    assert (error.code, error.provider, error.generation_id) == (502, "P", "gen-1")
    assert error.metadata == {"error_type": "provider_unavailable", "provider_code": "overloaded"}
    assert "upstream exploded" in str(error)
    assert error.partial is not None
    assert error.partial.choices[0].message.content == "partial"
    assert error.partial.choices[0].finish_reason == "error"
    # collect() afterwards reports the same failure
    assert stream.collect().failure() == error


def test_bare_error_object_and_string_code(server: LoopbackServer, core: OpenRouterCore) -> None:
    server.script(
        sse([chunk("x"), event({"error": {"code": "server_error", "message": "boom"}}), DONE])
    )
    result = open_stream(core).collect()
    error = result.failure()
    assert isinstance(error, ChatStreamError)
    assert error.code == "server_error"
    assert error.partial is not None
    assert error.partial.choices[0].message.content == "x"


def test_finish_reason_error_alone(server: LoopbackServer, core: OpenRouterCore) -> None:
    server.script(sse([chunk("x"), chunk(finish="error"), DONE]))
    error = open_stream(core).collect().failure()
    assert isinstance(error, ChatStreamError)
    assert error.code is None


@pytest.mark.parametrize("finish", ["end", "cut"])
def test_stream_without_done_or_finish_is_truncated(
    server: LoopbackServer, core: OpenRouterCore, finish: str
) -> None:
    server.script(sse([chunk("a"), chunk("b")], finish=finish))
    items = read_all(open_stream(core))
    error = the_failure(items)
    assert isinstance(error, StreamTruncatedError)
    assert error.partial is not None
    assert error.partial.choices[0].message.content == "ab"
    assert error.generation_id == "gen-1"


def test_cut_inside_an_event_is_truncated(server: LoopbackServer, core: OpenRouterCore) -> None:
    server.script(sse([chunk("a"), chunk("b")[:20]], finish="cut"))
    error = open_stream(core).collect().failure()
    assert isinstance(error, StreamTruncatedError)


def test_reset_mid_stream_is_a_connection_error(
    server: LoopbackServer, core: OpenRouterCore
) -> None:
    server.script(sse([chunk("a")], finish="reset"))
    error = the_failure(read_all(open_stream(core)))
    assert isinstance(error, (StreamConnectionError, StreamTruncatedError))
    assert error.partial is not None


def test_malformed_event(server: LoopbackServer, core: OpenRouterCore) -> None:
    server.script(sse([chunk("ok"), b"data: {not json\n\n", chunk("never"), DONE], finish="hold"))
    items = read_all(open_stream(core))
    assert contents(items) == "ok"
    error = the_failure(items)
    assert isinstance(error, StreamDecodeError)
    assert error.data == "{not json"
    assert error.partial is not None
    assert server.wait_disconnect()


def test_event_that_is_not_a_chunk(server: LoopbackServer, core: OpenRouterCore) -> None:
    server.script(sse([event([5]), DONE]))
    # Before any chunk reached the caller, a broken stream is the call's own Failure.
    error = start_failure(core)
    assert isinstance(error, StreamDecodeError)
    assert error.partial is None
    assert len(server.requests) == 1


def test_stalled_stream_hits_the_read_timeout(server: LoopbackServer, core: OpenRouterCore) -> None:
    server.script(sse([chunk("a")], finish="hold"))
    started = time.monotonic()
    items = read_all(open_stream(core, timeout=0.3))
    error = the_failure(items)
    assert isinstance(error, StreamTimeoutError)
    assert error.watchdog == "read"
    assert time.monotonic() - started < 3
    assert server.wait_disconnect()


def test_keepalives_only_trip_the_first_content_watchdog(
    server: LoopbackServer, core: OpenRouterCore
) -> None:
    server.script(sse([KEEPALIVE] * 400, delay=0.02))
    started = time.monotonic()
    error = start_failure(core, first_content_timeout=0.3)
    assert isinstance(error, StreamTimeoutError)
    assert error.watchdog == "first_content"
    assert error.partial is None
    assert 0.3 <= time.monotonic() - started < 3
    assert server.wait_disconnect()


def test_keepalives_after_content_trip_the_chunk_gap_watchdog(
    server: LoopbackServer, core: OpenRouterCore
) -> None:
    server.script(sse([chunk("a"), *[KEEPALIVE] * 400], delay=0.02))
    items = read_all(open_stream(core, chunk_gap_timeout=0.3))
    error = the_failure(items)
    assert isinstance(error, StreamTimeoutError)
    assert error.watchdog == "chunk_gap"
    assert error.partial is not None
    assert error.partial.choices[0].message.content == "a"


def test_watchdogs_from_the_core(server: LoopbackServer) -> None:
    server.script(sse([KEEPALIVE] * 400, delay=0.02), sse([KEEPALIVE] * 400, delay=0.02))
    with OpenRouterCore(
        api_key="k",
        server_url=server.base_url,
        first_content_timeout=0.2,
        retry_config=RetryConfig(max_retries=1, initial_delay=0.0, max_delay=0.0),
    ) as core:
        error = start_failure(core)
    assert isinstance(error, StreamTimeoutError)
    assert error.watchdog == "first_content"
    # Nothing reached the caller, so the silent stream was retried once.
    assert len(server.requests) == 2


@pytest.mark.parametrize("code", [502, "503", 529])
def test_transient_error_event_before_the_first_chunk_is_retried(
    server: LoopbackServer, code: int | str
) -> None:
    failing = event({**chunk_obj(), "choices": [], "error": {"code": code, "message": "busy"}})
    server.script(sse([KEEPALIVE, failing, DONE]), sse(HELLO))
    with OpenRouterCore(
        api_key="k",
        server_url=server.base_url,
        retry_config=RetryConfig(initial_delay=0.0, max_delay=0.0),
    ) as core:
        response = open_stream(core).collect().unwrap()
    assert response.choices[0].message.content == "Hello"
    assert len(server.requests) == 2


def test_final_error_event_before_the_first_chunk_is_the_call_failure(
    server: LoopbackServer,
) -> None:
    refused = event({**chunk_obj(), "choices": [], "error": {"code": 400, "message": "no"}})
    server.script(sse([refused, DONE]))
    with OpenRouterCore(
        api_key="k",
        server_url=server.base_url,
        retry_config=RetryConfig(initial_delay=0.0, max_delay=0.0),
    ) as core:
        error = start_failure(core)
    assert isinstance(error, ChatStreamError)
    assert error.code == 400
    assert len(server.requests) == 1


def test_error_after_a_chunk_is_never_retried(server: LoopbackServer) -> None:
    failing = event({**chunk_obj(), "choices": [], "error": {"code": 502, "message": "busy"}})
    server.script(sse([chunk("a"), failing, DONE]))
    with OpenRouterCore(
        api_key="k",
        server_url=server.base_url,
        retry_config=RetryConfig(initial_delay=0.0, max_delay=0.0),
    ) as core:
        items = read_all(open_stream(core))
    assert isinstance(the_failure(items), ChatStreamError)
    assert contents(items) == "a"
    assert len(server.requests) == 1


def test_steady_chunks_do_not_trip_the_watchdogs(
    server: LoopbackServer, core: OpenRouterCore
) -> None:
    pieces = [chunk("x")] * 10 + [chunk(finish="stop"), DONE]
    server.script(sse(pieces, delay=0.02))
    stream = open_stream(core, first_content_timeout=0.5, chunk_gap_timeout=0.5)
    assert stream.collect().unwrap().choices[0].message.content == "x" * 10


# ------------------------------------------------------------------------- sync, closing early


def test_break_closes_the_connection(server: LoopbackServer, core: OpenRouterCore) -> None:
    server.script(sse([chunk("a"), chunk("b")], finish="hold"))
    stream = open_stream(core)
    for _item in stream:
        break
    assert stream.closed
    assert server.wait_disconnect()
    assert list(stream) == []
    assert isinstance(stream.collect().failure(), StreamTruncatedError)


def test_leaving_the_with_block_closes(server: LoopbackServer, core: OpenRouterCore) -> None:
    server.script(sse([chunk("a")], finish="hold"))
    with open_stream(core) as stream:
        next(stream)
    assert server.wait_disconnect()
    stream.close()  # idempotent


def test_exception_in_the_loop_closes(server: LoopbackServer, core: OpenRouterCore) -> None:
    server.script(sse([chunk("a")], finish="hold"))
    stream = open_stream(core)

    def consume() -> None:
        for _item in stream:
            raise RuntimeError("caller bug")

    with pytest.raises(RuntimeError):
        consume()
    assert server.wait_disconnect()


def test_dropping_the_stream_closes(server: LoopbackServer, core: OpenRouterCore) -> None:
    server.script(sse([chunk("a")], finish="hold"))
    stream = open_stream(core)
    next(stream)
    del stream
    gc.collect()
    assert server.wait_disconnect()


# ---------------------------------------------------------------------------------------- async


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def open_async(core: OpenRouterCore, **options: Any) -> AsyncChatStream:
    result = await chat_send_async(core, {**PARAMS, "stream": True}, **options)
    assert isinstance(result, Success), result
    stream: AsyncChatStream = result.unwrap()
    return stream


async def read_all_async(stream: AsyncChatStream) -> list[Item]:
    async with stream:
        return [item async for item in stream]


async def wait_disconnect(server: LoopbackServer) -> bool:
    return await asyncio.to_thread(server.wait_disconnect)


def test_async_stream_and_connection_reuse(server: LoopbackServer, core: OpenRouterCore) -> None:
    server.script(sse(HELLO), sse(HELLO), sse(HELLO))

    async def main() -> None:
        stream = await open_async(core)
        items = await read_all_async(stream)
        assert contents(items) == "Hello"
        assert stream.generation_id == "gen-1"
        response = (await (await open_async(core)).collect()).unwrap()
        assert response.usage is not None
        assert (await chat_send_async(core, PARAMS, stream=False)).unwrap().choices[
            0
        ].message.content == ("Hello")
        async with (await chat_stream_async(core, PARAMS)).unwrap() as s:
            assert s.headers["content-type"] == "text/event-stream"
        await core.aclose()

    server.script(sse(HELLO))
    run(main())
    assert server.connections == 1


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"], ids=["LF", "CRLF"])
def test_async_odd_splits(server: LoopbackServer, core: OpenRouterCore, newline: bytes) -> None:
    body = b"".join(_UNICODE).replace(b"\n", newline)
    points = _split_points(body)
    pieces = [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]
    server.script(sse(pieces))

    async def main() -> ChatResponse:
        try:
            return (await (await open_async(core)).collect()).unwrap()
        finally:
            await core.aclose()

    assert run(main()).choices[0].message.content == "héllo 😀 ok"


def test_async_failures(server: LoopbackServer, core: OpenRouterCore) -> None:
    err = chunk_obj(finish="error")
    err["error"] = {"code": 429, "message": "slow", "metadata": {"error_type": "rate_limit"}}
    server.script(
        sse([chunk("a"), event(err)]),
        sse([chunk("a")], finish="cut"),
        sse([chunk("a"), b"data: nope\n\n"]),
        sse([chunk("a")], finish="hold"),
    )

    async def main() -> list[StreamError]:
        errors = []
        for options in ({}, {}, {}, {"timeout": 0.3}):
            items = await read_all_async(await open_async(core, **options))
            assert contents(items) == "a"
            errors.append(the_failure(items))
        await core.aclose()
        return errors

    chat, cut, bad, stalled = run(main())
    assert isinstance(chat, ChatStreamError)
    assert chat.code == 429
    assert chat.partial is not None
    assert isinstance(cut, StreamTruncatedError)
    assert isinstance(bad, StreamDecodeError)
    assert isinstance(stalled, StreamTimeoutError)
    assert stalled.watchdog == "read"


def test_async_tool_calls_collect(server: LoopbackServer, core: OpenRouterCore) -> None:
    obj = chunk_obj()
    obj["choices"][0]["delta"] = {
        "tool_calls": [{"index": 0, "id": "c", "function": {"name": "f", "arguments": "{}"}}]
    }
    server.script(sse([event(obj), chunk(finish="tool_calls"), USAGE_CHUNK, DONE]))

    async def main() -> ChatResponse:
        try:
            return (await (await open_async(core)).collect()).unwrap()
        finally:
            await core.aclose()

    calls = run(main()).choices[0].message.tool_calls
    assert calls is not None
    assert calls[0].function.arguments == "{}"


def test_async_silent_server_caught_by_the_watchdog_before_the_read_timeout(
    server: LoopbackServer, core: OpenRouterCore
) -> None:
    server.script(sse([], finish="hold"), sse([chunk("a")], finish="hold"))

    async def main() -> tuple[OpenRouterCoreError, StreamError, float]:
        started = time.monotonic()
        first = await chat_send_async(
            core, {**PARAMS, "stream": True}, timeout=10, first_content_timeout=0.2
        )
        second = await (await open_async(core, timeout=10, chunk_gap_timeout=0.2)).collect()
        elapsed = time.monotonic() - started
        await core.aclose()
        return first.failure(), second.failure(), elapsed

    first, second, elapsed = run(main())
    assert isinstance(first, StreamTimeoutError)
    assert first.watchdog == "first_content"
    assert isinstance(second, StreamTimeoutError)
    assert second.watchdog == "chunk_gap"
    assert elapsed < 3
    assert server.wait_disconnect(2)


def test_async_keepalives_only(server: LoopbackServer, core: OpenRouterCore) -> None:
    server.script(sse([KEEPALIVE] * 400, delay=0.02))

    async def main() -> OpenRouterCoreError:
        result = await chat_send_async(core, {**PARAMS, "stream": True}, first_content_timeout=0.3)
        await core.aclose()
        return result.failure()

    error = run(main())
    assert isinstance(error, StreamTimeoutError)
    assert error.watchdog == "first_content"


def test_async_break_closes(server: LoopbackServer, core: OpenRouterCore) -> None:
    server.script(sse([chunk("a"), chunk("b")], finish="hold"))

    async def main() -> bool:
        stream = await open_async(core)
        async for _item in stream:
            break
        gone = await wait_disconnect(server)
        await core.aclose()
        return gone

    assert run(main())


def test_async_exception_in_the_loop_closes(server: LoopbackServer, core: OpenRouterCore) -> None:
    server.script(sse([chunk("a")], finish="hold"))

    async def main() -> bool:
        stream = await open_async(core)

        async def consume() -> None:
            async with stream:
                async for _item in stream:
                    raise RuntimeError("caller bug")

        with pytest.raises(RuntimeError):
            await consume()
        assert stream.closed
        gone = await wait_disconnect(server)
        await core.aclose()
        return gone

    assert run(main())


def test_async_cancellation_closes_and_propagates(
    server: LoopbackServer, core: OpenRouterCore
) -> None:
    server.script(sse([chunk("a")], finish="hold"))

    async def main() -> bool:
        stream = await open_async(core)
        task = asyncio.create_task(stream.collect())
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert stream.closed
        gone = await wait_disconnect(server)
        await core.aclose()
        return gone

    assert run(main())


def test_async_dropped_stream_is_closed(server: LoopbackServer, core: OpenRouterCore) -> None:
    server.script(sse([chunk("a")], finish="hold"))

    async def main() -> bool:
        stream = await open_async(core)
        await stream.__anext__()
        del stream
        gc.collect()
        gone = await wait_disconnect(server)
        await core.aclose()
        return gone

    assert run(main())


# ------------------------------------------------- the end of a stream does not wait on the server


@pytest.mark.parametrize(
    "events",
    [HELLO, HELLO[:-1]],
    ids=["done-then-held-open", "finished-with-usage-then-held-open"],
)
def test_sync_stream_ends_at_once_when_the_server_holds_the_body(
    server: LoopbackServer, events: list[bytes]
) -> None:
    # A read timeout far beyond the bound below: only ending at [DONE] (or at a finished stream
    # with usage) can pass; waiting for the server would take 30 s.
    with OpenRouterCore(
        api_key="k", server_url=server.base_url, retry_config=RetryConfig.disabled(), timeout=30
    ) as core:
        server.script(sse(events, finish="hold"), sse(events, finish="hold"))
        started = time.monotonic()
        items = read_all(open_stream(core))
        assert contents(items) == "Hello"
        response = chat_send(core, PARAMS, stream=False)
        assert response.unwrap().choices[0].message.content == "Hello"
        assert time.monotonic() - started < 1.5
        # The held connections were given up within the drain's bound, away from the caller.
        assert server.wait_disconnect(2)


@pytest.mark.parametrize(
    "events",
    [HELLO, HELLO[:-1]],
    ids=["done-then-held-open", "finished-with-usage-then-held-open"],
)
def test_async_stream_ends_at_once_when_the_server_holds_the_body(
    server: LoopbackServer, events: list[bytes]
) -> None:
    async def main() -> float:
        async with OpenRouterCore(
            api_key="k",
            server_url=server.base_url,
            retry_config=RetryConfig.disabled(),
            timeout=30,
        ) as core:
            started = time.monotonic()
            items = await read_all_async(await open_async(core))
            assert contents(items) == "Hello"
            response = await chat_send_async(core, PARAMS, stream=False)
            assert response.unwrap().choices[0].message.content == "Hello"
            return time.monotonic() - started

    server.script(sse(events, finish="hold"), sse(events, finish="hold"))
    # Well under the 1 s that one bounded drain may take: the caller did not wait for either.
    assert run(main()) < 1.5
    assert server.wait_disconnect(2)
