"""Property: whatever a caller passes, a call returns a Result and nothing raises.

The other side of ``tests/test_reliability_fuzz.py``: there the server misbehaves, here the
caller does. Random Python values (numbers, NaN, strings with line breaks, bytes, containers,
objects, sentinels, configs) go into every argument of every operation in ``funcs/``: ``params``
(random values, and mappings of the body's own field names with random values), the path and
query keywords, the per-call options (real and misspelt names), sync and async, against the
fake transport (no sockets). Each call must return a ``Success`` or a ``Failure`` of an
``OpenRouterCoreError``; a stream or a body in a Success is read and closed.

The configuration is fuzzed the same way: ``OpenRouterCore(**random)`` either raises
``TypeError`` or ``ValueError`` at once, or builds a core whose calls return Results.

``python -m tests.test_reliability_arguments N`` runs N examples of each and counts the raises.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import inspect
import io
import itertools
import math
import pkgutil
import sys
from collections.abc import Callable
from typing import Any

import attrs
import httpx2
import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st
from returns.result import Failure, Result, Success

import funcs
from openrouter_core import NOT_GIVEN, OpenRouterCore, RetryConfig
from openrouter_core.errors import OpenRouterCoreError
from openrouter_core.testing import FakeOpenRouter

# The modules that hold operations: a declared one (``operation()``) or one of the pure or
# composed functions the README documents beside them.
_COMPOSED = (
    "o_auth_create_authorization_url",
    "o_auth_create_sha256_code_challenge",
    "video_generation_wait",
)


def _functions() -> list[tuple[str, Callable[..., Any]]]:
    found: list[tuple[str, Callable[..., Any]]] = []
    for info in pkgutil.iter_modules(funcs.__path__):
        if info.name.startswith("_"):
            continue  # not an operation (funcs/_aliases.py)
        module = importlib.import_module(f"funcs.{info.name}")
        if not hasattr(module, "operation") and info.name not in _COMPOSED:
            continue
        for name in sorted(getattr(module, "__all__", ())):
            value = getattr(module, name)
            if inspect.isfunction(value):
                found.append((f"{info.name}.{name}", value))
    return found


FUNCTIONS = _functions()
OPTION_NAMES = [
    "timeout",
    "retries",
    "extra_headers",
    "extra_query",
    "extra_body",
    "first_content_timeout",
    "chunk_gap_timeout",
    "stream",
    "retry_not_found_for",
    "timout",
    "categroy",
]


class _Opaque:
    """An object of no type the library knows."""


class _Exploding:
    """A value whose every use raises: str, repr, comparisons, iteration, reading."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"boom: {name}")

    def __str__(self) -> str:
        raise RuntimeError("boom: str")

    def __repr__(self) -> str:
        raise RuntimeError("boom: repr")


def _view(data: bytes) -> memoryview:
    return memoryview(data)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["", ".", "..", "a/b", "x\r\nEvil: 1", "café", "true", "10", "2025-01-31"]),
    st.binary(max_size=12),
    st.builds(bytearray, st.binary(max_size=8)),
    st.binary(max_size=8).map(_view),
    st.just(NOT_GIVEN),
    st.builds(_Opaque),
    st.builds(_Exploding),
    st.just(RetryConfig(max_retries=1, initial_delay=0.0, max_delay=0.0)),
    st.just(httpx2.Timeout(1.0)),
    st.builds(io.BytesIO, st.binary(max_size=8)),
    st.builds(io.StringIO, st.text(max_size=4)),
    st.just(math.inf),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.tuples(inner, inner),
        st.dictionaries(st.one_of(st.text(max_size=6), st.integers()), inner, max_size=3),
        st.frozensets(st.integers(), max_size=2),
    ),
    max_leaves=6,
)


def _body_fields(fn: Callable[..., Any]) -> list[str]:
    module = sys.modules[fn.__module__]
    op = module.operation() if hasattr(module, "operation") else None
    body = getattr(op, "body", None)
    if body is not None:
        return [f.name for f in attrs.fields(body) if not f.name.startswith("_")]
    form = getattr(op, "form", None)
    return [*form.files, *form.fields] if form is not None else []


