"""A fake OpenRouter for tests: an httpx2 transport that answers with scripted replies.

>>> fake = FakeOpenRouter()
>>> fake.reply("Hi there").reply_error(429, "slow down", retry_after=1)
>>> core = fake.core()                      # an OpenRouterCore wired to the fake
>>> chat_send(core, params)                 # Success(ChatResponse) with "Hi there"
>>> fake.requests[0].json["messages"]       # what the code under test sent

Replies are used in order, one per request: a retry takes the next one. When none are left,
the ``default`` reply answers if you set one; otherwise every operation gets a realistic answer
of its own (``GET /key`` the key's metadata, ``GET /models`` a catalog, ..., taken from
OpenRouter's API document), a chat completion a short completion, and a streaming call
(``chat_stream``, ``responses_send(stream=True)``, ``images_generate(stream=True)``) an event
stream. A path the API does not have gets a 404.

A scripted failure (``fail_with``, an error status, ``reply_stream(fail=...)``) with nothing
scripted after it answers the requests after it too, as a server that is down stays down: the
retries of the call see it, so the call's Failure is the scripted one (after ``max_retries``
retries when it is retryable). Script a reply after it for a retry that succeeds. It speaks the
real wire format, SSE included, and serves the sync and async clients alike. Nothing touches
the network.
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
from urllib.parse import urlsplit

import attrs
import httpx2

from openrouter_core.core import OpenRouterCore, RetryConfig

__all__ = [
    "FakeOpenRouter",
    "FakeRequest",
    "completion_body",
    "error_body",
    "image_events",
    "response_events",
    "stream_chunks",
    "sse_bytes",
    "tool_call",
    "tool_calls_body",
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


def tool_call(
    name: str, arguments: Mapping[str, Any] | str = "{}", *, id: str | None = None
) -> dict[str, Any]:
    """One tool call of an assistant message: ``arguments`` as a mapping (written as JSON) or
    as the raw text the model wrote (which need not be JSON); ``id`` defaults to
    ``call_<name>``."""
    text = arguments if isinstance(arguments, str) else json.dumps(dict(arguments))
    return {
        "id": id if id is not None else f"call_{name}",
        "type": "function",
        "function": {"name": name, "arguments": text},
    }


def tool_calls_body(
    *calls: Mapping[str, Any], content: str | None = None, **fields: Any
) -> dict[str, Any]:
    """A completion whose assistant message calls tools (``tool_call(...)`` each), with
    ``finish_reason: "tool_calls"``; keyword fields go to ``completion_body``."""
    fields.setdefault("finish_reason", "tool_calls")
    return completion_body(content, tool_calls=list(calls), **fields)


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


def response_events(
    pieces: Sequence[str] = ("Hello", " from the", " fake OpenRouter."),
    *,
    model: str = "openai/gpt-4o-mini",
    response_id: str = "resp-fake-1",
    usage: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Events of a streamed Responses answer: ``response.created``, one
    ``response.output_text.delta`` per piece, ``response.output_text.done`` and
    ``response.completed`` with the whole text (what ``collect()`` returns)."""
    text = "".join(pieces)
    item = "msg-fake-1"
    response: dict[str, Any] = {
        "id": response_id,
        "object": "response",
        "created_at": 1_767_225_600,
        "model": model,
        "status": "in_progress",
        "output": [],
    }
    events: list[dict[str, Any]] = [{"type": "response.created", "response": response}]
    where = {"item_id": item, "output_index": 0, "content_index": 0}
    events += [
        {"type": "response.output_text.delta", **where, "delta": piece, "logprobs": []}
        for piece in pieces
    ]
    events.append({"type": "response.output_text.done", **where, "text": text, "logprobs": []})
    message = {
        "type": "message",
        "id": item,
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }
    tokens = (
        dict(usage)
        if usage is not None
        else {
            "input_tokens": 12,
            "output_tokens": len(pieces),
            "total_tokens": 12 + len(pieces),
        }
    )
    done = {**response, "status": "completed", "output": [message], "usage": tokens}
    events.append({"type": "response.completed", "response": done})
    for number, event in enumerate(events):
        event["sequence_number"] = number
    return events


