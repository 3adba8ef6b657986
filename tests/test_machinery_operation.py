"""A second operation, declared here in a few lines, runs on the same machinery as chat: path and
query parameters, retries, Retry-After, errors, ``.http``, sync and async alike."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from returns.result import Failure

from openrouter_core import APIError, OpenRouterCore, OpenRouterDefaultError, RetryConfig
from openrouter_core._machinery.attempts import run_async, run_sync
from openrouter_core._machinery.operation import Operation, Param
from openrouter_core._machinery.request import prepare
from openrouter_core.errors import InvalidRequestError, ResponseValidationError
from openrouter_core.models._base import WireModel
from openrouter_core.models._converter import read_response
from tests.loopback import LoopbackServer, json_response, raw

# --- the whole declaration of a test-only GET /models/{author} ----------------------------------


@attrs.define(kw_only=True)
class Model(WireModel):
    """One model of the catalog."""

    id: str | None = None
    name: str | None = None


@attrs.define(kw_only=True)
class ModelList(WireModel):
    """The catalog."""

    data: list[Model]


MODELS_LIST = Operation(
    name="models_list_by_author",
    method="GET",
    path="/models/{author}",
    path_params=(Param("author", "author", required=True),),
    query_params=(Param("category", "category"), Param("supported_parameters", "supported")),
    read=lambda data: read_response(data, ModelList),
)


def models_list(core: OpenRouterCore, *, retries: Any = None, **arguments: Any) -> Any:
    options = {} if retries is None else {"retries": retries}
    prepared = prepare(MODELS_LIST, core, arguments=arguments, options=options)
    if isinstance(prepared, Failure):
        return prepared
    return run_sync(core, prepared.unwrap())


async def models_list_async(core: OpenRouterCore, *, retries: Any = None, **arguments: Any) -> Any:
    options = {} if retries is None else {"retries": retries}
    prepared = prepare(MODELS_LIST, core, arguments=arguments, options=options)
    if isinstance(prepared, Failure):
        return prepared
    return await run_async(core, prepared.unwrap())


# --- tests ----------------------------------------------------------------------------------------

BODY = {"data": [{"id": "openai/gpt-4o", "name": "GPT-4o", "pricing": {"prompt": "0.0000025"}}]}


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(default=json_response(200, BODY, [("X-Request-Id", "req-1")])) as srv:
        yield srv


@pytest.fixture
def core(server: LoopbackServer) -> Iterator[OpenRouterCore]:
    fast = RetryConfig(initial_delay=0.0, max_delay=0.0)
    with OpenRouterCore(api_key="k", server_url=server.base_url, retry_config=fast) as c:
        yield c


def _run(core: OpenRouterCore, mode: str, **arguments: Any) -> Any:
    if mode == "sync":
        return models_list(core, **arguments)
    return asyncio.run(models_list_async(core, **arguments))


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_request_goes_out_as_declared(
    server: LoopbackServer, core: OpenRouterCore, mode: str
) -> None:
    result = _run(core, mode, author="open ai/x", category="programming", supported=["tools", True])
    listing = result.unwrap()
    assert listing.data[0].id == "openai/gpt-4o"
    assert listing.data[0].extras == {"pricing": {"prompt": "0.0000025"}}
    request = server.requests[0]
    assert request.method == "GET"
    assert request.path == (
        "/api/v1/models/open%20ai%2Fx"
        "?category=programming&supported_parameters=tools&supported_parameters=true"
    )
    assert request.body == b""
    assert "content-type" not in request.headers
    assert request.headers["authorization"] == "Bearer k"
    assert listing.http is not None
    assert listing.http.status_code == 200
    assert listing.http.request_id == "req-1"
    assert listing.http.attempts == 1
    assert listing.received_json == BODY


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_retries_and_reports_attempts(
    server: LoopbackServer, core: OpenRouterCore, mode: str
) -> None:
    server.script(
        json_response(503, {"error": {"code": 503, "message": "busy"}}),
        json_response(429, {"error": {"code": 429, "message": "slow"}}, [("Retry-After", "0")]),
    )
    listing = _run(core, mode, author="openai").unwrap()
    assert listing.http is not None
    assert listing.http.attempts == 3
    assert len(server.requests) == 3


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_errors_are_values(server: LoopbackServer, core: OpenRouterCore, mode: str) -> None:
    server.script(json_response(404, {"error": {"code": 404, "message": "no such author"}}))
    error = _run(core, mode, author="nobody").failure()
    assert isinstance(error, APIError)
    assert error.status_code == 404
    assert "no such author" in error.message
    server.script(raw(502, b"<html>bad gateway</html>", content_type="text/html"))
    error = _run(core, mode, author="x", retries=0).failure()
    assert isinstance(error, OpenRouterDefaultError)
    server.script(json_response(200, {"nothing": True}))
    error = _run(core, mode, author="x").failure()
    assert isinstance(error, ResponseValidationError)
    assert error.path == "data"


def test_bad_arguments_are_failures_before_sending(
    server: LoopbackServer, core: OpenRouterCore
) -> None:
    for arguments, name in (
        ({}, "author"),
        ({"author": ""}, "author"),
        ({"author": "a", "category": {"x": 1}}, "category"),
        ({"author": "a", "categroy": "typo"}, "categroy"),
    ):
        error = models_list(core, **arguments).failure()
        assert isinstance(error, InvalidRequestError)
        assert error.path == name
    error = prepare(MODELS_LIST, core, {"a": 1}, arguments={"author": "a"}).failure()
    assert "takes no request body" in error.message
    assert server.requests == []


def test_the_attempt_loop_leaves_making_streams_and_bodies_to_its_drivers() -> None:
    # The loop is pure: it asks for the stream (Open) and the body (Hold), of whichever kind the
    # driver makes, and goes on with what it is given.
    import httpx2

    from funcs.chat_send import operation as chat
    from funcs.files_download import operation as download
    from openrouter_core._machinery.attempts import Hold, Open, Peek, attempts

    core = OpenRouterCore(api_key="sk-or-v1-pure", retry_config=RetryConfig.disabled())
    params = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    stream_response = httpx2.Response(200, headers={"content-type": "text/event-stream"})
    steps = attempts(
        core, prepare(chat(), core, params, stream=True).unwrap(), lambda: 0.0, lambda: 0.0
    )
    next(steps)  # Send
    opened = steps.send(stream_response)
    assert isinstance(opened, Open)
    assert (opened.response, opened.spec) == (stream_response, chat().stream)
    made = object()
    assert steps.send(made) == Peek(made)

    body_response = httpx2.Response(200, headers={"content-type": "application/octet-stream"})
    prepared = prepare(download(), core, arguments={"file_id": "file-1"}).unwrap()
    steps = attempts(core, prepared, lambda: 0.0, lambda: 0.0)
    next(steps)
    held = steps.send(body_response)
    assert isinstance(held, Hold)
    assert held.response is body_response
    with pytest.raises(StopIteration) as done:
        steps.send(made)
    assert done.value.value.unwrap() is made
    core.close()
