"""The models are attrs classes and the converter a cattrs converter: their APIs, used on the
models the way a user would."""

from __future__ import annotations

import copy
import subprocess
import sys
import textwrap
from typing import Any

import attrs
import cattrs
import pytest
from returns.result import Failure

from funcs.chat_send import chat_send
from openrouter_core.models import (
    ChatAssistantMessage,
    ChatContentText,
    ChatContentUnknown,
    ChatGenerationParams,
    ChatResponse,
    ChatStreamChunk,
    ReasoningDetailText,
    ReasoningDetailUnknown,
)
from openrouter_core.models._converter import ModelError, get_converter
from openrouter_core.testing import FakeOpenRouter, completion_body, stream_chunks

PARAMS: dict[str, Any] = {"model": "m", "messages": [{"role": "user", "content": "Hi"}]}


def _payload() -> dict[str, Any]:
    """A completion as the wire sends it, with fields the models do not know (at the top and
    nested) and no null optional field (those are read as unset, so omitted when written)."""
    body = completion_body("Hello", reasoning="thinking")
    choice = body["choices"][0]
    del choice["logprobs"]
    choice["message"]["x_annotation_v2"] = {"kept": [1, 2]}
    body["x_new_top_level"] = "kept too"
    return body


# --- attrs ---------------------------------------------------------------------------------------


def test_models_are_attrs_classes() -> None:
    assert attrs.has(ChatResponse)
    assert attrs.has(ChatStreamChunk)
    assert attrs.has(ChatGenerationParams)
    assert not attrs.has(dict)


def test_fields_are_the_wire_names_after_extras() -> None:
    assert [a.name for a in attrs.fields(ChatResponse)] == [
        "extras",
        "id",
        "object",
        "created",
        "model",
        "choices",
        "system_fingerprint",
        "usage",
        "service_tier",
        "provider",
        "openrouter_metadata",
    ]
    fields = attrs.fields(ChatResponse)
    # The one field a response needs has no default.
    assert [a.name for a in fields if a.default is attrs.NOTHING] == ["choices"]
    assert fields.id.default is None
    assert all(a.kw_only for a in fields)


def test_evolve_gives_a_changed_copy() -> None:
    fake = FakeOpenRouter().reply_json(200, _payload())
    response = chat_send(fake.core(), PARAMS, stream=False).unwrap()
    assert response.http is not None  # the call's top-level value knows its exchange
    assert response.received_json == _payload()

    changed = attrs.evolve(response, id="other")

    assert changed.id == "other"
    assert response.id == "gen-fake-1"  # the original is unchanged
    assert changed != response
    assert changed.choices == response.choices
    assert changed.extras == response.extras == {"x_new_top_level": "kept too"}
    # Neither the JSON it was read from nor the HTTP exchange goes to the copy.
    assert changed.received_json is None
    assert changed.http is None
    assert response.received_json is not None
    assert response.http is not None
    assert changed.to_dict() == {**response.to_dict(), "id": "other"}


def test_asdict_of_a_nested_response() -> None:
    response = ChatResponse.from_dict(_payload()).unwrap()
    plain = attrs.asdict(response)

    # Every field, unset ones as None, and ``extras`` as a field (unlike ``to_dict``).
    assert set(plain) == {a.name for a in attrs.fields(ChatResponse)}
    assert plain["extras"] == {"x_new_top_level": "kept too"}
    assert plain["service_tier"] is None
    assert plain["usage"]["total_tokens"] == 19
    message = plain["choices"][0]["message"]
    assert isinstance(message, dict)
    assert message["content"] == "Hello"
    assert message["reasoning"] == "thinking"
    assert message["tool_calls"] is None
    assert message["extras"] == {"x_annotation_v2": {"kept": [1, 2]}}
    # What it was read from is no field.
    assert "received_json" not in plain
    assert "_received" not in plain


