"""JSON Schema from Python types: a tool's parameters and a structured output's class.

One module serves the tool loop (``openrouter_core.tools``) and structured outputs
(``funcs.chat_parse``), so the two describe a type the same way. It covers what a tool's
arguments or a model's JSON answer can hold:

=============================================  ==========================================
Python                                         JSON Schema
=============================================  ==========================================
``str``, ``int``, ``float``, ``bool``, ``None``  ``string``, ``integer``, ``number``, ...
``Literal["a", 1]``, an ``Enum``               ``enum`` (with ``type`` when all share one)
``list[X]``, ``Sequence[X]``, ``set[X]``,      ``array`` (``uniqueItems`` for sets,
``tuple[X, ...]``, ``tuple[X, Y]``             ``prefixItems`` for a fixed tuple)
``dict[str, X]``, ``Mapping[str, X]``          ``object`` with ``additionalProperties``
``X | Y``, ``Optional[X]``                     ``anyOf``
attrs classes, dataclasses, TypedDicts         ``object`` with ``properties``
``Annotated[X, "text"]``                       X's schema with ``"description": "text"``
``Any``                                        ``{}`` (anything)
=============================================  ==========================================

Objects are closed (``additionalProperties: false``). A class is written inline where it is
used; a class that contains itself is written once under ``$defs`` (or as ``"#"`` when it is
the root) and referred to with ``$ref``. ``strict=True`` writes what strict structured outputs
require: every property listed in ``required`` (a field with a default must still be sent).

Written here rather than borrowed: the libraries that do this (pydantic among them) would be a
dependency for a few hundred lines, and this subset is checked against the JSON Schema
metaschema by the tests. A pydantic model given as a structured output's class is described by
pydantic itself (``model_json_schema``), and only when pydantic is already imported.
"""

from __future__ import annotations

import collections.abc as cabc
import dataclasses
import enum
import inspect
import sys
import types
import typing
from collections.abc import Callable
from typing import Any, Literal, NotRequired, Required, Union, get_args, get_origin

import attrs

__all__ = [
    "Parameter",
    "SchemaError",
    "function_parameters",
    "is_pydantic_model",
    "is_structured_class",
    "object_schema",
    "schema_of",
]

_NONE = type(None)

_PRIMITIVES: dict[Any, str] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    _NONE: "null",
    None: "null",
}

_SETS: frozenset[Any] = frozenset({set, frozenset, cabc.Set, cabc.MutableSet})
_SEQUENCES: frozenset[Any] = _SETS | {list, tuple, cabc.Sequence, cabc.MutableSequence}
_MAPPINGS: frozenset[Any] = frozenset({dict, cabc.Mapping, cabc.MutableMapping})


