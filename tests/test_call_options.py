"""Per-call options: a bad value is a Failure naming the option (never an exception), an option
left out (or ``NOT_GIVEN``) inherits the core's setting, and ``None`` turns the setting off.
Typed params pass the same checks as a mapping; a stream that holds nothing is a Failure; an
injected client's programming error is reported as one, not retried."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from returns.result import Failure, Success

from funcs.chat_send import chat_send, chat_send_async
from openrouter_core import (
    NOT_GIVEN,
    APIStatusError,
    APITimeoutError,
    HTTPClientError,
    InvalidRequestError,
    OpenRouterCore,
    RetryConfig,
    StreamTimeoutError,
    StreamTruncatedError,
)
from openrouter_core.models import ChatGenerationParams, ChatResponse, ChatUserMessage
from openrouter_core.testing import completion_body, sse_bytes, stream_chunks
from tests.loopback import LoopbackServer, json_response, pieces, sse

PARAMS: dict[str, Any] = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
BODY = json.dumps(completion_body("late")).encode()
#: A complete response whose body comes 0.5 s after its head.
LATE = pieces(
    [
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(BODY)}\r\n\r\n".encode(),
        BODY,
    ],
    delay=0.5,
)


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(default=json_response(200, completion_body("hi"))) as srv:
        yield srv


def make_core(server: LoopbackServer, **config: Any) -> OpenRouterCore:
    config.setdefault("retry_config", RetryConfig(initial_delay=0.0, max_delay=0.0))
    return OpenRouterCore(api_key="k", server_url=server.base_url, **config)


BAD_OPTIONS: list[tuple[str, Any]] = [
    ("retries", "3"),
    ("retries", -1),
    ("retries", True),
    ("retries", 1.5),
    ("timeout", "5"),
    ("timeout", -1),
    ("timeout", 0),
    ("timeout", True),
    ("timeout", float("nan")),
    ("first_content_timeout", "5"),
    ("first_content_timeout", -1),
    ("first_content_timeout", 0),
    ("chunk_gap_timeout", -0.5),
    ("chunk_gap_timeout", [1]),
    ("extra_headers", "X-A: 1"),
    ("extra_headers", {"X-A": 1}),
    ("extra_headers", {"X-A": "é"}),
    ("extra_query", ["a"]),
    ("extra_query", {"a": {"b": 1}}),
    ("extra_body", {1: "a"}),
    ("extra_body", "{}"),
    ("retires", 3),
]


@pytest.mark.parametrize(("name", "value"), BAD_OPTIONS, ids=[f"{n}={v!r}" for n, v in BAD_OPTIONS])
def test_a_bad_option_is_a_failure_naming_it(server: LoopbackServer, name: str, value: Any) -> None:
    core = make_core(server)
    for result in (
        chat_send(core, PARAMS, **{name: value}),
        asyncio.run(chat_send_async(core, PARAMS, **{name: value})),
    ):
        assert isinstance(result, Failure)
        error = result.failure()
        assert isinstance(error, InvalidRequestError)
        assert error.path == name
    assert server.requests == []


def test_none_turns_off_the_cores_timeout_and_not_given_inherits_it(
    server: LoopbackServer,
) -> None:
    core = make_core(server, timeout=0.2, retry_config=RetryConfig.disabled())
    server.script(LATE, LATE, LATE)
    assert isinstance(chat_send(core, PARAMS).failure(), APITimeoutError)
    assert isinstance(chat_send(core, PARAMS, timeout=NOT_GIVEN).failure(), APITimeoutError)
    late = chat_send(core, PARAMS, timeout=None, stream=False).unwrap()
    assert late.choices[0].message.content == "late"


def test_none_turns_off_the_cores_retries(server: LoopbackServer) -> None:
    core = make_core(server)
    busy = json_response(503, {"error": {"code": 503, "message": "busy"}})
    server.script(busy, busy, busy, busy)
    once = chat_send(core, PARAMS, retries=None).failure()
    assert isinstance(once, APIStatusError)
    assert once.attempts == 1
    assert len(server.requests) == 1
    inherited = chat_send(core, PARAMS, retries=NOT_GIVEN).failure()
    assert isinstance(inherited, APIStatusError)
    assert inherited.attempts == 3


def test_none_turns_off_the_cores_watchdog(server: LoopbackServer) -> None:
    core = make_core(server, first_content_timeout=0.2, retry_config=RetryConfig.disabled())
    # Keep-alive comments for 0.5 s before the first event: only the watchdog can end that.
    events = [b": keep-alive\n\n"] * 5
    events += [b"data: " + json.dumps(c).encode() + b"\n\n" for c in stream_chunks(["a"])]
    server.script(sse(events, delay=0.1), sse(events, delay=0.1))
    error = chat_send(core, PARAMS, stream=False).failure()
    assert isinstance(error, StreamTimeoutError)
    assert error.watchdog == "first_content"
    response = chat_send(core, PARAMS, stream=False, first_content_timeout=None).unwrap()
    assert response.choices[0].message.content == "a"


def test_extra_query_and_headers_are_sent(server: LoopbackServer) -> None:
    core = make_core(server)
    result = chat_send(
        core, PARAMS, extra_query={"trace": True, "tag": ["a", "b"]}, extra_headers={"X-A": "1"}
    )
    assert isinstance(result, Success)
    request = server.requests[0]
    assert request.path == "/api/v1/chat/completions?trace=true&tag=a&tag=b"
    assert request.headers["x-a"] == "1"


# --- typed params: the same checks as a mapping -------------------------------------------------


@pytest.mark.parametrize(
    ("params", "path", "problem"),
    [
        (ChatGenerationParams(messages="hi"), "messages", "expected array, got string"),  # type: ignore[arg-type]
        (ChatGenerationParams(messages=[]), "messages", "must hold at least one message"),
        (
            ChatGenerationParams(messages=[ChatUserMessage(content=5)]),  # type: ignore[arg-type]
            "messages[0].content",
            "expected string or array, got integer",
        ),
        (
            ChatGenerationParams(messages=[ChatUserMessage(content="x")], temperature="hot"),  # type: ignore[arg-type]
            "temperature",
            "expected number or null, got string",
        ),
    ],
)
def test_typed_params_are_checked_before_sending(
    server: LoopbackServer, params: ChatGenerationParams, path: str, problem: str
) -> None:
    error = chat_send(make_core(server), params).failure()
    assert isinstance(error, InvalidRequestError)
    assert (error.path, error.problem) == (path, problem)
    same = chat_send(
        make_core(server), params.to_dict() if path != "messages" else {"messages": []}
    )
    assert isinstance(same.failure(), InvalidRequestError)
    assert server.requests == []


# --- a stream that holds nothing ----------------------------------------------------------------


def test_a_stream_of_only_done_is_a_failure(server: LoopbackServer) -> None:
    core = make_core(server, retry_config=RetryConfig.disabled())
    done = sse([sse_bytes([], done=True)])
    server.script(done, done)
    for stream in (False, True):
        error = chat_send(core, PARAMS, stream=stream).failure()
        assert isinstance(error, StreamTruncatedError)
        assert "held no completion" in error.message


# --- an injected client's programming error ------------------------------------------------------


class WrongClient(httpx2.Client):
    """A client whose ``send`` takes other arguments."""

    def send(self, request: Any) -> Any:  # type: ignore[override]
        raise AssertionError("not reached: send() got an unexpected keyword argument")


def test_a_client_that_does_not_fit_is_a_programming_error(server: LoopbackServer) -> None:
    with WrongClient() as client:
        core = make_core(server, client=client)
        error = chat_send(core, PARAMS).failure()
    assert isinstance(error, HTTPClientError)
    assert "TypeError" in error.cause
    assert "not a transport error" in error.message
    assert server.requests == []


# --- the HTTP exchange behind a Success -----------------------------------------------------------


def test_a_success_carries_its_http_exchange(server: LoopbackServer) -> None:
    core = make_core(server)
    limits = [("X-RateLimit-Remaining", "41"), ("X-Generation-Id", "gen-h")]
    events = [b"data: " + json.dumps(c).encode() + b"\n\n" for c in stream_chunks(["a"])]
    server.script(
        json_response(503, {"error": {"code": 503, "message": "busy"}}),
        json_response(200, completion_body("hi"), limits),
        sse([*events, b"data: [DONE]\n\n"], headers=limits),
    )
    response = chat_send(core, PARAMS, stream=False).unwrap()
    assert response.http is not None
    assert response.http.status_code == 200
    assert response.http.attempts == 2
    assert response.http.headers["x-ratelimit-remaining"] == "41"
    assert response.http.request_id == "gen-h"
    assert response.http.elapsed > 0
    # Not part of the value: equality and to_dict() ignore it; a copy made in code has none.
    assert response == ChatResponse.from_dict(response.to_dict()).unwrap()
    assert "http" not in response.to_dict()
    assert ChatResponse.from_dict(response.to_dict()).unwrap().http is None
    stream = chat_send(core, PARAMS, stream=True).unwrap()
    assert stream.http is not None
    assert stream.http.attempts == 1
    assert stream.http.headers["x-ratelimit-remaining"] == "41"
    collected = stream.collect().unwrap()
    assert collected.http == stream.http
