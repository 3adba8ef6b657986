"""A tiny, fast fake of OpenRouter's chat, responses and model list for the benchmarks.

A raw asyncio ``Protocol`` speaking just enough HTTP/1.1 (keep-alive, Content-Length request
bodies). Every answer is precomputed bytes, so the server costs a few microseconds per request
and is never what the benchmark measures.

- ``"stream": true`` absent: a realistic JSON ChatResponse (id, provider, model, usage ...).
- ``"stream": true``: an SSE stream, one HTTP chunk per event (chunked transfer encoding, the
  connection stays open), ``N`` content chunks, a ``finish_reason`` chunk, a usage chunk with
  empty ``choices``, then ``data: [DONE]``. ``N`` comes from the ``X-Bench-Chunks`` header or a
  model name ending in ``stream-N`` (e.g. ``"bench/stream-20000"``), else 100.
- ``GET /api/v1/models`` (any query string): a small model catalog, as ``GET /models`` answers.
  The big real answer instead (``tests/corpus/other/models-llm-openrouter-1.json``, 410 KiB,
  320 models, served byte for byte) when asked: with the header ``X-Bench-Models: big``, or on the
  second route ``GET /big/api/v1/models`` (so a client whose base URL ends in ``/big/api/v1``
  gets it without sending anything special).
- ``POST /api/v1/responses`` with ``"stream": true``: a Responses API event stream, one HTTP
  chunk per event, ``response.created``, ``N`` ``response.output_text.delta`` events (``N`` as
  for chat), ``response.completed`` (a small response object), then ``data: [DONE]``. Without
  ``"stream": true``: that small response object as JSON.

Run: ``python benchmarks/server.py [--port 0]``; the first line on stdout is ``PORT <n>``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import signal
import sys
from pathlib import Path

CREATED = 1_763_769_600
GEN_ID = "gen-1763769600-Zq3bKf9XwP2mR7tLcY1A"
MODEL = "openai/gpt-4o-mini"
DEFAULT_CHUNKS = 100
#: The big real ``GET /models`` answer, recorded from OpenRouter (410 KiB, 320 models).
BIG_MODELS_FILE = (
    Path(__file__).resolve().parent.parent / "tests" / "corpus" / "other"
) / "models-llm-openrouter-1.json"

_STREAM_RE = re.compile(rb'"stream"\s*:\s*true')
_MODEL_N_RE = re.compile(rb'stream-(\d+)"')

_USAGE = {
    "prompt_tokens": 27,
    "completion_tokens": 12,
    "total_tokens": 39,
    "cost": 0.0000112,
    "is_byok": False,
    "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
    "cost_details": {
        "upstream_inference_cost": None,
        "upstream_inference_prompt_cost": 0.00000405,
        "upstream_inference_completions_cost": 0.0000072,
    },
    "completion_tokens_details": {"reasoning_tokens": 0, "image_tokens": 0},
}


def chat_response_body() -> bytes:
    """The canned non-streaming ChatResponse, shaped like a live OpenRouter answer."""
    body = {
        "id": GEN_ID,
        "provider": "OpenAI",
        "model": MODEL,
        "object": "chat.completion",
        "created": CREATED,
        "choices": [
            {
                "logprobs": None,
                "finish_reason": "stop",
                "native_finish_reason": "stop",
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Hello! How can I help you with your project today?",
                    "refusal": None,
                    "reasoning": None,
                },
            }
        ],
        "system_fingerprint": "fp_560af6e559",
        "usage": _USAGE,
    }
    return json.dumps(body, separators=(",", ":")).encode()


def _chunk(choices: list[dict[str, object]], **extra: object) -> bytes:
    chunk: dict[str, object] = {
        "id": GEN_ID,
        "provider": "OpenAI",
        "model": MODEL,
        "object": "chat.completion.chunk",
        "created": CREATED,
        "choices": choices,
        "system_fingerprint": "fp_560af6e559",
        **extra,
    }
    return json.dumps(chunk, separators=(",", ":")).encode()


def _http_chunk(payload: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(payload), payload)


def sse_events(n: int) -> list[bytes]:
    """The SSE events (each ending in a blank line) of an ``n``-chunk stream."""
    events = [b": OPENROUTER PROCESSING\n\n"]
    words = ["Hello", " there", ",", " how", " can", " I", " help", " you", " today", "?"]
    for i in range(n):
        delta: dict[str, object] = {"content": words[i % len(words)]}
        if i == 0:
            delta = {"role": "assistant", **delta}
        choice = {
            "index": 0,
            "delta": delta,
            "finish_reason": None,
            "native_finish_reason": None,
            "logprobs": None,
        }
        events.append(b"data: " + _chunk([choice]) + b"\n\n")
    final = {
        "index": 0,
        "delta": {"role": "assistant", "content": ""},
        "finish_reason": "stop",
        "native_finish_reason": "stop",
        "logprobs": None,
    }
    events.append(b"data: " + _chunk([final]) + b"\n\n")
    events.append(b"data: " + _chunk([], usage=_USAGE) + b"\n\n")
    events.append(b"data: [DONE]\n\n")
    return events


def sse_body(n: int) -> bytes:
    """The raw SSE body (without HTTP framing) of an ``n``-chunk stream."""
    return b"".join(sse_events(n))


def _catalog_model(
    slug: str, name: str, prompt: str, completion: str, context: int, created: int
) -> dict[str, object]:
    return {
        "id": slug,
        "canonical_slug": slug,
        "hugging_face_id": None,
        "name": name,
        "created": created,
        "description": f"{name}, served through OpenRouter.",
        "context_length": context,
        "architecture": {
            "modality": "text+image->text",
            "input_modalities": ["text", "image"],
            "output_modalities": ["text"],
            "tokenizer": "GPT",
            "instruct_type": None,
        },
        "pricing": {
            "prompt": prompt,
            "completion": completion,
            "request": "0",
            "image": "0",
            "web_search": "0",
            "internal_reasoning": "0",
        },
        "top_provider": {
            "context_length": context,
            "max_completion_tokens": 16384,
            "is_moderated": True,
        },
        "per_request_limits": None,
        "supported_parameters": [
            "max_tokens",
            "temperature",
            "top_p",
            "tools",
            "tool_choice",
            "response_format",
            "stop",
            "seed",
        ],
        "default_parameters": {"temperature": None, "top_p": None, "frequency_penalty": None},
    }


def models_body() -> bytes:
    """The canned ``GET /models`` answer: a small catalog shaped like the live one."""
    body = {
        "data": [
            _catalog_model(
                "openai/gpt-4o", "OpenAI: GPT-4o", "0.0000025", "0.00001", 128000, 1715367049
            ),
            _catalog_model(
                MODEL, "OpenAI: GPT-4o-mini", "0.00000015", "0.0000006", 128000, 1721260800
            ),
            _catalog_model(
                "anthropic/claude-sonnet-4",
                "Anthropic: Claude Sonnet 4",
                "0.000003",
                "0.000015",
                200000,
                1747930371,
            ),
        ]
    }
    return json.dumps(body, separators=(",", ":")).encode()


RESPONSE_ID = "resp_1763769600Zq3bKf9XwP2mR7tL"
_RESPONSES_USAGE = {
    "input_tokens": 27,
    "input_tokens_details": {"cached_tokens": 0},
    "output_tokens": 12,
    "output_tokens_details": {"reasoning_tokens": 0},
    "total_tokens": 39,
    "cost": 0.0000112,
}


def _response_object(status: str, text: str | None) -> dict[str, object]:
    """A small Responses API response object (``in_progress`` without output, or done)."""
    output: list[dict[str, object]] = []
    if text is not None:
        output = [
            {
                "type": "message",
                "id": "msg_1",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            }
        ]
    return {
        "id": RESPONSE_ID,
        "object": "response",
        "created_at": CREATED,
        "model": MODEL,
        "status": status,
        "output": output,
        "usage": _RESPONSES_USAGE if text is not None else None,
        "error": None,
        "incomplete_details": None,
    }


def _responses_event(obj: dict[str, object]) -> bytes:
    data = json.dumps(obj, separators=(",", ":")).encode()
    return b"event: " + str(obj["type"]).encode() + b"\ndata: " + data + b"\n\n"


def responses_sse_events(n: int) -> list[bytes]:
    """The SSE events of an ``n``-delta Responses stream: ``response.created``, ``n`` text
    deltas, ``response.completed``, ``[DONE]`` (``n + 2`` JSON events)."""
    words = ["Hello", " there", ",", " how", " can", " I", " help", " you", " today", "?"]
    events = [
        _responses_event(
            {
                "type": "response.created",
                "sequence_number": 0,
                "response": _response_object("in_progress", None),
            }
        )
    ]
    for i in range(n):
        delta = {
            "type": "response.output_text.delta",
            "sequence_number": i + 1,
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "delta": words[i % len(words)],
            "logprobs": [],
        }
        events.append(_responses_event(delta))
    text = "".join(words[i % len(words)] for i in range(min(n, 10)))  # kept small
    completed = {
        "type": "response.completed",
        "sequence_number": n + 1,
        "response": _response_object("completed", text),
    }
    events.append(_responses_event(completed))
    events.append(b"data: [DONE]\n\n")
    return events


def big_models_body() -> bytes:
    """The big real ``GET /models`` answer, as recorded (empty if the file is absent)."""
    try:
        return BIG_MODELS_FILE.read_bytes()
    except OSError:
        return b""


def _json_response(body: bytes) -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\n"
        b"Content-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n"
        b"\r\n" + body
    )


_JSON_BODY = chat_response_body()
_MODELS_RESPONSE = _json_response(models_body())
_JSON_RESPONSE = (
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: application/json\r\n"
    b"X-Generation-Id: " + GEN_ID.encode() + b"\r\n"
    b"Content-Length: " + str(len(_JSON_BODY)).encode() + b"\r\n"
    b"\r\n" + _JSON_BODY
)
_NOT_FOUND = (
    b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 53\r\n\r\n"
    b'{"error":{"code":404,"message":"Resource not found"}}'
)
_STREAM_HEAD = (
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: text/event-stream\r\n"
    b"Cache-Control: no-cache\r\n"
    b"X-Generation-Id: " + GEN_ID.encode() + b"\r\n"
    b"Transfer-Encoding: chunked\r\n"
    b"\r\n"
)
_RESPONSES_BODY = json.dumps(
    _response_object("completed", "Hello! How can I help you?"), separators=(",", ":")
).encode()
_RESPONSES_JSON = (
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: application/json\r\n"
    b"Content-Length: " + str(len(_RESPONSES_BODY)).encode() + b"\r\n"
    b"\r\n" + _RESPONSES_BODY
)
_BIG_MODELS_BODY = big_models_body()
_BIG_MODELS_RESPONSE = _json_response(_BIG_MODELS_BODY) if _BIG_MODELS_BODY else _NOT_FOUND
_stream_cache: dict[tuple[str, int], bytes] = {}
_LAST_CHUNK = b"0\r\n\r\n"


def stream_response(n: int, kind: str = "chat") -> bytes:
    """Head plus chunked body of an ``n``-chunk chat stream (``kind="responses"``: an
    ``n``-delta Responses stream), built once per ``(kind, n)``."""
    cached = _stream_cache.get((kind, n))
    if cached is None:
        events = responses_sse_events(n) if kind == "responses" else sse_events(n)
        body = b"".join(_http_chunk(event) for event in events)
        cached = _STREAM_HEAD + body + _LAST_CHUNK
        _stream_cache[(kind, n)] = cached
    return cached


class ChatServer(asyncio.Protocol):
    """One connection: parse requests as they complete, answer each with canned bytes."""

    #: Connections accepted so far (``GET /api/v1/bench/connections`` answers it).
    opened = 0

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.tail_delay = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        ChatServer.opened += 1

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end])
            length = 0
            chunks_header = None
            big = False
            self.tail_delay = 0.0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                lname = name.strip().lower()
                if lname == b"content-length":
                    length = int(value)
                elif lname == b"x-bench-chunks":
                    chunks_header = int(value)
                elif lname == b"x-bench-models":
                    big = value.strip().lower() == b"big"
                elif lname == b"x-bench-tail-delay-ms":
                    self.tail_delay = int(value) / 1000
            total = end + 4 + length
            if len(self.buffer) < total:
                return
            body = bytes(self.buffer[end + 4 : total])
            del self.buffer[:total]
            self.respond(head, body, chunks_header, big)

    def respond(self, head: bytes, body: bytes, chunks_header: int | None, big: bool) -> None:
        assert self.transport is not None
        request_line = head.split(b"\r\n", 1)[0]
        if request_line.startswith((b"GET /api/v1/models ", b"GET /api/v1/models?")):
            self.transport.write(_BIG_MODELS_RESPONSE if big else _MODELS_RESPONSE)
            return
        if request_line.startswith((b"GET /big/api/v1/models ", b"GET /big/api/v1/models?")):
            self.transport.write(_BIG_MODELS_RESPONSE)
            return
        if request_line.startswith(b"GET /api/v1/bench/connections "):
            self.transport.write(_json_response(b'{"opened": %d}' % ChatServer.opened))
            return
        if request_line.startswith(b"POST /api/v1/chat/completions"):
            kind = "chat"
        elif request_line.startswith((b"POST /api/v1/responses ", b"POST /api/v1/responses?")):
            kind = "responses"
        else:
            self.transport.write(_NOT_FOUND)
            return
        if _STREAM_RE.search(body) is None:
            self.transport.write(_JSON_RESPONSE if kind == "chat" else _RESPONSES_JSON)
            return
        n = chunks_header
        if n is None:
            match = _MODEL_N_RE.search(body)
            n = int(match.group(1)) if match else DEFAULT_CHUNKS
        whole = stream_response(n, kind)
        if not self.tail_delay:
            self.transport.write(whole)
            return
        # The chunked body's last chunk a little after [DONE], in a packet of its own.
        self.transport.write(whole[: -len(_LAST_CHUNK)])
        asyncio.get_running_loop().call_later(self.tail_delay, self.transport.write, _LAST_CHUNK)


async def serve(host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(ChatServer, host, port, backlog=1024)
    bound = server.sockets[0].getsockname()[1]
    print(f"PORT {bound}", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    asyncio.run(serve(args.host, args.port))
    sys.exit(0)


if __name__ == "__main__":
    main()
