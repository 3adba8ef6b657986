"""Cancellation passes through, promptly, and closes the connection; it is never a Failure.

Async: a task cancelled while connecting (to a listener whose accept queue is full, so the
handshake never completes), while waiting for a response, while reading a stream (iterating it,
or inside a non-streaming call that collects one) and while sleeping before a retry gets
``CancelledError`` within 0.5 s, and the server sees the connection closed.

Sync and async: ``KeyboardInterrupt``, ``SystemExit`` and ``CancelledError`` raised by the HTTP
client (on send or mid-stream) or by the retry sleep propagate unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from returns.result import Success

from funcs.chat_send import (
    chat_send,
    chat_send_async,
    chat_stream,
    chat_stream_async,
    operation as chat_operation,
)
from openrouter_core import OpenRouterCore, RetryConfig
from openrouter_core._machinery.attempts import run_async, run_sync
from openrouter_core._machinery.pools import async_client
from openrouter_core._machinery.request import prepare
from openrouter_core.testing import error_body, stream_chunks
from tests.loopback import LoopbackServer, json_response, sse, stall

pytestmark = pytest.mark.timeout(30)

SECRET = "sk-or-v1-reliability-cancel-secret"
PARAMS: dict[str, Any] = {
    "model": "openai/gpt-4o-mini",
    "messages": [{"role": "user", "content": "Hello"}],
}
PROMPT = 0.5
EVENTS = [b"data: " + json.dumps(chunk).encode() + b"\n\n" for chunk in stream_chunks(["a", "b"])]
SLOW_RETRY = RetryConfig(max_retries=3, initial_delay=30.0, max_delay=30.0, jitter=False)


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as srv:
        yield srv


def make_core(server_url: str, **config: Any) -> OpenRouterCore:
    config.setdefault("retry_config", RetryConfig.disabled())
    return OpenRouterCore(api_key=SECRET, server_url=server_url, **config)


def wait_requests(server: LoopbackServer, count: int = 1) -> bool:
    with server.changed:
        return server.changed.wait_for(lambda: len(server.requests) >= count, 5.0)


async def cancel_when(task: asyncio.Task[Any], ready: Callable[[], Awaitable[object]]) -> float:
    """Cancel ``task`` once ``ready`` completes; return how long the cancellation took."""
    await ready()
    assert not task.done(), task
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    return time.monotonic() - started


def pool_in_use(client: object) -> tuple[int, int]:
    """(connections not idle, requests waiting or running) in an httpx client's pool."""
    transport: Any = getattr(client, "_transport", None)
    pool = transport._pool
    busy = sum(1 for conn in pool.connections if not (conn.is_idle() or conn.is_closed()))
    return busy, len(pool._requests)


def in_thread(check: Callable[[], bool]) -> Callable[[], Awaitable[bool]]:
    async def ready() -> bool:
        return await asyncio.to_thread(check)

    return ready


# --------------------------------------------------------------------------- async cancellation


@pytest.fixture
def full_listener() -> Iterator[str]:
    """A URL whose listener never accepts and whose accept queue is full: connects hang."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers: list[socket.socket] = []
    try:
        for _ in range(8):  # fill the accept queue; later handshakes get no answer
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(("127.0.0.1", port))
            fillers.append(filler)
        yield f"http://127.0.0.1:{port}/api/v1"
    finally:
        for sock in [*fillers, listener]:
            sock.close()


def test_cancel_during_connect(full_listener: str) -> None:
    core = make_core(full_listener, timeout=httpx.Timeout(30.0))

    async def go() -> float:
        async with core:
            task = asyncio.create_task(chat_send_async(core, PARAMS))
            # Nothing reports "connecting"; the connect cannot finish, so the task is still in
            # it after this short wait (cancel_when checks the task is not done).
            return await cancel_when(task, lambda: asyncio.sleep(0.2))

    assert asyncio.run(go()) < PROMPT


def test_cancel_while_waiting_for_the_response(server: LoopbackServer) -> None:
    server.default = stall()
    core = make_core(server.base_url, timeout=30.0)

    async def go() -> float:
        async with core:
            task = asyncio.create_task(chat_send_async(core, PARAMS))
            return await cancel_when(task, in_thread(lambda: wait_requests(server)))

    assert asyncio.run(go()) < PROMPT
    assert server.wait_disconnect(1, limit=PROMPT)


@pytest.mark.parametrize("how", ["iterate", "collect", "non-streaming call"])
def test_cancel_during_a_stream(server: LoopbackServer, how: str) -> None:
    server.default = sse(EVENTS[:2], finish="hold")
    core = make_core(server.base_url, timeout=30.0)

    async def go() -> float:
        async with core:
            first = asyncio.Event()

            async def read() -> object:
                if how == "non-streaming call":
                    return await chat_send_async(core, PARAMS, stream=False)
                result = await chat_stream_async(core, PARAMS)
                assert isinstance(result, Success)
                async with result.unwrap() as stream:
                    if how == "collect":
                        first.set()
                        return await stream.collect()
                    async for item in stream:
                        assert isinstance(item, Success)
                        first.set()
                return None

            task = asyncio.create_task(read())

            async def ready() -> None:
                if how == "non-streaming call":
                    await in_thread(lambda: wait_requests(server))()
                else:
                    await first.wait()

            return await cancel_when(task, ready)

    assert asyncio.run(go()) < PROMPT
    assert server.wait_disconnect(1, limit=PROMPT)


def test_cancel_during_retry_backoff(server: LoopbackServer) -> None:
    server.default = json_response(503, error_body("busy", code=503))
    core = make_core(server.base_url, retry_config=SLOW_RETRY)
    prepared = prepare(chat_operation(), core, PARAMS).unwrap()

    async def go() -> float:
        sleeping = asyncio.Event()

        async def sleep(delay: float) -> None:
            assert delay == 30.0
            sleeping.set()
            await asyncio.sleep(delay)

        async with core:
            task = asyncio.create_task(run_async(core, prepared, sleep=sleep))
            took = await cancel_when(task, sleeping.wait)
            # The 503 was read and its connection went back to the pool, idle: nothing is
            # left half-read or waiting (the pool itself closes with the core).
            assert pool_in_use(async_client(core)) == (0, 0)
            return took

    assert asyncio.run(go()) < PROMPT
    assert len(server.requests) == 1


def test_cancel_during_retry_backoff_public_api(server: LoopbackServer) -> None:
    server.default = json_response(503, error_body("busy", code=503))
    core = make_core(server.base_url, retry_config=SLOW_RETRY)

    async def go() -> float:
        async with core:
            task = asyncio.create_task(chat_send_async(core, PARAMS))
            # The first answer is an immediate 503; the task then sleeps 30 s before a retry.
            return await cancel_when(task, in_thread(lambda: wait_requests(server)))

    assert asyncio.run(go()) < PROMPT
    assert len(server.requests) == 1


# --------------------------------------------------------------------------- interrupts

INTERRUPTS = [KeyboardInterrupt, SystemExit, asyncio.CancelledError]


class Interrupting(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Raises ``exc`` on send, or (``mid_stream``) after the first event of a stream."""

    def __init__(self, exc: type[BaseException], *, mid_stream: bool = False) -> None:
        self.exc = exc
        self.mid_stream = mid_stream
        self.closed = 0

    def _response(self, request: httpx.Request, stream: Any) -> httpx.Response:
        if not self.mid_stream:
            raise self.exc()
        headers = {"content-type": "text/event-stream"}
        return httpx.Response(200, headers=headers, stream=stream, request=request)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._response(request, _SyncBody(self))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return self._response(request, _AsyncBody(self))