def image_events(
    partials: int = 1, *, b64_json: str = "ZmFrZSBpbWFnZQ==", created: int = 1_767_225_600
) -> list[dict[str, Any]]:
    """Events of a streamed image generation: ``partials`` partial images, then the final one
    (``collect()`` returns it as an ``ImageGenerationResponse``)."""
    events: list[dict[str, Any]] = [
        {"type": "image_generation.partial_image", "b64_json": b64_json, "partial_image_index": i}
        for i in range(partials)
    ]
    events.append(
        {
            "type": "image_generation.completed",
            "b64_json": b64_json,
            "created": created,
            "usage": {"prompt_tokens": 0, "completion_tokens": 100, "total_tokens": 100},
        }
    )
    return events


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


@attrs.frozen
class _Route:
    method: str
    #: Matches the whole path below the server URL (``{name}`` matches one segment).
    pattern: re.Pattern[str]
    status: int
    content: bytes
    kind: str
    #: The SSE body a streaming request gets, for an operation that streams.
    events: bytes | None


@functools.cache
def _routes() -> list[_Route]:
    """The realistic answer of every operation (``fake_api.json``, generated from the API
    document), the most literal paths first, so ``/videos/models`` is answered as itself and
    not as ``/videos/{jobId}``."""
    import importlib.resources

    rows = json.loads(
        importlib.resources.files("openrouter_core").joinpath("fake_api.json").read_text("utf-8")
    )
    routes = []
    for method, path, status, body, *events in sorted(rows, key=_literal_length, reverse=True):
        pattern = re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path)))
        sse = sse_bytes(events[0]) if events else None
        if isinstance(body, dict) and list(body) == ["bytes"]:
            kind = body["bytes"].replace("*", "mpeg")  # audio/* -> audio/mpeg
            routes.append(_Route(method, pattern, status, FAKE_BYTES, kind, sse))
        else:
            content = json.dumps(body).encode()
            routes.append(_Route(method, pattern, status, content, "application/json", sse))
    return routes


def _literal_length(row: list[Any]) -> int:
    return len(re.sub(r"\{[^/]+?\}", "", row[1]))


def _route(method: str, path: str, streaming: bool) -> _Reply | None:
    for route in _routes():
        if route.method == method and route.pattern.fullmatch(path):
            if streaming and route.events is not None:
                return _sse_reply(route.events)
            return functools.partial(_answer, route.status, route.content, route.kind)
    return None


def _sse_reply(body: bytes) -> _Reply:
    headers = [("content-type", "text/event-stream")]
    return lambda request: httpx2.Response(200, headers=headers, content=body)


