"""JSON Schema from Python types (openrouter_core.json_schema), the reader of the caller's types,
and tool(): checked against the JSON Schema metaschema and against the values they describe."""

from __future__ import annotations

import collections.abc
import dataclasses
import datetime
import enum
import json
from typing import Annotated, Any, Literal, NewType, NotRequired, Optional, TypedDict, Union

import attrs
import jsonschema  # type: ignore[import-untyped]
import pytest

from openrouter_core.json_schema import SchemaError, function_parameters, object_schema, schema_of
from openrouter_core.tools import Tool, tool
from openrouter_core.tools._convert import describe_error, read_as, to_json_value

UserId = NewType("UserId", int)


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


@attrs.define
class Point:
    x: float
    y: Annotated[float, "Vertical"] = 0.0


@dataclasses.dataclass
class Shape:
    """A shape."""

    name: str
    points: list[Point]
    color: Color | None = None


class _Depth(TypedDict):
    depth: int


# total=False rather than NotRequired: under ``from __future__ import annotations`` Python 3.11
# cannot see NotRequired when it lists the required keys, which cattrs reads.
class Options(_Depth, total=False):
    label: str


class Labelled(TypedDict):
    depth: int
    label: NotRequired[str]


@attrs.define
class Node:
    value: int
    children: list[Node]


@attrs.define
class Forest:
    trees: list[Node]


TYPES: list[tuple[Any, Any, dict[str, Any] | None]] = [
    (str, "a", {"type": "string"}),
    (int, 3, {"type": "integer"}),
    (float, 1.5, {"type": "number"}),
    (bool, True, {"type": "boolean"}),
    (None, None, {"type": "null"}),
    (Any, {"x": [1]}, {}),
    (Literal["a", "b"], "b", {"type": "string", "enum": ["a", "b"]}),
    (Literal[1, "a"], 1, {"type": ["integer", "string"], "enum": [1, "a"]}),
    (Color, "red", {"type": "string", "enum": ["red", "green"]}),
    (Level, 2, {"type": "integer", "enum": [1, 2]}),
    (list[int], [1, 2], {"type": "array", "items": {"type": "integer"}}),
    (collections.abc.Sequence[str], ["a"], {"type": "array", "items": {"type": "string"}}),
    (set[int], [1, 2], {"type": "array", "items": {"type": "integer"}, "uniqueItems": True}),
    (tuple[int, ...], [1, 2, 3], {"type": "array", "items": {"type": "integer"}}),
    (
        tuple[int, str],
        [1, "a"],
        {
            "type": "array",
            "prefixItems": [{"type": "integer"}, {"type": "string"}],
            "minItems": 2,
            "maxItems": 2,
        },
    ),
    (dict[str, int], {"a": 1}, {"type": "object", "additionalProperties": {"type": "integer"}}),
    (Optional[int], None, {"anyOf": [{"type": "integer"}, {"type": "null"}]}),  # noqa: UP045
    (Union[int, str], "x", {"anyOf": [{"type": "integer"}, {"type": "string"}]}),  # noqa: UP007
    (
        int | list[str],
        ["x"],
        {"anyOf": [{"type": "integer"}, {"type": "array", "items": {"type": "string"}}]},
    ),
    (Annotated[int, "How many"], 4, {"type": "integer", "description": "How many"}),
    (UserId, 7, {"type": "integer"}),
    (
        Point,
        {"x": 1, "y": 2.5},
        {
            "type": "object",
            "properties": {
                "x": {"type": "number"},
                "y": {"type": "number", "description": "Vertical"},
            },
            "required": ["x"],
            "additionalProperties": False,
        },
    ),
    (
        Options,
        {"depth": 1},
        {
            "type": "object",
            "properties": {"depth": {"type": "integer"}, "label": {"type": "string"}},
            "required": ["depth"],
            "additionalProperties": False,
        },
    ),
    (Shape, {"name": "s", "points": [{"x": 0.5, "y": 0.0}], "color": "green"}, None),
    (Node, {"value": 1, "children": [{"value": 2, "children": []}]}, None),
    (Forest, {"trees": [{"value": 1, "children": [{"value": 2, "children": []}]}]}, None),
]


@pytest.mark.parametrize(("tp", "value", "expected"), TYPES, ids=[str(t[0]) for t in TYPES])
def test_schema_is_valid_describes_the_value_and_reads_it(
    tp: Any, value: Any, expected: dict[str, Any] | None
) -> None:
    jsonschema.Draft202012Validator.check_schema(schema_of(tp, strict=True))
    schema = schema_of(tp)
    jsonschema.Draft202012Validator.check_schema(schema)
    # What the type reads is what the schema admits, and it writes back the same JSON.
    jsonschema.Draft202012Validator(schema).validate(value)
    if expected is not None:
        assert schema == expected
    read = read_as(value, tp)
    assert json.loads(json.dumps(to_json_value(read), default=list)) == value


