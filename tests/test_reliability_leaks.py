"""Leaks: streams abandoned mid-way give back every file descriptor and pooled connection.

About 1,000 streams in all (a quarter of that on a secondary Python: tests/scale.py), each left
after its first chunk in one of the ways a caller leaves a stream: ``break``, an exception in the
loop body, dropping it without ``close()`` (collected by reference counting or, inside a reference
cycle, by the garbage collector), and cancelling the task that reads it. The server holds every
stream open, so only the client closing it ends the connection. Afterwards: the server saw every
connection closed, the core's pool holds no connection in use and no waiting request, and the count
of open file descriptors (``/proc/self/fd``) is back at its baseline.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from returns.result import Success

from funcs.chat_send import chat_stream, chat_stream_async
from openrouter_core import OpenRouterCore, RetryConfig
from openrouter_core._machinery.pools import async_client, sync_client
from openrouter_core.chat import AsyncChatStream, ChatStream
from openrouter_core.testing import stream_chunks
from tests.loopback import LoopbackServer, sse
from tests.scale import examples

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd"),
]

SECRET = "sk-or-v1-reliability-leaks-secret"
PARAMS: dict[str, Any] = {
    "model": "openai/gpt-4o-mini",
    "messages": [{"role": "user", "content": "Hello"}],
}
#: Streams per way of leaving; seven ways, so about a thousand in all.
PER_KIND = examples(150)
# Without the final usage chunk: a stream that has it is complete, and ends before it is left.
EVENTS = [
    b"data: " + json.dumps(chunk).encode() + b"\n\n" for chunk in stream_chunks(["a", "b"])[:-1]
]


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def wait_until(condition: Callable[[], bool], limit: float = 5.0) -> bool:
    """Poll ``condition`` (for state no event reports, such as the fd table) up to ``limit``."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def pool_in_use(client: object) -> tuple[int, int]:
    """(connections not idle, requests waiting or running) in the client's pool: httpx's
    httpcore and httpx2's httpcore2 have the same layout."""
    transport: Any = getattr(client, "_transport", None)
    pool = transport._pool
    busy = sum(1 for conn in pool.connections if not (conn.is_idle() or conn.is_closed()))
    return busy, len(pool._requests)


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(default=sse(EVENTS, finish="hold")) as srv:
        yield srv


def make_core(server: LoopbackServer) -> OpenRouterCore:
    return OpenRouterCore(
        api_key=SECRET, server_url=server.base_url, retry_config=RetryConfig.disabled()
    )


def assert_back_to_baseline(server: LoopbackServer, baseline: int) -> None:
    assert server.wait_disconnect(count=server.connections, limit=10.0), (
        f"{server.connections - len(server.disconnects)} connections never closed by the client"
    )
    assert wait_until(lambda: open_fds() <= baseline), f"fds {open_fds()} > baseline {baseline}"


class CallerError(Exception):
    """An exception raised by the caller's own loop body."""


class Cycle:
    """Holds a stream in a reference cycle, so only the garbage collector frees it."""

    def __init__(self, stream: ChatStream | AsyncChatStream) -> None:
        self.stream = stream
        self.me = self


def leave_sync(core: OpenRouterCore, kind: str) -> None:
    result = chat_stream(core, PARAMS, timeout=5.0)
    assert isinstance(result, Success)
    stream = result.unwrap()
    if kind == "break":
        for item in stream:
            assert isinstance(item, Success)
            break
    elif kind == "exception":
        try:
            for _ in stream:
                raise CallerError
        except CallerError:
            pass
    elif kind == "dropped":
        assert isinstance(next(stream), Success)
    else:  # "cycle"
        assert isinstance(next(stream), Success)
        Cycle(stream)


