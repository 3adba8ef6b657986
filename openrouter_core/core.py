"""``OpenRouterCore``: immutable configuration plus the lazily created connection pools."""

from __future__ import annotations

import contextlib
import os
import threading
import weakref
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

import attrs

from openrouter_core._version import __version__

if TYPE_CHECKING:
    import asyncio

    from typing_extensions import Self

    from openrouter_core._client import AsyncHTTPClient, SyncHTTPClient, TimeoutLike

__all__ = ["DEFAULT_SERVER_URL", "DEFAULT_TIMEOUT", "OpenRouterCore", "RetryConfig"]

DEFAULT_SERVER_URL = "https://openrouter.ai/api/v1"

#: (connect, read, write, pool) seconds. Generations can take minutes, so reading may take long;
#: connecting should be quick.
DEFAULT_TIMEOUT: tuple[float, float, float, float] = (10.0, 600.0, 600.0, 600.0)

USER_AGENT = f"openrouter-core/{__version__} (python)"

TimeoutTuple = tuple[float | None, float | None, float | None, float | None]


def timeout_tuple(value: float | TimeoutLike) -> TimeoutTuple:
    """A timeout as the (connect, read, write, pool) tuple both httpx and httpx2 understand."""
    if isinstance(value, (int, float)):
        return (value, value, value, value)
    return (value.connect, value.read, value.write, value.pool)