def test_nested_classes_and_recursion() -> None:
    shape = schema_of(Shape)
    assert shape["description"] == "A shape."
    assert shape["required"] == ["name", "points"]
    assert shape["properties"]["points"]["items"]["properties"]["y"]["description"] == "Vertical"
    assert schema_of(Shape, strict=True)["required"] == ["name", "points", "color"]
    # A class that holds itself: "#" at the root, under $defs elsewhere.
    assert schema_of(Node)["properties"]["children"]["items"] == {"$ref": "#"}
    forest = schema_of(Forest)
    assert forest["properties"]["trees"]["items"] == {"$ref": "#/$defs/Node"}
    node = forest["$defs"]["Node"]
    assert node["properties"]["children"]["items"] == {"$ref": "#/$defs/Node"}
    validator = jsonschema.Draft202012Validator(forest)
    bad = {"trees": [{"value": 1, "children": [{"value": "x", "children": []}]}]}
    assert not validator.is_valid(bad)
    # NotRequired is seen by the schema even where Python 3.11 does not see it.
    assert schema_of(Labelled)["required"] == ["depth"]
    # A dataclass without a docstring has no description (not its generated signature).
    assert "description" not in schema_of(dataclasses.make_dataclass("Bare", [("a", int)]))


def test_what_cannot_be_described_is_named() -> None:
    @attrs.define
    class When:
        at: datetime.datetime

    cases: list[tuple[Any, str]] = [
        (datetime.date, "cannot describe date"),
        (dict[int, str], "a JSON object's keys are strings, not int"),
        (list[When], "[*].at: cannot describe datetime"),
        (Literal[b"x"], "the value b'x' cannot be written in JSON"),
    ]
    for tp, problem in cases:
        with pytest.raises(SchemaError) as caught:
            schema_of(tp)
        assert problem in str(caught.value)
    with pytest.raises(SchemaError, match="is not an attrs class"):
        object_schema(int)


def test_function_parameters() -> None:
    def search(
        query: Annotated[str, "What to look for"],
        limit: int = 10,
        /,
        *,
        kinds: list[Literal["web", "news"]] | None = None,
    ) -> list[str]:
        return []

    schema, params = function_parameters(search)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema == {
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "What to look for"},
            "limit": {"type": "integer"},
            "kinds": {
                "anyOf": [
                    {"type": "array", "items": {"type": "string", "enum": ["web", "news"]}},
                    {"type": "null"},
                ]
            },
        },
        "required": ["query"],
        "additionalProperties": False,
    }
    assert [(p.name, p.required, p.positional_only) for p in params] == [
        ("query", True, True),
        ("limit", False, True),
        ("kinds", False, False),
    ]
    assert function_parameters(search, strict=True)[0]["required"] == ["query", "limit", "kinds"]

    def untyped(a, b: int) -> None:  # type: ignore[no-untyped-def]
        pass

    def kwargs(**rest: int) -> None:
        pass

    cases: list[tuple[Any, str]] = [
        (untyped, "a: has no type annotation"),
        (kwargs, "**rest cannot"),
    ]
    for fn, problem in cases:
        with pytest.raises(SchemaError, match=problem.replace("*", r"\*")):
            function_parameters(fn)


@pytest.mark.parametrize(
    ("value", "tp", "problem"),
    [
        ("5", int, "expected integer, got string"),
        (True, int, "expected integer, got boolean"),
        (1.5, int, "expected integer, got number"),
        (1, str, "expected string, got integer"),
        ("yes", bool, "expected boolean, got string"),
        ("abc", list[str], "expected array, got string"),
        ([1, "x"], list[int], "[1]"),
        ({"a": "b"}, dict[str, int], "expected integer"),
        ("blue", Color, "expected one of 'red', 'green', got 'blue'"),
        (True, Level, "expected one of 1, 2, got True"),
        (1, Literal["1"], "expected one of '1', got 1"),
        ({"x": 1, "z": 0}, Point, "unexpected fields: z"),
        ({}, Point, "x: required field missing"),
        ({"depth": "deep"}, Options, "depth: expected integer, got string"),
        ([1], tuple[int, str], "expected 2 items, got 1"),
        ([], int | str, "expected integer or string, got array"),
    ],
)
def test_the_reader_checks_json_types(value: Any, tp: Any, problem: str) -> None:
    with pytest.raises(Exception) as caught:  # noqa: PT011  # any the converter raises
        read_as(value, tp)
    assert problem in describe_error(caught.value)


def test_the_reader_admits_what_json_means() -> None:
    assert read_as(3.0, int) == 3  # a number without a fraction is an integer
    assert read_as(3, float) == 3.0
    assert read_as([1, 1, 2], frozenset[int]) == frozenset({1, 2})
    assert read_as([1, "a"], tuple[int, str]) == (1, "a")
    assert read_as(None, int | None) is None
    assert read_as(True, Level | bool) is True


def test_tool_overrides_and_decorator() -> None:
    def get_time(zone: str) -> str:
        """The time in a zone."""
        return zone

    plain = tool(get_time)
    assert isinstance(plain, Tool)
    assert (plain.name, plain.description, plain.require_approval) == (
        "get_time",
        "The time in a zone.",
        False,
    )
    renamed = tool(get_time, name="clock", description="Tells the time.", require_approval=True)
    definition = renamed.definition().unwrap()["function"]
    assert definition["name"] == "clock"
    assert definition["description"] == "Tells the time."
    assert definition["parameters"]["required"] == ["zone"]
    assert renamed.require_approval

    @tool(require_approval=True)
    def delete(path: str) -> None:
        """Delete a file."""

    assert isinstance(delete, Tool)
    assert delete.require_approval
    assert delete.definition().unwrap()["function"]["description"] == "Delete a file."
    assert delete.fn("x") is None  # the function itself is kept, callable as before

    bad = tool(get_time, name="no spaces allowed")
    assert "1 to 64 letters" in bad.definition().failure().message
