"""The package's own value classes (errors, configuration, the machinery's values) are attrs
classes: how they are built, compared, hashed, copied and pickled."""

from __future__ import annotations

import copy
import inspect
import pickle
from typing import Any

import attrs
import pytest

from funcs.o_auth_create_sha256_code_challenge import CodeChallenge
from funcs.video_generation_wait import Poller
from openrouter_core import errors
from openrouter_core._machinery.attempts import Collect, Done, Peek, Read, Send, Sleep
from openrouter_core._machinery.classify import Verdict
from openrouter_core._machinery.files import FilePart
from openrouter_core._machinery.operation import Form, Operation, Param, StreamSpec
from openrouter_core._machinery.options import Resolved
from openrouter_core._machinery.request import Prepared
from openrouter_core.chat.accumulate import _Choice, _ToolCall
from openrouter_core.core import OpenRouterCore, RetryConfig
from openrouter_core.errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    ChatError,
    InvalidRequestError,
    OpenRouterCoreError,
    ResponseValidationError,
)
from openrouter_core.testing import FakeRequest

ERRORS: list[type[OpenRouterCoreError]] = [
    cls
    for cls in vars(errors).values()
    if isinstance(cls, type) and issubclass(cls, OpenRouterCoreError)
]

FROZEN: list[type[Any]] = [
    RetryConfig,
    OpenRouterCore,
    Send,
    Read,
    Peek,
    Collect,
    Sleep,
    Done,
    Verdict,
    FilePart,
    Form,
    Param,
    StreamSpec,
    Operation,
    Resolved,
    FakeRequest,
    CodeChallenge,
]
MUTABLE: list[type[Any]] = [Prepared, _ToolCall, _Choice, Poller]


def _required(cls: type[Any]) -> dict[str, Any]:
    """A value for each field of ``cls`` that has no default."""
    samples = {"message": "m", "status_code": 500}
    return {
        f.alias: samples.get(f.name, "x")
        for f in attrs.fields(cls)
        if f.init and f.default is attrs.NOTHING
    }


def _sample(cls: type[OpenRouterCoreError]) -> OpenRouterCoreError:
    return cls(**_required(cls))


def test_every_class_is_an_attrs_class_declared_on_its_own() -> None:
    assert len(ERRORS) == 20
    for cls in [*ERRORS, *FROZEN, *MUTABLE]:
        assert attrs.has(cls), cls
        # Decorated itself, not only inheriting its base's fields.
        assert "__attrs_attrs__" in cls.__dict__, cls


def test_frozen_classes_refuse_changes_and_mutable_ones_do_not() -> None:
    for cls in FROZEN:
        assert "__setattr__" in vars(cls), cls
    config = RetryConfig()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        config.max_retries = 5  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del config.max_retries
    poller = Poller("job", 1.0, 2.0, 3.0)
    poller.interval = 4.0
    assert poller.interval == 4.0


def test_keyword_only_classes_and_positional_ones() -> None:
    with pytest.raises(TypeError):
        RetryConfig(3)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        InvalidRequestError("m")  # type: ignore[call-arg]
    assert Param("w", "n") == Param(wire="w", name="n", required=False)
    assert Verdict(None, None, True).retryable
    assert Sleep(1.5) == Sleep(seconds=1.5)


def test_field_order_defaults_and_fresh_factory_values() -> None:
    assert [f.name for f in attrs.fields(APITimeoutError)] == ["message", "cause", "attempts"]
    assert [f.name for f in attrs.fields(APIError)][:3] == ["message", "status_code", "code"]
    assert [f.name for f in attrs.fields(Param)][:4] == ["wire", "name", "required", "kind"]
    first, second = _ToolCall(0), _ToolCall(0)
    assert (first.arguments, first.extras, first.id) == ([], {}, None)
    assert first.arguments is not second.arguments
    assert ResponseValidationError(message="m").headers is not (
        ResponseValidationError(message="m").headers
    )


