"""The generated readers and writers agree with the plain hooks they stand in for.

A reference converter is built with ``_build(fast=False)``: the plain class hooks only, which are
also the fast path's fallback. Generated responses, stream chunks and
requests, and mutations of them (a wrong type or ``null`` at a random place, an unknown key, a
missing key), must give the same outcome both ways: equal objects of the same types and the same
``to_dict()`` output (key order included), or the same error path and problem.
"""

from __future__ import annotations

import copy
import functools
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from returns.result import Failure, Success

from openrouter_core._record import resolve_types
from openrouter_core.models import (
    ChatGenerationParams,
    ChatResponse,
    ChatStreamChunk,
    ErrorResponse,
    WireModel,
)
from openrouter_core.models import _converter as _converter_module
from openrouter_core.models._converter import (
    _STRICT,
    Converter,
    ModelError,
    _as_error,
    _build,
    structure,
)
from openrouter_core.testing import completion_body, stream_chunks
from tests.spec_helpers import generation_schema, patch_hypothesis_jsonschema
from tests.test_models import CHUNKS, KITCHEN_SINK, REQUEST_CORPUS, RESPONSE

patch_hypothesis_jsonschema()

FAST = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
)

Outcome = tuple[Any, ...]


@functools.cache
def reference() -> Converter:
    """The converter with the plain class hooks (no generated code)."""
    return _build(fast=False)


def _reference_read(data: Any, cls: type[WireModel], *, strict: bool) -> Outcome:
    conv = reference()
    token = _STRICT.set(strict)
    try:
        obj = conv.get_structure_hook(cls)(data, cls)
    except Exception as exc:
        err = _as_error(exc)
        return ("error", err.dotted, err.problem)
    finally:
        _STRICT.reset(token)
    out = conv.get_unstructure_hook(type(obj))(obj)
    return ("ok", type(obj), repr(obj), repr(out), obj)


def _fast_read(data: Any, cls: type[WireModel], *, strict: bool) -> Outcome:
    try:
        obj = structure(data, cls, strict=strict)
    except Exception as exc:
        err = _as_error(exc)
        return ("error", err.dotted, err.problem)
    return ("ok", type(obj), repr(obj), repr(obj.to_dict()), obj)


def _same(data: Any, cls: type[WireModel], *, strict: bool) -> Outcome:
    before = copy.deepcopy(data)
    fast = _fast_read(data, cls, strict=strict)
    ref = _reference_read(data, cls, strict=strict)
    # ``repr`` tells 1 from 1.0 and True, a list from a tuple, and shows the key order.
    assert fast[:4] == ref[:4]
    if fast[0] == "ok":
        assert fast[4] == ref[4]
    assert data == before  # the input is not mutated
    return fast


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


# --- properties ---------------------------------------------------------------------------------


# Generating from the schema is slow (responses especially): few examples here, many mutations
# of known bodies below.
@settings(FAST, max_examples=30)
@given(_generated("stream_chunk"))
def test_generated_chunks_match_the_reference(wire: Any) -> None:
    _same(wire, ChatStreamChunk, strict=False)


@settings(FAST, max_examples=12)
@given(_generated("response"))
def test_generated_responses_match_the_reference(wire: Any) -> None:
    _same(wire, ChatResponse, strict=False)


_KNOWN_BODIES: list[Any] = [
    *CHUNKS,
    *stream_chunks(["Hello", " there"]),
    RESPONSE,
    completion_body("Hello there"),
    completion_body(None, tool_calls=[{"id": "c", "function": {"name": "f", "arguments": "{}"}}]),
]


@settings(FAST, max_examples=200)
@given(st.sampled_from(_KNOWN_BODIES).flatmap(_mutated))
def test_mutated_known_bodies_match_the_reference(wire: Any) -> None:
    model = ChatStreamChunk if wire.get("object") == "chat.completion.chunk" else ChatResponse
    _same(wire, model, strict=False)


@settings(FAST, max_examples=150)
@given(st.sampled_from(sorted(REQUEST_CORPUS)).flatmap(lambda n: _mutated(REQUEST_CORPUS[n])))
def test_mutated_requests_match_the_reference(wire: Any) -> None:
    _same(wire, ChatGenerationParams, strict=True)


@settings(FAST, max_examples=40)
@given(_mutated(KITCHEN_SINK))
def test_mutated_requests_read_tolerantly_match_the_reference(wire: Any) -> None:
    # Not how requests are read, but it exercises the tolerant paths of request-only classes.
    _same(wire, ChatGenerationParams, strict=False)


