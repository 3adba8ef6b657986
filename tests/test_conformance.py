"""Conformance with ``spec/``: requests we write validate; responses the spec allows parse.

Responses, stream chunks and error bodies are generated from the spec's schemas with
hypothesis-jsonschema; each must parse to a Success and survive a round trip (compared after
dropping ``null`` members, since ``None`` fields are omitted on output) whose output validates.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st
from hypothesis_jsonschema import from_schema
from returns.result import Success

from openrouter_core.models import (
    ChatGenerationParams,
    ChatResponse,
    ChatStreamChunk,
    ErrorResponse,
)
from tests.spec_helpers import (
    drop_nulls,
    generation_schema,
    patch_hypothesis_jsonschema,
    schema_errors,
)
from tests.test_models import REQUEST_CORPUS, typed_requests

# Not tied to the Python version: make test runs these on the first supported Python only.
pytestmark = pytest.mark.once

patch_hypothesis_jsonschema()

CONFORMANCE = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
)


def _strategy(pointer: str) -> st.SearchStrategy[Any]:
    return from_schema(generation_schema(pointer))


def _round_trip(model: Any, pointer: str, wire: Any) -> None:
    # hypothesis-jsonschema now and then emits an instance its schema rejects (a null where a
    # string is required, seen inside a oneOf); the contract is the validator's word.
    assume(schema_errors(pointer, wire) == [])
    result = model.from_dict(wire)
    assert isinstance(result, Success), result
    out = result.unwrap().to_dict()
    assert drop_nulls(out) == drop_nulls(wire)
    assert schema_errors(pointer, out) == []


@pytest.mark.parametrize("name", sorted(REQUEST_CORPUS))
def test_request_corpus_validates_and_round_trips(name: str) -> None:
    wire = REQUEST_CORPUS[name]
    assert schema_errors("request", wire) == []
    params = ChatGenerationParams.from_dict(wire).unwrap()
    out = params.to_dict()
    assert out == drop_nulls(wire)
    assert schema_errors("request", out) == []


@pytest.mark.parametrize("index", range(len(typed_requests())))
def test_typed_requests_validate(index: int) -> None:
    params = typed_requests()[index]
    out = params.to_dict()
    assert schema_errors("request", out) == []
    assert ChatGenerationParams.from_dict(out) == Success(params)


@settings(CONFORMANCE, max_examples=75)
@given(_strategy("response"))
def test_generated_responses_parse_and_round_trip(wire: Any) -> None:
    _round_trip(ChatResponse, "response", wire)


@settings(CONFORMANCE, max_examples=80)
@given(_strategy("stream_chunk"))
def test_generated_stream_chunks_parse_and_round_trip(wire: Any) -> None:
    _round_trip(ChatStreamChunk, "stream_chunk", wire)


@settings(CONFORMANCE, max_examples=40)
@given(
    st.sampled_from(["400", "401", "402", "429", "502", "529"]).flatmap(
        lambda status: st.tuples(st.just(status), _strategy(f"errors/{status}"))
    )
)
def test_generated_error_bodies_parse_and_round_trip(case: tuple[str, Any]) -> None:
    status, wire = case
    _round_trip(ErrorResponse, f"errors/{status}", wire)