@pytest.mark.parametrize("kind", ["break", "exception", "dropped", "cycle"])
def test_sync_abandoned_streams_leak_nothing(server: LoopbackServer, kind: str) -> None:
    with make_core(server) as core:
        leave_sync(core, "break")  # the pool and its SSL context exist before the baseline
        assert server.wait_disconnect(1)
        baseline = open_fds()
        for index in range(PER_KIND):
            leave_sync(core, kind)
            if kind == "cycle" and index % 25 == 0:
                gc.collect()
        gc.collect()
        # Streams freed by the collector are closed on the closer thread, a moment later.
        assert wait_until(lambda: pool_in_use(sync_client(core)) == (0, 0))
        assert_back_to_baseline(server, baseline)


async def leave_async(core: OpenRouterCore, kind: str) -> None:
    result = await chat_stream_async(core, PARAMS, timeout=5.0)
    assert isinstance(result, Success)
    stream = result.unwrap()
    if kind == "break":
        async for item in stream:
            assert isinstance(item, Success)
            break
    elif kind == "exception":
        try:
            async for _ in stream:
                raise CallerError
        except CallerError:
            pass
    elif kind == "dropped":
        assert isinstance(await stream.__anext__(), Success)
    elif kind == "cycle":
        assert isinstance(await stream.__anext__(), Success)
        Cycle(stream)
    else:  # "cancelled": the task reading the stream is cancelled while it waits for data
        got_one = asyncio.Event()

        async def read() -> None:
            async with stream:
                async for _ in stream:
                    got_one.set()

        task = asyncio.create_task(read())
        await got_one.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert stream.closed


async def settle(client: object) -> bool:
    """Let the loop run the closes scheduled for dropped streams and generators."""
    deadline = time.monotonic() + 5.0
    while pool_in_use(client) != (0, 0):
        if time.monotonic() > deadline:
            return False
        gc.collect()
        await asyncio.sleep(0.01)
    return True


@pytest.mark.parametrize("kind", ["break", "exception", "dropped", "cycle", "cancelled"])
def test_async_abandoned_streams_leak_nothing(server: LoopbackServer, kind: str) -> None:
    core = make_core(server)
    baseline = 0

    async def go() -> None:
        nonlocal baseline
        async with core:
            await leave_async(core, "break")
            client = async_client(core)
            assert await settle(client)
            assert server.wait_disconnect(1)
            baseline = open_fds()
            for index in range(PER_KIND):
                await leave_async(core, kind)
                if kind == "cycle" and index % 25 == 0:
                    gc.collect()
            assert await settle(client), pool_in_use(client)

    asyncio.run(go())
    assert_back_to_baseline(server, baseline)


DEADLOCK_SCRIPT = """
import gc, json, os
import httpx
from funcs.chat_send import chat_stream
from openrouter_core import OpenRouterCore, RetryConfig
from openrouter_core.testing import stream_chunks
from tests.loopback import LoopbackServer, sse

class Cycle:
    def __init__(self, stream):
        self.stream = stream
        self.me = self

events = [b"data: " + json.dumps(c).encode() + b"\\n\\n" for c in stream_chunks(["a"])]
with LoopbackServer(default=sse(events, finish="hold")) as server:
    client = httpx.Client()  # a caller's own httpx client: httpcore's pool lock is a Lock
    core = OpenRouterCore(
        api_key="k", server_url=server.base_url, retry_config=RetryConfig.disabled(), client=client
    )
    pool = client._transport._pool
    assign = pool._assign_requests_to_connections
    def collect_then_assign():
        gc.collect()  # the collector may run at any allocation, so also here, under the lock
        return assign()
    pool._assign_requests_to_connections = collect_then_assign
    gc.disable()
    params = {"model": "m", "messages": [{"role": "user", "content": "x"}]}
    for _ in range(20):
        stream = chat_stream(core, params, timeout=5).unwrap()
        next(stream)
        Cycle(stream)
        del stream
    print("no deadlock", flush=True)
    os._exit(0)
"""


def test_stream_freed_by_the_collector_inside_a_request() -> None:
    root = Path(__file__).resolve().parent.parent
    try:
        done = subprocess.run(
            [sys.executable, "-c", DEADLOCK_SCRIPT],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("deadlock: a new request hung while the collector freed an old stream")
    assert "no deadlock" in done.stdout, done.stderr