# --- inputs the fast path declines --------------------------------------------------------------


class _Frozen(Mapping[str, Any]):
    """A mapping that is not a ``dict``: the fast path leaves it to the slow one."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


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
        {"messages": [{"role": "user", "content": "x"}], "temperature": 1},
        {"messages": [{"role": "user", "content": "x"}], "temperature": True},
        {"messages": [_HI], "provider": {"sort": True}},
        {"messages": [_HI], "provider": {"sort": "price"}},
        {"messages": [_HI], "provider": {"preferred_max_latency": 1}},
        {"messages": [_HI], "provider": {"preferred_max_latency": False}},
        {"messages": [{"role": "user", "content": "x"}], "tool_choice": "auto"},
        {"messages": [{"role": "user", "content": "x"}], "tool_choice": "sometimes"},
        {"messages": [{"role": "user", "content": "x"}], "stop": ("a", "b")},
        {"messages": [{"role": "user", "content": "x"}], "trace": {"trace_id": "t", "k": 1}},
        {"messages": [{"role": "user", "content": "x", "extras": {}}]},
        {"messages": [{"role": "user", "content": "x"}], "logit_bias": {"1": 1, "2": 0.5}},
        {"messages": [{"role": "user", "content": "x"}], "logit_bias": {"1": "a"}},
        {"messages": [{"role": "system", "content": [{"type": "image_url"}]}]},
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


# --- every model class is read and written by its generated functions ---------------------------
#
# A valid object of every public model class, built from its field types (once with the
# required fields only, once with every field set), must be read by the class's generated reader
# without falling back to the slow hook, and written by its generated writer.
#
# The seam: a generated reader falls back by calling the function that ``_slow_hook`` made for it,
# held in the reader's globals as ``_slow<N>`` (see ``_reader_source``). The fixture wraps every
# such function, those of readers already compiled and (through ``_slow_hook``) those of readers
# compiled later, so that each fallback is recorded. A writer has no fallback: a writer whose code
# is the generated one runs it on every call.

_GENERATED = "<openrouter_core generated "
_AHEAD_OF_TIME = str(Path(_converter_module.__file__).parent / "_readers")


def _is_generated(fn: Any) -> bool:
    """Whether ``fn`` is generated code: compiled at run time, or written ahead of time."""
    filename: str = fn.__code__.co_filename
    return filename.startswith((_GENERATED, _AHEAD_OF_TIME))


def _model_classes() -> list[type[WireModel]]:
    from openrouter_core import models

    found = {
        obj
        for name in models.__all__
        if isinstance(obj := getattr(models, name), type)
        and issubclass(obj, WireModel)
        and obj is not WireModel
    }
    return sorted(found, key=lambda cls: cls.__name__)


MODEL_CLASSES = _model_classes()


def _tagged_variant(members: frozenset[type]) -> tuple[str, str, type[WireModel]] | None:
    """For a union of models told apart by a tag: the tag key, a known tag and its class."""
    from openrouter_core.models._converter import TAGGED

    for spec in TAGGED.values():
        if spec.members == members:
            tag, cls = next(iter(spec.variants.items()))
            return spec.tag, tag, cls
    return None


def _sample(tp: Any, *, full: bool, depth: int) -> Any:
    """A valid wire value of type ``tp``."""
    import types
    from typing import Literal, Union, get_args, get_origin

    origin, args = get_origin(tp), get_args(tp)
    if isinstance(tp, type) and issubclass(tp, WireModel):
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
        models = frozenset(a for a in rest if isinstance(a, type) and issubclass(a, WireModel))
        if len(models) > 1:
            found = _tagged_variant(models)
            assert found is not None, f"no tagged union for {tp}"
            key, tag, cls = found
            return {**_instance(cls, full=full and depth < 4, depth=depth + 1), key: tag}
        # The richest member: a model, then a list, then a mapping, then the first other one.
        richest = [
            *models,
            *(a for a in rest if get_origin(a) is list),
            *(a for a in rest if get_origin(a) is dict),
            *rest,
        ]
        return _sample(richest[0], full=full, depth=depth)
    raise AssertionError(f"no sample for {tp!r}")


def _instance(cls: type[WireModel], *, full: bool, depth: int = 0) -> dict[str, Any]:
    """A valid wire object of ``cls``: its required fields (those a request requires included),
    or with ``full`` every field."""
    required: frozenset[str] = getattr(cls, "_strict_required", frozenset())
    return {
        a.name: _sample(a.type, full=full, depth=depth)
        for a in resolve_types(cls)
        if a.name != "extras" and (full or a.required or a.name in required)
    }


def test_every_public_model_class_is_found() -> None:
    names = {cls.__name__ for cls in MODEL_CLASSES}
    assert len(names) > 100
    assert {"ChatGenerationParams", "ChatResponse", "ChatStreamChunk", "ErrorResponse"} <= names


def _spying(slow: Any, cls: type, calls: list[type]) -> Any:
    def spy(value: Any, _: Any = None) -> Any:
        calls.append(cls)
        return slow(value)

    spy.spied = True  # type: ignore[attr-defined]
    return spy


@pytest.fixture(scope="module")
def slow_reads() -> Iterator[list[type]]:
    """The classes whose generated reader fell back to the slow hook, in order of the calls."""
    from openrouter_core.models import _converter

    calls: list[type] = []
    original_slow_hook = _converter._slow_hook

    def slow_hook(conv: Converter, cls: type[WireModel]) -> Any:
        return _spying(original_slow_hook(conv, cls), cls, calls)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_converter, "_slow_hook", slow_hook)
        # The readers' globals: of those compiled at run time, and the modules written ahead
        # of time already imported (those imported later get the patched _slow_hook).
        namespaces = {
            id(reader.__globals__): reader.__globals__
            for reader, shape in list(_converter._SHAPES.items())
            if shape[0] == "model" and _is_generated(reader)
        }
        for name, module in list(sys.modules.items()):
            if name.startswith("openrouter_core.models._readers."):
                namespaces[id(vars(module))] = vars(module)
        for namespace in namespaces.values():
            for name, value in list(namespace.items()):
                if name.startswith("_slow") and not hasattr(value, "spied"):
                    patch.setitem(namespace, name, _spying(value, _slow_class(value), calls))
        yield calls


def _slow_class(slow: Any) -> type:
    """The class a function made by ``_slow_hook`` reads (held in its closure)."""
    cell = slow.__closure__[slow.__code__.co_freevars.index("cls")]
    cls: type = cell.cell_contents
    return cls


@pytest.mark.parametrize("full", [False, True], ids=["required", "full"])
@pytest.mark.parametrize("cls", MODEL_CLASSES, ids=lambda cls: cls.__name__)
def test_every_model_is_read_and_written_by_generated_code(
    cls: type[WireModel], full: bool, slow_reads: list[type]
) -> None:
    from openrouter_core.models._converter import _READERS, _SHAPES, _WRITERS

    wire = _instance(cls, full=full)
    for strict in (False, True):
        slow_reads.clear()
        obj = structure(copy.deepcopy(wire), cls, strict=strict)
        assert type(obj) is cls
        assert slow_reads == [], f"fell back to the slow path for {slow_reads} ({strict=})"
        out = obj.to_dict()
        assert repr(out) == repr(reference().get_unstructure_hook(cls)(obj))
        assert structure(out, cls, strict=strict) == obj
        assert slow_reads == []
    # What structure() and to_dict() call for the class is its generated reader and writer.
    reader, writer = _READERS[cls], _WRITERS[cls]
    assert _SHAPES.get(reader) == ("model", cls)
    assert reader.__code__.co_filename.startswith(_AHEAD_OF_TIME)
    assert _SHAPES.get(writer) == ("writer", cls)
    assert writer.__code__.co_filename.startswith(_AHEAD_OF_TIME)
    # The spy does see a fallback: the generated reader declines a list.
    slow_reads.clear()
    with pytest.raises(ModelError):
        structure([], cls, strict=False)
    assert slow_reads == [cls]


@pytest.mark.parametrize(
    ("cls", "wire"),
    [
        (ChatGenerationParams, KITCHEN_SINK),
        (ChatResponse, RESPONSE),
        *((ChatStreamChunk, chunk) for chunk in CHUNKS),
    ],
)
def test_readers_compiled_at_run_time_match_those_written_ahead_of_time(
    cls: type[WireModel], wire: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A class of another package gets its reader compiled on first use: the same source.
    monkeypatch.setattr(_converter_module, "AHEAD_OF_TIME", False)
    runtime = Converter()
    obj = runtime.get_structure_hook(cls)(copy.deepcopy(wire), cls)
    assert runtime.get_structure_hook(cls).__code__.co_filename.startswith(_GENERATED)
    assert obj == structure(copy.deepcopy(wire), cls, strict=False)
    out = runtime.get_unstructure_hook(cls)(obj)
    assert repr(out) == repr(obj.to_dict())
