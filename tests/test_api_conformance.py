"""Every generated operation conforms to the OpenAPI document, by generated values.

The operations are enumerated by the generator (``tools/generate.py``). For each one, JSON values
are generated from its schemas (``spec/openapi/openapi.sdk.yaml`` with the overlay's corrected
schemas, exactly what the generator reads; ``$ref`` inlined) with hypothesis-jsonschema:

- a success answer is read by the operation's declared reader into a ``Success`` that keeps the
  received JSON, fills the typed fields (none kept in ``extras``) and round-trips through
  ``to_dict()``;
- a request body (every object closed: ``additionalProperties: false`` where the document says
  nothing) is accepted by the strict reader ``operation().body.from_dict`` and round-trips; as
  published (objects open by JSON Schema's default) it is accepted or refused for an unknown key
  only, which is the strict reader's documented choice (typos such as ``temprature``).

A few examples per operation (derandomized: the same ones every run) keep this fast, and
hypothesis-jsonschema's lazy object strategies are memoised while this module runs
(``_fast_strategies``), which makes them about five times faster.
"""

from __future__ import annotations

import functools
import importlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import jsonschema  # type: ignore[import-untyped]
import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings, strategies as st
from hypothesis_jsonschema import _from_schema
from returns.result import Failure, Success

from openrouter_core.errors import InvalidRequestError
from openrouter_core.models._base import WireModel
from tests.spec_helpers import memoised_strategies, patch_hypothesis_jsonschema

# Not tied to the Python version: make test runs these on the first supported Python only.
pytestmark = pytest.mark.once

patch_hypothesis_jsonschema()

ROOT = Path(__file__).resolve().parents[1]


def _generator() -> Any:
    tools = str(ROOT / "tools")
    if tools not in sys.path:
        sys.path.insert(0, tools)
    return importlib.import_module("generate")


GEN = _generator()
DOC = GEN.Document()
TYPES = GEN.Types(DOC)
OPERATIONS: dict[str, Any] = {
    op.name: op for op in (GEN.Operation(DOC, TYPES, entry) for entry in DOC.operations())
}

FAST = settings(
    max_examples=5,
    derandomize=True,
    deadline=None,
    # No shrinking: a failure is reported as drawn (shrinking these large values is slow).
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)

# --- the schemas, self-contained ------------------------------------------------------------------

#: Keywords that only annotate (or that hypothesis-jsonschema does not know, such as the
#: document's ``format: double``): dropped. ``nullable`` (OpenAPI 3.0, still written by this 3.1
#: document in 16 places) is read as the author meant it: null is allowed too.
_ANNOTATIONS = frozenset(
    {
        "format",
        "discriminator",
        "example",
        "examples",
        "description",
        "title",
        "deprecated",
        "readOnly",
        "writeOnly",
        "nullable",
    }
)


class RecursiveSchemaError(Exception):
    """A ``$ref`` that refers to itself: hypothesis-jsonschema does not support those."""


