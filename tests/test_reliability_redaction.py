"""Redaction: the API key appears in no repr, str, message, pickled error or DEBUG log line.

Checked for a range of failures (401, 500 after retries, a refused connection, a timeout, an
invalid request, an error reported inside a stream, a garbage body), with the SDK's own logger
and httpx's and httpcore's at DEBUG, and for the objects a caller or a traceback shows (the
core, the prepared request, the stream). Header values must be ASCII: a non-ASCII ``app_title``
or key is refused when the core is built (the key never shown), a non-ASCII per-call header is a
``Failure(InvalidRequestError)``, never a crash at send time.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from returns.result import Failure, Success

from funcs.chat_send import chat_send, chat_send_async, chat_stream, operation as chat_operation
from openrouter_core import InvalidRequestError, OpenRouterCore, RetryConfig
from openrouter_core._machinery.request import prepare
from openrouter_core.testing import error_body, stream_chunks
from tests.loopback import LoopbackServer, json_response, raw, sse, stall

pytestmark = pytest.mark.timeout(30)

SECRET = "sk-or-v1-reliability-redaction-0123456789abcdef"
PARAMS: dict[str, Any] = {
    "model": "openai/gpt-4o-mini",
    "messages": [{"role": "user", "content": "Hello"}],
}
FAST = RetryConfig(initial_delay=0.0, max_delay=0.0)
LOGGERS = ("openrouter_core", "httpx", "httpcore")


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as srv:
        yield srv


def refused_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/v1"


def assert_no_secret(*things: object, logs: pytest.LogCaptureFixture) -> None:
    texts: list[str] = [logs.text]
    for record in logs.records:
        texts += [record.getMessage(), repr(record.args)]
    for thing in things:
        texts += [repr(thing), str(thing)]
        if isinstance(thing, BaseException):
            texts.append(pickle.dumps(thing).decode("latin-1"))
            texts += [repr(arg) for arg in thing.args]
            texts += [repr(value) for value in vars(thing).values()]
    leaks = [text for text in texts if SECRET in text or SECRET[10:30] in text]
    assert leaks == []


Scenario = Callable[[LoopbackServer], tuple[str, dict[str, Any]]]

SCENARIOS: dict[str, Scenario] = {
    "401": lambda s: (s.base_url, {"default": json_response(401, error_body("bad key", code=401))}),
    "500": lambda s: (s.base_url, {"default": json_response(500, error_body("boom", code=500))}),
    "garbage": lambda s: (s.base_url, {"default": raw(200, b"<html>" + b"x" * 600)}),
    "refused": lambda s: (refused_url(), {}),
    "timeout": lambda s: (s.base_url, {"default": stall(5.0)}),
}


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_key_absent_from_failures_and_logs(
    server: LoopbackServer, logs: pytest.LogCaptureFixture, name: str, mode: str
) -> None:
    url, setup = SCENARIOS[name](server)
    for attribute, value in setup.items():
        setattr(server, attribute, value)
    core = OpenRouterCore(api_key=SECRET, server_url=url, retry_config=FAST, app_title="Redact")

    if mode == "sync":
        with core:
            result: Any = chat_send(core, PARAMS, timeout=0.3)
    else:

        async def go() -> Any:
            async with core:
                return await chat_send_async(core, PARAMS, timeout=0.3)

        result = asyncio.run(go())
    assert isinstance(result, Failure), result
    assert_no_secret(result, result.failure(), core, logs=logs)


def test_key_absent_from_invalid_request(logs: pytest.LogCaptureFixture) -> None:
    core = OpenRouterCore(api_key=SECRET, server_url="http://127.0.0.1:9/api/v1")
    bad = {"model": "m", "messages": [{"role": "wizard", "content": SECRET[:3]}]}
    results = [
        chat_send(core, bad),
        chat_send(core, PARAMS, extra_headers={"Authorization": f"Bearer {SECRET}é"}),
        chat_send(core, PARAMS, extra_headers={"X-Key": f"{SECRET}\r\nX-Evil: 1"}),
    ]
    for result in results:
        assert isinstance(result, Failure)
        assert isinstance(result.failure(), InvalidRequestError)
        assert_no_secret(result, result.failure(), logs=logs)


def test_key_absent_from_stream_errors(
    server: LoopbackServer, logs: pytest.LogCaptureFixture
) -> None:
    import json

    events = [b"data: " + json.dumps(c).encode() + b"\n\n" for c in stream_chunks(["a"])[:2]]
    failing = b'data: {"error": {"code": 502, "message": "provider down"}}\n\n'
    server.script(sse([*events, failing]), sse(events, finish="cut"))
    core = OpenRouterCore(api_key=SECRET, server_url=server.base_url, retry_config=FAST)
    with core:
        for _ in range(2):
            result = chat_stream(core, PARAMS, timeout=2.0)
            assert isinstance(result, Success)
            stream = result.unwrap()
            items = list(stream)
            last = items[-1]
            assert isinstance(last, Failure)
            assert_no_secret(stream, *items, last.failure(), logs=logs)


def test_key_absent_from_prepared_request() -> None:
    core = OpenRouterCore(api_key=SECRET, server_url="http://127.0.0.1:9/api/v1")
    prepared = prepare(chat_operation(), core, PARAMS).unwrap()
    assert prepared.headers["Authorization"] == f"Bearer {SECRET}"  # still sent, only hidden
    # Tracebacks that show locals (pytest --showlocals, error trackers) print this repr.
    assert SECRET not in repr(prepared)
    assert SECRET not in repr(core)
    assert SECRET not in str(core)


@pytest.mark.parametrize(
    ("field", "value"),
    [("app_title", "Café Bot"), ("http_referer", "https://exämple.com"), ("app_title", "a\nb")],
)
def test_non_ascii_attribution_refused_at_config_time(field: str, value: str) -> None:
    config: dict[str, Any] = {field: value}
    with pytest.raises(ValueError, match=field) as caught:
        OpenRouterCore(api_key=SECRET, **config)
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize("key", [SECRET + "é", SECRET + "\n"])
def test_bad_key_refused_at_config_time_without_showing_it(key: str) -> None:
    with pytest.raises(ValueError, match="api_key") as caught:
        OpenRouterCore(api_key=key)
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(caught.value)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_non_ascii_extra_header_is_a_failure_not_a_crash(server: LoopbackServer, mode: str) -> None:
    core = OpenRouterCore(api_key=SECRET, server_url=server.base_url)
    headers = {"X-Title": "Café"}
    if mode == "sync":
        result: Any = chat_send(core, PARAMS, extra_headers=headers)
    else:
        result = asyncio.run(chat_send_async(core, PARAMS, extra_headers=headers))
    assert isinstance(result, Failure)
    err = result.failure()
    assert isinstance(err, InvalidRequestError)
    assert err.path == "extra_headers"
    assert "ASCII" in err.message
    assert server.requests == []
