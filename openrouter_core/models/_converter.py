"""The one cattrs converter of the package, built lazily on first use, and its hooks.

Structuring is strict about JSON types (no ``"5"`` -> ``5`` coercion) and fast: the generated
cattrs functions run without detailed validation, and only when one of them fails is the input
walked again, field by field with the same hooks, to find the path of the first problem.

Reading is tolerant by default (responses): unknown keys go to ``extras`` and an unknown tag of a
response-side union becomes its "unknown" variant. Reading a request sets ``_STRICT``, which turns
both into errors (``temprature: unknown field``), except for classes whose schema is open.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Literal, TypeVar, Union, get_args, get_origin

import attrs
from returns.result import Failure, Result, Success

from openrouter_core.errors import ResponseValidationError
from openrouter_core.models._base import WireModel

if TYPE_CHECKING:
    import cattrs

__all__ = ["ModelError", "get_converter", "read_response", "structure", "unstructure"]

T = TypeVar("T")
Hook = Callable[[Any, Any], Any]

_STRICT: ContextVar[bool] = ContextVar("openrouter_core_models_strict", default=False)
_MISSING: Any = object()
_NONE_TYPE = type(None)

_JSON_NAMES: dict[type, str] = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    _NONE_TYPE: "null",
}


class ModelError(Exception):
    """A conversion problem at ``path`` (a list of keys and indexes, outermost first)."""

    def __init__(self, path: list[str | int], problem: str) -> None:
        super().__init__(problem)
        self.path = path
        self.problem = problem

    @property
    def dotted(self) -> str:
        """The path as ``messages[2].content[0].type``."""
        out = ""
        for part in self.path:
            if isinstance(part, int):
                out += f"[{part}]"
            else:
                out += f".{part}" if out else part
        return out


def _json_name(value: object) -> str:
    for cls, name in _JSON_NAMES.items():
        if type(value) is cls:
            return name
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def _expected(what: str, value: object) -> ModelError:
    return ModelError([], f"expected {what}, got {_json_name(value)}")


def _as_error(exc: BaseException) -> ModelError:
    if isinstance(exc, ModelError):
        return exc
    if isinstance(exc, KeyError):
        return ModelError([], "required field missing")
    if isinstance(exc, RecursionError):
        return ModelError([], "nested too deeply")
    return ModelError([], f"invalid value ({type(exc).__name__}: {exc})")


# --- primitives ---------------------------------------------------------------------------------


def _str(value: Any, _: Any = None) -> str:
    if type(value) is str:
        return value
    raise _expected("string", value)


def _int(value: Any, _: Any = None) -> int:
    if type(value) is int:
        return value
    raise _expected("integer", value)


def _float(value: Any, _: Any = None) -> float:
    # A JSON number may be written without a fraction; keep it as sent so it round-trips.
    if type(value) is float or type(value) is int:
        return value
    raise _expected("number", value)


def _bool(value: Any, _: Any = None) -> bool:
    if type(value) is bool:
        return value
    raise _expected("boolean", value)


def _any(value: Any, _: Any = None) -> Any:
    return value


def _mapping(value: Any) -> dict[str, Any]:
    if type(value) is dict:
        return value
    if isinstance(value, Mapping):
        return dict(value)
    raise _expected("object", value)


# --- hook factories -----------------------------------------------------------------------------


def _literal_hook(tp: Any) -> Hook:
    values = frozenset(get_args(tp))
    shown = " or ".join(repr(v) for v in get_args(tp))

    def hook(value: Any, _: Any = None) -> Any:
        if type(value) is str and value in values:
            return value
        if type(value) is str:
            raise ModelError([], f"expected {shown}, got {value!r}")
        raise _expected(shown, value)

    return hook


def _list_hook(conv: cattrs.Converter, tp: Any) -> Hook:
    args = get_args(tp)
    elem_type = args[0] if args else Any
    elem = conv.get_structure_hook(elem_type)

    def hook(value: Any, _: Any = None) -> list[Any]:
        if type(value) is not list:
            if type(value) is not tuple:
                raise _expected("array", value)
            value = list(value)
        try:
            return [elem(item, elem_type) for item in value]
        except Exception:
            for index, item in enumerate(value):
                try:
                    elem(item, elem_type)
                except Exception as exc:
                    err = _as_error(exc)
                    err.path.insert(0, index)
                    raise err from None
            raise

    return hook


def _dict_hook(conv: cattrs.Converter, tp: Any) -> Hook:
    args = get_args(tp)
    val_type = args[1] if len(args) == 2 else Any
    if val_type is Any:

        def plain(value: Any, _: Any = None) -> dict[str, Any]:
            out = dict(_mapping(value))
            for key in out:
                if type(key) is not str:
                    raise ModelError([], f"expected string keys, got {_json_name(key)}")
            return out

        return plain
    val = conv.get_structure_hook(val_type)

    def typed(value: Any, _: Any = None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, item in _mapping(value).items():
            if type(key) is not str:
                raise ModelError([], f"expected string keys, got {_json_name(key)}")
            try:
                out[key] = val(item, val_type)
            except Exception as exc:
                err = _as_error(exc)
                err.path.insert(0, key)
                raise err from None
        return out

    return typed


def _wire_names(cls: type) -> list[attrs.Attribute[Any]]:
    return [a for a in attrs.fields(cls) if a.name != "extras"]


def _class_hook(conv: cattrs.Converter, cls: type[WireModel]) -> Hook:
    from cattrs.gen import make_dict_structure_fn, override

    base = make_dict_structure_fn(
        cls,
        conv,
        _cattrs_forbid_extra_keys=False,
        _cattrs_detailed_validation=False,
        extras=override(omit=True),
    )
    fields = _wire_names(cls)
    known = frozenset(a.name for a in fields)
    covers = known.issuperset
    open_ = cls._open

    def locate(value: dict[str, Any], exc: Exception) -> ModelError:
        for a in fields:
            if a.name not in value:
                if a.default is attrs.NOTHING:
                    return ModelError([a.name], "required field missing")
                continue
            try:
                conv.get_structure_hook(a.type)(value[a.name], a.type)
            except Exception as inner:
                err = _as_error(inner)
                err.path.insert(0, a.name)
                return err
        return _as_error(exc)

    def hook(value: Any, _: Any = None) -> WireModel:
        if type(value) is not dict:
            value = _mapping(value)
        try:
            obj = base(value, cls)
        except Exception as exc:
            raise locate(value, exc) from None
        if not covers(value):
            extras = {k: v for k, v in value.items() if k not in known}
            if not open_ and _STRICT.get():
                first, *rest = extras
                also = f" (also unknown: {', '.join(map(repr, rest))})" if rest else ""
                raise ModelError([first], f"unknown field{also}")
            obj.extras = extras
        return obj

    return hook


def _class_unhook(conv: cattrs.Converter, cls: type[WireModel]) -> Callable[[Any], Any]:
    from cattrs.gen import make_dict_unstructure_fn, override

    overrides: dict[str, Any] = {
        a.name: override(omit_if_default=True)
        for a in _wire_names(cls)
        if a.default is None and a.name not in cls._always_emit
    }
    base = make_dict_unstructure_fn(
        cls, conv, _cattrs_omit_if_default=False, extras=override(omit=True), **overrides
    )

    def unhook(obj: WireModel) -> dict[str, Any]:
        out = base(obj)
        if obj.extras:
            out.update(obj.extras)
        return out

    return unhook


class _Tagged:
    """A union of models told apart by a tag key, with an optional fallback for unknown tags."""

    def __init__(
        self,
        tag: str,
        variants: Mapping[str, type[WireModel]],
        what: str,
        unknown: type[WireModel] | None = None,
        *,
        unknown_always: bool = False,
    ) -> None:
        self.tag = tag
        self.variants = dict(variants)
        self.what = what
        self.unknown = unknown
        # ``unknown`` is a regular variant (taken even when strict), not a tolerance fallback.
        self.unknown_always = unknown_always
        self._hook: Hook | None = None

    @property
    def members(self) -> frozenset[type]:
        found: set[type] = set(self.variants.values())
        if self.unknown is not None:
            found.add(self.unknown)
        return frozenset(found)

    def hook(self, conv: cattrs.Converter) -> Hook:
        """The structure hook (built once)."""
        if self._hook is None:
            self._hook = self._make(conv)
        return self._hook

    def _make(self, conv: cattrs.Converter) -> Hook:
        tag_name = self.tag
        what = self.what
        hooks = {tag: (conv.get_structure_hook(cls), cls) for tag, cls in self.variants.items()}
        unknown = self.unknown
        unknown_hook = conv.get_structure_hook(unknown) if unknown is not None else None
        always = self.unknown_always

        def hook(value: Any, _: Any = None) -> Any:
            if type(value) is not dict:
                value = _mapping(value)
            tag = value.get(tag_name, _MISSING)
            found = hooks.get(tag) if type(tag) is str else None
            if found is not None:
                return found[0](value, found[1])
            if tag is _MISSING:
                raise ModelError([tag_name], "required field missing")
            if type(tag) is not str:
                raise ModelError([tag_name], f"expected string, got {_json_name(tag)}")
            if unknown_hook is not None and (always or not _STRICT.get()):
                return unknown_hook(value, unknown)
            raise ModelError([tag_name], f"unknown {what} {tag!r}")

        return hook


def _union_hook(conv: cattrs.Converter, tp: Any, tagged: Mapping[frozenset[type], _Tagged]) -> Hook:
    args = get_args(tp)
    nullable = _NONE_TYPE in args
    rest = [a for a in args if a is not _NONE_TYPE]
    models = frozenset(a for a in rest if isinstance(a, type) and issubclass(a, WireModel))
    if len(models) > 1:
        model_hook: Hook | None = tagged[models].hook(conv)
    elif models:
        model_hook = conv.get_structure_hook(next(iter(models)))
    else:
        model_hook = None
    model_type = next(iter(models)) if len(models) == 1 else None

    if nullable and len(rest) == 1:
        inner = rest[0]
        inner_hook = conv.get_structure_hook(inner)

        def optional(value: Any, _: Any = None) -> Any:
            if value is None:
                return None
            return inner_hook(value, inner)

        return optional

    literals: frozenset[str] = frozenset()
    for a in rest:
        if get_origin(a) is Literal:
            literals |= frozenset(get_args(a))
    plain = {a for a in rest if a in (str, int, float, bool)}
    list_types = [a for a in rest if get_origin(a) is list]
    list_type = list_types[0] if list_types else None
    list_hook = conv.get_structure_hook(list_type) if list_type is not None else None
    dict_types = [a for a in rest if get_origin(a) is dict]
    dict_type = dict_types[0] if dict_types else None
    dict_hook = conv.get_structure_hook(dict_type) if dict_type is not None else None

    names = []
    if literals:
        names.append(" or ".join(sorted(map(repr, literals))))
    names += [_JSON_NAMES[a] for a in (str, int, float, bool) if a in plain]
    if list_type is not None:
        names.append("array")
    if model_hook is not None or dict_type is not None:
        names.append("object")
    if nullable:
        names.append("null")
    shown = " or ".join(names)

    def hook(value: Any, _: Any = None) -> Any:
        kind = type(value)
        if value is None:
            if nullable:
                return None
        elif kind is str:
            if str in plain or value in literals:
                return value
            if literals:
                raise ModelError([], f"expected {shown}, got {value!r}")
        elif kind is bool:
            if bool in plain:
                return value
        elif kind is int:
            if int in plain or float in plain:
                return value
        elif kind is float:
            if float in plain:
                return value
        elif kind is list or kind is tuple:
            if list_hook is not None:
                return list_hook(value, list_type)
        elif isinstance(value, Mapping):
            if model_hook is not None:
                return model_hook(value, model_type)
            if dict_hook is not None:
                return dict_hook(value, dict_type)
        raise _expected(shown, value)

    return hook


def _is_union(tp: Any) -> bool:
    origin = get_origin(tp)
    return origin is Union or origin is types.UnionType


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, WireModel)


def _unstructure_any(value: Any) -> Any:
    return value


def _build() -> cattrs.Converter:
    import cattrs

    from openrouter_core.models import _unions

    conv = cattrs.Converter(detailed_validation=False, forbid_extra_keys=False)

    for tp, fn in ((str, _str), (int, _int), (float, _float), (bool, _bool)):
        conv.register_structure_hook(tp, fn)
    conv.register_structure_hook_func(_is_any, _any)
    conv.register_structure_hook_factory(_is_literal, _literal_hook)
    conv.register_structure_hook_factory(_is_list, functools.partial(_list_hook, conv))
    conv.register_structure_hook_factory(_is_dict, functools.partial(_dict_hook, conv))
    conv.register_structure_hook_factory(_is_model, lambda t: _class_hook(conv, t))

    # Tagged-union hooks are built on first request, after every factory is registered.
    tagged: dict[frozenset[type], _Tagged] = {spec.members: spec for spec in _unions.TAGGED}
    conv.register_structure_hook_factory(
        lambda t: _is_union(t) and not _is_tagged(t, tagged),
        lambda t: _union_hook(conv, t, tagged),
    )
    for spec in _unions.TAGGED:
        conv.register_structure_hook_factory(
            functools.partial(_same_union, spec.members),
            functools.partial(_tagged_factory, conv, spec),
        )

    conv.register_unstructure_hook_factory(_is_model, lambda t: _class_unhook(conv, t))
    conv.register_unstructure_hook_factory(_is_plain_dict, _copy_dict_factory)
    conv.register_unstructure_hook_func(_is_any, _unstructure_any)
    return conv


def _copy_dict(value: Any) -> Any:
    return dict(value)


def _copy_dict_factory(_: Any) -> Callable[[Any], Any]:
    return _copy_dict


def _is_any(tp: Any) -> bool:
    return tp is Any


def _is_literal(tp: Any) -> bool:
    return get_origin(tp) is Literal


def _is_list(tp: Any) -> bool:
    return get_origin(tp) is list or tp is list


def _is_dict(tp: Any) -> bool:
    return get_origin(tp) is dict or tp is dict


def _is_plain_dict(tp: Any) -> bool:
    return _is_dict(tp) and get_args(tp)[1:] in ((Any,), ())


def _tagged_factory(conv: cattrs.Converter, spec: _Tagged, _: Any) -> Hook:
    return spec.hook(conv)


def _same_union(members: frozenset[type], tp: Any) -> bool:
    return _is_union(tp) and frozenset(get_args(tp)) == members


def _is_tagged(tp: Any, tagged: Mapping[frozenset[type], _Tagged]) -> bool:
    return frozenset(get_args(tp)) in tagged


@functools.cache
def get_converter() -> cattrs.Converter:
    """The package's single converter, built on the first call."""
    return _build()


def structure(data: object, cls: type[T], *, strict: bool) -> T:
    """Read ``data`` into ``cls``; raises :class:`ModelError` (and nothing else) when it can't."""
    hook = get_converter().get_structure_hook(cls)
    token = _STRICT.set(True) if strict else None
    try:
        return hook(data, cls)  # type: ignore[no-any-return]
    except ModelError:
        raise
    except Exception as exc:
        raise _as_error(exc) from None
    finally:
        if token is not None:
            _STRICT.reset(token)


def unstructure(obj: WireModel) -> dict[str, Any]:
    """The wire JSON object of a model."""
    return get_converter().get_unstructure_hook(type(obj))(obj)  # type: ignore[no-any-return]


def read_response(data: object, cls: type[T]) -> Result[T, ResponseValidationError]:
    """Read a response-side model tolerantly; a problem is a ``ResponseValidationError``."""
    try:
        return Success(structure(data, cls, strict=False))
    except ModelError as err:
        path = err.dotted
        return Failure(
            ResponseValidationError(
                message=f"{path}: {err.problem}" if path else err.problem,
                path=path,
                problem=err.problem,
            )
        )