class SchemaError(Exception):
    """A type that JSON Schema (as written here) cannot describe; ``path`` says where."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}" if path else problem)
        self.path = path
        self.problem = problem


@attrs.frozen
class Parameter:
    """A function parameter as a tool argument: its name, its type (``Annotated`` removed),
    whether it must be given, and whether it is passed by position only."""

    name: str
    annotation: Any
    required: bool
    positional_only: bool


def is_pydantic_model(tp: object) -> bool:
    """Whether ``tp`` is a pydantic model class (checked without importing pydantic: a program
    that has such a class has imported it)."""
    pydantic = sys.modules.get("pydantic")
    base = getattr(pydantic, "BaseModel", None)
    return isinstance(tp, type) and base is not None and issubclass(tp, base)


def _is_typeddict(tp: object) -> bool:
    return typing.is_typeddict(tp)


def is_structured_class(tp: object) -> bool:
    """Whether ``tp`` is a class a structured output can be read into: an attrs class, a
    dataclass, a TypedDict or a pydantic model."""
    return isinstance(tp, type) and (
        attrs.has(tp) or dataclasses.is_dataclass(tp) or _is_typeddict(tp) or is_pydantic_model(tp)
    )


def schema_of(tp: Any, *, strict: bool = False) -> dict[str, Any]:
    """The JSON Schema of ``tp``; raises :class:`SchemaError` naming the part it cannot write."""
    builder = _Builder(strict, root=tp)
    schema = builder.build(tp, "")
    return builder.finish(schema)


def object_schema(cls: type, *, strict: bool = True) -> dict[str, Any]:
    """The schema of a structured output's class (strict by default, as ``response_format``
    with ``strict: true`` wants it). A pydantic model is described by pydantic."""
    if is_pydantic_model(cls):
        made: dict[str, Any] = cls.model_json_schema()  # type: ignore[attr-defined]
        return made
    if not is_structured_class(cls):
        raise SchemaError(
            "", f"{_name(cls)} is not an attrs class, a dataclass, a TypedDict or a pydantic model"
        )
    return schema_of(cls, strict=strict)


def function_parameters(
    fn: Callable[..., Any], *, strict: bool = False
) -> tuple[dict[str, Any], list[Parameter]]:
    """The ``parameters`` schema of a tool function, and its parameters in order.

    Every parameter must be annotated; ``*args`` and ``**kwargs`` cannot be described. A
    parameter with a default is optional (in ``strict`` mode it is listed as required).
    """
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError) as exc:
        raise SchemaError("", f"has no signature to read ({exc})") from None
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except Exception as exc:
        raise SchemaError(
            "", f"its annotations do not resolve ({type(exc).__name__}: {exc})"
        ) from None
    builder = _Builder(strict)
    properties: dict[str, Any] = {}
    required: list[str] = []
    params: list[Parameter] = []
    for name, param in signature.parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            star = "*" if param.kind is param.VAR_POSITIONAL else "**"
            raise SchemaError(name, f"{star}{name} cannot be described as a JSON argument")
        if name not in hints:
            raise SchemaError(name, "has no type annotation")
        annotation = hints[name]
        properties[name] = builder.build(annotation, name)
        has_default = param.default is not param.empty
        if not has_default or strict:
            required.append(name)
        params.append(
            Parameter(
                name=name,
                annotation=_strip_annotated(annotation),
                required=not has_default,
                positional_only=param.kind is param.POSITIONAL_ONLY,
            )
        )
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }
    return builder.finish(schema), params


def _strip_annotated(tp: Any) -> Any:
    while get_origin(tp) is typing.Annotated:
        tp = get_args(tp)[0]
    return tp


def _name(tp: Any) -> str:
    return getattr(tp, "__qualname__", None) or getattr(tp, "__name__", None) or repr(tp)


def _join(path: str, part: str) -> str:
    if not path:
        return part
    return f"{path}{part}" if part.startswith("[") else f"{path}.{part}"


def _own_doc(cls: type) -> str | None:
    doc = cls.__dict__.get("__doc__")
    if not isinstance(doc, str) or not doc.strip():
        return None
    # A dataclass without a docstring gets its signature as one: no description.
    if dataclasses.is_dataclass(cls) and doc.startswith(f"{cls.__name__}("):
        return None
    return inspect.cleandoc(doc)


class _Builder:
    """Writes one schema; remembers the classes being written, to find the recursive ones."""

    def __init__(self, strict: bool, root: Any = None) -> None:
        self.strict = strict
        # The class the whole schema describes (refers to itself as "#"); None for a tool's
        # parameters, whose root is the function.
        self.root = root
        self.stack: list[type] = []
        self.recursive: set[type] = set()
        self.defs: dict[str, dict[str, Any]] = {}
        self.def_names: dict[type, str] = {}

    def finish(self, schema: dict[str, Any]) -> dict[str, Any]:
        if self.defs:
            schema = {**schema, "$defs": dict(self.defs)}
        return schema

    def ref_name(self, cls: type) -> str:
        name = self.def_names.get(cls)
        if name is None:
            base = _name(cls).replace(".", "_").replace("<", "").replace(">", "")
            name, n = base, 1
            while name in self.def_names.values():
                n += 1
                name = f"{base}{n}"
            self.def_names[cls] = name
        return name

    def build(self, tp: Any, path: str) -> dict[str, Any]:
        origin = get_origin(tp)
        if origin is typing.Annotated:
            inner, *meta = get_args(tp)
            schema = dict(self.build(inner, path))
            text = next((m for m in meta if isinstance(m, str)), None)
            if text is not None:
                schema["description"] = text
            return schema
        if origin in (Required, NotRequired):
            return self.build(get_args(tp)[0], path)
        if tp is Any or tp is object:
            return {}
        if tp in _PRIMITIVES:
            return {"type": _PRIMITIVES[tp]}
        if isinstance(tp, typing.NewType):
            return self.build(tp.__supertype__, path)
        if type(tp).__name__ == "TypeAliasType":  # ``type X = ...`` (Python 3.12)
            return self.build(tp.__value__, path)
        if origin is Literal:
            return _enum_schema(list(get_args(tp)), path)
        if origin is Union or origin is types.UnionType:
            return {"anyOf": [self.build(arg, path) for arg in get_args(tp)]}
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return _enum_schema([member.value for member in tp], path)
        if tp in _SEQUENCES or origin in _SEQUENCES:
            return self.sequence(tp, origin or tp, path)
        if tp in _MAPPINGS or origin in _MAPPINGS:
            args = get_args(tp)
            if args and _strip_annotated(args[0]) is not str:
                raise SchemaError(path, f"a JSON object's keys are strings, not {_name(args[0])}")
            if not args:
                return {"type": "object"}
            return {
                "type": "object",
                "additionalProperties": self.build(args[1], _join(path, "[*]")),
            }
        if isinstance(tp, type) and (
            attrs.has(tp) or dataclasses.is_dataclass(tp) or _is_typeddict(tp)
        ):
            return self.cls(tp, path)
        if is_pydantic_model(tp):
            raise SchemaError(
                path, "a pydantic model is supported as the whole output's class only"
            )
        raise SchemaError(path, f"cannot describe {_name(tp)} in JSON Schema")

    def sequence(self, tp: Any, origin: Any, path: str) -> dict[str, Any]:
        args = get_args(tp)
        item_path = _join(path, "[*]")
        if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
            if args == ((),):  # ``tuple[()]``
                return {"type": "array", "maxItems": 0}
            return {
                "type": "array",
                "prefixItems": [
                    self.build(arg, _join(path, f"[{i}]")) for i, arg in enumerate(args)
                ],
                "minItems": len(args),
                "maxItems": len(args),
            }
        schema: dict[str, Any] = {"type": "array"}
        if args:
            schema["items"] = self.build(args[0], item_path)
        if origin in _SETS:
            schema["uniqueItems"] = True
        return schema

    def cls(self, cls: type, path: str) -> dict[str, Any]:
        if cls in self.stack:
            self.recursive.add(cls)
            if cls is self.root:
                return {"$ref": "#"}
            return {"$ref": f"#/$defs/{self.ref_name(cls)}"}
        if cls in self.recursive and cls is not self.root:
            return {"$ref": f"#/$defs/{self.ref_name(cls)}"}
        self.stack.append(cls)
        try:
            schema = self.fields(cls, path)
        finally:
            self.stack.pop()
        if cls in self.recursive and cls is not self.root:
            name = self.ref_name(cls)
            self.defs[name] = schema
            return {"$ref": f"#/$defs/{name}"}
        return schema

    def fields(self, cls: type, path: str) -> dict[str, Any]:
        try:
            hints = typing.get_type_hints(cls, include_extras=True)
        except Exception as exc:
            raise SchemaError(
                path, f"the annotations of {_name(cls)} do not resolve ({exc})"
            ) from None
        if attrs.has(cls):
            names = [
                (a.name, a.alias or a.name, a.default is not attrs.NOTHING)
                for a in attrs.fields(cls)
                if a.init
            ]
        elif dataclasses.is_dataclass(cls):
            names = [
                (
                    f.name,
                    f.name,
                    f.default is not dataclasses.MISSING
                    or f.default_factory is not dataclasses.MISSING,
                )
                for f in dataclasses.fields(cls)
                if f.init
            ]
        else:
            required_keys = getattr(cls, "__required_keys__", frozenset(hints))
            # The hints' own Required / NotRequired win: under ``from __future__ import
            # annotations`` Python 3.11 cannot see them when it computes ``__required_keys__``.
            names = [
                (
                    name,
                    name,
                    get_origin(hint) is NotRequired
                    or (name not in required_keys and get_origin(hint) is not Required),
                )
                for name, hint in hints.items()
            ]
        properties: dict[str, Any] = {}
        required: list[str] = []
        for name, key, optional in names:
            if name not in hints:
                raise SchemaError(_join(path, key), "has no type annotation")
            properties[key] = self.build(hints[name], _join(path, key))
            if self.strict or not optional:
                required.append(key)
        schema: dict[str, Any] = {"type": "object"}
        doc = _own_doc(cls)
        if doc:
            schema["description"] = doc
        schema.update(properties=properties, required=required, additionalProperties=False)
        return schema


def _enum_schema(values: list[Any], path: str) -> dict[str, Any]:
    kinds: list[str] = []
    for value in values:
        kind = next((name for tp, name in _PRIMITIVES.items() if type(value) is tp), None)
        if value is None:
            kind = "null"
        if kind is None:
            raise SchemaError(path, f"the value {value!r} cannot be written in JSON")
        if kind not in kinds:
            kinds.append(kind)
    schema: dict[str, Any] = {"enum": list(values)}
    if len(kinds) == 1:
        schema = {"type": kinds[0], **schema}
    elif kinds:
        schema = {"type": kinds, **schema}
    return schema