def is_timeout(value: object) -> bool:
    """True for a positive number of seconds or a Timeout object (httpx or httpx2)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return value > 0
    return all(hasattr(value, name) for name in ("connect", "read", "write", "pool"))


def _non_negative(_: Any, attribute: attrs.Attribute[Any], value: float | int | None) -> None:
    if value is not None and value < 0:
        raise ValueError(f"{attribute.name} must be >= 0, got {value!r}")


@attrs.frozen(kw_only=True)
class RetryConfig:
    """How failed attempts are retried.

    Retried: 408, 429, 500, 502, 503, 504, 524, 529, connection errors and timeouts, and a 400
    whose ``error.code`` is one of those statuses. Delays grow exponentially from
    ``initial_delay`` by ``multiplier`` with full jitter, each capped at ``max_delay``; no retry
    starts after ``max_elapsed`` seconds. A server's ``Retry-After`` / ``retry-after-ms`` is
    honoured up to ``retry_after_cap`` seconds; a longer one ends the retries and the Failure
    carries ``retry_after``. ``RetryConfig.disabled()`` turns retries off.
    """

    max_retries: int = attrs.field(default=2, validator=_non_negative)
    initial_delay: float = attrs.field(default=0.5, validator=_non_negative)
    max_delay: float = attrs.field(default=8.0, validator=_non_negative)
    multiplier: float = attrs.field(default=2.0, validator=_non_negative)
    jitter: bool = True
    max_elapsed: float = attrs.field(default=60.0, validator=_non_negative)
    retry_after_cap: float = attrs.field(default=60.0, validator=_non_negative)
    retry_connection_errors: bool = True

    @classmethod
    def disabled(cls) -> RetryConfig:
        """A config that never retries."""
        return cls(max_retries=0)


def _env_key() -> str | None:
    return os.environ.get("OPENROUTER_API_KEY") or None


def _env_url() -> str:
    return os.environ.get("OPENROUTER_BASE_URL") or DEFAULT_SERVER_URL


def _check_header_value(name: str, value: str, *, secret: bool = False) -> None:
    # httpx refuses non-ASCII header values only when sending; refuse them here instead.
    shown = "" if secret else f"; got {value!r}"
    if not value.isascii():
        raise ValueError(
            f"{name} must be ASCII because it is sent as an HTTP header{shown}. "
            "Transliterate it or percent-encode it (urllib.parse.quote) before passing it."
        )
    if "\r" in value or "\n" in value:
        raise ValueError(f"{name} must not contain line breaks{shown}")


def _validate_optional_header(_: Any, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is not None:
        _check_header_value(attribute.name, value)


def _convert_categories(value: str | Sequence[str] | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return ",".join(value)


def _convert_headers(value: Mapping[str, str] | None) -> Mapping[str, str]:
    headers = dict(value or {})
    for key, item in headers.items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise TypeError(f"default_headers must map str to str; got {key!r}: {item!r}")
        _check_header_value(f"default_headers[{key!r}]", item)
    return headers


def _convert_url(value: str) -> str:
    return value.rstrip("/")


def _check_timeout(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not is_timeout(value):
        raise ValueError(
            f"{attribute.name} must be a positive number or a Timeout (httpx or httpx2)"
        )


class _Pools:
    """Mutable holder for the clients the core creates itself (never the caller's)."""

    __slots__ = ("async_clients", "defaults", "keepers", "lock", "sync_client", "wire")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sync_client: Any = None
        # One async client per event loop: an async pool cannot outlive the loop it was made on.
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
        # The per-call options a call without any resolves to (the core's own settings).
        self.defaults: Any = None


def _pool_options() -> dict[str, Any]:
    import httpx2

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


async def _pool_keeper(pools: _Pools, loop: asyncio.AbstractEventLoop, client: Any) -> Any:
    # Suspended at its ``yield`` for as long as the loop runs. ``asyncio.run()`` (and any runner
    # that calls ``loop.shutdown_asyncgens()``) closes it before closing the loop, which runs
    # the ``finally`` on that loop: the pool is closed there, while its sockets can still be.
    try:
        yield
    finally:
        with pools.lock:
            if pools.async_clients.get(loop) is client:
                del pools.async_clients[loop]
        await client.aclose()


def _close_with_loop(pools: _Pools, loop: asyncio.AbstractEventLoop, client: Any) -> None:
    """Arrange for ``client`` to be closed when ``loop`` shuts down its async generators."""
    keeper = _pool_keeper(pools, loop, client)
    # Advance the generator to its ``yield`` without awaiting: its body awaits nothing before
    # it, so one ``send`` gets there. The loop's first-iteration hook registers it for shutdown.
    step = keeper.asend(None)
    with contextlib.suppress(StopIteration):
        step.send(None)
    pools.keepers[loop] = keeper


@attrs.frozen(kw_only=True, repr=False)
class OpenRouterCore:
    """Configuration shared by every call; pass it to functions such as ``chat_send``.

    Immutable: use ``attrs.evolve(core, ...)`` (or ``copy.replace`` on Python 3.13+) for a
    variant. Without injected clients, one pooled client per core is created on first use
    and reused; close it with ``close()`` / ``aclose()`` or ``with core:`` / ``async with core:``.
    Injected clients are never closed by the SDK.
    """

    # ``api_key`` and ``server_url`` fall back to the environment only when not given (an
    # explicit ``api_key=None`` stays None). The validators run once every field is set, in
    # declaration order. ``app_categories`` also takes a list of names, ``default_headers`` None.
    api_key: str | None = attrs.field(factory=_env_key)
    server_url: str = attrs.field(factory=_env_url, converter=_convert_url)
    #: Seconds or a Timeout (httpx or httpx2); ``None`` means ``DEFAULT_TIMEOUT`` for the core's
    #: own pool and the injected client's own setting for a caller's client.
    timeout: float | TimeoutLike | None = attrs.field(default=None, validator=_check_timeout)
    retry_config: RetryConfig = attrs.field(factory=RetryConfig)
    http_referer: str | None = attrs.field(default=None, validator=_validate_optional_header)
    app_title: str | None = attrs.field(default=None, validator=_validate_optional_header)
    app_categories: str | None = attrs.field(
        default=None, converter=_convert_categories, validator=_validate_optional_header
    )
    default_headers: Mapping[str, str] = attrs.field(default=None, converter=_convert_headers)
    #: Seconds from sending to the first content chunk of a stream; ``None`` for no limit.
    first_content_timeout: float | None = attrs.field(default=None, validator=_non_negative)
    #: Longest gap in seconds between two content chunks of a stream; ``None`` for no limit.
    chunk_gap_timeout: float | None = attrs.field(default=None, validator=_non_negative)
    #: Log request and response bodies at DEBUG (off by default: bodies hold user data).
    log_bodies: bool = False
    client: SyncHTTPClient | None = None
    async_client: AsyncHTTPClient | None = None
    # Not arguments: each core (a variant made by ``attrs.evolve`` too) builds its own, so a
    # variant never shares, or closes, the pools of the core it came from.
    _pools: _Pools = attrs.field(init=False, factory=_Pools, repr=False, eq=False)
    _base_headers: dict[str, str] = attrs.field(init=False, repr=False, eq=False)

    @_base_headers.default
    def _make_base_headers(self) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        if self.api_key:
            _check_header_value("api_key", self.api_key, secret=True)
            key = self.api_key
            headers["Authorization"] = key if key.startswith("Bearer ") else f"Bearer {key}"
        if self.http_referer:
            headers["HTTP-Referer"] = self.http_referer
        if self.app_title:
            headers["X-OpenRouter-Title"] = self.app_title
        if self.app_categories:
            headers["X-OpenRouter-Categories"] = self.app_categories
        headers.update(self.default_headers)
        return headers

    @property
    def chat_url(self) -> str:
        """The full URL of the chat completions endpoint."""
        return f"{self.server_url}/chat/completions"

    @property
    def base_headers(self) -> Mapping[str, str]:
        """Headers every request carries, before per-call headers (includes the key)."""
        return self._base_headers

    def __repr__(self) -> str:
        key = "<set>" if self.api_key else "<missing>"
        return (
            f"OpenRouterCore(api_key={key}, server_url={self.server_url!r}, "
            f"timeout={self.timeout!r}, retry_config={self.retry_config!r}, "
            f"app_title={self.app_title!r})"
        )

    __str__ = __repr__

    def sync_client(self) -> SyncHTTPClient:
        """The caller's sync client, or this core's pooled one (created on first use)."""
        if self.client is not None:
            return self.client
        pools = self._pools
        client: SyncHTTPClient | None = pools.sync_client
        if client is None:
            with pools.lock:
                client = pools.sync_client
                if client is None:
                    import httpx2

                    client = pools.sync_client = httpx2.Client(**_pool_options())
        return client

    def async_client_for_loop(self) -> AsyncHTTPClient:
        """The caller's async client, or this core's pooled one for the running event loop."""
        if self.async_client is not None:
            return self.async_client
        # asyncio is imported here, not at module level: sync-only users never pay for it.
        import asyncio

        loop = asyncio.get_running_loop()
        pools = self._pools
        client: AsyncHTTPClient | None = pools.async_clients.get(loop)
        if client is None:
            with pools.lock:
                client = pools.async_clients.get(loop)
                if client is None:
                    import httpx2

                    client = httpx2.AsyncClient(**_pool_options())
                    pools.async_clients[loop] = client
                    _close_with_loop(pools, loop, client)
        return client

    def close(self) -> None:
        """Close the sync pool this core created (injected clients are left alone)."""
        with self._pools.lock:
            client, self._pools.sync_client = self._pools.sync_client, None
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        """Close the pools this core created for the running loop, and the sync pool."""
        self.close()
        import asyncio

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # pragma: no cover - aclose is always awaited in a loop
            return
        with self._pools.lock:
            client = self._pools.async_clients.pop(loop, None)
            keeper = self._pools.keepers.pop(loop, None)
        if client is not None:
            await client.aclose()
        if keeper is not None:
            await keeper.aclose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
