"""Reading JSON into the caller's own types (a tool's arguments, a structured output's class).

A ``cattrs.Converter`` of its own, not the library's ``openrouter_core.converter``: that one is
configured for the API's models, and registering the caller's classes on it would change what
every other call reads. This one checks JSON types as strictly as the library's does (no
``"5"`` -> ``5``, no string read as a list of characters), forbids unknown keys, and tries a
union's members in order. Its errors are turned into one line per problem with the path of
each (``city: expected string, got integer``).
"""

from __future__ import annotations

import collections.abc as cabc
import enum
import functools
import types
import typing
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

import cattrs

from openrouter_core.json_schema import is_pydantic_model
from openrouter_core.models._converter import JSON_NAMES, json_name

__all__ = ["converter", "describe_error", "read_as", "to_json_value"]

T = TypeVar("T")
_NONE = type(None)


class _MismatchError(ValueError):
    """A JSON value of the wrong kind; its text is shown as it is."""


def _expected(what: str, value: object) -> _MismatchError:
    return _MismatchError(f"expected {what}, got {json_name(value)}")


def _str(value: Any, _: Any) -> str:
    if type(value) is str:
        return value
    raise _expected("string", value)


def _int(value: Any, _: Any) -> int:
    if type(value) is int:
        return value
    # 3.0 is the integer 3 in JSON's eyes; 3.5 is not.
    if type(value) is float and value.is_integer():
        return int(value)
    raise _expected("integer", value)


def _float(value: Any, _: Any) -> float:
    if type(value) is float or type(value) is int:
        return float(value)
    raise _expected("number", value)


def _bool(value: Any, _: Any) -> bool:
    if type(value) is bool:
        return value
    raise _expected("boolean", value)


def _none(value: Any, _: Any) -> None:
    if value is not None:
        raise _expected("null", value)


def _literal(tp: Any) -> Any:
    values = get_args(tp)
    shown = ", ".join(repr(v) for v in values)

    def hook(value: Any, _: Any) -> Any:
        for allowed in values:
            # ``1 == True``: the JSON kind must match too.
            if type(value) is type(allowed) and value == allowed:
                return allowed
        raise _MismatchError(f"expected one of {shown}, got {value!r}")

    return hook


def _enum(value: Any, tp: Any) -> Any:
    for member in tp:
        if type(value) is type(member.value) and value == member.value:
            return member
    shown = ", ".join(repr(m.value) for m in tp)
    raise _MismatchError(f"expected one of {shown}, got {value!r}")


def _is_union(tp: Any) -> bool:
    origin = get_origin(tp)
    return origin is Union or origin is types.UnionType


def _union(conv: cattrs.Converter, tp: Any) -> Any:
    members = get_args(tp)
    nullable = _NONE in members
    rest = [m for m in members if m is not _NONE]
    shown = " or ".join([_type_name(m) for m in rest] + (["null"] if nullable else []))

    def hook(value: Any, _: Any) -> Any:
        if value is None and nullable:
            return None
        problems: list[BaseException] = []
        for member in rest:
            try:
                return conv.structure(value, member)
            except Exception as exc:
                problems.append(exc)
        # One member of the value's own kind says best what is wrong inside it.
        if len(rest) == 1:
            raise problems[0]
        raise _expected(shown, value)

    return hook


_SET_ORIGINS = (set, frozenset, cabc.Set, cabc.MutableSet)
_SEQ_ORIGINS = (list, tuple, cabc.Sequence, cabc.MutableSequence, *_SET_ORIGINS)
_MAP_ORIGINS = (dict, cabc.Mapping, cabc.MutableMapping)


def _is_sequence(tp: Any) -> bool:
    return (get_origin(tp) or tp) in _SEQ_ORIGINS


