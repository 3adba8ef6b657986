"""The converter's two paths agree: cattrs' generated reader and the field-by-field one.

A model's reader (``_model_reader``) runs the function ``cattrs.gen.make_dict_structure_fn``
generated for the class and falls back to ``_field_by_field`` for whatever that declines. A
REFERENCE converter here reads every model field by field, always. Generated responses, stream
chunks and requests (from the vendored schema), known bodies, and mutations of them (a wrong
type or ``null`` at a random place, an unknown key, a missing key, an ``extras`` key) must give
the same outcome both ways: equal objects of the same types, the same ``repr`` and the same
``to_dict()`` output (key order included), or the same error path and problem; the input is
not mutated.

Then every public model class: a valid object built from its field types is read by the
generated reader (strict and tolerant) without falling back, and round-trips.
"""

from __future__ import annotations

import copy
import functools
import importlib
import itertools
import pkgutil
import types
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Literal, Union, get_args, get_origin

import attrs
import cattrs
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis_jsonschema import from_schema
from returns.result import Failure, Success

from openrouter_core import models
from openrouter_core.models import (
    ChatGenerationParams,
    ChatResponse,
    ChatStreamChunk,
    ErrorResponse,
    WireModel,
    _converter as converter_module,
)
from openrouter_core.models._converter import (
    TAGGED,
    ModelError,
    _as_error,
    _field_by_field,
    _is_model,
    configure,
    structure,
)
from openrouter_core.testing import completion_body, stream_chunks
from tests.scale import examples
from tests.spec_helpers import generation_schema, memoised_strategies, patch_hypothesis_jsonschema
from tests.test_models import CHUNKS, KITCHEN_SINK, REQUEST_CORPUS, RESPONSE

patch_hypothesis_jsonschema()

FAST = settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
)

Outcome = tuple[Any, ...]


# --- the reference: every model read field by field ---------------------------------------------


@functools.cache
def reference(strict: bool) -> cattrs.BaseConverter:
    """A converter with the library's rules whose model hooks are the field-by-field readers
    (registered last, so they win over the generated ones)."""
    conv = configure(cattrs.BaseConverter(), strict=strict)
    readers: dict[type[WireModel], Callable[[Any], WireModel]] = {}

    def factory(cls: type[WireModel]) -> Callable[..., WireModel]:
        def hook(value: Any, _: Any = None) -> WireModel:
            read = readers.get(cls)
            if read is None:
                read = readers[cls] = _field_by_field(conv, cls, strict)
            return read(value)

        return hook

    conv.register_structure_hook_factory(_is_model, factory)
    return conv


def _reference_read(data: Any, cls: type[WireModel], *, strict: bool) -> Outcome:
    conv = reference(strict)
    try:
        obj = conv.structure(data, cls)
    except Exception as exc:
        err = _as_error(exc)
        return ("error", err.dotted, err.problem)
    assert isinstance(obj, WireModel)
    return ("ok", type(obj), repr(obj), repr(conv.unstructure(obj)), obj)


def _library_read(data: Any, cls: type[WireModel], *, strict: bool) -> Outcome:
    try:
        obj = structure(data, cls, strict=strict)
    except ModelError as err:
        return ("error", err.dotted, err.problem)
    return ("ok", type(obj), repr(obj), repr(obj.to_dict()), obj)


def _same(data: Any, cls: type[WireModel], *, strict: bool) -> Outcome:
    before = copy.deepcopy(data)
    ours = _library_read(data, cls, strict=strict)
    ref = _reference_read(data, cls, strict=strict)
    # ``repr`` tells 1 from 1.0 and True, a list from a tuple, and shows the key order.
    assert ours[:4] == ref[:4]
    if ours[0] == "ok":
        assert ours[4] == ref[4]
        assert ours[4].received_json == ref[4].received_json
    assert data == before  # the input is not mutated
    assert repr(data) == repr(before)
    return ours


# --- mutations ----------------------------------------------------------------------------------

_ODD_VALUES: list[Any] = [None, True, False, 0, -3, 1.5, "", "x", [], [1], {}, {"k": "v"}]