def test_models_compare_by_value_and_are_unhashable() -> None:
    one = ChatResponse.from_dict(_payload()).unwrap()
    two = ChatResponse.from_dict(_payload()).unwrap()
    assert one == two
    assert one is not two
    with pytest.raises(TypeError):
        hash(one)  # mutable attrs classes are not hashable


# --- cattrs --------------------------------------------------------------------------------------


def test_the_converter_is_a_cattrs_converter() -> None:
    converter = get_converter()
    assert isinstance(converter, cattrs.BaseConverter)
    assert get_converter() is converter


def test_the_public_converter_is_the_package_converter() -> None:
    import openrouter_core
    from openrouter_core import converter

    assert converter is openrouter_core.converter is get_converter()
    assert isinstance(converter, cattrs.BaseConverter)
    with pytest.raises(AttributeError, match="no attribute 'convertr'"):
        openrouter_core.convertr  # noqa: B018


def test_importing_the_package_loads_no_cattrs() -> None:
    code = "import sys, openrouter_core; print('cattrs' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_structure_and_unstructure_are_from_dict_and_to_dict() -> None:
    converter = get_converter()
    payload = _payload()
    sent = copy.deepcopy(payload)

    model = converter.structure(payload, ChatResponse)

    assert type(model) is ChatResponse
    assert model == ChatResponse.from_dict(payload).unwrap()
    assert payload == sent  # not mutated
    assert model.received_json == payload
    wire = converter.unstructure(model)
    assert wire == model.to_dict()
    # The wire JSON comes back: unknown fields kept and written back where they were...
    assert wire == payload
    assert wire["x_new_top_level"] == "kept too"
    assert wire["choices"][0]["message"]["x_annotation_v2"] == {"kept": [1, 2]}
    # ... unset fields omitted, and a nullable field the schema requires written as null.
    assert "service_tier" not in wire
    assert "logprobs" not in wire["choices"][0]
    assert "tool_calls" not in wire["choices"][0]["message"]
    assert "system_fingerprint" in wire
    assert wire["system_fingerprint"] is None
    assert model.system_fingerprint is None


def test_stream_chunks_through_the_converter() -> None:
    converter = get_converter()
    chunks = [converter.structure(c, ChatStreamChunk) for c in stream_chunks(["Hel", "lo"])]
    for chunk, wire in zip(chunks, stream_chunks(["Hel", "lo"]), strict=True):
        assert chunk == ChatStreamChunk.from_dict(wire).unwrap()
        assert converter.unstructure(chunk) == chunk.to_dict()
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello"
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.total_tokens == 14


@attrs.define
class Saved:
    """A user's own class holding a library model."""

    note: str
    response: ChatResponse
    tags: list[str] = attrs.Factory(list)


# ``from __future__ import annotations`` makes the annotations strings; a BaseConverter reads
# the attrs fields' types as they are, so they are resolved first (the library does this for its
# own models).
attrs.resolve_types(Saved)


def test_a_users_class_holding_a_model_goes_through_the_converter() -> None:
    converter = get_converter()
    payload = _payload()

    saved = converter.structure({"note": "first try", "response": payload}, Saved)

    assert saved.note == "first try"
    assert saved.tags == []
    assert type(saved.response) is ChatResponse
    assert saved.response == ChatResponse.from_dict(payload).unwrap()
    assert saved.response.received_json == payload
    assert converter.unstructure(saved) == {"note": "first try", "response": payload, "tags": []}
    # The library's rules hold inside it: no coercion, and a response's problem is named.
    with pytest.raises(ModelError, match="expected string, got integer"):
        converter.structure({"note": 5, "response": payload}, Saved)
    with pytest.raises(ModelError) as caught:
        converter.structure({"note": "x", "response": {"choices": "x"}}, Saved)
    assert caught.value.path == ["choices"]


