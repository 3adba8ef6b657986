"""Unit tests of the pure stream accumulator (no network)."""

from __future__ import annotations

from typing import Any

from openrouter_core.chat.accumulate import StreamAccumulator
from openrouter_core.models import (
    ChatResponse,
    ChatStreamChunk,
    ReasoningDetailEncrypted,
    ReasoningDetailText,
)


def chunk(*choices: dict[str, Any], **top: Any) -> ChatStreamChunk:
    obj = {"id": "gen-1", "object": "chat.completion.chunk", "created": 7, "model": "m"}
    obj.update(top)
    obj["choices"] = list(choices)
    return ChatStreamChunk.from_dict(obj).unwrap()


def choice(index: int = 0, finish: str | None = None, **delta: Any) -> dict[str, Any]:
    return {"index": index, "delta": delta, "finish_reason": finish}


def build(*chunks: ChatStreamChunk) -> ChatResponse:
    acc = StreamAccumulator()
    for c in chunks:
        acc.feed(c)
    return acc.build()


def test_empty_accumulator_builds_an_empty_response() -> None:
    acc = StreamAccumulator()
    assert not acc.finished
    assert acc.chunks == 0
    response = acc.build(generation_id="gen-x")
    assert (response.id, response.choices, response.object) == ("gen-x", [], "chat.completion")


def test_text_fields_are_concatenated_and_top_level_fields_kept() -> None:
    response = build(
        chunk(choice(role="assistant", content=""), provider="OpenAI", system_fingerprint="fp"),
        chunk(choice(content="Hel", reasoning="thinking ")),
        chunk(choice(content="lo", reasoning="hard", refusal="no")),
        chunk(
            {**choice(finish="stop"), "native_finish_reason": "end_turn"},
            service_tier="default",
        ),
        chunk(usage={"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}),
    )
    assert (response.id, response.created, response.model) == ("gen-1", 7, "m")
    assert (response.provider, response.system_fingerprint) == ("OpenAI", "fp")
    assert response.service_tier == "default"
    assert response.usage is not None
    assert response.usage.total_tokens == 5
    [only] = response.choices
    assert (only.finish_reason, only.native_finish_reason) == ("stop", "end_turn")
    message = only.message
    assert (message.role, message.content) == ("assistant", "Hello")
    assert (message.reasoning, message.refusal) == ("thinking hard", "no")
    assert ChatResponse.from_dict(response.to_dict()).unwrap() == response


def test_content_stays_none_when_never_sent() -> None:
    response = build(chunk(choice(finish="stop")))
    assert response.choices[0].message.content is None


def test_tool_calls_merge_by_index() -> None:
    response = build(
        chunk(
            choice(
                tool_calls=[
                    {"index": 0, "id": "call_a", "type": "function", "function": {"name": "f"}},
                    {"index": 1, "id": "call_b", "function": {"name": "g", "arguments": ""}},
                ]
            )
        ),
        chunk(choice(tool_calls=[{"index": 0, "function": {"arguments": '{"x":'}}])),
        chunk(choice(tool_calls=[{"index": 0, "function": {"arguments": " 1}"}}])),
        chunk(choice(finish="tool_calls")),
    )
    calls = response.choices[0].message.tool_calls
    assert calls is not None
    assert [
        (c.id, c.type, c.function and c.function.name, c.function and c.function.arguments)
        for c in calls
    ] == [
        ("call_a", "function", "f", '{"x": 1}'),
        ("call_b", "function", "g", ""),
    ]
    assert response.choices[0].finish_reason == "tool_calls"


def test_reused_index_with_a_new_id_starts_a_new_call() -> None:
    response = build(
        chunk(choice(tool_calls=[{"index": 0, "id": "a", "function": {"name": "f"}}])),
        chunk(choice(tool_calls=[{"index": 0, "function": {"arguments": "{}"}}])),
        chunk(choice(tool_calls=[{"index": 0, "id": "b", "function": {"name": "g"}}])),
    )
    calls = response.choices[0].message.tool_calls
    assert calls is not None
    assert [
        (c.id, c.function and c.function.name, c.function and c.function.arguments) for c in calls
    ] == [
        ("a", "f", "{}"),
        ("b", "g", ""),
    ]


def test_reasoning_details_merge_by_index_and_type() -> None:
    text = {"type": "reasoning.text", "index": 0, "format": "anthropic-claude-v1"}
    response = build(
        chunk(choice(reasoning_details=[{**text, "text": "a"}])),
        chunk(choice(reasoning_details=[{**text, "text": "b"}])),
        chunk(choice(reasoning_details=[{**text, "signature": "sig"}])),
        chunk(choice(reasoning_details=[{"type": "reasoning.encrypted", "data": "x", "index": 1}])),
        chunk(choice(reasoning_details=[{"type": "reasoning.text", "text": "loose"}])),
    )
    details = response.choices[0].message.reasoning_details
    assert details == [
        ReasoningDetailText(text="ab", signature="sig", index=0, format="anthropic-claude-v1"),
        ReasoningDetailEncrypted(data="x", index=1),
        ReasoningDetailText(text="loose"),
    ]


def test_images_annotations_audio_logprobs_and_extras() -> None:
    image = {"image_url": {"url": "data:image/png;base64,AA"}}
    note = {"type": "url_citation", "url_citation": {"url": "https://a.example"}}
    token = {"token": "a", "logprob": -0.1, "bytes": [97], "top_logprobs": []}
    response = build(
        chunk(
            {
                **choice(images=[image], audio={"id": "au", "data": "AA", "transcript": "he"}),
                "logprobs": {"content": [token]},
                "odd_choice_field": 1,
            },
            odd_top_field="kept",
        ),
        chunk(
            {
                **choice(annotations=[note], audio={"data": "BB", "transcript": "llo"}, new=2),
                "logprobs": {"content": [token]},
            }
        ),
    )
    only = response.choices[0]
    message = only.message
    assert message.images is not None
    image_url = message.images[0].image_url
    assert image_url is not None
    assert image_url.url is not None
    assert image_url.url.endswith("AA")
    assert message.annotations is not None
    assert message.annotations[0].type == "url_citation"
    assert message.audio is not None
    assert (message.audio.id, message.audio.data, message.audio.transcript) == (
        "au",
        "AABB",
        "hello",
    )
    assert only.logprobs is not None
    assert only.logprobs.content is not None
    assert len(only.logprobs.content) == 2
    assert message.extras == {"new": 2}
    assert only.extras == {"odd_choice_field": 1}
    assert response.extras == {"odd_top_field": "kept"}


def test_several_choices_and_finished() -> None:
    acc = StreamAccumulator()
    acc.feed(chunk(choice(1, content="b"), choice(0, content="a")))
    assert not acc.finished
    acc.feed(chunk(choice(0, finish="stop")))
    assert not acc.finished
    acc.feed(chunk(choice(1, finish="length")))
    assert acc.finished
    response = acc.build()
    assert [(c.index, c.message.content, c.finish_reason) for c in response.choices] == [
        (0, "a", "stop"),
        (1, "b", "length"),
    ]


def test_build_is_repeatable_and_does_not_share_state() -> None:
    acc = StreamAccumulator()
    acc.feed(chunk(choice(content="a", audio={"data": "A"})))
    first = acc.build()
    acc.feed(chunk(choice(content="b", audio={"data": "B"})))
    assert first.choices[0].message.content == "a"
    assert first.choices[0].message.audio is not None
    assert first.choices[0].message.audio.data == "A"
    assert acc.build().choices[0].message.content == "ab"
