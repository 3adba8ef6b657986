"""A fake OpenRouter for tests: an httpx2 transport that answers with scripted replies.

>>> fake = FakeOpenRouter()
>>> fake.reply("Hi there").reply_error(429, "slow down", retry_after=1)
>>> core = fake.core()                      # an OpenRouterCore wired to the fake
>>> chat_send(core, params)                 # Success(ChatResponse) with "Hi there"
>>> fake.requests[0].json["messages"]       # what the code under test sent

Replies are used in order. When none are left, the ``default`` reply answers if you set one;
otherwise every operation gets a realistic answer of its own (``GET /key`` the key's metadata,
``GET /models`` a catalog, ..., taken from OpenRouter's API document) and a chat completion
a short completion. It speaks the real wire format, SSE included, and serves the sync and
async clients alike. Nothing touches the network.
"""

from __future__ import annotations

import functools
import json
import re
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs
import httpx2

from openrouter_core.core import OpenRouterCore, RetryConfig

__all__ = [
    "FakeOpenRouter",
    "FakeRequest",
    "completion_body",
    "error_body",
    "stream_chunks",
    "sse_bytes",
]

_Reply = Callable[[httpx2.Request], httpx2.Response]


def completion_body(
    content: str | None = "Hello from the fake OpenRouter.",
    *,
    model: str = "openai/gpt-4o-mini",
    finish_reason: str | None = "stop",
    tool_calls: Sequence[Mapping[str, Any]] | None = None,
    reasoning: str | None = None,
    usage: Mapping[str, Any] | None = None,
    generation_id: str = "gen-fake-1",
    provider: str = "FakeProvider",
) -> dict[str, Any]:
    """A realistic non-streaming chat completion body."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls is not None:
        message["tool_calls"] = [dict(call) for call in tool_calls]
    if reasoning is not None:
        message["reasoning"] = reasoning
    return {
        "id": generation_id,
        "object": "chat.completion",
        "created": 1_767_225_600,
        "model": model,
        "provider": provider,
        "system_fingerprint": None,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": finish_reason,
                "native_finish_reason": finish_reason,
                "logprobs": None,
            }
        ],
        "usage": dict(usage)
        if usage is not None
        else {
            "prompt_tokens": 12,
            "completion_tokens": 7,
            "total_tokens": 19,
            "cost": 0.0000123,
            "is_byok": False,
        },
    }


def error_body(
    message: str, *, code: int | str, metadata: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """OpenRouter's JSON error body."""
    error: dict[str, Any] = {"code": code, "message": message}
    if metadata is not None:
        error["metadata"] = dict(metadata)
    return {"error": error}