class _SyncBody(httpx.SyncByteStream):
    def __init__(self, owner: Interrupting) -> None:
        self.owner = owner

    def __iter__(self) -> Iterator[bytes]:
        yield EVENTS[0]
        raise self.owner.exc()

    def close(self) -> None:
        self.owner.closed += 1


class _AsyncBody(httpx.AsyncByteStream):
    def __init__(self, owner: Interrupting) -> None:
        self.owner = owner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield EVENTS[0]
        raise self.owner.exc()

    async def aclose(self) -> None:
        self.owner.closed += 1


def injected(transport: Interrupting) -> OpenRouterCore:
    return OpenRouterCore(
        api_key=SECRET,
        server_url="http://openrouter.invalid/api/v1",
        client=httpx.Client(transport=transport),
        async_client=httpx.AsyncClient(transport=transport),
        retry_config=RetryConfig(initial_delay=0.0, max_delay=0.0),
    )


@pytest.mark.parametrize("exc", INTERRUPTS)
def test_interrupt_on_send_propagates_sync(exc: type[BaseException]) -> None:
    with pytest.raises(exc):
        chat_send(injected(Interrupting(exc)), PARAMS)


@pytest.mark.parametrize("exc", INTERRUPTS)
def test_interrupt_on_send_propagates_async(exc: type[BaseException]) -> None:
    core = injected(Interrupting(exc))

    async def go() -> None:
        with pytest.raises(exc):
            await chat_send_async(core, PARAMS)

    asyncio.run(go())


@pytest.mark.parametrize("exc", INTERRUPTS)
def test_interrupt_mid_stream_propagates_and_closes_sync(exc: type[BaseException]) -> None:
    transport = Interrupting(exc, mid_stream=True)
    stream = chat_stream(injected(transport), PARAMS).unwrap()
    items = iter(stream)
    assert isinstance(next(items), Success)
    with pytest.raises(exc):
        next(items)
    assert stream.closed
    assert transport.closed >= 1


@pytest.mark.parametrize("exc", INTERRUPTS)
def test_interrupt_mid_stream_propagates_and_closes_async(exc: type[BaseException]) -> None:
    transport = Interrupting(exc, mid_stream=True)
    core = injected(transport)

    async def go() -> None:
        stream = (await chat_stream_async(core, PARAMS)).unwrap()
        assert isinstance(await stream.__anext__(), Success)
        with pytest.raises(exc):
            await stream.__anext__()
        assert stream.closed

    asyncio.run(go())
    assert transport.closed >= 1


@pytest.mark.parametrize("exc", INTERRUPTS)
def test_interrupt_in_retry_sleep_propagates(
    server: LoopbackServer, exc: type[BaseException]
) -> None:
    server.default = json_response(503, error_body("busy", code=503))
    core = make_core(server.base_url, retry_config=SLOW_RETRY)
    prepared = prepare(chat_operation(), core, PARAMS).unwrap()

    def sleep(delay: float) -> None:
        raise exc()

    async def async_sleep(delay: float) -> None:
        raise exc()

    with core, pytest.raises(exc):
        run_sync(core, prepared, sleep=sleep)

    async def go() -> None:
        async with core:
            with pytest.raises(exc):
                await run_async(core, prepared, sleep=async_sleep)

    asyncio.run(go())
    assert len(server.requests) == 2