def _not_found(request: httpx2.Request) -> httpx2.Response:
    message = f"the fake OpenRouter has no route {request.method} {request.url.path}"
    content = json.dumps(error_body(message, code=404)).encode()
    return httpx2.Response(404, headers=[("content-type", "application/json")], content=content)


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
        # Each reply with whether it is a failure, which keeps answering once the script ends.
        self._script: deque[tuple[_Reply, bool]] = deque()
        self._failing: _Reply | None = None
        self._lock = threading.Lock()
        self._default = default
        self._completion = self._json_reply(200, completion_body(), ())
        self._chat_stream = _sse_reply(sse_bytes(stream_chunks(["Hello from", " the fake."])))
        # The path of the API's base URL: a route matches what follows it (``core()`` sets it).
        self._base_path = "/api/v1"
        self.requests: list[FakeRequest] = []

    # Building the script -------------------------------------------------------------------

    def then(self, reply: _Reply, *, failure: bool = False) -> FakeOpenRouter:
        """Queue a reply function (request in, ``httpx2.Response`` out, or raise).

        ``failure=True``: with nothing scripted after it, it answers the later requests too.
        """
        with self._lock:
            self._script.append((reply, failure))
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

    def reply_tool_calls(
        self, *calls: Mapping[str, Any], content: str | None = None, **fields: Any
    ) -> FakeOpenRouter:
        """Queue a completion whose assistant message calls tools, each a ``tool_call(...)``
        such as ``tool_call("get_weather", {"city": "Paris"})``."""
        body = tool_calls_body(*calls, content=content, **fields)
        return self.then(self._json_reply(200, body, ()))

    def reply_json(
        self, status: int, body: Any, headers: Mapping[str, str] | None = None
    ) -> FakeOpenRouter:
        """Queue any JSON body with any status (4XX and 5XX are failures, see the module)."""
        reply = self._json_reply(status, body, (headers or {}).items())
        return self.then(reply, failure=status >= 400)

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
        return self.then(
            lambda request: httpx2.Response(status, headers=hs, content=body),
            failure=status >= 400,
        )

    def reply_stream(
        self,
        pieces: Sequence[str] | None = None,
        *,
        events: Iterable[Mapping[str, Any] | str] | None = None,
        body: bytes | None = None,
        split: int | None = None,
        done: bool | None = None,
        fail: Exception | None = None,
        delay: float = 0.0,
    ) -> FakeOpenRouter:
        """Queue an SSE reply.

        Give text ``pieces`` (turned into realistic chunks), chunk ``events`` (``stream_chunks``,
        ``response_events``, ``image_events`` build them), or a raw ``body``. ``split`` cuts the
        bytes into parts of that size; ``delay`` pauses before each part. ``fail`` (such as
        ``httpx2.ReadError("reset")``) is raised after the last part: the connection drops
        before the reply ends, so the pieces come without their finish, usage and ``[DONE]``
        (``done`` defaults to False then) and the caller gets the chunks, then a
        ``Failure(StreamError)``; a stream that fails before its first chunk is retried.
        """
        if done is None:
            done = fail is None
        if body is None:
            items: list[Mapping[str, Any] | str]
            if events is not None:
                items = list(events)
            else:
                items = list(stream_chunks(list(pieces or [])))
                if fail is not None:
                    items = items[:-2]  # cut before the finish and the usage
            body = sse_bytes(items, done=done)
        parts = [body[i : i + split] for i in range(0, len(body), split)] if split else [body]
        headers = [("content-type", "text/event-stream")]
        return self.then(
            lambda request: httpx2.Response(
                200, headers=headers, stream=_Pieces(parts, fail, delay)
            ),
            failure=fail is not None,
        )

    def fail_with(self, exc: Exception) -> FakeOpenRouter:
        """Queue a transport failure such as ``httpx2.ConnectError("refused")``; with nothing
        scripted after it, the retries get it too, so the call fails with it."""

        def raise_it(request: httpx2.Request) -> httpx2.Response:
            raise exc

        return self.then(raise_it, failure=True)

    # Wiring --------------------------------------------------------------------------------

    def core(self, **config: Any) -> OpenRouterCore:
        """An ``OpenRouterCore`` whose clients talk to this fake.

        Retries default to no waiting so tests stay fast; pass ``retry_config`` to change it.
        """
        config.setdefault("api_key", "sk-or-fake-key")
        config.setdefault("server_url", "https://fake.openrouter.test/api/v1")
        config.setdefault("retry_config", RetryConfig(initial_delay=0.0, max_delay=0.0))
        if isinstance(config["server_url"], str):
            self._base_path = urlsplit(config["server_url"]).path.rstrip("/")
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
            if self._script:
                reply, failure = self._script.popleft()
                self._failing = reply if failure else None
            else:
                chosen = self._failing or self._default
                reply = chosen if chosen is not None else self._realistic(request)
        return reply(request)

    def _realistic(self, request: httpx2.Request) -> _Reply:
        """The answer of the operation the request is for, from the API document."""
        path = request.url.path
        for base in (self._base_path, "/api/v1"):
            if base and path.startswith(base + "/"):
                path = path[len(base) :]
                break
        streaming = "text/event-stream" in request.headers.get("accept", "")
        if path == "/chat/completions" and request.method == "POST":
            return self._chat_stream if streaming else self._completion
        return _route(request.method, path, streaming) or _not_found

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        """Answer a sync request from the script."""
        return self._next(request)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        """Answer an async request from the script."""
        return self._next(request)