class _Inliner:
    """A schema with every ``$ref`` replaced by its target (each target built once and shared,
    so that the memoised strategies are shared between operations too)."""

    def __init__(self, *, closed: bool) -> None:
        self.closed = closed
        self.done: dict[str, Any] = {}

    def __call__(self, node: Any, stack: tuple[str, ...] = ()) -> Any:
        if isinstance(node, list):
            return [self(item, stack) for item in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in _ANNOTATIONS or key.startswith("x-") or key == "$ref":
                continue
            if key in ("properties", "patternProperties"):
                out[key] = {name: self(sub, stack) for name, sub in value.items()}
            else:
                out[key] = self(value, stack)
        if self.closed and out.get("properties") and "additionalProperties" not in out:
            out["additionalProperties"] = False
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[1]
            if name in stack:
                raise RecursiveSchemaError(" -> ".join((*stack, name)))
            if name not in self.done:
                self.done[name] = self(DOC.schemas[name], (*stack, name))
            target = self.done[name]
            out = {"allOf": [target, out]} if out else target
        if node.get("nullable") is True:
            out = {"anyOf": [out, {"type": "null"}]}
        return out


_INLINE = {closed: _Inliner(closed=closed) for closed in (False, True)}


def _answer_schema(op: Any) -> Any | None:
    """The success answer's JSON schema, or None when the operation answers bytes."""
    answer = DOC.spec["paths"][op.path][op.method.lower()]["responses"][op.status]
    content = (answer.get("content") or {}).get("application/json")
    return None if content is None else content.get("schema", {})


def _body_schema(op: Any) -> Any:
    body = DOC.spec["paths"][op.path][op.method.lower()]["requestBody"]
    return body["content"]["application/json"].get("schema", {})


JSON_ANSWERS = sorted(n for n, op in OPERATIONS.items() if _answer_schema(op) is not None)
BYTE_ANSWERS = sorted(n for n, op in OPERATIONS.items() if _answer_schema(op) is None)
BODIES = sorted(n for n, op in OPERATIONS.items() if op.body)


def _groups(names: list[str], key: Callable[[Any], Any]) -> list[str]:
    """The names grouped by an identical schema and model (``a+b``): the same strategy and the
    same reader, so tested once for all of them (responses_send and beta_responses_send, ...)."""
    grouped: dict[str, list[str]] = {}
    for name in names:
        grouped.setdefault(json.dumps(key(OPERATIONS[name]), sort_keys=True), []).append(name)
    return sorted("+".join(group) for group in grouped.values())


ANSWER_GROUPS = _groups(JSON_ANSWERS, lambda op: [_answer_schema(op), op.response])
BODY_GROUPS = _groups(BODIES, lambda op: [_body_schema(op), op.body])


@attrs.frozen
class Generated:
    """A strategy for one schema and a validator of the same schema."""

    strategy: st.SearchStrategy[Any]
    is_valid: Callable[[Any], bool]


@functools.cache
def _generated(name: str, kind: str) -> Generated | str:
    """Values for ``name``'s answer (``kind`` "answer"), its body with every object closed
    ("body") or its body as published ("open body"); a string says why there are none."""
    op = OPERATIONS[name]
    raw = _answer_schema(op) if kind == "answer" else _body_schema(op)
    try:
        schema = _INLINE[kind == "body"](raw)
    except RecursiveSchemaError as exc:
        return f"recursive $ref ({exc}), which hypothesis-jsonschema does not support"
    build = getattr(_from_schema, "__from_schema")
    alphabet = _from_schema.CharStrategy.from_args(allow_x00=True, codec="utf-8")
    try:
        strategy = build(schema, alphabet=alphabet, custom_formats=None)
    except Exception as exc:
        return f"hypothesis-jsonschema cannot generate from it: {type(exc).__name__}: {exc}"
    validator = jsonschema.Draft202012Validator(schema)
    return Generated(strategy, validator.is_valid)


def _values(group: str, kind: str) -> Generated:
    name = group.split("+", maxsplit=1)[0]
    generated = _generated(name, kind)
    if isinstance(generated, str):
        pytest.skip(f"{name} {kind} schema: {generated}")
    return generated


@pytest.fixture(scope="module", autouse=True)
def _fast_strategies() -> Iterator[None]:
    """Strategies built once per schema while this module runs (``memoised_strategies``)."""
    with memoised_strategies():
        yield


def _module(name: str) -> Any:
    return importlib.import_module(f"funcs.{name}")


def _typed_fields_in_extras(value: Any, path: str = "$") -> list[str]:
    """Where a model keeps in ``extras`` a wire field it has a typed field for: the reader could
    not read a value the schema allows into the type the generator declared."""
    found: list[str] = []
    if isinstance(value, WireModel):
        fields = [a.name for a in attrs.fields(type(value)) if a.name != "extras"]
        found += [f"{path}.{key}" for key in value.extras if key in fields]
        for field in fields:
            found += _typed_fields_in_extras(getattr(value, field), f"{path}.{field}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _typed_fields_in_extras(item, f"{path}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            found += _typed_fields_in_extras(item, f"{path}.{key}")
    return found


# --- coverage: every operation is tested here, or said why not ------------------------------------


def test_every_operation_is_covered() -> None:
    assert len(OPERATIONS) > 80
    assert set(JSON_ANSWERS) | set(BYTE_ANSWERS) == set(OPERATIONS)
    # An answer with no JSON schema is bytes, and declared so.
    for name in BYTE_ANSWERS:
        assert getattr(OPERATIONS[name], "binary", False), name
        assert getattr(_module(name).operation(), "binary", False), name
    assert sorted(n for n in OPERATIONS if _module(n).operation().body is not None) == BODIES
    assert sorted(n for g in ANSWER_GROUPS for n in g.split("+")) == JSON_ANSWERS
    assert sorted(n for g in BODY_GROUPS for n in g.split("+")) == BODIES


def test_every_schema_can_be_generated() -> None:
    # The skips below, counted: every success answer and request body schema of the document
    # can be generated from (no recursive $ref, nothing hypothesis-jsonschema refuses). A new
    # one that cannot fails here, so that a skip is always seen and said.
    cases = [(g.split("+")[0], "answer") for g in ANSWER_GROUPS]
    cases += [(g.split("+")[0], kind) for g in BODY_GROUPS for kind in ("body", "open body")]
    refused = {f"{n} {k}": g for n, k in cases if isinstance(g := _generated(n, k), str)}
    assert refused == {}


# --- success answers ------------------------------------------------------------------------------

# Generator bugs the answer test below found:
#
# 1. (fixed in tools/generate.py since; test_delete_answer_fills_deleted and
#    test_store_false_is_accepted guard it) every `const` was typed `str`, also
#    `{type: boolean, const: true}`: the delete answers' `deleted: true` and
#    generations_submit_feedback's `data.success` were read into `extras`, and
#    ResponsesRequest.store (`const: false`) refused `"store": false`.
# 2. tools/generate.py, Types.annotation: a nullable schema (`type: [object, "null"]`, or a
#    oneOf/anyOf with a null member) loses its null inside a list (or a dict's values):
#    `PresetDesignatedVersion` is `type: [object, "null"]`, ListPresetVersionsResponse.data is
#    declared `list[PresetDesignatedVersion]`, so presets_list_versions fails on the valid answer
#    `{"data": [null], "total_count": 1}` ("data[0]: expected object, got null"). Fix: in the
#    `array` branch (and the `additionalProperties` dict branch), when the items' schema admits
#    null, annotate `list[X | None]` (the converter already reads `X | None`).


@pytest.mark.parametrize("group", ANSWER_GROUPS)
@FAST
@given(data=st.data())
def test_generated_answer_reads_and_round_trips(group: str, data: st.DataObject) -> None:
    generated = _values(group, "answer")
    wire = data.draw(generated.strategy, label="answer")
    # hypothesis-jsonschema now and then emits a value its schema rejects: the schema decides.
    assume(generated.is_valid(wire))
    for name in group.split("+"):
        operation = _module(name).operation()
        result = operation.read(wire)
        assert isinstance(result, Success), (name, result)
        value = result.unwrap()
        assert value.received_json == wire
        again = operation.read(value.to_dict())
        assert isinstance(again, Success), (name, again)
        assert again.unwrap() == value
        # A value the schema allows must fill the typed fields (see the known bugs above).
        assert _typed_fields_in_extras(value) == [], name


def test_presets_list_versions_reads_a_null_version() -> None:
    # Bug 2 above, as one concrete answer the document allows (PresetDesignatedVersion is
    # `type: [object, "null"]`). Fails until the generator keeps the null in list items.
    result = _module("presets_list_versions").operation().read({"data": [None], "total_count": 1})
    assert isinstance(result, Success), result
    assert result.unwrap().data == [None]


def test_delete_answer_fills_deleted() -> None:
    # Bug 1 above (fixed), concretely: `{"deleted": true}` (const true) reads into `deleted`.
    value = _module("api_keys_delete").operation().read({"deleted": True}).unwrap()
    assert value.deleted is True
    assert value.extras == {}


# --- request bodies -------------------------------------------------------------------------------

# Generator bugs the body tests below find (each also has a concrete test after them):
#
# 3. tools/generate.py, Types.model: `model.open = bool(extra) and extra is not False` treats
#    `additionalProperties: {}` (an empty schema: anything allowed, 10 schemas of the document,
#    e.g. TraceConfig, whose extra keys the document says are passed through) as closed, because
#    `bool({})` is False. The strict reader then refuses `{"trace": {"custom": 1}}` in
#    responses_send / presets_create_presets_responses / presets_create_presets_messages.
#    Fix: `model.open = extra is True or isinstance(extra, dict)`.
# 4. Fields whose wire names are not Python names are skipped (`model.skipped`, "kept in
#    ``extras``" says the docstring), but the strict reader refuses them as unknown keys:
#    ProviderOptions (`provider.options`, keyed by provider slug: `google-vertex`, `sf-compute`,
#    ...) refuses every slug that is not a Python name, in images_generate,
#    stt_create_transcription, tts_create_speech and video_generation_generate. Fix (generator +
#    converter): write the skipped names as a class variable (e.g. `_extra_names:
#    ClassVar[frozenset[str]]`) and let the strict unknown-key check in `_converter._class_hook`
#    accept those names into `extras`; or, simpler, set `_open = True` on a model with skipped
#    fields.
# 5. A field that is required and nullable (`required` + `type: [X, "null"]`) is put in
#    `_strict_required`, whose check refuses null ("must not be null"): MessagesRequest.messages
#    (`type: [array, "null"]`, required) refuses the valid `"messages": null`
#    (presets_create_presets_messages), AnthropicCitation*Param.document_title likewise. It is
#    also not in `_always_emit`, so `to_dict()` would drop a required null. Fix: in Types.model,
#    for a required property whose schema admits null, write it in `_always_emit` instead, and in
#    `_converter._class_hook` check such a name with `name not in value` (present, may be null).


@pytest.mark.parametrize("group", BODY_GROUPS)
@FAST
@given(data=st.data())
def test_generated_body_is_accepted_by_the_strict_reader(group: str, data: st.DataObject) -> None:
    # Generated with every object closed (`additionalProperties: false` where the document says
    # nothing): each value is one the document allows and that names only known fields.
    generated = _values(group, "body")
    wire = data.draw(generated.strategy, label="body")
    assume(generated.is_valid(wire))
    for name in group.split("+"):
        body = _module(name).operation().body
        result = body.from_dict(wire)
        assert isinstance(result, Success), (name, result.failure().message)
        params = result.unwrap()
        assert body.from_dict(params.to_dict()) == Success(params), name


@pytest.mark.parametrize("group", BODY_GROUPS)
@settings(FAST, max_examples=3)
@given(data=st.data())
def test_published_body_is_accepted_or_refused_for_an_unknown_key(
    group: str, data: st.DataObject
) -> None:
    # As published, an object without `additionalProperties` allows any other key (JSON
    # Schema's default); the strict reader refuses unknown keys on purpose (typos), so that is
    # the one reason a body the document allows may be refused here.
    generated = _values(group, "open body")
    wire = data.draw(generated.strategy, label="body")
    assume(generated.is_valid(wire))
    for name in group.split("+"):
        result = _module(name).operation().body.from_dict(wire)
        if isinstance(result, Failure):
            error = result.failure()
            assert isinstance(error, InvalidRequestError)
            assert error.problem.startswith("unknown field"), (name, error.message)


def test_trace_accepts_extra_keys() -> None:
    # Bug 3 above, concretely (TraceConfig: `additionalProperties: {}`).
    body = _module("responses_send").operation().body
    result = body.from_dict({"model": "m", "input": "hi", "trace": {"custom": "x"}})
    assert isinstance(result, Success), result.failure().message


def test_provider_options_accept_a_hyphenated_slug() -> None:
    # Bug 4 above, concretely.
    body = _module("images_generate").operation().body
    params = {"model": "m", "prompt": "hi", "provider": {"options": {"google-vertex": {}}}}
    result = body.from_dict(params)
    assert isinstance(result, Success), result.failure().message
    assert result.unwrap().to_dict() == params


def test_required_nullable_field_accepts_null() -> None:
    # Bug 5 above, concretely (MessagesRequest.messages: required, `type: [array, "null"]`).
    body = _module("presets_create_presets_messages").operation().body
    params = {"model": "m", "messages": None}
    result = body.from_dict(params)
    assert isinstance(result, Success), result.failure().message
    assert result.unwrap().to_dict() == params


def test_store_false_is_accepted() -> None:
    # Bug 1 above (fixed), concretely: ResponsesRequest.store is `{type: boolean, const: false}`.
    body = _module("responses_send").operation().body
    result = body.from_dict({"model": "m", "input": "hi", "store": False})
    assert isinstance(result, Success), result.failure().message
