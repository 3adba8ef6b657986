"""Concurrency: one core is safe to share between threads, tasks and successive event loops.

16 threads making 100 calls each through one core all succeed over one pool (the same client
object, at most one connection per thread on the server). A core used from two consecutive
``asyncio.run()`` calls, and from several threads each running its own loop, keeps working:
each loop gets its own async pool, and no "event loop is closed" error appears.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from returns.result import Success

from funcs.chat_send import chat_send, chat_send_async
from openrouter_core import OpenRouterCore, RetryConfig
from openrouter_core._machinery.pools import pools, sync_client
from openrouter_core.testing import completion_body
from tests.loopback import LoopbackServer, json_response

pytestmark = pytest.mark.timeout(60)

SECRET = "sk-or-v1-reliability-threads-secret"
PARAMS: dict[str, Any] = {
    "model": "openai/gpt-4o-mini",
    "messages": [{"role": "user", "content": "Hello"}],
}
THREADS = 16
CALLS = 100


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(default=json_response(200, completion_body("hi"))) as srv:
        yield srv


def make_core(server: LoopbackServer) -> OpenRouterCore:
    return OpenRouterCore(
        api_key=SECRET, server_url=server.base_url, retry_config=RetryConfig.disabled()
    )


def test_sixteen_threads_share_one_pool(server: LoopbackServer) -> None:
    core = make_core(server)
    start = threading.Barrier(THREADS)
    lock = threading.Lock()
    outcomes: list[object] = []
    clients: set[int] = set()
    crashes: list[BaseException] = []

    def work() -> None:
        try:
            start.wait()  # every thread asks for the (not yet created) pool at once
            for _ in range(CALLS):
                result = chat_send(core, PARAMS, stream=False, timeout=10.0)
                with lock:
                    outcomes.append(result)
                    clients.add(id(sync_client(core)))
        except BaseException as exc:  # recorded so the test fails with it
            crashes.append(exc)

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    with core:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(50)
        assert not any(thread.is_alive() for thread in threads)
    assert crashes == []
    assert len(outcomes) == THREADS * CALLS
    failures = [item for item in outcomes if not isinstance(item, Success)]
    assert failures == []
    assert len(clients) == 1
    assert len(server.requests) == THREADS * CALLS
    assert server.connections <= THREADS + 2


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts fds through /proc")
def test_fifty_asyncio_runs_keep_at_most_one_pool_open(server: LoopbackServer) -> None:
    # A module-level core used by one asyncio.run() per invocation, never closed: the way
    # serverless handlers and scripts use it.
    core = make_core(server)
    before = _open_fds()
    for _ in range(50):
        result = asyncio.run(chat_send_async(core, PARAMS))
        assert isinstance(result, Success), result
    # Each run's pool was closed when its loop shut down: no pool, socket or connection is left.
    assert len(pools(core).async_clients) == 0
    assert _open_fds() - before <= 2
    assert server.connections == 50
    assert server.wait_open_connections(at_most=1)
    core.close()


def test_one_core_across_two_asyncio_runs(server: LoopbackServer) -> None:
    core = make_core(server)

    async def calls() -> list[object]:
        return list(await asyncio.gather(*(chat_send_async(core, PARAMS) for _ in range(5))))

    first = asyncio.run(calls())  # the first loop's pool is left open on purpose
    second = asyncio.run(calls())
    assert all(isinstance(item, Success) for item in first + second), first + second

    async def closing() -> object:
        async with core:
            return await chat_send_async(core, PARAMS)

    assert isinstance(asyncio.run(closing()), Success)
    assert isinstance(asyncio.run(closing()), Success)
    assert len(server.requests) == 12


def test_threads_each_running_a_loop_share_one_core(server: LoopbackServer) -> None:
    core = make_core(server)
    results: list[object] = []
    lock = threading.Lock()

    async def calls() -> None:
        for _ in range(10):
            result = await chat_send_async(core, PARAMS, timeout=10.0)
            with lock:
                results.append(result)
        await core.aclose()

    threads = [threading.Thread(target=asyncio.run, args=(calls(),)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(results) == 40
    assert all(isinstance(item, Success) for item in results), results
