"""The clients a core's calls use and their lifetime: the machinery's, not the core's.

A core is configuration (immutable values). What its calls create at run time lives here, one
:class:`Pools` per core, found by the core's identity and dropped with the core: the pooled
sync client, one async client per event loop (an async pool cannot outlive the loop it was made
on), and what is worked out once per core (its headers, the per-call options a call without
any resolves to, the URL and header objects of the client library). Injected clients are the
caller's: used, never created or closed here.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

    from openrouter_core._client import AsyncHTTPClient, SyncHTTPClient
    from openrouter_core.core import OpenRouterCore

__all__ = ["Pools", "aclose", "async_client", "close", "pools", "sync_client"]


class Pools:
    """What one core's calls create and reuse."""

    __slots__ = ("async_clients", "defaults", "headers", "keepers", "lock", "sync_client", "wire")

    def __init__(self, headers: dict[str, str]) -> None:
        self.lock = threading.Lock()
        #: The core's headers (``OpenRouterCore.base_headers``), built once: shared by every
        #: request and never changed (a request that adds to them copies them first).
        self.headers = headers
        self.sync_client: Any = None
        self.async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = (
            weakref.WeakKeyDictionary()
        )
        # The request's URL and headers as the client library's own objects, built once per
        # (client class, URL, streaming, body or not): parsing them again on every call costs
        # more than the rest of the SDK's per-call work.
        self.wire: dict[tuple[Any, ...], tuple[Any, Any]] = {}
        # The async generator per loop that closes its pool at the loop's shutdown (see
        # ``_close_with_loop``); held here so it is not finalized early.
        self.keepers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = (
            weakref.WeakKeyDictionary()
        )
        #: The per-call options a call without any resolves to (the core's own settings).
        self.defaults: Any = None


_ALL: dict[int, Pools] = {}
_ALL_LOCK = threading.Lock()


def pools(core: OpenRouterCore) -> Pools:
    """The pools of ``core`` (made on first use, dropped when the core is)."""
    found = _ALL.get(id(core))
    if found is None:
        with _ALL_LOCK:
            found = _ALL.get(id(core))
            if found is None:
                found = _ALL[id(core)] = Pools(dict(core.base_headers))
                # The entry goes with the core, before its id can be given to another object.
                weakref.finalize(core, _ALL.pop, id(core), None)
    return found


def _pool_options() -> dict[str, Any]:
    import httpx2

    from openrouter_core.core import DEFAULT_TIMEOUT

    return {
        "timeout": httpx2.Timeout(DEFAULT_TIMEOUT),
        "follow_redirects": True,
        # Idle connections are kept long enough that calls seconds apart skip a new TLS
        # handshake, but few: the pool polls every idle socket on each request, and 50 or 100
        # idle made calls after a burst cost up to 1.5x the CPU of 20 (benchmarks/).
        "limits": httpx2.Limits(
            max_connections=100, max_keepalive_connections=20, keepalive_expiry=30.0
        ),
    }


def sync_client(core: OpenRouterCore) -> SyncHTTPClient:
    """The caller's sync client, or the core's pooled one (created on first use)."""
    if core.client is not None:
        return core.client
    held = pools(core)
    client: SyncHTTPClient | None = held.sync_client
    if client is None:
        with held.lock:
            client = held.sync_client
            if client is None:
                import httpx2

                client = held.sync_client = httpx2.Client(**_pool_options())
    return client


def async_client(core: OpenRouterCore) -> AsyncHTTPClient:
    """The caller's async client, or the core's pooled one for the running event loop."""
    if core.async_client is not None:
        return core.async_client
    # asyncio is imported here, not at module level: sync-only users never pay for it.
    import asyncio

    loop = asyncio.get_running_loop()
    held = pools(core)
    client: AsyncHTTPClient | None = held.async_clients.get(loop)
    if client is None:
        with held.lock:
            client = held.async_clients.get(loop)
            if client is None:
                import httpx2

                client = httpx2.AsyncClient(**_pool_options())
                held.async_clients[loop] = client
                _close_with_loop(held, loop, client)
    return client


async def _pool_keeper(held: Pools, loop: asyncio.AbstractEventLoop, client: Any) -> Any:
    # Suspended at its ``yield`` for as long as the loop runs. ``asyncio.run()`` (and any runner
    # that calls ``loop.shutdown_asyncgens()``) closes it before closing the loop, which runs
    # the ``finally`` on that loop: the pool is closed there, while its sockets can still be.
    try:
        yield
    finally:
        with held.lock:
            if held.async_clients.get(loop) is client:
                del held.async_clients[loop]
        await client.aclose()


def _close_with_loop(held: Pools, loop: asyncio.AbstractEventLoop, client: Any) -> None:
    """Arrange for ``client`` to be closed when ``loop`` shuts down its async generators."""
    keeper = _pool_keeper(held, loop, client)
    # Started without awaiting: its body awaits nothing before its ``yield``, so one ``send``
    # gets there, and the loop's first-iteration hook registers it for shutdown.
    step = keeper.asend(None)
    with contextlib.suppress(StopIteration):
        step.send(None)
    held.keepers[loop] = keeper


def close(core: OpenRouterCore) -> None:
    """Close the sync pool made for ``core`` (an injected client is left alone)."""
    held = _ALL.get(id(core))
    if held is None:
        return
    with held.lock:
        client, held.sync_client = held.sync_client, None
    if client is not None:
        client.close()


async def aclose(core: OpenRouterCore) -> None:
    """Close the pools made for ``core``: the sync one and the running loop's."""
    close(core)
    held = _ALL.get(id(core))
    if held is None:
        return
    import asyncio

    loop = asyncio.get_running_loop()
    with held.lock:
        client = held.async_clients.pop(loop, None)
        keeper = held.keepers.pop(loop, None)
    if client is not None:
        await client.aclose()
    if keeper is not None:
        await keeper.aclose()
