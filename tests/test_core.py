"""OpenRouterCore: configuration, environment fallbacks, secrecy, header checks, pools."""

from __future__ import annotations

import asyncio
import copy
import pickle
import sys

import attrs
import httpx
import httpx2
import pytest

from openrouter_core import OpenRouterCore, RetryConfig
from openrouter_core._machinery.pools import async_client, sync_client
from openrouter_core.core import DEFAULT_SERVER_URL, USER_AGENT
from openrouter_core.errors import ChatError, InvalidRequestError

SECRET = "sk-or-v1-0123456789abcdef-secret"


def test_key_and_url_fall_back_to_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", SECRET)
    monkeypatch.setenv("OPENROUTER_BASE_URL", "http://127.0.0.1:9/api/v1/")
    core = OpenRouterCore()
    assert core.api_key == SECRET
    assert core.server_url == "http://127.0.0.1:9/api/v1"


def test_defaults_without_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    monkeypatch.delenv("OPENROUTER_BASE_URL", raising=False)
    core = OpenRouterCore()
    assert core.api_key is None
    assert core.server_url == DEFAULT_SERVER_URL
    assert core.retry_config == RetryConfig()


def test_repr_and_str_never_show_the_key() -> None:
    core = OpenRouterCore(api_key=SECRET)
    assert SECRET not in repr(core)
    assert SECRET not in str(core)
    assert "<set>" in repr(core)


def test_core_is_immutable_and_evolvable() -> None:
    core = OpenRouterCore(api_key=SECRET, app_title="App")
    with pytest.raises(AttributeError):
        core.app_title = "Other"  # type: ignore[misc]
    other = attrs.evolve(core, app_title="Other")
    if sys.version_info >= (3, 13):
        assert copy.replace(core, app_title="Other").base_headers == other.base_headers
    assert other.base_headers["X-OpenRouter-Title"] == "Other"
    assert core.base_headers["X-OpenRouter-Title"] == "App"


def test_core_is_an_attrs_class() -> None:
    cls: type[object] = OpenRouterCore  # attrs.has narrows its argument's type
    assert attrs.has(cls)
    names = [f.name for f in attrs.fields(OpenRouterCore)]
    assert names[:4] == ["api_key", "server_url", "timeout", "retry_config"]
    assert names[-2:] == ["client", "async_client"]
    # Configuration only: what calls create at run time is the machinery's (pools.py).
    assert [f.name for f in attrs.fields(OpenRouterCore) if not f.init] == []
    core = OpenRouterCore(api_key=SECRET, app_title="App")
    assert core == OpenRouterCore(api_key=SECRET, app_title="App")
    assert core != OpenRouterCore(api_key=SECRET, app_title="Other")


def test_an_evolved_core_has_its_own_pools(monkeypatch: pytest.MonkeyPatch) -> None:
    core = OpenRouterCore(api_key=SECRET, server_url="http://127.0.0.1:9/v1/")
    pooled = sync_client(core)
    other = attrs.evolve(core, app_title="Other")
    assert sync_client(other) is not pooled
    other.close()
    assert isinstance(pooled, httpx2.Client)
    assert not pooled.is_closed
    assert sync_client(core) is pooled
    core.close()
    assert pooled.is_closed
    assert sync_client(core) is not pooled  # a closed core makes a new pool when used again
    core.close()
    # Evolving passes every field on: no fallback to the environment, converters kept.
    keyless = OpenRouterCore(api_key=None, server_url="http://127.0.0.1:9/v1")
    monkeypatch.setenv("OPENROUTER_API_KEY", "from-env")
    monkeypatch.setenv("OPENROUTER_BASE_URL", "http://elsewhere")
    evolved = attrs.evolve(keyless, app_title="x")
    assert evolved.api_key is None
    assert evolved.server_url == "http://127.0.0.1:9/v1"
    assert other.server_url == "http://127.0.0.1:9/v1"
    assert attrs.evolve(core, app_categories=["a", "b"]).app_categories == "a,b"
    with pytest.raises(ValueError, match="app_title must be ASCII"):
        attrs.evolve(core, app_title="Café")
    with pytest.raises(TypeError):
        attrs.evolve(core, pools=None)


def test_asdict_works_and_leaves_live_objects_alone() -> None:
    client = httpx.Client()
    core = OpenRouterCore(api_key=SECRET, client=client, default_headers={"X-A": "1"})
    data = attrs.asdict(core)
    assert data["retry_config"] == attrs.asdict(RetryConfig())
    assert data["client"] is client
    assert "_pools" not in data
    assert data["default_headers"] == {"X-A": "1"}
    assert SECRET not in repr(core)
    client.close()


