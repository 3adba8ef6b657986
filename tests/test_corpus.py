"""Every captured OpenRouter response in ``tests/corpus`` (origins in ``SOURCES.md``) goes through
the public API over a loopback server, sync and async: completions are read, streams collected,
error bodies become the right Failure, and the JSON given back is exactly the JSON received."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from returns.result import Failure, Success

from funcs.chat_send import chat_send, chat_send_async
from openrouter_core import OpenRouterCore, RetryConfig
from openrouter_core.errors import APIStatusError, ChatError, ChatStreamError
from openrouter_core.models import ChatResponse, ChatStreamChunk
from tests.loopback import LoopbackServer, raw, sse

CORPUS = Path(__file__).parent / "corpus"
COMPLETIONS = sorted((CORPUS / "completions").glob("*.json"))
STREAMS = sorted((CORPUS / "streams").glob("*.sse"))
ERRORS = sorted((CORPUS / "errors").glob("*.json"))
PARAMS = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


def test_the_corpus_is_large_and_documented() -> None:
    assert len(COMPLETIONS) >= 50
    assert len(STREAMS) >= 20
    assert len(ERRORS) >= 10
    sources = (CORPUS / "SOURCES.md").read_text(encoding="utf-8")
    for path in [*COMPLETIONS, *STREAMS, *ERRORS]:
        assert f"`{path.name}`" in sources, f"{path.name} has no origin in SOURCES.md"


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as srv:
        yield srv


@pytest.fixture(scope="module")
def core(server: LoopbackServer) -> Iterator[OpenRouterCore]:
    with OpenRouterCore(
        api_key="k", server_url=server.base_url, retry_config=RetryConfig.disabled()
    ) as c:
        yield c


def _send(core: OpenRouterCore, mode: str, **options: Any) -> Any:
    if mode == "sync":
        return chat_send(core, PARAMS, **options)

    async def run() -> Any:
        result = await chat_send_async(core, PARAMS, **options)
        if isinstance(result, Success) and not isinstance(result.unwrap(), ChatResponse):
            stream = result.unwrap()
            items = [item async for item in stream]
            return result, items
        return result

    return asyncio.run(run())


def _events(text: str) -> list[str]:
    """The data of each event in an SSE body (``data:`` lines joined), comments skipped."""
    events: list[str] = []
    lines: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line:
            if lines:
                events.append("\n".join(lines))
                lines = []
        elif line.startswith("data:"):
            value = line[5:]
            lines.append(value[1:] if value.startswith(" ") else value)
    if lines:
        events.append("\n".join(lines))
    return events


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("path", COMPLETIONS, ids=lambda p: p.stem)
def test_completion(server: LoopbackServer, core: OpenRouterCore, path: Path, mode: str) -> None:
    body = path.read_bytes()
    server.script(raw(200, body))
    result = _send(core, mode, stream=False)
    assert isinstance(result, Success), result
    response = result.unwrap()
    sent = json.loads(body)
    assert response.received_json == sent
    assert len(response.choices) == len(sent["choices"])
    for choice, choice_sent in zip(response.choices, sent["choices"], strict=True):
        assert choice.received_json == choice_sent
        assert choice.message.received_json == choice_sent.get("message")
        assert choice.message.content == choice_sent["message"].get("content")


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("path", STREAMS, ids=lambda p: p.stem)
def test_stream(server: LoopbackServer, core: OpenRouterCore, path: Path, mode: str) -> None:
    text = path.read_text(encoding="utf-8")
    data = [d for d in _events(text) if d != "[DONE]"]
    sent = [json.loads(d) for d in data]
    reported = next((i for i, obj in enumerate(sent) if obj.get("error") is not None), None)
    body = text.encode()
    # Cut into pieces of 61 bytes: events, lines and UTF-8 sequences split at odd places.
    server.script(sse([body[i : i + 61] for i in range(0, len(body), 61)]))
    result = _send(core, mode, stream=True)
    if mode == "sync":
        assert isinstance(result, Success), result
        items = list(result.unwrap())
    else:
        result, items = result
    chunks = [item.unwrap() for item in items if isinstance(item, Success)]
    failures = [item.failure() for item in items if isinstance(item, Failure)]
    assert all(isinstance(c, ChatStreamChunk) for c in chunks)
    if reported is None:
        assert failures == []
        assert [c.received_json for c in chunks] == sent
        content = "".join(
            c.choices[0].delta.content or "" for c in chunks if c.choices and c.choices[0].delta
        )
        expected = "".join(
            (obj["choices"][0].get("delta") or {}).get("content") or ""
            for obj in sent
            if obj.get("choices")
        )
        assert content == expected
    else:
        assert [c.received_json for c in chunks] == sent[:reported]
        assert len(failures) == 1
        error = failures[0]
        assert isinstance(error, ChatStreamError)
        assert error.received_json == sent[reported]


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("path", ERRORS, ids=lambda p: p.stem)
def test_error_body(server: LoopbackServer, core: OpenRouterCore, path: Path, mode: str) -> None:
    sample = json.loads(path.read_text(encoding="utf-8"))
    status: int = sample["status"]
    body: str = sample["body"]
    server.script(raw(status, body.encode()))
    result = _send(core, mode, stream=False)
    assert isinstance(result, Failure), result
    error = result.failure()
    assert isinstance(error, APIStatusError)
    assert error.status_code == status
    assert error.body == body
    assert error.received_json == json.loads(body)
    if isinstance(error.received_json.get("error"), dict):
        assert isinstance(error, ChatError)
        assert str(status) in error.message