def test_repr_and_equality_by_value_within_one_class() -> None:
    assert repr(Param("w", "n")).startswith("Param(wire='w', name='n', required=False, kind='',")
    assert repr(InvalidRequestError(message="m", path="p")) == (
        "InvalidRequestError(message='m', path='p', problem='')"
    )
    assert Form(("f",)) == Form(("f",))
    assert Form(("f",)) != Form(("g",))
    fields: dict[str, Any] = {"message": "m", "status_code": 429}
    assert APIError(**fields) == APIError(**fields)
    assert APIError(**fields) != ChatError(**fields)  # same fields, another class
    assert _ToolCall(1, id="a") == _ToolCall(1, id="a")
    assert CodeChallenge("c", "secret") == CodeChallenge("c", "secret")
    assert "secret" not in repr(CodeChallenge("c", "secret"))


def test_frozen_values_hash_their_fields_and_mutable_ones_are_unhashable() -> None:
    assert hash(RetryConfig()) == hash(RetryConfig())
    assert len({Param("a", "a"), Param("a", "a"), Param("b", "b")}) == 2
    assert len({Sleep(1.0), Sleep(1.0)}) == 1
    for value in (_ToolCall(0), Poller("job", 1.0, 2.0, 3.0)):
        with pytest.raises(TypeError):
            hash(value)


def test_errors_are_values_that_stay_hashable_exceptions() -> None:
    for cls in ERRORS:
        err = _sample(cls)
        assert isinstance(err, Exception)
        assert err == _sample(cls)
        # Hashable by identity (their fields hold dicts), as any exception, so raise works.
        assert hash(err) == object.__hash__(err)
        assert err in {err}
        with pytest.raises(cls) as info:
            raise err
        assert info.value is err
        assert str(err) == "m"
        # ``args`` holds the field values, in field order.
        assert err.args == tuple(getattr(err, f.name) for f in attrs.fields(cls))


def test_errors_pickle_and_copy_as_the_same_value() -> None:
    for cls in ERRORS:
        err = cls(**{**_required(cls), "message": "boom"})
        for clone in (
            pickle.loads(pickle.dumps(err)),
            copy.copy(err),
            copy.deepcopy(err),
        ):
            assert type(clone) is cls
            assert clone == err
            assert clone.args == err.args
            assert str(clone) == "boom"
    rich = ResponseValidationError(message="m", status_code=200, headers={"a": "b"}, body="{")
    assert pickle.loads(pickle.dumps(rich)) == rich


def test_evolve_gives_a_changed_copy_of_the_same_class() -> None:
    err = ChatError(message="m", status_code=503)
    more = attrs.evolve(err, attempts=3)
    assert type(more) is ChatError
    assert (more.attempts, err.attempts) == (3, 1)
    assert more.args == tuple(getattr(more, f.name) for f in attrs.fields(ChatError))
    assert isinstance(more, APIStatusError)
    with pytest.raises(TypeError):
        attrs.evolve(err, nonsense=1)  # type: ignore[call-arg]
    conn = APIConnectionError(message="m", cause="c")
    assert attrs.evolve(conn, attempts=2) == APIConnectionError(message="m", cause="c", attempts=2)


def test_validators_run_in_init_and_in_evolve() -> None:
    with pytest.raises(ValueError, match="max_retries must be >= 0, got int -1"):
        RetryConfig(max_retries=-1)
    config = RetryConfig(max_retries=4)
    with pytest.raises(ValueError, match="max_delay must be finite and >= 0"):
        attrs.evolve(config, max_delay=-1.0)
    assert attrs.evolve(config, jitter=False) == RetryConfig(max_retries=4, jitter=False)
    assert config.jitter


def test_public_values_pickle() -> None:
    for value in (RetryConfig(max_retries=1), CodeChallenge("c", "v"), Param("w", "n")):
        assert pickle.loads(pickle.dumps(value)) == value
        assert copy.deepcopy(value) == value


def test_constructor_signatures() -> None:
    core = inspect.signature(OpenRouterCore)
    assert list(core.parameters)[:3] == ["api_key", "server_url", "timeout"]
    assert all(p.kind is p.KEYWORD_ONLY for p in core.parameters.values())
    assert "pools" not in core.parameters
    assert "base_headers" not in core.parameters