def _sequence(conv: cattrs.Converter, tp: Any) -> Any:
    origin = get_origin(tp) or tp
    args = get_args(tp)
    if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
        fixed = [a for a in args if a != ()]

        def fixed_hook(value: Any, _: Any) -> Any:
            if type(value) is not list:
                raise _expected("array", value)
            if len(value) != len(fixed):
                raise _MismatchError(f"expected {len(fixed)} items, got {len(value)}")
            return tuple(conv.structure(v, a) for v, a in zip(value, fixed, strict=True))

        return fixed_hook
    item = args[0] if args else Any
    as_list = cattrs.cols.list_structure_factory(list[item], conv)  # type: ignore[valid-type]
    make: Any = list
    if origin is tuple:
        make = tuple
    elif origin in (frozenset, cabc.Set):
        make = frozenset
    elif origin in _SET_ORIGINS:
        make = set

    def hook(value: Any, _: Any) -> Any:
        if type(value) is not list:
            raise _expected("array", value)
        items = as_list(value, list[item])  # type: ignore[valid-type]
        return items if make is list else make(items)

    return hook


def _is_mapping(tp: Any) -> bool:
    return (get_origin(tp) or tp) in _MAP_ORIGINS


def _mapping(conv: cattrs.Converter, tp: Any) -> Any:
    args = get_args(tp)
    value_type = args[1] if len(args) == 2 else Any
    as_dict = cattrs.cols.mapping_structure_factory(dict[str, value_type], conv)  # type: ignore[valid-type]

    def hook(value: Any, _: Any) -> Any:
        if type(value) is not dict:
            raise _expected("object", value)
        return as_dict(value, dict[str, value_type])  # type: ignore[valid-type]

    return hook


def _is_literal(tp: Any) -> bool:
    return get_origin(tp) is Literal


def _type_name(tp: Any) -> str:
    if tp in JSON_NAMES:
        return JSON_NAMES[tp]
    origin = get_origin(tp)
    if origin is Literal:
        return " or ".join(repr(v) for v in get_args(tp))
    if _is_sequence(tp):
        return "array"
    if _is_mapping(tp) or isinstance(tp, type):
        return "object"
    return str(tp)


@functools.cache
def converter() -> cattrs.Converter:
    """The converter that reads the caller's types (built on first use)."""
    conv = cattrs.Converter(forbid_extra_keys=True)
    for tp, hook in ((str, _str), (int, _int), (float, _float), (bool, _bool), (_NONE, _none)):
        conv.register_structure_hook(tp, hook)
    conv.register_structure_hook_factory(_is_literal, _literal)
    # By class, as the primitives are (cattrs looks those up first): an IntEnum or a StrEnum
    # would otherwise be read by the int or str hook.
    for base in (enum.Enum, enum.IntEnum, enum.StrEnum, enum.IntFlag):
        conv.register_structure_hook(base, _enum)
    conv.register_structure_hook_factory(_is_sequence, lambda tp: _sequence(conv, tp))
    conv.register_structure_hook_factory(_is_mapping, lambda tp: _mapping(conv, tp))
    conv.register_structure_hook_factory(_is_union, lambda tp: _union(conv, tp))
    return conv


def _format(exc: BaseException, tp: type | None) -> str:
    if isinstance(exc, _MismatchError):
        return str(exc)
    if isinstance(exc, KeyError):
        return "required field missing"
    if isinstance(exc, cattrs.ForbiddenExtraKeysError):
        return f"unexpected fields: {', '.join(sorted(exc.extra_fields))}"
    return cattrs.v.format_exception(exc, tp)


def describe_error(exc: BaseException, path: str = "$") -> str:
    """One line per problem in ``exc`` (raised by the converter), each with its path."""
    lines = cattrs.transform_error(exc, path=path, format_exception=_format)
    shown = []
    for line in lines:
        # cattrs writes "<problem> @ <path>"; the path first reads better in a tool message.
        problem, _, where = line.rpartition(" @ ")
        if not problem:
            shown.append(line)
        elif where == "$":
            shown.append(problem)
        else:
            shown.append(f"{where.removeprefix('$.')}: {problem}")
    return "; ".join(shown)


def read_as(value: Any, tp: type[T] | Any) -> T:
    """``value`` (parsed JSON) as ``tp``; raises whatever the converter raises."""
    if is_pydantic_model(tp):
        return typing.cast(T, typing.cast(Any, tp).model_validate(value, strict=False))
    return typing.cast(T, converter().structure(value, tp))


def to_json_value(value: Any) -> Any:
    """``value`` as plain JSON values (attrs classes, dataclasses and enums written out)."""
    if is_pydantic_model(type(value)):
        return value.model_dump(mode="json")
    return converter().unstructure(value)
