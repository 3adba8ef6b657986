"""The Responses API's and image generation's event streams, over a real local server: typed
events, unknown event types kept, collect() giving the final object, an error event a final
Failure with what arrived, a cut stream a Failure, the end of a response ending the loop at
once, sync and async, with SSE split at odd places."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from returns.result import Failure, Success

from funcs.beta_responses_send import beta_responses_send
from funcs.images_generate import images_generate, images_generate_async
from funcs.responses_send import responses_send, responses_send_async
from openrouter_core import OpenRouterCore, RetryConfig, StreamAPIError, StreamTruncatedError
from openrouter_core.images.stream import ImageStream
from openrouter_core.models.images import ImageGenPartialImageEvent
from openrouter_core.models.responses import (
    OpenResponsesResult,
    StreamEventsUnknown,
    TextDeltaEvent,
)
from openrouter_core.responses.stream import AsyncResponsesStream, ResponsesStream
from tests.loopback import LoopbackServer, sse

PARAMS = {"model": "openai/gpt-4o-mini", "input": "Say hi"}
RESPONSE = {"id": "resp-1", "object": "response", "status": "in_progress", "output": []}
DONE_RESPONSE = {
    **RESPONSE,
    "status": "completed",
    "output": [{"type": "message", "role": "assistant", "content": []}],
}


def event(obj: dict[str, Any], name: str | None = None) -> bytes:
    head = f"event: {name or obj['type']}\n".encode()
    return head + b"data: " + json.dumps(obj).encode() + b"\n\n"


CREATED = event({"type": "response.created", "sequence_number": 0, "response": RESPONSE})
DELTAS = [
    event({"type": "response.output_text.delta", "sequence_number": i, "delta": d, "item_id": "m"})
    for i, d in enumerate(["Hel", "lo"], start=1)
]
NEW_KIND = event({"type": "response.brand_new_event", "sequence_number": 3, "extra": 1})
COMPLETED = event({"type": "response.completed", "sequence_number": 4, "response": DONE_RESPONSE})
FULL = [CREATED, *DELTAS, NEW_KIND, COMPLETED]


def split(parts: list[bytes], size: int = 7) -> list[bytes]:
    body = b"".join(parts)
    return [body[i : i + size] for i in range(0, len(body), size)]


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as srv:
        yield srv


@pytest.fixture
def core(server: LoopbackServer) -> Iterator[OpenRouterCore]:
    with OpenRouterCore(
        api_key="k", server_url=server.base_url, retry_config=RetryConfig.disabled(), timeout=30
    ) as c:
        yield c


def test_a_response_streams_typed_events(server: LoopbackServer, core: OpenRouterCore) -> None:
    server.script(sse(split(FULL)))
    stream = responses_send(core, PARAMS, stream=True).unwrap()
    assert isinstance(stream, ResponsesStream)
    items = list(stream)
    assert all(isinstance(i, Success) for i in items)
    events = [i.unwrap() for i in items]
    assert [type(e).__name__ for e in events] == [
        "OpenResponsesCreatedEvent",
        "TextDeltaEvent",
        "TextDeltaEvent",
        "StreamEventsUnknown",
        "StreamEventsResponseCompleted",
    ]
    assert "".join(e.delta or "" for e in events if isinstance(e, TextDeltaEvent)) == "Hello"
    unknown = events[3]
    assert isinstance(unknown, StreamEventsUnknown)
    assert unknown.extras == {"sequence_number": 3, "extra": 1}
    assert server.requests[0].json()["stream"] is True
    assert server.requests[0].headers["accept"] == "text/event-stream"


@pytest.mark.parametrize("mode", ["sync", "async", "not streaming"])
def test_collect_gives_the_final_response(
    server: LoopbackServer, core: OpenRouterCore, mode: str
) -> None:
    server.script(sse(split(FULL, 5)))
    result: Any
    if mode == "sync":
        result = responses_send(core, PARAMS, stream=True).unwrap().collect()
    elif mode == "async":

        async def main() -> Any:
            stream = (await responses_send_async(core, PARAMS, stream=True)).unwrap()
            assert isinstance(stream, AsyncResponsesStream)
            return await stream.collect()

        result = asyncio.run(main())
    else:
        # A non-streaming request answered with a stream is collected.
        result = responses_send(core, PARAMS, stream=False)
    final = result.unwrap()
    assert isinstance(final, OpenResponsesResult)
    assert final.status == "completed"
    assert final.id == "resp-1"


def test_an_error_event_is_the_last_item_with_what_arrived(
    server: LoopbackServer, core: OpenRouterCore
) -> None:
    error = event({"type": "error", "code": "rate_limit_exceeded", "message": "slow down"})
    server.script(sse([CREATED, DELTAS[0], error]))
    items = list(responses_send(core, PARAMS, stream=True).unwrap())
    assert [isinstance(i, Success) for i in items] == [True, True, False]
    failure = items[-1].failure()
    assert isinstance(failure, StreamAPIError)
    assert failure.code == "rate_limit_exceeded"
    assert "slow down" in failure.message
    assert isinstance(failure.partial, OpenResponsesResult)
    assert failure.partial.id == "resp-1"


def test_a_cut_stream_is_a_failure(server: LoopbackServer, core: OpenRouterCore) -> None:
    server.script(sse([CREATED, *DELTAS], finish="cut"))
    result = responses_send(core, PARAMS, stream=True).unwrap().collect()
    assert isinstance(result, Failure)
    assert isinstance(result.failure(), StreamTruncatedError)


def test_the_loop_ends_at_the_end_of_the_response(
    server: LoopbackServer, core: OpenRouterCore
) -> None:
    # No [DONE] and the body held open: the completed response ends the loop at once.
    server.script(sse(FULL, finish="hold"))
    started = time.monotonic()
    assert responses_send(core, PARAMS, stream=False).unwrap().status == "completed"
    assert time.monotonic() - started < 5


def test_the_deprecated_alias_streams_too(server: LoopbackServer, core: OpenRouterCore) -> None:
    server.script(sse(FULL))
    with pytest.warns(DeprecationWarning, match="beta_responses_send is deprecated"):
        stream = beta_responses_send(core, PARAMS, stream=True).unwrap()
    assert isinstance(stream, ResponsesStream)
    assert stream.collect().unwrap().status == "completed"
    assert server.requests[0].path == "/api/v1/responses"


IMAGE_EVENTS = [
    b"data: "
    + json.dumps(
        {"type": "image_generation.partial_image", "b64_json": "AAA", "partial_image_index": 0}
    ).encode()
    + b"\n\n",
    b": OPENROUTER PROCESSING\n\n",
    b"data: "
    + json.dumps(
        {
            "type": "image_generation.completed",
            "b64_json": "FINAL",
            "created": 5,
            "media_type": "image/png",
        }
    ).encode()
    + b"\n\n",
    b"data: [DONE]\n\n",
]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_an_image_generation_streams_partial_images(
    server: LoopbackServer, core: OpenRouterCore, mode: str
) -> None:
    server.script(sse(split(IMAGE_EVENTS, 3)), sse(IMAGE_EVENTS))
    params = {"model": "openai/gpt-image-1", "prompt": "a cat"}
    if mode == "sync":
        stream = images_generate(core, params, stream=True).unwrap()
        assert isinstance(stream, ImageStream)
        events = [i.unwrap() for i in stream]
        final = images_generate(core, params, stream=True).unwrap().collect().unwrap()
    else:

        async def main() -> Any:
            stream = (await images_generate_async(core, params, stream=True)).unwrap()
            events = [i.unwrap() async for i in stream]
            again = (await images_generate_async(core, params, stream=True)).unwrap()
            return events, (await again.collect()).unwrap()

        events, final = asyncio.run(main())
    assert isinstance(events[0], ImageGenPartialImageEvent)
    assert events[0].b64_json == "AAA"
    assert final.data is not None
    assert [d.b64_json for d in final.data] == ["FINAL"]
    assert final.created == 5


def test_an_image_error_event_is_a_failure(server: LoopbackServer, core: OpenRouterCore) -> None:
    error = {"type": "error", "error": {"code": "upstream_error", "message": "provider down"}}
    server.script(sse([IMAGE_EVENTS[0], b"data: " + json.dumps(error).encode() + b"\n\n"]))
    params = {"model": "m", "prompt": "a cat"}
    failure = images_generate(core, params, stream=True).unwrap().collect().failure()
    assert isinstance(failure, StreamAPIError)
    assert failure.code == "upstream_error"
    assert failure.partial is not None


def test_an_image_stream_that_fails_before_any_image(
    server: LoopbackServer, core: OpenRouterCore
) -> None:
    error = {"type": "error", "error": {"code": "upstream_error", "message": "no image"}}
    server.script(sse([b"data: " + json.dumps(error).encode() + b"\n\n"]))
    failure = images_generate(core, {"model": "m", "prompt": "a cat"}, stream=False).failure()
    assert isinstance(failure, StreamAPIError)
    assert failure.code == "upstream_error"


def test_the_deprecated_alias_warns_and_does_what_responses_send_does() -> None:
    import inspect

    from funcs.beta_responses_send import beta_responses_send_async
    from openrouter_core.testing import FakeOpenRouter

    core = FakeOpenRouter().core()
    params = {"model": "openai/gpt-4o-mini", "input": "Say hi."}
    with pytest.warns(DeprecationWarning, match="beta_responses_send is deprecated"):
        old = beta_responses_send(core, params, stream=False)
    assert isinstance(old, Success)
    assert type(old.unwrap()) is type(responses_send(core, params, stream=False).unwrap())
    # The async twin is still a coroutine function (awaited by callers, seen so by inspect).
    assert inspect.iscoroutinefunction(beta_responses_send_async)

    async def call() -> Any:
        return await beta_responses_send_async(core, params, stream=False)

    with pytest.warns(DeprecationWarning, match="beta_responses_send_async is deprecated"):
        assert isinstance(asyncio.run(call()), Success)
    assert beta_responses_send.__wrapped__ is responses_send  # type: ignore[attr-defined]
    assert inspect.signature(beta_responses_send) == inspect.signature(responses_send)