def _optional_parameters(fn: Callable[..., Any]) -> list[str]:
    """The optional path and query parameters ``fn``'s ``**arguments`` may hold."""
    module = sys.modules[fn.__module__]
    op = module.operation() if hasattr(module, "operation") else None
    declared = (*getattr(op, "path_params", ()), *getattr(op, "query_params", ()))
    return sorted(p.name for p in declared if not p.required)


@st.composite
def calls(draw: st.DrawFn) -> tuple[str, Callable[..., Any], list[Any], dict[str, Any]]:
    """An operation and random arguments for it (without the core)."""
    name, fn = draw(st.sampled_from(FUNCTIONS))
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for parameter in list(inspect.signature(fn).parameters.values())[1:]:
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            # ``**arguments`` stands for the optional parameters and the per-call options.
            names = [*_optional_parameters(fn), *OPTION_NAMES]
            for name in draw(st.lists(st.sampled_from(names), max_size=4, unique=True)):
                kwargs[name] = draw(values)
        elif parameter.name == "params":
            fields = _body_fields(fn)
            body = draw(
                st.one_of(
                    values,
                    st.dictionaries(st.sampled_from(fields or ["x"]), values, max_size=4),
                )
            )
            args.append(body)
        elif parameter.default is inspect.Parameter.empty or draw(st.booleans()):
            kwargs[parameter.name] = draw(values)
    return name, fn, args, kwargs


def _settle(value: Any) -> None:
    """Read a stream or a body a Success holds, and close it."""
    if hasattr(value, "collect"):
        with value:
            result = value.collect()
        assert isinstance(result, Result)
    elif hasattr(value, "read") and hasattr(value, "close"):
        with value:
            assert isinstance(value.read(), Result)


async def _asettle(value: Any) -> None:
    if hasattr(value, "collect"):
        async with value:
            result = await value.collect()
        assert isinstance(result, Result)
    elif hasattr(value, "read") and hasattr(value, "aclose"):
        async with value:
            assert isinstance(await value.read(), Result)


def _check(result: object, what: str) -> object:
    assert isinstance(result, (Success, Failure)), f"{what} returned {result!r}"
    if isinstance(result, Failure):
        assert isinstance(result.failure(), OpenRouterCoreError), f"{what}: {result!r}"
        return None
    return result.unwrap()


async def _drive_async(
    fn: Callable[..., Any], core: OpenRouterCore, args: list[Any], kwargs: dict[str, Any], what: str
) -> None:
    outcome = fn(core, *args, **kwargs)
    if hasattr(outcome, "__anext__"):
        async for item in outcome:
            _check(item, what)
        return
    value = _check(await outcome, what)
    if value is not None:
        await _asettle(value)


def run_call(fn: Callable[..., Any], args: list[Any], kwargs: dict[str, Any], what: str) -> None:
    """Call ``fn`` against a fresh fake; any exception escapes to the caller (the test)."""
    core = FakeOpenRouter().core()
    if inspect.iscoroutinefunction(fn) or fn.__name__.endswith("_iter_async"):
        asyncio.run(_drive_async(fn, core, args, kwargs, what))
        return
    outcome = fn(core, *args, **kwargs)
    if inspect.isgenerator(outcome) or hasattr(outcome, "__next__"):
        for item in itertools.islice(outcome, 5):
            _check(item, what)
        return
    value = _check(outcome, what)
    if value is not None:
        _settle(value)


CONFIG_NAMES = [
    "api_key",
    "server_url",
    "timeout",
    "retry_config",
    "http_referer",
    "app_title",
    "app_categories",
    "default_headers",
    "first_content_timeout",
    "chunk_gap_timeout",
    "log_bodies",
    "client",
    "async_client",
    "base_url",
]


@functools.cache
def _clients() -> tuple[Any, ...]:
    # Made once, with a transport: a client of its own would build an SSL context each time.
    transport = FakeOpenRouter()
    return httpx2.Client(transport=transport), httpx2.AsyncClient(transport=transport)


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    """Random settings for ``OpenRouterCore``: some values of the right kind, most not."""
    config: dict[str, Any] = {}
    plausible = {
        "api_key": st.sampled_from(["sk-or-1", "sk-or-1\n", " sk", "Bearer x", ""]),
        "server_url": st.sampled_from(
            ["https://x.test/api/v1", "openrouter.ai/api/v1", "ftp://x", "http://", "https://a b"]
        ),
        "retry_config": st.builds(
            RetryConfig,
            max_retries=st.integers(0, 3),
            initial_delay=st.just(0.0),
            max_delay=st.just(0.0),
        ),
        "client": st.sampled_from([*_clients(), "client"]),
        "async_client": st.sampled_from(_clients()),
    }
    for name in draw(st.lists(st.sampled_from(CONFIG_NAMES), max_size=4, unique=True)):
        config[name] = draw(plausible.get(name, values) if draw(st.booleans()) else values)
    return config