def stream_chunks(
    pieces: Sequence[str],
    *,
    model: str = "openai/gpt-4o-mini",
    finish_reason: str = "stop",
    generation_id: str = "gen-fake-1",
    usage: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Chunk objects for a streamed reply: a role chunk, one per piece, a finish, a usage chunk."""

    def chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
        return {
            "id": generation_id,
            "object": "chat.completion.chunk",
            "created": 1_767_225_600,
            "model": model,
            "provider": "FakeProvider",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    chunks = [chunk({"role": "assistant", "content": ""}, None)]
    chunks += [chunk({"content": piece}, None) for piece in pieces]
    chunks.append(chunk({}, finish_reason))
    final = chunk({}, None)
    final["choices"] = []
    final["usage"] = (
        dict(usage)
        if usage is not None
        else {
            "prompt_tokens": 12,
            "completion_tokens": len(pieces),
            "total_tokens": 12 + len(pieces),
        }
    )
    chunks.append(final)
    return chunks


def sse_bytes(events: Iterable[Mapping[str, Any] | str], *, done: bool = True) -> bytes:
    """Encode chunk objects (or raw data strings) as an SSE body, ending with ``[DONE]``."""
    out = [
        f"data: {item if isinstance(item, str) else json.dumps(item)}\n\n".encode()
        for item in events
    ]
    if done:
        out.append(b"data: [DONE]\n\n")
    return b"".join(out)


@attrs.frozen
class FakeRequest:
    """A request the fake received."""

    method: str
    url: str
    headers: Mapping[str, str]
    content: bytes

    @property
    def json(self) -> Any:
        """The request body decoded as JSON."""
        return json.loads(self.content)


class _Pieces(httpx2.SyncByteStream, httpx2.AsyncByteStream):
    """A body delivered in the given pieces, optionally failing or pausing between them."""

    def __init__(self, pieces: Sequence[bytes], fail: Exception | None, delay: float) -> None:
        self._pieces = pieces
        self._fail = fail
        self._delay = delay

    def __iter__(self) -> Iterator[bytes]:
        for piece in self._pieces:
            if self._delay:
                time.sleep(self._delay)
            yield piece
        if self._fail is not None:
            raise self._fail

    async def __aiter__(self) -> AsyncIterator[bytes]:
        import asyncio

        for piece in self._pieces:
            if self._delay:
                await asyncio.sleep(self._delay)
            yield piece
        if self._fail is not None:
            raise self._fail


#: What the fake sends for an operation that answers bytes: 4 KiB, the same every time.
FAKE_BYTES = bytes(range(256)) * 16


@functools.cache
def _routes() -> list[tuple[str, re.Pattern[str], int, bytes, str]]:
    """The realistic answer of every operation (``fake_api.json``, generated from the API
    document), with the path as a pattern that ends the URL path; the most literal paths first,
    so ``/videos/models`` is answered neither as ``/models`` nor as ``/videos/{jobId}``."""
    import importlib.resources

    rows = json.loads(
        importlib.resources.files("openrouter_core").joinpath("fake_api.json").read_text("utf-8")
    )
    routes = []
    for method, path, status, body in sorted(rows, key=_literal_length, reverse=True):
        pattern = re.escape(path)
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", pattern)
        if isinstance(body, dict) and list(body) == ["bytes"]:
            kind = body["bytes"].replace("*", "mpeg")  # audio/* -> audio/mpeg
            routes.append((method, re.compile(f"{pattern}$"), status, FAKE_BYTES, kind))
        else:
            content = json.dumps(body).encode()
            routes.append((method, re.compile(f"{pattern}$"), status, content, "application/json"))
    return routes


def _literal_length(row: list[Any]) -> int:
    return len(re.sub(r"\{[^/]+?\}", "", row[1]))


def _route(method: str, path: str) -> _Reply | None:
    for route_method, pattern, status, content, kind in _routes():
        if route_method == method and pattern.search(path):
            return functools.partial(_answer, status, content, kind)
    return None


def _answer(status: int, content: bytes, kind: str, request: httpx2.Request) -> httpx2.Response:
    # A list has one page: asked for a later one (an offset or a cursor), it answers none.
    query = request.url.params
    later = query.get("cursor") or query.get("offset", "0") not in ("", "0")
    if later and kind == "application/json":
        body = json.loads(content)
        if isinstance(body, dict) and isinstance(body.get("data"), list):
            content = json.dumps({**body, "data": [], "cursor": None}).encode()
    headers = [("content-type", kind)]
    return httpx2.Response(status, headers=headers, content=content)


class FakeOpenRouter(httpx2.BaseTransport, httpx2.AsyncBaseTransport):
    """An httpx2 transport that plays OpenRouter from a script. Thread-safe."""

    def __init__(self, default: _Reply | None = None) -> None:
        self._script: deque[_Reply] = deque()
        self._lock = threading.Lock()
        self._default = default
        self._completion = self._json_reply(200, completion_body(), ())
        self.requests: list[FakeRequest] = []

    # Building the script -------------------------------------------------------------------

    def then(self, reply: _Reply) -> FakeOpenRouter:
        """Queue a reply function (request in, ``httpx2.Response`` out, or raise)."""
        with self._lock:
            self._script.append(reply)
        return self

    @staticmethod
    def _json_reply(status: int, body: Any, headers: Iterable[tuple[str, str]]) -> _Reply:
        content = json.dumps(body).encode()
        hs = [("content-type", "application/json"), *headers]
        return lambda request: httpx2.Response(status, headers=hs, content=content)

    def reply(
        self, content: str | None = "Hello from the fake OpenRouter.", **fields: Any
    ) -> FakeOpenRouter:
        """Queue a successful completion; keyword fields go to ``completion_body``."""
        return self.then(self._json_reply(200, completion_body(content, **fields), ()))

    def reply_json(
        self, status: int, body: Any, headers: Mapping[str, str] | None = None
    ) -> FakeOpenRouter:
        """Queue any JSON body with any status."""
        return self.then(self._json_reply(status, body, (headers or {}).items()))

    def reply_error(
        self,
        status: int,
        message: str,
        *,
        code: int | str | None = None,
        metadata: Mapping[str, Any] | None = None,
        retry_after: float | None = None,
    ) -> FakeOpenRouter:
        """Queue an OpenRouter error (JSON body), optionally with ``Retry-After`` seconds."""
        headers = {} if retry_after is None else {"retry-after": f"{retry_after:g}"}
        body = error_body(message, code=status if code is None else code, metadata=metadata)
        return self.reply_json(status, body, headers)

    def reply_raw(
        self,
        status: int,
        body: bytes,
        *,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> FakeOpenRouter:
        """Queue raw bytes (an HTML error page, garbage)."""
        hs = list((headers or {}).items())
        if content_type is not None:
            hs.append(("content-type", content_type))
        return self.then(lambda request: httpx2.Response(status, headers=hs, content=body))

    def reply_stream(
        self,
        pieces: Sequence[str] | None = None,
        *,
        events: Iterable[Mapping[str, Any] | str] | None = None,
        body: bytes | None = None,
        split: int | None = None,
        done: bool = True,
        fail: Exception | None = None,
        delay: float = 0.0,
    ) -> FakeOpenRouter:
        """Queue an SSE reply.

        Give text ``pieces`` (turned into realistic chunks), chunk ``events``, or a raw ``body``.
        ``split`` cuts the bytes into parts of that size; ``fail`` is raised after the last part
        (a dropped connection); ``delay`` pauses before each part.
        """
        if body is None:
            items = list(events) if events is not None else stream_chunks(list(pieces or []))
            body = sse_bytes(items, done=done)
        parts = [body[i : i + split] for i in range(0, len(body), split)] if split else [body]
        headers = [("content-type", "text/event-stream")]
        return self.then(
            lambda request: httpx2.Response(
                200, headers=headers, stream=_Pieces(parts, fail, delay)
            )
        )

    def fail_with(self, exc: Exception) -> FakeOpenRouter:
        """Queue a transport failure such as ``httpx2.ConnectError("refused")``."""

        def raise_it(request: httpx2.Request) -> httpx2.Response:
            raise exc

        return self.then(raise_it)

    # Wiring --------------------------------------------------------------------------------

    def core(self, **config: Any) -> OpenRouterCore:
        """An ``OpenRouterCore`` whose clients talk to this fake.

        Retries default to no waiting so tests stay fast; pass ``retry_config`` to change it.
        """
        config.setdefault("api_key", "sk-or-fake-key")
        config.setdefault("server_url", "https://fake.openrouter.test/api/v1")
        config.setdefault("retry_config", RetryConfig(initial_delay=0.0, max_delay=0.0))
        return OpenRouterCore(
            client=httpx2.Client(transport=self),
            async_client=httpx2.AsyncClient(transport=self),
            **config,
        )

    def _next(self, request: httpx2.Request) -> httpx2.Response:
        content = request.read()
        with self._lock:
            self.requests.append(
                FakeRequest(request.method, str(request.url), dict(request.headers), content)
            )
            reply = self._script.popleft() if self._script else self._default
        if reply is None:
            reply = _route(request.method, request.url.path) or self._completion
        return reply(request)

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        """Answer a sync request from the script."""
        return self._next(request)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        """Answer an async request from the script."""
        return self._next(request)