def test_base_headers() -> None:
    core = OpenRouterCore(
        api_key=SECRET,
        http_referer="https://example.com",
        app_title="My App",
        app_categories=["cli-agent", "cloud-agent"],
        default_headers={"X-Custom": "1", "Accept": "application/json"},
    )
    headers = core.base_headers
    assert headers["Authorization"] == f"Bearer {SECRET}"
    assert headers["HTTP-Referer"] == "https://example.com"
    assert headers["X-OpenRouter-Title"] == "My App"
    assert headers["X-OpenRouter-Categories"] == "cli-agent,cloud-agent"
    assert headers["User-Agent"] == USER_AGENT
    assert headers["X-Custom"] == "1"


def test_bearer_prefix_is_not_doubled() -> None:
    core = OpenRouterCore(api_key=f"Bearer {SECRET}")
    assert core.base_headers["Authorization"] == f"Bearer {SECRET}"


@pytest.mark.parametrize("field", ["app_title", "http_referer", "app_categories"])
def test_non_ascii_header_values_are_refused_at_config_time(field: str) -> None:
    with pytest.raises(ValueError, match=f"{field} must be ASCII"):
        OpenRouterCore(api_key=SECRET, **{field: "Café ☕"})  # type: ignore[arg-type]


def test_header_injection_is_refused() -> None:
    with pytest.raises(ValueError, match="line breaks"):
        OpenRouterCore(api_key=SECRET, app_title="x\r\nEvil: 1")


def test_non_ascii_key_error_does_not_echo_the_key() -> None:
    bad = SECRET + "é"
    with pytest.raises(ValueError, match="api_key must be ASCII") as info:
        OpenRouterCore(api_key=bad)
    assert bad not in str(info.value)


def test_timeout_accepts_numbers_and_both_timeout_classes() -> None:
    for value in (5, 2.5, httpx.Timeout(3.0), httpx2.Timeout(3.0, connect=1.0)):
        assert OpenRouterCore(api_key=SECRET, timeout=value).timeout is value


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (0, ValueError),
        (-1.0, ValueError),
        (float("nan"), ValueError),
        ("5", TypeError),
        (True, TypeError),
        (httpx2.Timeout(None, connect="1"), TypeError),  # type: ignore[arg-type]
    ],
)
def test_timeout_is_checked(value: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="timeout must be a positive number of seconds"):
        OpenRouterCore(api_key=SECRET, timeout=value)  # type: ignore[arg-type]


def test_one_pooled_client_per_core_and_close() -> None:
    core = OpenRouterCore(api_key=SECRET)
    first = sync_client(core)
    assert sync_client(core) is first
    core.close()
    assert isinstance(first, httpx2.Client)
    assert first.is_closed
    second = sync_client(core)
    assert second is not first
    with core:
        pass
    assert isinstance(second, httpx2.Client)
    assert second.is_closed


def test_injected_clients_are_never_closed() -> None:
    client = httpx.Client()
    injected = httpx.AsyncClient()
    core = OpenRouterCore(api_key=SECRET, client=client, async_client=injected)
    assert sync_client(core) is client

    async def use() -> None:
        assert async_client(core) is injected
        async with core:
            pass

    asyncio.run(use())
    assert not client.is_closed
    assert not injected.is_closed
    client.close()
    asyncio.run(injected.aclose())


def test_async_pool_per_event_loop() -> None:
    core = OpenRouterCore(api_key=SECRET)
    seen: list[object] = []

    async def use() -> None:
        client = async_client(core)
        assert async_client(core) is client
        seen.append(client)

    asyncio.run(use())
    asyncio.run(use())
    # A pool cannot outlive its loop, so the second loop gets its own.
    assert seen[0] is not seen[1]

    async def close() -> None:
        client = async_client(core)
        await core.aclose()
        assert isinstance(client, httpx2.AsyncClient)
        assert client.is_closed

    asyncio.run(close())


def test_errors_are_picklable_values_without_live_objects() -> None:
    err = ChatError(
        message="429 slow down",
        status_code=429,
        code=429,
        metadata={"provider_name": "X"},
        headers={"retry-after": "1"},
        body='{"error": {}}',
        retry_after=1.0,
    )
    clone = pickle.loads(pickle.dumps(err))
    assert clone == err
    assert clone.provider_name == "X"
    assert str(clone) == "429 slow down"
    with pytest.raises(ChatError):
        raise clone


def test_invalid_request_error_names_path() -> None:
    err = InvalidRequestError(message="messages[0].role: bad", path="messages[0].role")
    assert pickle.loads(pickle.dumps(err)).path == "messages[0].role"