def run_config(config: dict[str, Any]) -> None:
    """Build a core from ``config`` (only TypeError or ValueError may escape, at once), then
    call through it with the fake answering."""
    from funcs.chat_send import chat_send
    from funcs.models_list import models_list

    fake = FakeOpenRouter()
    wired = {"client": httpx2.Client(transport=fake), "async_client": None}
    try:
        core = OpenRouterCore(**{"api_key": "k", **wired, **config})
    except (TypeError, ValueError):
        return
    if core.client is not wired["client"]:
        return  # a client of the caller's own: it would reach the network
    _check(models_list(core, limit=2), "models_list")
    value = _check(
        chat_send(core, {"model": "m", "messages": [{"role": "user", "content": "x"}]}), "chat_send"
    )
    if value is not None:
        _settle(value)


ARGUMENT_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@ARGUMENT_SETTINGS
@given(call=calls())
def test_any_arguments_to_any_operation_give_a_result(
    call: tuple[str, Callable[..., Any], list[Any], dict[str, Any]],
) -> None:
    name, fn, args, kwargs = call
    run_call(fn, args, kwargs, name)


@settings(ARGUMENT_SETTINGS, max_examples=60)
@given(config=configs())
def test_any_configuration_raises_at_once_or_gives_results(config: dict[str, Any]) -> None:
    run_config(config)


def test_the_fuzz_reaches_every_operation() -> None:
    modules = {name.partition(".")[0] for name, _ in FUNCTIONS}
    declared = [
        info.name
        for info in pkgutil.iter_modules(funcs.__path__)
        if not info.name.startswith("_")
        and hasattr(importlib.import_module(f"funcs.{info.name}"), "operation")
    ]
    assert set(declared) <= modules
    assert len(declared) >= 97
    assert any(name.endswith("_async") for name, _ in FUNCTIONS)
    assert any(name.endswith("_iter") for name, _ in FUNCTIONS)


@pytest.mark.parametrize(
    ("name", "kwargs", "path"),
    [
        ("models_list.models_list", {"limit": "ten"}, "limit"),
        ("models_list.models_list", {"limit": math.nan}, "limit"),
        ("models_list.models_list", {"categroy": "programming"}, "categroy"),
        ("api_keys_delete.api_keys_delete", {"hash": b"abc"}, "hash"),
        ("scim_delete.scim_delete", {"id": "x", "keep_members": "maybe"}, "keep_members"),
    ],
)
def test_the_failure_names_the_argument(name: str, kwargs: dict[str, Any], path: str) -> None:
    fake = FakeOpenRouter()
    error = dict(FUNCTIONS)[name](fake.core(), **kwargs).failure()
    assert isinstance(error, OpenRouterCoreError)
    assert error.path == path  # type: ignore[attr-defined]
    assert fake.requests == []


def main(count: int) -> int:
    """Run ``count`` examples of the argument and configuration fuzz; print the raises."""
    import random
    import traceback

    from hypothesis import find  # noqa: F401 - only to make sure hypothesis is installed

    raises = calls_made = 0
    rng = random.Random(0)
    for index in range(count):
        call = calls().example() if index % 4 else None
        try:
            if call is not None:
                name, fn, args, kwargs = call
                run_call(fn, args, kwargs, name)
            else:
                run_config(configs().example())
        except Exception:
            raises += 1
            traceback.print_exc()
        calls_made += 1
        rng.random()
    print(f"{calls_made} examples, {raises} raised")
    return 1 if raises else 0


if __name__ == "__main__":
    import warnings

    from hypothesis.errors import NonInteractiveExampleWarning

    warnings.simplefilter("ignore", NonInteractiveExampleWarning)
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
