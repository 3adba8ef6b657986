"""Records (``openrouter_core._record``): what the models, errors and the core are built on."""

from __future__ import annotations

import copy
import pickle
import sys
from typing import Any, ClassVar

import pytest

from openrouter_core._record import (
    NOTHING,
    Field,
    FrozenInstanceError,
    Record,
    field,
    fields,
    replace,
    resolve_types,
)


class Point(Record):
    x: int
    y: int = 0
    tags: list[str] = field(factory=list)
    label: ClassVar[str] = "a point"


class Pair(Record, frozen=True, kw_only=False):
    left: str
    right: str = "r"


def _positive(_: Any, spec: Field, value: int) -> None:
    if value <= 0:
        raise ValueError(f"{spec.name} must be positive, got {value}")


class Checked(Record):
    count: int = field(default=1, validator=_positive)
    name: str = field(default="x", converter=str.upper)


def test_fields_come_from_the_annotations_in_order_without_class_variables() -> None:
    assert [f.name for f in fields(Point)] == ["x", "y", "tags"]
    assert fields(Point)[0].required
    assert fields(Point)[1].default == 0
    assert fields(Point)[2].factory is list
    assert fields(Point(x=1)) == fields(Point)


def test_init_takes_keywords_defaults_and_a_fresh_factory_value() -> None:
    a, b = Point(x=1), Point(x=2, y=3)
    assert (a.x, a.y, a.tags, b.y) == (1, 0, [], 3)
    a.tags.append("t")
    assert b.tags == []
    assert Point(x=1).tags is not Point(x=1).tags


def test_init_refuses_positional_unknown_and_missing_arguments() -> None:
    with pytest.raises(TypeError):
        Point(1)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="z"):
        Point(x=1, z=2)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="x"):
        Point()  # type: ignore[call-arg]


def test_positional_records_take_arguments_in_field_order() -> None:
    assert Pair("a") == Pair(left="a", right="r")
    assert Pair("a", "b").right == "b"


def test_repr_and_equality_are_by_value() -> None:
    assert repr(Point(x=1, tags=["t"])) == "Point(x=1, y=0, tags=['t'])"
    assert Point(x=1) == Point(x=1)
    assert Point(x=1) != Point(x=2)
    assert Point(x=1) != Pair("1")
    with pytest.raises(TypeError):
        hash(Point(x=1))  # mutable and compared by value


def test_a_frozen_record_refuses_changes_and_hashes_its_fields() -> None:
    pair = Pair("a")
    with pytest.raises(FrozenInstanceError):
        pair.left = "b"  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        del pair.left
    assert isinstance(FrozenInstanceError(), AttributeError)
    assert hash(pair) == hash(Pair("a"))
    assert len({Pair("a"), Pair("a"), Pair("b")}) == 2


def test_validators_and_converters_run_in_init_and_in_replace() -> None:
    checked = Checked(count=2, name="abc")
    assert checked.name == "ABC"
    with pytest.raises(ValueError, match="count must be positive, got 0"):
        Checked(count=0)
    with pytest.raises(ValueError, match="count must be positive"):
        replace(checked, count=-1)
    assert replace(checked, name="q") == Checked(count=2, name="Q")


def test_replace_copies_with_changes_and_refuses_unknown_names() -> None:
    pair = Pair("a", "b")
    assert replace(pair, right="c") == Pair("a", "c")
    assert pair.right == "b"
    with pytest.raises(TypeError, match="no field 'middle'"):
        replace(pair, middle="m")
    if sys.version_info >= (3, 13):
        assert copy.replace(pair, left="z") == Pair("z", "b")  # type: ignore[attr-defined]


def test_records_pickle_and_copy() -> None:
    for value in (Point(x=1, tags=["t"]), Pair("a", "b"), Checked(count=3)):
        assert pickle.loads(pickle.dumps(value)) == value
        assert copy.deepcopy(value) == value


class Point3(Point):
    z: int = 0
    y: int = 5  # redeclared: the subclass's default, in the subclass's place


def test_a_subclass_adds_and_redeclares_fields() -> None:
    assert [f.name for f in fields(Point3)] == ["x", "tags", "z", "y"]
    assert Point3(x=1).y == 5
    assert Point(x=1).y == 0


class Custom(Point):
    def __init__(self, scale: int) -> None:
        super().__init__(x=scale, y=scale * 2)


def test_a_custom_init_may_call_the_records_own() -> None:
    assert (Custom(3).x, Custom(3).y) == (3, 6)
    assert Point(x=1).y == 0  # the base's own __init__ is unchanged


class Slotted(Record, kw_only=False):
    __slots__ = ("value",)
    value: int


def test_a_slotted_record_keeps_its_field_required() -> None:
    assert fields(Slotted)[0].default is NOTHING
    with pytest.raises(TypeError):
        Slotted()  # type: ignore[call-arg]
    assert Slotted(4).value == 4


class Annotated(Record):
    # Evaluated when resolved: a forward reference to a class defined further down.
    child: Later | None = None
    many: list[Later] = field(factory=list)


class Later(Record):
    n: int = 0


def test_resolve_types_evaluates_each_annotation_in_its_module() -> None:
    assert fields(Annotated)[0].type == "Later | None"
    resolved = resolve_types(Annotated)
    assert resolved[0].type == (Later | None)
    assert resolved[1].type == list[Later]
    assert resolve_types(Annotated) is resolved


class FailingError(Record, Exception):
    message: str
    code: int = 0
    __hash__ = Exception.__hash__


def test_an_exception_can_be_a_record() -> None:
    err = FailingError(message="m", code=2)
    assert err == FailingError(message="m", code=2)
    with pytest.raises(FailingError):
        raise err
    assert hash(err) == hash(err)


_SHARED: Any = field(factory=list)


class UsesShared(Record):
    items: list[int] = _SHARED


class AlsoUsesShared(Record):
    names: list[str] = _SHARED


def test_a_field_object_used_by_two_classes_keeps_each_name() -> None:
    assert [f.name for f in fields(UsesShared)] == ["items"]
    assert [f.name for f in fields(AlsoUsesShared)] == ["names"]
    assert AlsoUsesShared().names == []
    assert UsesShared(items=[1]).items == [1]