def test_a_response_without_what_it_needs_is_an_error_naming_it() -> None:
    converter = get_converter()
    with pytest.raises(ModelError) as caught:
        converter.structure({"choices": "x"}, ChatResponse)
    assert caught.value.path == ["choices"]
    assert str(caught.value) == "choices: expected array, got string"
    with pytest.raises(ModelError) as missing:
        converter.structure({"id": "x"}, ChatResponse)
    assert str(missing.value) == "choices: required field missing"
    result = ChatResponse.from_dict({"choices": "x"})
    assert isinstance(result, Failure)
    assert result.failure().message == "choices: expected array, got string"


def test_a_request_is_read_strictly_and_names_the_path() -> None:
    result = ChatGenerationParams.from_dict(
        {"model": "m", "messages": [{"role": "wizard", "content": "x"}]}
    )
    assert isinstance(result, Failure)
    error = result.failure()
    assert error.message == "messages[0].role: unknown role 'wizard'"
    assert error.path == "messages[0].role"
    unknown_key = ChatGenerationParams.from_dict({**PARAMS, "temprature": 1})
    assert isinstance(unknown_key, Failure)
    assert unknown_key.failure().message == "temprature: unknown field"


def _with_unknown_tags() -> dict[str, Any]:
    body = _payload()
    message = body["choices"][0]["message"]
    message["content"] = [
        {"type": "text", "text": "Hi"},
        {"type": "hologram", "frames": 24, "url": "h://x"},
    ]
    message["reasoning_details"] = [
        {"type": "reasoning.text", "text": "t"},
        {"type": "reasoning.quantum", "id": "r1", "qubits": [0, 1]},
    ]
    return body


def test_unknown_union_tags_read_as_the_unknown_variant_in_a_response() -> None:
    payload = _with_unknown_tags()
    message = ChatResponse.from_dict(payload).unwrap().choices[0].message

    assert isinstance(message.content, list)
    text, hologram = message.content
    assert text == ChatContentText(text="Hi")
    assert type(hologram) is ChatContentUnknown
    assert hologram.type == "hologram"
    assert hologram.extras == {"frames": 24, "url": "h://x"}
    assert message.reasoning_details is not None
    known, quantum = message.reasoning_details
    assert type(known) is ReasoningDetailText
    assert type(quantum) is ReasoningDetailUnknown
    assert (quantum.type, quantum.id, quantum.extras) == (
        "reasoning.quantum",
        "r1",
        {"qubits": [0, 1]},
    )
    # And they are written back as received.
    assert get_converter().unstructure(message) == payload["choices"][0]["message"]


def test_unknown_union_tags_fail_in_a_request() -> None:
    part = ChatGenerationParams.from_dict(
        {"model": "m", "messages": [{"role": "user", "content": [{"type": "hologram"}]}]}
    )
    assert isinstance(part, Failure)
    assert part.failure().message == (
        "messages[0].content[0].type: unknown content part type 'hologram'"
    )
    detail = ChatGenerationParams.from_dict(
        {
            "model": "m",
            "messages": [
                {
                    "role": "assistant",
                    "content": "x",
                    "reasoning_details": [{"type": "reasoning.quantum"}],
                }
            ],
        }
    )
    assert isinstance(detail, Failure)
    assert detail.failure().message == (
        "messages[0].reasoning_details[0].type: unknown reasoning detail type 'reasoning.quantum'"
    )
    # The same message read as a response is fine.
    message = get_converter().structure(
        {"role": "assistant", "reasoning_details": [{"type": "reasoning.quantum"}]},
        ChatAssistantMessage,
    )
    assert message.reasoning_details == [ReasoningDetailUnknown(type="reasoning.quantum")]


