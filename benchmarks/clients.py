"""Every client under test behind the same three shapes, so the figures treat them alike.

- ``sync_caller(name, server)`` -> ``(call, close)``: ``call()`` does one chat completion.
- ``async_caller(name, server)`` -> ``(acall, aclose)``, built inside the running loop.
- ``stream_consumer(name, server, n)`` -> ``(consume, close)``: ``consume()`` reads one whole
  ``n``-chunk stream.
- ``responses_stream_consumer(name, server)`` -> ``(consume, close)``: ``consume(n)`` reads one
  whole ``n``-delta Responses API stream (``POST /responses``).
- ``big_models_caller(name, server)`` -> ``(call, close)``: ``call()`` reads the big real
  ``GET /models`` answer (the server's second route) and returns the number of models.

A variant whose package is missing raises ``UnavailableError``; the figures print "n/a" for it.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from _common import (
    API_KEY,
    MODEL,
    OPENAI,
    OPENROUTER,
    OURS,
    OURS_HTTPX,
    OURS_HTTPX2,
    PARAMS,
    RAW_HTTPX,
    RAW_HTTPX2,
    Server,
    stream_model,
)

SyncPair = tuple[Callable[[], object], Callable[[], None]]
AsyncPair = tuple[Callable[[], Awaitable[object]], Callable[[], Awaitable[None]]]

HEADERS = {"Authorization": f"Bearer {API_KEY}"}
# Raw floors additionally parse the JSON body themselves.
RAW_STREAM_SPLIT = "raw httpx bytes split"

ALL_CALL_VARIANTS = (RAW_HTTPX, RAW_HTTPX2, OURS, OURS_HTTPX, OURS_HTTPX2, OPENAI, OPENROUTER)


class UnavailableError(Exception):
    """The variant cannot run here (package missing); the reason is the message."""


def describe(exc: BaseException) -> str:
    """A one-line reason for an "n/a" cell."""
    if isinstance(exc, UnavailableError):
        return str(exc)
    return f"broken: {type(exc).__name__}: {exc}".splitlines()[0]


def _need(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise UnavailableError(f"{module} not importable: {exc}") from None


def _ours(variant: str, server: Server, *, sync: bool) -> Any:
    core_mod = _need("openrouter_core")
    kwargs: dict[str, Any] = {"api_key": API_KEY, "server_url": server.base_url}
    if variant in (OURS_HTTPX, OURS_HTTPX2):
        mod = _need("httpx2" if variant == OURS_HTTPX2 else "httpx")
        kwargs["client" if sync else "async_client"] = mod.Client() if sync else mod.AsyncClient()
    return core_mod.OpenRouterCore(**kwargs), kwargs.get("client", kwargs.get("async_client"))


def _chat_send() -> Any:
    return _need("funcs.chat_send")


def _messages() -> list[dict[str, str]]:
    return PARAMS["messages"]  # type: ignore[return-value]


# --------------------------------------------------------------------------- sync calls


def sync_caller(variant: str, server: Server) -> SyncPair:
    url = server.url
    if variant in (RAW_HTTPX, RAW_HTTPX2):
        mod = _need("httpx" if variant == RAW_HTTPX else "httpx2")
        client = mod.Client()
        loads = json.loads

        def call_raw() -> object:
            response = client.post(url, json=PARAMS, headers=HEADERS)
            if response.status_code != 200:
                raise RuntimeError(f"status {response.status_code}")
            return loads(response.content)

        return call_raw, client.close
    if variant in (OURS, OURS_HTTPX, OURS_HTTPX2):
        chat_send = _chat_send().chat_send
        core, injected = _ours(variant, server, sync=True)

        def call_ours() -> object:
            return chat_send(core, PARAMS).unwrap()

        def close_ours() -> None:
            core.close()
            if injected is not None:
                injected.close()

        return call_ours, close_ours
    if variant == OPENAI:
        client = _need("openai").OpenAI(base_url=server.base_url, api_key=API_KEY)
        create = client.chat.completions.create
        messages = _messages()

        def call_openai() -> object:
            return create(model=MODEL, messages=messages, temperature=0.2, max_completion_tokens=64)

        return call_openai, client.close
    if variant == OPENROUTER:
        sdk = _need("openrouter").OpenRouter(api_key=API_KEY, server_url=server.base_url)
        send = sdk.chat.send
        messages = _messages()

        def call_openrouter() -> object:
            return send(model=MODEL, messages=messages, temperature=0.2, max_completion_tokens=64)

        def close_openrouter() -> None:
            sdk.__exit__(None, None, None)

        return call_openrouter, close_openrouter
    raise ValueError(variant)


# --------------------------------------------------------------------------- async calls


async def async_caller(variant: str, server: Server) -> AsyncPair:
    url = server.url
    if variant in (RAW_HTTPX, RAW_HTTPX2):
        mod = _need("httpx" if variant == RAW_HTTPX else "httpx2")
        client = mod.AsyncClient()
        loads = json.loads

        async def call_raw() -> object:
            response = await client.post(url, json=PARAMS, headers=HEADERS)
            if response.status_code != 200:
                raise RuntimeError(f"status {response.status_code}")
            return loads(response.content)

        return call_raw, client.aclose
    if variant in (OURS, OURS_HTTPX, OURS_HTTPX2):
        chat_send_async = _chat_send().chat_send_async
        core, injected = _ours(variant, server, sync=False)

        async def call_ours() -> object:
            return (await chat_send_async(core, PARAMS)).unwrap()

        async def close_ours() -> None:
            await core.aclose()
            if injected is not None:
                await injected.aclose()

        return call_ours, close_ours
    if variant == OPENAI:
        client = _need("openai").AsyncOpenAI(base_url=server.base_url, api_key=API_KEY)
        create = client.chat.completions.create
        messages = _messages()

        async def call_openai() -> object:
            return await create(
                model=MODEL, messages=messages, temperature=0.2, max_completion_tokens=64
            )

        return call_openai, client.close
    if variant == OPENROUTER:
        sdk = _need("openrouter").OpenRouter(api_key=API_KEY, server_url=server.base_url)
        send = sdk.chat.send_async
        messages = _messages()

        async def call_openrouter() -> object:
            return await send(
                model=MODEL, messages=messages, temperature=0.2, max_completion_tokens=64
            )

        async def close_openrouter() -> None:
            await sdk.__aexit__(None, None, None)

        return call_openrouter, close_openrouter
    raise ValueError(variant)


# --------------------------------------------------------------------------- big answer

ALL_BIG_MODELS_VARIANTS = (RAW_HTTPX2, OURS)


def big_models_caller(variant: str, server: Server) -> SyncPair:
    """``call()`` does one ``GET /models`` on the server's big route (the 320-model catalog
    recorded from OpenRouter) through ``variant`` and returns the number of models read."""
    if variant == RAW_HTTPX2:
        client = _need("httpx2").Client()
        url = f"{server.big_base_url}/models"
        loads = json.loads

        def call_raw() -> object:
            response = client.get(url, headers=HEADERS)
            if response.status_code != 200:
                raise RuntimeError(f"status {response.status_code}")
            return len(loads(response.content)["data"])

        return call_raw, client.close
    if variant == OURS:
        models_list = _need("funcs.models_list").models_list
        core = _need("openrouter_core").OpenRouterCore(
            api_key=API_KEY, server_url=server.big_base_url
        )

        def call_ours() -> object:
            return len(models_list(core).unwrap().data)

        return call_ours, core.close
    raise ValueError(variant)


# --------------------------------------------------------------------------- streams

OURS_COLLECT = "openrouter-core collect()"
OURS_HTTPX2_COLLECT = "openrouter-core + httpx2 collect()"
ALL_STREAM_VARIANTS = (
    RAW_HTTPX,
    RAW_STREAM_SPLIT,
    RAW_HTTPX2,
    OURS,
    OURS_COLLECT,
    OURS_HTTPX,
    OURS_HTTPX2,
    OURS_HTTPX2_COLLECT,
    OPENAI,
    OPENROUTER,
)


StreamPair = tuple[Callable[[int], object], Callable[[], None]]


def stream_consumer(variant: str, server: Server) -> StreamPair:
    """``consume(n)`` reads one ``n``-chunk stream through ``variant`` and returns a count."""
    url = server.url
    messages = _messages()

    def body(n: int) -> dict[str, object]:
        return {**PARAMS, "model": stream_model(n), "stream": True}

    if variant in (RAW_HTTPX, RAW_HTTPX2, RAW_STREAM_SPLIT):
        mod = _need("httpx2" if variant == RAW_HTTPX2 else "httpx")
        client = mod.Client()
        loads = json.loads
        headers = {**HEADERS, "Accept": "text/event-stream"}

        def consume_split(n: int) -> object:
            count = 0
            with client.stream("POST", url, json=body(n), headers=headers) as response:
                tail = b""
                for data in response.iter_bytes():
                    events = (tail + data).split(b"\n\n")
                    tail = events.pop()
                    for event in events:
                        if event.startswith(b"data: "):
                            payload = event[6:]
                            if payload == b"[DONE]":
                                return count
                            loads(payload)
                            count += 1
            return count

        def consume_lines(n: int) -> object:
            count = 0
            with client.stream("POST", url, json=body(n), headers=headers) as response:
                for line in response.iter_lines():
                    if line.startswith("data: "):
                        payload = line[6:]
                        if payload == "[DONE]":
                            return count
                        loads(payload)
                        count += 1
            return count

        consume = consume_split if variant == RAW_STREAM_SPLIT else consume_lines
        return consume, client.close
    if variant in (OURS, OURS_HTTPX, OURS_HTTPX2, OURS_COLLECT, OURS_HTTPX2_COLLECT):
        chat_send = _chat_send().chat_send
        failure_type = _need("returns.result").Failure
        base = {OURS_HTTPX2_COLLECT: OURS_HTTPX2, OURS_COLLECT: OURS}.get(variant, variant)
        core, injected = _ours(base, server, sync=True)

        def consume_ours(n: int) -> object:
            count = 0
            with chat_send(core, body(n)).unwrap() as stream:
                for item in stream:
                    if isinstance(item, failure_type):
                        raise item.failure()
                    count += 1
            return count

        def collect_ours(n: int) -> object:
            with chat_send(core, body(n)).unwrap() as stream:
                return stream.collect().unwrap()

        def close_ours() -> None:
            core.close()
            if injected is not None:
                injected.close()

        consume = collect_ours if variant in (OURS_COLLECT, OURS_HTTPX2_COLLECT) else consume_ours
        return consume, close_ours
    if variant == OPENAI:
        client = _need("openai").OpenAI(base_url=server.base_url, api_key=API_KEY)
        create = client.chat.completions.create

        def consume_openai(n: int) -> object:
            count = 0
            with create(model=stream_model(n), messages=messages, stream=True) as stream:
                for _chunk in stream:
                    count += 1
            return count

        return consume_openai, client.close
    if variant == OPENROUTER:
        sdk = _need("openrouter").OpenRouter(api_key=API_KEY, server_url=server.base_url)
        send = sdk.chat.send

        def consume_openrouter(n: int) -> object:
            count = 0
            with send(model=stream_model(n), messages=messages, stream=True) as stream:
                for _chunk in stream:
                    count += 1
            return count

        def close_openrouter() -> None:
            sdk.__exit__(None, None, None)

        return consume_openrouter, close_openrouter
    raise ValueError(variant)


# --------------------------------------------------------------------------- responses streams

ALL_RESPONSES_STREAM_VARIANTS = (RAW_HTTPX, RAW_HTTPX2, OURS, OURS_COLLECT)


def responses_stream_consumer(variant: str, server: Server) -> StreamPair:
    """``consume(n)`` reads one ``n``-delta Responses stream (``n + 2`` JSON events) through
    ``variant`` and returns a count (iterating) or the final response (``collect()``)."""
    url = f"{server.base_url}/responses"

    def body(n: int) -> dict[str, object]:
        return {"model": stream_model(n), "input": _messages(), "stream": True}

    if variant in (RAW_HTTPX, RAW_HTTPX2):
        mod = _need("httpx2" if variant == RAW_HTTPX2 else "httpx")
        client = mod.Client()
        loads = json.loads
        headers = {**HEADERS, "Accept": "text/event-stream"}

        def consume_lines(n: int) -> object:
            count = 0
            with client.stream("POST", url, json=body(n), headers=headers) as response:
                for line in response.iter_lines():
                    if line.startswith("data: "):
                        payload = line[6:]
                        if payload == "[DONE]":
                            return count
                        loads(payload)
                        count += 1
            return count

        return consume_lines, client.close
    if variant in (OURS, OURS_COLLECT):
        responses_send = _need("funcs.responses_send").responses_send
        failure_type = _need("returns.result").Failure
        core, _injected = _ours(OURS, server, sync=True)

        def consume_ours(n: int) -> object:
            count = 0
            with responses_send(core, body(n), stream=True).unwrap() as stream:
                for item in stream:
                    if isinstance(item, failure_type):
                        raise item.failure()
                    count += 1
            return count

        def collect_ours(n: int) -> object:
            with responses_send(core, body(n), stream=True).unwrap() as stream:
                final = stream.collect().unwrap()
            if getattr(final, "status", None) != "completed":
                raise RuntimeError(f"collect() gave status {getattr(final, 'status', None)!r}")
            return final

        return (collect_ours if variant == OURS_COLLECT else consume_ours), core.close
    raise ValueError(variant)


# --------------------------------------------------------------------------- async streams

ALL_ASYNC_STREAM_VARIANTS = (
    RAW_HTTPX,
    RAW_HTTPX2,
    OURS,
    OURS_COLLECT,
    OURS_HTTPX,
    OURS_HTTPX2,
    OPENAI,
    OPENROUTER,
)
AsyncStreamPair = tuple[Callable[[int], Awaitable[object]], Callable[[], Awaitable[None]]]


async def async_stream_consumer(variant: str, server: Server) -> AsyncStreamPair:
    """``await consume(n)`` reads one ``n``-chunk stream with the async API of ``variant``."""
    url = server.url
    messages = _messages()

    def body(n: int) -> dict[str, object]:
        return {**PARAMS, "model": stream_model(n), "stream": True}

    if variant in (RAW_HTTPX, RAW_HTTPX2):
        mod = _need("httpx" if variant == RAW_HTTPX else "httpx2")
        client = mod.AsyncClient()
        loads = json.loads
        headers = {**HEADERS, "Accept": "text/event-stream"}

        async def consume_lines(n: int) -> object:
            count = 0
            async with client.stream("POST", url, json=body(n), headers=headers) as response:
                async for line in response.aiter_lines():
                    if line.startswith("data: "):
                        payload = line[6:]
                        if payload == "[DONE]":
                            return count
                        loads(payload)
                        count += 1
            return count

        return consume_lines, client.aclose
    if variant in (OURS, OURS_HTTPX, OURS_HTTPX2, OURS_COLLECT):
        chat_send_async = _chat_send().chat_send_async
        failure_type = _need("returns.result").Failure
        core, injected = _ours(OURS if variant == OURS_COLLECT else variant, server, sync=False)

        async def consume_ours(n: int) -> object:
            count = 0
            stream = (await chat_send_async(core, body(n))).unwrap()
            async with stream:
                async for item in stream:
                    if isinstance(item, failure_type):
                        raise item.failure()
                    count += 1
            return count

        async def collect_ours(n: int) -> object:
            stream = (await chat_send_async(core, body(n))).unwrap()
            async with stream:
                return (await stream.collect()).unwrap()

        async def close_ours() -> None:
            await core.aclose()
            if injected is not None:
                await injected.aclose()

        return (collect_ours if variant == OURS_COLLECT else consume_ours), close_ours
    if variant == OPENAI:
        client = _need("openai").AsyncOpenAI(base_url=server.base_url, api_key=API_KEY)
        create = client.chat.completions.create

        async def consume_openai(n: int) -> object:
            count = 0
            stream = await create(model=stream_model(n), messages=messages, stream=True)
            async with stream:
                async for _chunk in stream:
                    count += 1
            return count

        return consume_openai, client.close
    if variant == OPENROUTER:
        sdk = _need("openrouter").OpenRouter(api_key=API_KEY, server_url=server.base_url)
        send = sdk.chat.send_async

        async def consume_openrouter(n: int) -> object:
            count = 0
            stream = await send(model=stream_model(n), messages=messages, stream=True)
            async with stream:
                async for _chunk in stream:
                    count += 1
            return count

        async def close_openrouter() -> None:
            await sdk.__aexit__(None, None, None)

        return consume_openrouter, close_openrouter
    raise ValueError(variant)