def _places(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value inside ``node`` (object keys and array indexes)."""
    if isinstance(node, dict):
        for key, item in node.items():
            yield (*path, key)
            yield from _places(item, (*path, key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield (*path, index)
            yield from _places(item, (*path, index))


def _objects(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to an object inside ``node``, the root included."""
    if isinstance(node, dict):
        yield path
        for key, item in node.items():
            yield from _objects(item, (*path, key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _objects(item, (*path, index))


def _at(node: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        node = node[part]
    return node


@st.composite
def _mutated(draw: st.DrawFn, base: Any) -> Any:
    data = copy.deepcopy(base)
    for _ in range(draw(st.integers(0, 2))):
        kind = draw(st.sampled_from(["replace", "unknown", "drop", "extras"]))
        if kind in ("replace", "drop"):
            places = list(_places(data))
            if not places:
                continue
            path = draw(st.sampled_from(places))
            parent = _at(data, path[:-1])
            if kind == "drop" and isinstance(parent, dict):
                del parent[path[-1]]
            else:
                parent[path[-1]] = copy.deepcopy(draw(st.sampled_from(_ODD_VALUES)))
        else:
            objects = list(_objects(data))
            if not objects:
                continue
            target = _at(data, draw(st.sampled_from(objects)))
            key = "extras" if kind == "extras" else draw(st.sampled_from(["x_new", "zz", "type"]))
            target[key] = copy.deepcopy(draw(st.sampled_from(_ODD_VALUES)))
    return data


def _generated(pointer: str) -> st.SearchStrategy[Any]:
    return from_schema(generation_schema(pointer)).flatmap(_mutated)


@pytest.fixture(scope="module", autouse=True)
def _fast_strategies() -> Iterator[None]:
    """Strategies built once per schema while this module runs (``memoised_strategies``)."""
    with memoised_strategies():
        yield


# --- properties ---------------------------------------------------------------------------------


# Generating from the schema is slow (responses and requests especially): few examples here,
# many mutations of known bodies below.
@settings(FAST, max_examples=15)
@given(_generated("stream_chunk"))
def test_generated_chunks_match_the_reference(wire: Any) -> None:
    _same(wire, ChatStreamChunk, strict=False)


@settings(FAST, max_examples=6)
@given(_generated("response"))
def test_generated_responses_match_the_reference(wire: Any) -> None:
    _same(wire, ChatResponse, strict=False)


@settings(FAST, max_examples=8)
@given(_generated("request"))
def test_generated_requests_match_the_reference(wire: Any) -> None:
    _same(wire, ChatGenerationParams, strict=True)


_KNOWN_BODIES: list[Any] = [
    *CHUNKS,
    *stream_chunks(["Hello", " there"]),
    RESPONSE,
    completion_body("Hello there"),
    completion_body(None, tool_calls=[{"id": "c", "function": {"name": "f", "arguments": "{}"}}]),
]


@settings(FAST, max_examples=examples(200))
@given(st.sampled_from(_KNOWN_BODIES).flatmap(_mutated))
def test_mutated_known_bodies_match_the_reference(wire: Any) -> None:
    model = ChatStreamChunk if wire.get("object") == "chat.completion.chunk" else ChatResponse
    _same(wire, model, strict=False)


@settings(FAST, max_examples=examples(150))
@given(st.sampled_from(sorted(REQUEST_CORPUS)).flatmap(lambda n: _mutated(REQUEST_CORPUS[n])))
def test_mutated_requests_match_the_reference(wire: Any) -> None:
    _same(wire, ChatGenerationParams, strict=True)


@settings(FAST, max_examples=examples(40))
@given(_mutated(KITCHEN_SINK))
def test_mutated_requests_read_tolerantly_match_the_reference(wire: Any) -> None:
    # Not how requests are read, but it exercises the tolerant paths of request-only classes.
    _same(wire, ChatGenerationParams, strict=False)


# --- inputs the generated reader declines -------------------------------------------------------


class _Frozen(Mapping[str, Any]):
    """A mapping that is not a ``dict``: the generated reader leaves it to the field-by-field
    one."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"_Frozen({self._data!r})"


_USAGE = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}


def _chunk(**delta: Any) -> dict[str, Any]:
    return {
        "id": "g",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
    }


@pytest.mark.parametrize(
    "data",
    [
        _chunk(content="a"),
        _chunk(content=1),
        _chunk(content=True),
        _chunk(content=None),
        _chunk(tool_calls=({"index": 0},)),  # a tuple is read as a list
        _chunk(tool_calls=[{"index": True}]),
        _chunk(reasoning_details=[{"type": "reasoning.text", "text": "t"}, {"type": 5}]),
        _chunk(reasoning_details=[{"type": "reasoning.new", "x": 1}]),
        _chunk(reasoning_details=[{"type": ["unhashable"]}]),
        _chunk(reasoning_details=[_Frozen({"type": "reasoning.text"})]),
        _chunk(extras={"a": 1}, content="x"),
        {**_chunk(), "created": 1.0},
        {**_chunk(), "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3.5}},
        {**_chunk(), "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}},
        {**_chunk(), "usage": {**_USAGE, "cost": 1}},
        {**_chunk(), "usage": {**_USAGE, "cost": True, "is_byok": 1}},
        {**_chunk(), "choices": [{"index": 0}]},
        {**_chunk(), "choices": [{"index": 0, "delta": None}]},
        {**_chunk(), "error": {"code": 1.5, "message": "m"}},
        {**_chunk(), "error": {"code": True, "message": "m"}},
        {**_chunk(), "error": {"code": "x", "message": "m", "metadata": {1: "a"}}},
        _Frozen(_chunk(content="a")),
        [],
        None,
    ],
)
def test_declined_inputs_match_the_reference(data: Any) -> None:
    _same(data, ChatStreamChunk, strict=False)


_HI = {"role": "user", "content": "x"}


@pytest.mark.parametrize(
    "data",
    [
        {"messages": [_HI], "temperature": 1},
        {"messages": [_HI], "temperature": True},
        {"messages": [_HI], "provider": {"sort": True}},
        {"messages": [_HI], "provider": {"sort": "price"}},
        {"messages": [_HI], "provider": {"preferred_max_latency": 1}},
        {"messages": [_HI], "provider": {"preferred_max_latency": False}},
        {"messages": [_HI], "tool_choice": "auto"},
        {"messages": [_HI], "tool_choice": "sometimes"},
        {"messages": [_HI], "stop": ("a", "b")},
        {"messages": [_HI], "trace": {"trace_id": "t", "k": 1}},
        {"messages": [{"role": "user", "content": "x", "extras": {}}]},
        {"messages": [_HI], "logit_bias": {"1": 1, "2": 0.5}},
        {"messages": [_HI], "logit_bias": {"1": "a"}},
        {"messages": [{"role": "system", "content": [{"type": "image_url"}]}]},
        {"messages": [{"role": "user", "content": [{"type": "text", "text": None}]}]},
        {"messages": [{"role": "user", "content": [{"type": "text"}]}]},
        {"messages": [{"role": "wizard", "content": "x"}]},
        _Frozen({"messages": [_HI]}),
    ],
)
def test_declined_requests_match_the_reference(data: Any) -> None:
    _same(data, ChatGenerationParams, strict=True)


def test_public_results_are_unchanged() -> None:
    bad = _chunk(content=7)
    kept = ChatStreamChunk.from_dict(bad).unwrap().choices[0].delta
    assert kept.content is None
    assert kept.extras == {"content": 7}
    result = ChatStreamChunk.from_dict([bad])
    assert isinstance(result, Failure)
    assert result.failure().message == "expected object, got array"
    good = ChatStreamChunk.from_dict(_chunk(content="hi"))
    assert isinstance(good, Success)
    assert good.unwrap().choices[0].delta.content == "hi"
    assert ErrorResponse.from_dict({"error": {"code": 1, "message": "m"}}).unwrap().error.code == 1


# --- every public model class is read and written -----------------------------------------------
#
# A valid object of every public model class, built from its field types (once with the
# required fields only, once with every field set), must be read by the function cattrs
# generated for it without falling back to ``_field_by_field``, and written back.
#
# The seam: ``_model_reader`` calls ``_field_by_field`` (a module global) when it builds a
# class's reader, and the reader calls what that returned for each fallback. The fixture
# replaces it with a wrapper that records each call, then builds fresh converters, so that no
# reader built earlier in the session (with the unwrapped function) is used.


def _model_classes() -> list[type[WireModel]]:
    """The public model classes of every models module (chat's and the operation groups')."""
    found: set[type[WireModel]] = set()
    for info in pkgutil.iter_modules(models.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{models.__name__}.{info.name}")
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if isinstance(obj, type) and issubclass(obj, WireModel) and obj is not WireModel:
                found.add(obj)
    return sorted(found, key=lambda cls: (cls.__module__, cls.__name__))


MODEL_CLASSES = _model_classes()


def _class_id(cls: type[WireModel]) -> str:
    return f"{cls.__module__.rpartition('.')[2]}.{cls.__name__}"


def _tagged_variant(members: frozenset[type]) -> tuple[str, str, type[WireModel]] | None:
    """For a union of models told apart by a tag: the tag key, a known tag and its class."""
    for spec in TAGGED.values():
        if spec.members == members:
            tag, cls = next(iter(spec.variants.items()))
            return spec.tag, tag, cls
    return None


def _sample(tp: Any, *, full: bool, depth: int) -> Any:
    """A valid wire value of type ``tp``."""
    origin, args = get_origin(tp), get_args(tp)
    if _is_model(tp):
        return _instance(tp, full=full and depth < 4, depth=depth + 1)
    if tp is str:
        return "s"
    if tp is bool:
        return True
    if tp is int:
        return 2
    if tp is float:
        return 0.5
    if tp is Any or tp is object:
        return {"any": [1, "x", None]}
    if origin is Literal:
        return args[0]
    if origin is list or tp is list:
        return [_sample(args[0], full=full, depth=depth)] if args else ["x"]
    if origin is dict or tp is dict:
        return {"k": _sample(args[1], full=full, depth=depth)} if len(args) == 2 else {"k": 1}
    if origin is Union or origin is types.UnionType:
        rest = [a for a in args if a is not type(None)]
        members = frozenset(a for a in rest if _is_model(a))
        if len(members) > 1:
            found = _tagged_variant(members)
            assert found is not None, f"no tagged union for {tp}"
            key, tag, cls = found
            return {**_instance(cls, full=full and depth < 4, depth=depth + 1), key: tag}
        # The richest member: a model, then a list, then a mapping, then the first other one.
        richest = [
            *members,
            *(a for a in rest if get_origin(a) is list),
            *(a for a in rest if get_origin(a) is dict),
            *rest,
        ]
        return _sample(richest[0], full=full, depth=depth)
    raise AssertionError(f"no sample for {tp!r}")


def _instance(cls: type[WireModel], *, full: bool, depth: int = 0) -> dict[str, Any]:
    """A valid wire object of ``cls``: its required fields (those a request requires included),
    or with ``full`` every field."""
    attrs.resolve_types(cls)
    return {
        a.name: _sample(a.type, full=full, depth=depth)
        for a in attrs.fields(cls)
        if a.name != "extras"
        and (full or a.default is attrs.NOTHING or a.name in cls._strict_required)
    }


def test_every_public_model_class_is_found() -> None:
    names = {cls.__name__ for cls in MODEL_CLASSES}
    # One class per JSON object (tests/test_one_class_per_object.py): fewer than 500 since.
    assert len(names) > 450
    assert {
        "ChatGenerationParams",
        "ChatResponse",
        "ChatStreamChunk",
        "ErrorResponse",
        "CreditsGetCreditsResponse",
    } <= names


@attrs.define
class Spied:
    """Fresh converters whose model readers record each fallback to ``_field_by_field``."""

    calls: list[type[WireModel]]
    converters: dict[bool, cattrs.BaseConverter]


@pytest.fixture(scope="module")
def spied() -> Iterator[Spied]:
    calls: list[type[WireModel]] = []
    original = converter_module._field_by_field
    converters: dict[bool, cattrs.BaseConverter] = {}

    def field_by_field(
        conv: cattrs.BaseConverter, cls: type[WireModel], strict: bool
    ) -> Callable[[Any], WireModel]:
        read = original(conv, cls, strict)
        if all(conv is not ours for ours in converters.values()):
            return read  # the package's converters, met by other tests while this is patched

        def spy(value: Any) -> WireModel:
            calls.append(cls)
            return read(value)

        return spy

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(converter_module, "_field_by_field", field_by_field)
        converters.update({s: configure(cattrs.BaseConverter(), strict=s) for s in (False, True)})
        yield Spied(calls, converters)


@pytest.mark.parametrize("cls", MODEL_CLASSES, ids=_class_id)
def test_every_model_is_read_and_written(cls: type[WireModel], spied: Spied) -> None:
    for full, strict in itertools.product((False, True), (False, True)):
        wire = _instance(cls, full=full)
        conv = spied.converters[strict]
        spied.calls.clear()
        obj = conv.structure(copy.deepcopy(wire), cls)
        assert type(obj) is cls
        fell_back = list(spied.calls)
        assert fell_back == [], f"fell back for {fell_back} ({full=}, {strict=})"
        out = obj.to_dict()
        assert repr(out) == repr(conv.unstructure(obj))
        assert conv.structure(out, cls) == obj
        assert structure(copy.deepcopy(out), cls, strict=strict) == obj
    # The spy does see a fallback: the generated reader declines a list.
    spied.calls.clear()
    with pytest.raises(ModelError, match="expected object, got array"):
        spied.converters[False].structure([], cls)
    assert spied.calls == [cls]


def test_a_valid_request_part_with_strictly_required_fields_does_not_fall_back(
    spied: Spied,
) -> None:
    from openrouter_core.models import ChatContentText

    spied.calls.clear()
    part = spied.converters[True].structure({"type": "text", "text": "hi"}, ChatContentText)
    assert part == ChatContentText(text="hi")
    assert spied.calls == []