def test_a_bad_optional_field_of_a_response_is_kept_raw_in_extras() -> None:
    payload = _payload()
    payload["usage"] = "lots"
    payload["choices"][0]["message"]["refusal"] = 5

    response = get_converter().structure(payload, ChatResponse)

    assert response.usage is None
    assert response.extras == {"x_new_top_level": "kept too", "usage": "lots"}
    message = response.choices[0].message
    assert message.refusal is None
    assert message.extras == {"x_annotation_v2": {"kept": [1, 2]}, "refusal": 5}
    assert message.content == "Hello"
    # Written back as received.
    assert response.to_dict() == payload


# --- readers are generated on first use ------------------------------------------------------

_FIRST_USE = textwrap.dedent(
    """
    import linecache, re

    from openrouter_core.models._converter import get_converter
    from openrouter_core.models.credits import (
        CreditsGetCreditsResponse,
        CreditsGetCreditsResponseData,
    )
    from openrouter_core.models.response import ChatResponse
    from openrouter_core.testing import completion_body

    def generated(kind, cls):
        name = re.escape(f"{cls.__module__}.{cls.__qualname__}")
        pattern = re.compile(rf"<cattrs generated {kind} {name}(-\\d+)?>")
        return [key for key in list(linecache.cache) if pattern.fullmatch(str(key))]

    def ours():
        return [
            key for key in list(linecache.cache)
            if str(key).startswith("<cattrs generated") and "openrouter_core" in str(key)
        ]

    # Importing the models and building the converter generates nothing; nor does looking a
    # class's hook up.
    converter = get_converter()
    assert ours() == [], ours()
    converter.get_structure_hook(CreditsGetCreditsResponse)
    assert ours() == [], ours()

    # A class of a group module: generated on its first read, once.
    body = {"data": {"total_credits": 1.5}}
    first = CreditsGetCreditsResponse.from_dict(body).unwrap()
    assert first.data is not None and first.data.total_credits == 1.5
    assert len(generated("structure", CreditsGetCreditsResponse)) == 1, ours()
    assert len(generated("structure", CreditsGetCreditsResponseData)) == 1, ours()
    assert not generated("unstructure", CreditsGetCreditsResponse), ours()
    CreditsGetCreditsResponse.from_dict(body).unwrap()
    assert len(generated("structure", CreditsGetCreditsResponse)) == 1, ours()
    assert first.to_dict() == body
    assert len(generated("unstructure", CreditsGetCreditsResponse)) == 1, ours()
    assert len(generated("unstructure", CreditsGetCreditsResponseData)) == 1, ours()

    # A class held by another is generated when a value of it is met, not when its holder is.
    from openrouter_core.models.response import OpenRouterMetadata

    chat = ChatResponse.from_dict(completion_body("hi")).unwrap()
    assert chat.openrouter_metadata is None
    assert generated("structure", ChatResponse), ours()
    assert not generated("structure", OpenRouterMetadata), ours()
    ChatResponse.from_dict({**completion_body("hi"), "openrouter_metadata": {}}).unwrap()
    assert generated("structure", OpenRouterMetadata), ours()
    print("ok")
    """
)


def test_a_classs_reader_is_generated_on_its_first_use() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _FIRST_USE],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_models_print_compare_and_hash_as_attrs_classes_do() -> None:
    payload = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}}]}
    first = ChatResponse.from_dict(payload).unwrap()
    second = ChatResponse.from_dict(payload).unwrap()
    assert first == second
    assert not first != second  # noqa: SIM202
    changed = attrs.evolve(first, id="other")
    assert changed != first
    # Same fields, another class: not equal (as attrs compares), nor a nested difference.
    assert ChatContentText(text="x") != ChatContentUnknown(type="text")
    assert repr(first).startswith("ChatResponse(id=None, object=None,")
    assert "ChatChoice(index=0, message=ChatAssistantMessage(" in repr(first)
    # Extras show once there are some; private fields never.
    assert repr(attrs.evolve(first, extras={"x": 1})).startswith("ChatResponse(extras={'x': 1}, ")
    with pytest.raises(TypeError, match="unhashable"):
        hash(first)
