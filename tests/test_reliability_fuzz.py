"""Property: whatever a server sends, every call returns a Result and nothing raises.

A loopback server answers each example with a random raw HTTP response: status lines (sane,
odd and garbage), headers (content types, retry hints, encodings, redirects), bodies (valid,
mutated, truncated, random bytes, SSE streams with odd line ends and junk events, gzip), framing
(right, short and long Content-Length, chunked, broken chunked, close-delimited), all cut into
writes at random points and ended by a close, a reset, a stall or a kept-alive connection.

For every example, sync and async, streaming and not: ``chat_send`` returns a ``Success`` of the
promised type or a ``Failure`` of an ``OpenRouterCoreError``; a stream yields only Results (a
``Failure`` only as its last item), ``collect()`` returns a Result, and the stream ends closed.

``responses_send`` (the Responses API) gets the same treatment with the same misbehaviour: its
SSE bodies are Responses event streams (``response.created``, text deltas, ``response.completed``
or an incomplete, failed, error or unknown end) with mutated events, random event JSON (unknown
types, error events) and the same junk, cuts, resets and stalls.

``images_generate`` (image generation) gets it too: its SSE bodies are image event streams
(``image_generation.partial_image`` and ``.text_chunk`` events, then ``.completed``, an ``error``
event, an unknown event or nothing), its JSON bodies ``ImageGenerationResponse`` objects.

``tests/fuzz_escapes.py`` runs the same checks on 10,000 examples and counts the escapes.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import gzip
import importlib
import itertools
import json
import ssl
import time
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st
from returns.result import Failure, Result, Success

from funcs.chat_send import chat_send, chat_send_async
from funcs.images_generate import images_generate, images_generate_async
from funcs.responses_send import responses_send, responses_send_async
from openrouter_core import OpenRouterCore, RetryConfig
from openrouter_core.chat import AsyncChatStream, ChatStream
from openrouter_core.errors import OpenRouterCoreError, StreamError
from openrouter_core.images.stream import AsyncImageStream, ImageStream
from openrouter_core.models import ChatResponse, ChatStreamChunk
from openrouter_core.models.images import ImageGenerationResponse, ImageStreamEvent
from openrouter_core.models.responses import OpenResponsesResult, ResponsesStreamEvent
from openrouter_core.responses.stream import AsyncResponsesStream, ResponsesStream
from openrouter_core.testing import completion_body, error_body, stream_chunks
from tests.loopback import LoopbackServer, pieces
from tests.scale import examples

pytestmark = pytest.mark.timeout(120)

SECRET = "sk-or-v1-reliability-fuzz-secret"
PARAMS: dict[str, Any] = {
    "model": "openai/gpt-4o-mini",
    "messages": [{"role": "user", "content": "Hello"}],
}
RESPONSES_PARAMS: dict[str, Any] = {"model": "openai/gpt-4o-mini", "input": "Hello"}
IMAGES_PARAMS: dict[str, Any] = {"model": "openai/gpt-image-1", "prompt": "a cat"}
#: Read/connect timeout of every fuzzed call: stalls end quickly.
CALL_TIMEOUT = 0.25
#: At most one quick retry; a server's Retry-After above 50 ms ends the retries.
FUZZ_RETRY = RetryConfig(
    max_retries=1, initial_delay=0.0, max_delay=0.0, retry_after_cap=0.05, max_elapsed=2.0
)
#: One SSL context shared by every per-example client: building one costs ~50 ms.
_SHARED_SSL = ssl.create_default_context()
#: How long a stalling server waits for the client to give up.
HOLD = 5.0
#: A call slower than this counts as an escape (a hang) in the fuzz script.
SLOW = 10.0

MODES = ("sync", "sync-stream", "async", "async-stream")
#: The operations fuzzed: ``chat_send``, ``responses_send`` and ``images_generate``.
APIS = ("chat", "responses", "images")


def _libraries() -> dict[str, Any]:
    found: dict[str, Any] = {"httpx": httpx}
    with contextlib.suppress(ImportError):  # optional: the fork the core's own pool may use
        found["httpx2"] = importlib.import_module("httpx2")
    return found


#: The HTTP client libraries each example may run on (a caller's client, or the core's pool).
LIBRARIES = _libraries()

# --------------------------------------------------------------------------- strategies

_KEYS = [
    "id",
    "object",
    "created",
    "model",
    "provider",
    "choices",
    "index",
    "delta",
    "message",
    "role",
    "content",
    "finish_reason",
    "tool_calls",
    "function",
    "arguments",
    "usage",
    "prompt_tokens",
    "error",
    "code",
    "metadata",
]

_RESPONSES_KEYS = [
    "type",
    "id",
    "object",
    "status",
    "response",
    "sequence_number",
    "output",
    "output_index",
    "content_index",
    "item_id",
    "item",
    "delta",
    "text",
    "content",
    "role",
    "usage",
    "error",
    "code",
    "message",
    "incomplete_details",
]

_IMAGES_KEYS = [
    "type",
    "b64_json",
    "partial_image_index",
    "text",
    "phase",
    "created",
    "media_type",
    "usage",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "cost",
    "data",
    "error",
    "code",
    "message",
    "param",
]


def _json_values(keys: list[str]) -> st.SearchStrategy[Any]:
    """Random JSON whose object keys are often among ``keys``."""
    return st.recursive(
        st.none()
        | st.booleans()
        | st.integers(-(2**70), 2**70)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=12),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.sampled_from(keys) | st.text(max_size=6), children, max_size=4)
        ),
        max_leaves=10,
    )


json_values = _json_values(_KEYS)
responses_json_values = _json_values(_RESPONSES_KEYS)
images_json_values = _json_values(_IMAGES_KEYS)


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(obj, list):
        for index, value in enumerate(obj):
            yield from _paths(value, (*prefix, index))


@st.composite
def mutated(draw: st.DrawFn, obj: Any, values: st.SearchStrategy[Any] = json_values) -> Any:
    """``obj`` with up to three of its values replaced by random JSON (``values``) or removed."""
    obj = copy.deepcopy(obj)
    for _ in range(draw(st.integers(0, 3))):
        path = draw(st.sampled_from(list(_paths(obj))))
        if not path:
            return draw(values)
        parent = obj
        for step in path[:-1]:
            parent = parent[step]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(values)
    return obj


_SSE_EXTRAS = st.one_of(
    st.just(b": OPENROUTER PROCESSING"),
    st.just(b"data: [DONE]"),
    st.just(b'data: {"error": {"code": 502, "message": "provider down"}}'),
    st.just(b"event: ping"),
    st.just(b"retry: 10"),
    st.just(b"id: 7"),
    st.just(b"data"),
    st.just(b""),
    st.binary(max_size=24).map(lambda b: b"data: " + b),
    json_values.map(lambda v: b"data: " + json.dumps(v).encode()),
)


@st.composite
def sse_body(draw: st.DrawFn) -> bytes:
    """A chat stream with mutated chunks, junk events, dropped events and odd line ends."""
    texts = draw(st.lists(st.text(max_size=8), max_size=4))
    finish = draw(st.sampled_from(["stop", "length", "error", "brand_new"]))
    events: list[bytes] = []
    for chunk in stream_chunks(texts, finish_reason=finish):
        sent = draw(mutated(chunk)) if draw(st.integers(0, 5)) == 0 else chunk
        events.append(b"data: " + json.dumps(sent).encode())
    for extra in draw(st.lists(_SSE_EXTRAS, max_size=3)):
        events.insert(draw(st.integers(0, len(events))), extra)
    if events and draw(st.integers(0, 3)) == 0:
        del events[draw(st.integers(0, len(events) - 1))]
    if draw(st.booleans()):
        events.append(b"data: [DONE]")
    eol = draw(st.sampled_from([b"\n", b"\r\n", b"\r"]))
    return b"".join(event + eol + eol for event in events)


def responses_result(text: str | None, status: str = "completed") -> dict[str, Any]:
    """A Responses API response object (``text`` None: no output yet)."""
    output: list[dict[str, Any]] = []
    if text is not None:
        content = [{"type": "output_text", "text": text, "annotations": []}]
        output = [{"type": "message", "id": "m", "role": "assistant", "content": content}]
    return {"id": "resp-1", "object": "response", "status": status, "output": output}


#: How a fuzzed Responses stream ends (before its junk and cuts).
_RESPONSES_ENDS = ("completed", "completed", "incomplete", "failed", "error", "brand_new", "none")
_RESPONSES_TYPES = [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.output_text.delta",
    "response.output_text.done",
    "response.completed",
    "response.incomplete",
    "response.failed",
    "response.reasoning_text.delta",
    "response.function_call_arguments.delta",
    "error",
]


def responses_events(texts: list[str], end: str) -> list[dict[str, Any]]:
    """The event objects of a Responses stream of ``texts``, ended by ``end``."""
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": responses_result(None, "in_progress")},
        {"type": "response.in_progress", "response": responses_result(None, "in_progress")},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {"type": "message", "id": "m", "role": "assistant", "content": []},
        },
    ]
    for text in texts:
        events.append(
            {
                "type": "response.output_text.delta",
                "item_id": "m",
                "output_index": 0,
                "content_index": 0,
                "delta": text,
            }
        )
    joined = "".join(texts)
    events.append({"type": "response.output_text.done", "item_id": "m", "text": joined})
    if end == "completed":
        events.append({"type": "response.completed", "response": responses_result(joined)})
    elif end == "incomplete":
        response = responses_result(joined, "incomplete")
        response["incomplete_details"] = {"reason": "max_output_tokens"}
        events.append({"type": "response.incomplete", "response": response})
    elif end == "failed":
        response = responses_result(None, "failed")
        response["error"] = {"code": "server_error", "message": "provider down"}
        events.append({"type": "response.failed", "response": response})
    elif end == "error":
        events.append({"type": "error", "code": "rate_limit_exceeded", "message": "slow down"})
    elif end == "brand_new":
        events.append({"type": "response.brand_new_event", "extra": 1})
    for number, obj in enumerate(events):
        obj["sequence_number"] = number
    return events


#: Random event JSON: a known or unknown ``type`` (error events among them) and random fields.
random_event: st.SearchStrategy[dict[str, Any]] = st.builds(
    lambda kind, fields: {"type": kind, **fields},
    st.sampled_from(_RESPONSES_TYPES) | st.text(max_size=12),
    st.dictionaries(st.sampled_from(_RESPONSES_KEYS[1:]), responses_json_values, max_size=4),
)

_RESPONSES_SSE_EXTRAS = st.one_of(
    _SSE_EXTRAS,
    st.just(b'data: {"type": "error", "code": "server_error", "message": "boom"}'),
    st.just(b"event: response.output_text.delta"),
    random_event.map(lambda e: b"data: " + json.dumps(e).encode()),
    random_event.map(lambda e: b"event: error\ndata: " + json.dumps(e).encode()),
)


@st.composite
def responses_sse_body(draw: st.DrawFn) -> bytes:
    """A Responses stream with mutated and random events, junk, dropped events and odd line
    ends; each event may come with its ``event:`` line."""
    texts = draw(st.lists(st.text(max_size=8), max_size=4))
    named = draw(st.booleans())
    events: list[bytes] = []
    for event in responses_events(texts, draw(st.sampled_from(_RESPONSES_ENDS))):
        sent = (
            draw(mutated(event, responses_json_values)) if draw(st.integers(0, 5)) == 0 else event
        )
        data = b"data: " + json.dumps(sent).encode()
        kind = sent.get("type") if isinstance(sent, dict) else None
        if named and isinstance(kind, str):
            data = b"event: " + kind.encode("utf-8", "replace") + b"\n" + data
        events.append(data)
    for extra in draw(st.lists(_RESPONSES_SSE_EXTRAS, max_size=3)):
        events.insert(draw(st.integers(0, len(events))), extra)
    if events and draw(st.integers(0, 3)) == 0:
        del events[draw(st.integers(0, len(events) - 1))]
    if draw(st.booleans()):
        events.append(b"data: [DONE]")
    eol = draw(st.sampled_from([b"\n", b"\r\n", b"\r"]))
    return b"".join(event.replace(b"\n", eol) + eol + eol for event in events)


def image_result(b64: str | None) -> dict[str, Any]:
    """An image generation response (``b64`` None: no image)."""
    data = [] if b64 is None else [{"b64_json": b64, "media_type": "image/png"}]
    return {"created": 1, "data": data}


#: How a fuzzed image stream ends (before its junk and cuts).
_IMAGES_ENDS = ("completed", "completed", "two_completed", "error", "brand_new", "none")
_IMAGES_TYPES = [
    "image_generation.partial_image",
    "image_generation.text_chunk",
    "image_generation.completed",
    "error",
]


def image_events(partials: list[str], texts: list[str], end: str) -> list[dict[str, Any]]:
    """The event objects of an image stream of ``partials`` and ``texts``, ended by ``end``."""
    events: list[dict[str, Any]] = [
        {"type": "image_generation.partial_image", "b64_json": b64, "partial_image_index": index}
        for index, b64 in enumerate(partials)
    ]
    events += [{"type": "image_generation.text_chunk", "text": t, "phase": "x"} for t in texts]
    completed = {
        "type": "image_generation.completed",
        "b64_json": "FINAL",
        "created": 5,
        "media_type": "image/png",
        "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7, "cost": 0.01},
    }
    if end in ("completed", "two_completed"):
        events += [completed] * (2 if end == "two_completed" else 1)
    elif end == "error":
        error = {"code": "upstream_error", "message": "provider down"}
        events.append({"type": "error", "error": error})
    elif end == "brand_new":
        events.append({"type": "image_generation.brand_new_event", "extra": 1})
    return events


#: Random image event JSON: a known or unknown ``type`` (error events among them), random fields.
random_image_event: st.SearchStrategy[dict[str, Any]] = st.builds(
    lambda kind, fields: {"type": kind, **fields},
    st.sampled_from(_IMAGES_TYPES) | st.text(max_size=12),
    st.dictionaries(st.sampled_from(_IMAGES_KEYS[1:]), images_json_values, max_size=4),
)

_IMAGES_SSE_EXTRAS = st.one_of(
    _SSE_EXTRAS,
    st.just(b'data: {"type": "error", "error": {"code": "server_error", "message": "boom"}}'),
    st.just(b'data: {"type": "error", "error": "boom"}'),
    st.just(b'data: {"type": "error"}'),
    random_image_event.map(lambda e: b"data: " + json.dumps(e).encode()),
    images_json_values.map(lambda v: b"data: " + json.dumps(v).encode()),
)


@st.composite
def images_sse_body(draw: st.DrawFn) -> bytes:
    """An image stream with mutated and random events, junk, dropped events and odd line ends."""
    partials = draw(st.lists(st.sampled_from(["AAA", "", "bm90IGI2NA==", "!!"]), max_size=3))
    texts = draw(st.lists(st.text(max_size=8), max_size=3))
    events: list[bytes] = []
    for event in image_events(partials, texts, draw(st.sampled_from(_IMAGES_ENDS))):
        sent = draw(mutated(event, images_json_values)) if draw(st.integers(0, 5)) == 0 else event
        events.append(b"data: " + json.dumps(sent).encode())
    for extra in draw(st.lists(_IMAGES_SSE_EXTRAS, max_size=3)):
        events.insert(draw(st.integers(0, len(events))), extra)
    if events and draw(st.integers(0, 3)) == 0:
        del events[draw(st.integers(0, len(events) - 1))]
    if draw(st.booleans()):
        events.append(b"data: [DONE]")
    eol = draw(st.sampled_from([b"\n", b"\r\n", b"\r"]))
    return b"".join(event + eol + eol for event in events)


#: Per API: the random JSON of its bodies, a whole JSON body of a text, its SSE body, its path.
_JSON_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "chat": json_values,
    "responses": responses_json_values,
    "images": images_json_values,
}
_WHOLE: dict[str, Any] = {
    "chat": completion_body,
    "responses": responses_result,
    "images": image_result,
}
_SSE_BODIES: dict[str, Callable[[], st.SearchStrategy[bytes]]] = {
    "chat": sse_body,
    "responses": responses_sse_body,
    "images": images_sse_body,
}
_PATHS: dict[str, bytes] = {
    "chat": b"/api/v1/chat/completions",
    "responses": b"/api/v1/responses",
    "images": b"/api/v1/images",
}


@st.composite
def json_body(draw: st.DrawFn, api: str = "chat") -> bytes:
    kind = draw(st.sampled_from(["completion", "mutated", "error", "value", "truncated"]))
    values = _JSON_VALUES[api]
    whole: Any = _WHOLE[api]
    if kind == "completion":
        obj: Any = whole(draw(st.text(max_size=20)))
    elif kind == "mutated":
        obj = draw(mutated(whole("x"), values))
    elif kind == "error":
        code = draw(st.one_of(st.integers(0, 600), st.text(max_size=5), values))
        obj = error_body(draw(st.text(max_size=20)), code=code)
    else:
        obj = draw(values)
    data = json.dumps(obj).encode()
    if kind == "truncated":
        data = json.dumps(whole("cut short")).encode()
        data = data[: draw(st.integers(0, len(data)))]
    return data


@st.composite
def response_bytes(draw: st.DrawFn, api: str = "chat") -> bytes:
    """One whole raw HTTP response, sane or not (its JSON and SSE bodies those of ``api``)."""
    kind = draw(st.sampled_from(["json", "json", "sse", "sse", "sse", "binary"]))
    body = {
        "json": lambda: draw(json_body(api)),
        "sse": lambda: draw(_SSE_BODIES[api]()),
        "binary": lambda: draw(st.binary(max_size=120)),
    }[kind]()
    prefix = draw(st.sampled_from([b"", b"", b"", b"\xef\xbb\xbf", b" \r\n\t"]))
    body = prefix + body
    headers: list[tuple[bytes, bytes]] = []
    matching = b"text/event-stream" if kind == "sse" else b"application/json"
    content_type = draw(
        st.one_of(
            st.just(matching),
            st.sampled_from(
                [
                    None,
                    b"",
                    b"application/json; charset=utf-8",
                    b"text/event-stream; charset=utf-8",
                    b"TEXT/EVENT-STREAM",
                    b"text/html",
                    b"application/octet-stream",
                ]
            ),
        )
    )
    if content_type is not None:
        headers.append((b"Content-Type", content_type))
    encoding = draw(st.sampled_from([None, None, None, "gzip", "fake-gzip", "br", "identity"]))
    if encoding == "gzip":
        body = gzip.compress(body)
    if encoding is not None:
        headers.append((b"Content-Encoding", b"gzip" if encoding == "fake-gzip" else b"identity"))
    names = [b"Retry-After", b"retry-after-ms", b"X-Generation-Id", b"Location", b"Connection"]
    values = [
        b"0",
        b"0.01",
        b"3600",
        b"-1",
        b"1e309",
        b"nan",
        b"Wed, 21 Oct 2015 07:28:00 GMT",
        b"Mon, 01 Jan 99999 00:00:00 GMT",
        _PATHS[api],
        b"/elsewhere",
        b"http://127.0.0.1:1/x",
        b"http://[::1",
        b"close",
        b"keep-alive",
        b"\xff\xfe",
    ]
    for _ in range(draw(st.integers(0, 3))):
        headers.append((draw(st.sampled_from(names)), draw(st.sampled_from(values))))
    framing = draw(
        st.sampled_from(["length", "length", "chunked", "chunked", "short", "long", "none", "bad"])
    )
    if framing == "length":
        headers.append((b"Content-Length", str(len(body)).encode()))
    elif framing in ("short", "long"):
        delta = draw(st.integers(1, 20))
        size = max(0, len(body) - delta) if framing == "short" else len(body) + delta
        headers.append((b"Content-Length", str(size).encode()))
    elif framing in ("chunked", "bad"):
        headers.append((b"Transfer-Encoding", b"chunked"))
        body = _chunked(body, draw(st.lists(st.integers(0, len(body)), max_size=4)))
        if framing == "bad":
            at = draw(st.integers(0, len(body)))
            body = body[:at] + draw(st.sampled_from([b"zz\r\n", b"\r\n", b"-1\r\n"])) + body[at:]
        elif draw(st.integers(0, 4)) == 0:
            body = body.removesuffix(b"0\r\n\r\n")
    status = draw(st.sampled_from([200] * 24 + [201, 204, 302, 307, 400, 401, 404, 429, 500]))
    if draw(st.integers(0, 10)) == 0:
        status = draw(st.integers(100, 999))
    if draw(st.integers(0, 15)) == 0:
        status_line = draw(st.binary(max_size=30)) + b"\r\n"
    else:
        status_line = b"HTTP/1.1 %d %s\r\n" % (status, draw(st.sampled_from([b"OK", b"", b"?"])))
    head = status_line + b"".join(k + b": " + v + b"\r\n" for k, v in headers) + b"\r\n"
    return head + body


def _chunked(body: bytes, cuts: list[int]) -> bytes:
    points = [0, *sorted(set(cuts)), len(body)]
    out = b"".join(
        b"%x\r\n%s\r\n" % (end - start, body[start:end])
        for start, end in itertools.pairwise(points)
        if end > start
    )
    return out + b"0\r\n\r\n"


@dataclass(frozen=True)
class Scenario:
    """One fuzz example: what the server writes and how the caller consumes the result."""

    mode: str
    library: str
    parts: tuple[bytes, ...]
    finish: str
    delay: float
    consume: str
    take: int
    retries: int
    first_content_timeout: float | None
    chunk_gap_timeout: float | None
    #: The operation called: ``chat`` (``chat_send``), ``responses`` (``responses_send``) or
    #: ``images`` (``images_generate``).
    api: str = "chat"

    @property
    def stream(self) -> bool:
        return self.mode.endswith("stream")


@st.composite
def scenarios(draw: st.DrawFn, mode: str | None = None, api: str = "chat") -> Scenario:
    data = draw(response_bytes(api)) if draw(st.integers(0, 20)) else b""
    cuts = sorted(set(draw(st.lists(st.integers(0, len(data)), max_size=6))))
    points = [0, *cuts, len(data)]
    parts = tuple(data[a:b] for a, b in itertools.pairwise(points))
    return Scenario(
        mode=mode or draw(st.sampled_from(MODES)),
        library=draw(st.sampled_from(sorted(LIBRARIES))),
        parts=parts,
        finish=draw(st.sampled_from(["close"] * 4 + ["reset", "reset", "keep", "hold"])),
        delay=draw(st.sampled_from([0.0, 0.0, 0.002])),
        consume=draw(st.sampled_from(["iterate", "collect", "some_then_collect", "break"])),
        take=draw(st.integers(0, 3)),
        retries=draw(st.integers(0, 1)),
        first_content_timeout=draw(st.sampled_from([None, None, 0.05, 0.3])),
        chunk_gap_timeout=draw(st.sampled_from([None, None, 0.05, 0.3])),
        api=api,
    )


# --------------------------------------------------------------------------- checks


def _options(sc: Scenario) -> dict[str, Any]:
    return {
        "stream": sc.stream,
        "timeout": CALL_TIMEOUT,
        "retries": FUZZ_RETRY if sc.retries else 0,
        "first_content_timeout": sc.first_content_timeout,
        "chunk_gap_timeout": sc.chunk_gap_timeout,
    }


def _check_result(result: object, what: str) -> list[str]:
    if isinstance(result, Failure):
        err = result.failure()
        if not isinstance(err, OpenRouterCoreError):
            return [f"{what}: Failure holds {type(err).__name__}, not an OpenRouterCoreError"]
        return []
    if not isinstance(result, Success):
        return [f"{what}: returned {type(result).__name__}, not a Result"]
    return []


#: What a stream's Success items hold, per API.
_EVENT_TYPES: dict[str, tuple[type, ...]] = {
    "chat": (ChatStreamChunk,),
    "responses": typing.get_args(ResponsesStreamEvent),
    "images": typing.get_args(ImageStreamEvent),
}
#: What a call (not streaming) or ``collect()`` gives, per API.
_FINAL_TYPES: dict[str, type] = {
    "chat": ChatResponse,
    "responses": OpenResponsesResult,
    "images": ImageGenerationResponse,
}
#: The stream classes, per API: (sync, async).
_STREAM_TYPES: dict[str, tuple[type, type]] = {
    "chat": (ChatStream, AsyncChatStream),
    "responses": (ResponsesStream, AsyncResponsesStream),
    "images": (ImageStream, AsyncImageStream),
}

AnyStream = ChatStream | ResponsesStream | ImageStream
AnyAsyncStream = AsyncChatStream | AsyncResponsesStream | AsyncImageStream


def _check_items(items: list[object], api: str = "chat") -> list[str]:
    problems: list[str] = []
    for index, item in enumerate(items):
        problems += _check_result(item, f"stream item {index}")
        if isinstance(item, Success) and not isinstance(item.unwrap(), _EVENT_TYPES[api]):
            problems.append(f"stream item {index}: Success of {type(item.unwrap()).__name__}")
        if isinstance(item, Failure):
            if not isinstance(item.failure(), StreamError):
                problems.append(f"stream item {index}: Failure of a non-StreamError")
            if index != len(items) - 1:
                problems.append(f"stream item {index}: a Failure that is not the last item")
    return problems


def _check_collected(result: Result[Any, StreamError], api: str = "chat") -> list[str]:
    problems = _check_result(result, "collect()")
    expected = _FINAL_TYPES[api]
    if isinstance(result, Success) and not isinstance(result.unwrap(), expected):
        problems.append(f"collect(): Success of something other than a {expected.__name__}")
    return problems


def consume_sync(stream: AnyStream, sc: Scenario) -> list[str]:
    problems: list[str] = []
    if sc.consume == "collect":
        problems += _check_collected(stream.collect(), sc.api)
    elif sc.consume == "iterate":
        with stream:
            problems += _check_items(list(stream), sc.api)
    elif sc.consume == "some_then_collect":
        items: list[object] = []
        for item in stream:
            items.append(item)
            if len(items) > sc.take:
                break
        problems += _check_items(items, sc.api)
        problems += _check_collected(stream.collect(), sc.api)
    else:
        with stream:
            for index, got in enumerate(stream):
                problems += _check_result(got, f"stream item {index}")
                if index >= sc.take:
                    break
    if not stream.closed:
        problems.append("the stream is still open after it was consumed")
    return problems


async def consume_async(stream: AnyAsyncStream, sc: Scenario) -> list[str]:
    problems: list[str] = []
    if sc.consume == "collect":
        problems += _check_collected(await stream.collect(), sc.api)
    elif sc.consume == "iterate":
        async with stream:
            problems += _check_items([item async for item in stream], sc.api)
    elif sc.consume == "some_then_collect":
        items: list[object] = []
        while len(items) <= sc.take:
            try:
                items.append(await stream.__anext__())
            except StopAsyncIteration:
                break
        problems += _check_items(items, sc.api)
        problems += _check_collected(await stream.collect(), sc.api)
    else:
        async with stream:
            index = 0
            async for item in stream:
                problems += _check_result(item, f"stream item {index}")
                if index >= sc.take:
                    break
                index += 1
    if not stream.closed:
        problems.append("the stream is still open after it was consumed")
    return problems


def _check_success(value: object, sc: Scenario, stream_type: type) -> list[str]:
    expected = stream_type if sc.stream else _FINAL_TYPES[sc.api]
    if not isinstance(value, expected):
        return [f"{sc.api}: Success of {type(value).__name__}, expected {expected.__name__}"]
    return []


def run_sync(server: LoopbackServer, sc: Scenario) -> list[str]:
    """Drive one sync example; the problems found (empty when every promise held)."""
    server.default = pieces(sc.parts, finish=sc.finish, hold=HOLD, delay=sc.delay)
    problems: list[str] = []
    client = LIBRARIES[sc.library].Client(verify=_SHARED_SSL, follow_redirects=True)
    core = OpenRouterCore(api_key=SECRET, server_url=server.base_url, client=client)
    try:
        with client:
            result: Result[Any, OpenRouterCoreError]
            if sc.api == "responses":
                result = responses_send(core, RESPONSES_PARAMS, **_options(sc))
            elif sc.api == "images":
                result = images_generate(core, IMAGES_PARAMS, **_options(sc))
            else:
                result = chat_send(core, PARAMS, **_options(sc))
            problems += _check_result(result, f"{sc.api} send")
            if isinstance(result, Success):
                value = result.unwrap()
                problems += _check_success(value, sc, _STREAM_TYPES[sc.api][0])
                if isinstance(value, (ChatStream, ResponsesStream, ImageStream)):
                    problems += consume_sync(value, sc)
    except Exception as exc:
        problems.append(f"raised {type(exc).__name__}: {exc}")
    return problems


async def run_async(server: LoopbackServer, sc: Scenario) -> list[str]:
    """Drive one async example; the problems found."""
    server.default = pieces(sc.parts, finish=sc.finish, hold=HOLD, delay=sc.delay)
    problems: list[str] = []
    client = LIBRARIES[sc.library].AsyncClient(verify=_SHARED_SSL, follow_redirects=True)
    core = OpenRouterCore(api_key=SECRET, server_url=server.base_url, async_client=client)
    try:
        async with client:
            result: Result[Any, OpenRouterCoreError]
            if sc.api == "responses":
                result = await responses_send_async(core, RESPONSES_PARAMS, **_options(sc))
            elif sc.api == "images":
                result = await images_generate_async(core, IMAGES_PARAMS, **_options(sc))
            else:
                result = await chat_send_async(core, PARAMS, **_options(sc))
            problems += _check_result(result, f"{sc.api} send (async)")
            if isinstance(result, Success):
                value = result.unwrap()
                problems += _check_success(value, sc, _STREAM_TYPES[sc.api][1])
                if isinstance(value, (AsyncChatStream, AsyncResponsesStream, AsyncImageStream)):
                    problems += await consume_async(value, sc)
    except Exception as exc:
        problems.append(f"raised {type(exc).__name__}: {exc}")
    return problems


def run_one(server: LoopbackServer, loop: asyncio.AbstractEventLoop, sc: Scenario) -> list[str]:
    """Run one example in its mode; a slow one counts as a problem too."""
    started = time.monotonic()
    if sc.mode.startswith("async"):
        problems = loop.run_until_complete(run_async(server, sc))
    else:
        problems = run_sync(server, sc)
    elapsed = time.monotonic() - started
    if elapsed > SLOW:
        problems.append(f"took {elapsed:.1f}s")
    return problems


# --------------------------------------------------------------------------- the CI run

FUZZ_SETTINGS = settings(
    max_examples=examples(100),
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _fuzz(mode: str, api: str) -> None:
    loop = asyncio.new_event_loop()
    ran = 0
    try:
        with LoopbackServer() as server:

            @FUZZ_SETTINGS
            @given(sc=scenarios(mode, api))
            def check(sc: Scenario) -> None:
                nonlocal ran
                ran += 1
                assert run_one(server, loop, sc) == []

            check()
    finally:
        loop.close()
    assert ran >= FUZZ_SETTINGS.max_examples


@pytest.mark.parametrize("mode", MODES)
def test_any_server_behaviour_gives_a_result(mode: str) -> None:
    _fuzz(mode, "chat")


@pytest.mark.parametrize("mode", MODES)
def test_any_server_behaviour_gives_a_responses_result(mode: str) -> None:
    """The same for ``responses_send``: Responses event streams, junk, cuts, resets, stalls."""
    _fuzz(mode, "responses")


@pytest.mark.parametrize("mode", MODES)
def test_any_server_behaviour_gives_an_image_result(mode: str) -> None:
    """The same for ``images_generate``: image event streams, junk, cuts, resets, stalls."""
    _fuzz(mode, "images")
