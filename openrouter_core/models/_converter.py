"""The one converter of the package (JSON values to models and back), built lazily, and its hooks.

Structuring is strict about JSON types (no ``"5"`` -> ``5`` coercion) and fast: for each model
class the converter generates one reader and one writer (written ahead of time for the package's
models, compiled on first call for others; see "the fast path" below) with the common type
checks inline. Whatever such a reader declines goes to the class's plain hook, which reads the
object field by field with the same hooks and names the path of the first problem; so errors
read exactly as they would without the fast path.

Reading is tolerant by default (responses): unknown keys go to ``extras`` and an unknown tag of a
response-side union becomes its "unknown" variant. Reading a request sets ``_STRICT``, which turns
both into errors (``temprature: unknown field``), except for classes whose schema is open.
"""

from __future__ import annotations

import functools
import importlib
import linecache
import threading
import types
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

from returns.result import Failure, Result, Success

from openrouter_core._record import Field, fields, resolve_types
from openrouter_core.errors import InvalidRequestError, ResponseValidationError
from openrouter_core.models._base import WireModel

__all__ = [
    "Converter",
    "ModelError",
    "get_converter",
    "read_request",
    "read_response",
    "reader",
    "register_tagged",
    "structure",
    "unstructure",
]

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

    _SHAPES[hook] = ("literal", values)
    return hook


def _list_hook(conv: Converter, tp: Any) -> Hook:
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

    _SHAPES[hook] = ("list", elem_type)
    return hook


def _dict_hook(conv: Converter, tp: Any) -> Hook:
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


def _wire_names(cls: type[WireModel]) -> list[Field]:
    return [a for a in resolve_types(cls) if a.name != "extras"]


def _class_hook(conv: Converter, cls: type[WireModel]) -> Hook:
    """The plain reader of ``cls``: field by field, naming the path of the first problem."""
    fields_ = _wire_names(cls)
    known = frozenset(a.name for a in fields_)
    covers = known.issuperset
    open_ = cls._open
    needs = cls._needs
    strict_required = cls._strict_required

    def hook(value: Any, _: Any = None) -> WireModel:
        if type(value) is not dict:
            value = _mapping(value)
        strict = _STRICT.get()
        # A field the client needs must read; when reading tolerantly, any other field that
        # does not is left at its default and kept raw, to come back out through ``extras``.
        kwargs: dict[str, Any] = {}
        kept: dict[str, Any] = {}
        for a in fields_:
            if a.name not in value:
                if a.required:
                    raise ModelError([a.name], "required field missing")
                continue
            try:
                kwargs[a.name] = conv.get_structure_hook(a.type)(value[a.name], a.type)
            except Exception as inner:
                if strict or a.name in needs or a.required:
                    err = _as_error(inner)
                    err.path.insert(0, a.name)
                    raise err from None
                kept[a.name] = value[a.name]
        obj = cls(**kwargs)
        if strict and strict_required:
            for name in sorted(strict_required):
                if value.get(name) is None:
                    problem = "required field missing" if name not in value else "must not be null"
                    raise ModelError([name], problem)
        if not covers(value):
            extras = {k: v for k, v in value.items() if k not in known}
            if not open_ and strict:
                first, *rest = extras
                also = f" (also unknown: {', '.join(map(repr, rest))})" if rest else ""
                raise ModelError([first], f"unknown field{also}")
            obj.extras = extras
        if kept:
            obj.extras = {**obj.extras, **kept}
        obj._received = value
        return obj

    return hook


def _class_unhook(conv: Converter, cls: type[WireModel]) -> Callable[[Any], Any]:
    """The plain writer of ``cls``: the fields always written, then the set optional ones."""
    fields_ = _wire_names(cls)
    omitted = [
        (a.name, a.type) for a in fields_ if a.default is None and a.name not in cls._always_emit
    ]
    written = [(a.name, a.type) for a in fields_ if (a.name, a.type) not in omitted]

    def unhook(obj: WireModel) -> dict[str, Any]:
        out = {name: conv.get_unstructure_hook(tp)(getattr(obj, name)) for name, tp in written}
        for name, tp in omitted:
            value = getattr(obj, name)
            if value is not None:
                out[name] = conv.get_unstructure_hook(tp)(value)
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
        # Built once per converter (the tests build a second, reference converter).
        self._hooks: dict[int, tuple[Converter, Hook]] = {}

    @property
    def members(self) -> frozenset[type]:
        found: set[type] = set(self.variants.values())
        if self.unknown is not None:
            found.add(self.unknown)
        return frozenset(found)

    def hook(self, conv: Converter) -> Hook:
        """The structure hook (built once per converter)."""
        found = self._hooks.get(id(conv))
        if found is None or found[0] is not conv:
            found = self._hooks[id(conv)] = (conv, self._make(conv))
        return found[1]

    def _make(self, conv: Converter) -> Hook:
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

        _SHAPES[hook] = ("tagged", self)
        return hook


#: The tagged unions, by their member classes: each module that defines one registers it.
TAGGED: dict[frozenset[type], _Tagged] = {}


def register_tagged(*specs: _Tagged) -> None:
    """Make the tagged unions ``specs`` known to the converter (called by the module that
    defines their classes, when it is imported)."""
    for spec in specs:
        TAGGED[spec.members] = spec


def _union_hook(conv: Converter, tp: Any, tagged: Mapping[frozenset[type], _Tagged]) -> Hook:
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

        _SHAPES[optional] = ("optional", inner)
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

    _SHAPES[hook] = ("union", nullable, frozenset(plain), literals)
    return hook


def _is_union(tp: Any) -> bool:
    origin = get_origin(tp)
    return origin is Union or origin is types.UnionType


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, WireModel)


def _unstructure_any(value: Any) -> Any:
    return value


# --- the fast path: per-class generated readers and writers --------------------------------------
#
# For every model class the converter's hook factory generates (once, on first use of the class)
# the source of one reader function and one writer function. The reader checks the JSON types of
# the common shapes inline (strings, numbers, literals, optionals, lists, nested models, tagged
# unions) and builds the object directly; anything else is handed to the converter's hook for
# that type. On *any* problem the reader gives the whole object to the slow hook
# (:func:`_class_hook`, built on first need), which either reads it (a tuple, a non-dict mapping)
# or raises the precise error; so errors, and every value the fast path declines, are exactly
# those of the slow path.
#
# For the package's own models the same source is written ahead of time by ``make generate``
# (tools/readers.py, into ``openrouter_core/models/_readers/``), so a fresh process compiles none
# of it; a class defined elsewhere gets its functions compiled on first use.


class _FastPathError(Exception):
    """Raised inside a generated reader when the input needs the slow path."""


#: How to inline a structure hook the converter returned: ``(kind, *details)``.
_SHAPES: dict[Any, tuple[Any, ...]] = {
    _str: ("prim", "str"),
    _int: ("prim", "int"),
    _bool: ("prim", "bool"),
    _float: ("float",),
    _any: ("any",),
}


class _Source:
    """Python source being generated, with the objects it refers to by name."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.env: dict[str, Any] = {"_FastPathError": _FastPathError}
        self._count = 0

    def ref(self, obj: Any, hint: str) -> str:
        for name, known in self.env.items():
            if known is obj and name.startswith(f"_{hint}"):
                return name
        name = f"_{hint}{len(self.env)}"
        self.env[name] = obj
        return name

    def var(self, hint: str = "v") -> str:
        self._count += 1
        return f"{hint}{self._count}"

    def compile(self, name: str, module: str, namespace: dict[str, Any]) -> Any:
        """Run the source in ``namespace`` (after adding the objects it refers to); the function
        ``name`` it defines."""
        text = "\n".join(self.lines) + "\n"
        filename = f"<openrouter_core generated {module}.{name}>"
        code = compile(text, filename, "exec")
        # Registered so that tracebacks and debuggers can show the generated source.
        linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
        namespace.update(self.env)
        exec(code, namespace)
        return namespace[name]


_GENERATING = threading.RLock()


def _deferred(name: str, module: str, params: str, generate: Callable[[], _Source]) -> Any:
    """A function ``name(params)`` whose body is generated and compiled on its first call.

    The converter, the tagged-union tables and the other generated functions hold this very
    function object; its code is replaced in place, so no call goes through an extra layer and
    only the classes that are actually met get compiled.
    """
    namespace: dict[str, Any] = {}

    def first_call(value: Any) -> Any:
        with _GENERATING:
            if fn.__code__ is stub_code:
                real = generate().compile(name, module, namespace)
                fn.__defaults__ = real.__defaults__
                fn.__code__ = real.__code__
        return fn(value)

    namespace["_first_call"] = first_call
    template, defaults = _stub_template(params)
    stub_code = template.replace(co_name=name, co_qualname=name)
    fn = types.FunctionType(stub_code, namespace, name, defaults)
    return fn


@functools.cache
def _stub_template(params: str) -> tuple[types.CodeType, tuple[Any, ...] | None]:
    """The code of a stub taking ``params`` and passing its first one to ``_first_call``,
    compiled once per parameter list and copied for each stub (compiling each was the larger
    part of a first call's cost)."""
    first = params.split(",", maxsplit=1)[0]
    namespace: dict[str, Any] = {}
    exec(f"def stub({params}):\n    return _first_call({first})\n", namespace)
    stub = namespace["stub"]
    return stub.__code__, stub.__defaults__


def _emit_read(conv: Converter, src: _Source, tp: Any, var: str, pad: str) -> None:
    """Lines that check ``var`` against ``tp`` and leave the structured value in ``var``."""
    hook = conv.get_structure_hook(tp)
    shape = _SHAPES.get(hook, ("call",))
    kind = shape[0]
    add = src.lines.append
    if kind == "prim":
        add(f"{pad}if type({var}) is not {shape[1]}: raise _FastPathError")
    elif kind == "float":
        add(f"{pad}if type({var}) is not float and type({var}) is not int: raise _FastPathError")
    elif kind == "any":
        pass
    elif kind == "literal":
        values = src.ref(shape[1], "L")
        add(f"{pad}if type({var}) is not str or {var} not in {values}: raise _FastPathError")
    elif kind == "optional":
        add(f"{pad}if {var} is not None:")
        start = len(src.lines)
        _emit_read(conv, src, shape[1], var, pad + "    ")
        if len(src.lines) == start:
            src.lines[-1] = f"{pad}pass"
    elif kind == "union":
        _, nullable, plain, literals = shape
        accept = []
        if nullable:
            accept.append(f"{var} is None")
        if str in plain:
            accept.append(f"type({var}) is str")
        elif literals:
            accept.append(f"(type({var}) is str and {var} in {src.ref(literals, 'L')})")
        if bool in plain:
            accept.append(f"type({var}) is bool")
        if int in plain or float in plain:
            accept.append(f"type({var}) is int")
        if float in plain:
            accept.append(f"type({var}) is float")
        call = f"{var} = {src.ref(hook, 'H')}({var}, {src.ref(tp, 'T')})"
        if len(accept) == 1 and " or " not in accept[0] and not accept[0].startswith("("):
            # One test: negated in place (``is not``), not wrapped in ``not (...)``.
            add(f"{pad}if {accept[0].replace(' is ', ' is not ', 1)}:")
            add(f"{pad}    {call}")
        elif accept:
            add(f"{pad}if not ({' or '.join(accept)}):")
            add(f"{pad}    {call}")
        else:
            add(f"{pad}{call}")
    elif kind == "list":
        elem = shape[1]
        add(f"{pad}if type({var}) is not list: raise _FastPathError")
        elem_hook = conv.get_structure_hook(elem)
        if _SHAPES.get(elem_hook, ("call",))[0] == "model":
            item, read = src.var("e"), src.ref(elem_hook, "M")
            # One element (a chunk's choice) is the common case: skip the comprehension's frame.
            add(f"{pad}if len({var}) == 1:")
            add(f"{pad}    {var} = [{read}({var}[0])]")
            add(f"{pad}else:")
            add(f"{pad}    {var} = [{read}({item}) for {item} in {var}]")
            return
        out, item = src.var("out"), src.var("e")
        add(f"{pad}{out} = []")
        add(f"{pad}for {item} in {var}:")
        _emit_read(conv, src, elem, item, pad + "    ")
        add(f"{pad}    {out}.append({item})")
        add(f"{pad}{var} = {out}")
    elif kind == "tagged":
        spec: _Tagged = shape[1]
        table = {tag: conv.get_structure_hook(cls) for tag, cls in spec.variants.items()}
        tag, found = src.var("tag"), src.var("fn")
        call = f"{src.ref(hook, 'H')}({var}, {src.ref(tp, 'T')})"
        add(f"{pad}if type({var}) is dict:")
        add(f"{pad}    {tag} = {var}.get({spec.tag!r})")
        add(f"{pad}    {found} = {src.ref(table, 'V')}.get({tag}) if type({tag}) is str else None")
        add(f"{pad}    {var} = {found}({var}) if {found} is not None else {call}")
        add(f"{pad}else:")
        add(f"{pad}    {var} = {call}")
    elif kind == "model":
        add(f"{pad}{var} = {src.ref(hook, 'M')}({var})")
    else:
        add(f"{pad}{var} = {src.ref(hook, 'H')}({var}, {src.ref(tp, 'T')})")


def _plain_init(cls: type[WireModel]) -> bool:
    """Whether assigning every attribute of a bare instance is what ``cls(...)`` does."""
    return (
        cls.__setattr__ is object.__setattr__
        and not hasattr(cls, "__record_post_init__")
        and all(a.init and a.validator is None and a.converter is None for a in fields(cls))
    )


def _factory(a: Field) -> tuple[Callable[..., Any], bool] | None:
    """The default factory of ``a`` and whether it takes the instance, if it has one."""
    if a.factory is not None:
        return a.factory, a.takes_self
    return None


def _slow_hook(conv: Converter, cls: type[WireModel]) -> Callable[..., Any]:
    """:func:`_class_hook` for ``cls``, built when first needed."""
    built: list[Hook] = []

    def slow(value: Any, _: Any = None) -> Any:
        if not built:
            built.append(_class_hook(conv, cls))
        return built[0](value, cls)

    return slow


#: Whether the readers and writers written ahead of time (``openrouter_core/models/_readers/``,
#: by ``make generate``) are used; the generator turns it off while it writes them.
AHEAD_OF_TIME = True
_PACKAGE = "openrouter_core.models."


def _ahead_of_time(cls: type[WireModel], name: str) -> Any:
    """The function ``name`` written ahead of time for ``cls``, or None (a class of another
    package, or none written): the same source the converter would generate, compiled with
    the package instead of on a first call."""
    module = cls.__module__
    if not AHEAD_OF_TIME or not module.startswith(_PACKAGE):
        return None
    try:
        readers = importlib.import_module(f"{_PACKAGE}_readers.{module[len(_PACKAGE) :]}")
    except ImportError:
        return None
    fn = getattr(readers, name, None)
    # The module also holds the functions of a class of the same name defined elsewhere.
    return fn if fn is not None and getattr(fn, "model", None) is cls else None


F = TypeVar("F", bound=Callable[..., Any])


def written_for(cls: type[WireModel]) -> Callable[[F], F]:
    """Marks a function written ahead of time as the reader or writer of ``cls``."""

    def mark(fn: F) -> F:
        fn.model = cls  # type: ignore[attr-defined]
        return fn

    return mark


def late_hook(namespace: dict[str, Any], name: str, tp: Any) -> Hook:
    """For a module written ahead of time: a hook of ``tp`` that on its first call looks up
    the converter's hook and puts it in ``namespace[name]`` for the later calls."""

    def first_call(value: Any, given: Any = None) -> Any:
        hook = namespace[name] = get_converter().get_structure_hook(tp)
        return hook(value, given)

    return first_call


def _fast_class_hook(conv: Converter, cls: type[WireModel]) -> Hook:
    """The generated reader of ``cls``; see the section comment."""
    if any((_factory(a) or (None, False))[1] for a in fields(cls)):
        return _class_hook(conv, cls)  # a default computed from the instance: not generated
    name = f"structure_{cls.__name__}"
    hook: Hook | None = _ahead_of_time(cls, name)
    if hook is None:
        hook = _deferred(
            name, cls.__module__, "value, _=None", lambda: _reader_source(conv, cls, name)
        )
    _SHAPES[hook] = ("model", cls)
    return hook


def _reader_source(
    conv: Converter, cls: type[WireModel], name: str, src: _Source | None = None
) -> _Source:
    fields = _wire_names(cls)
    src = src or _Source()
    add = src.lines.append
    slow = src.ref(_slow_hook(conv, cls), "slow")
    required = sum(1 for a in fields if a.required)
    add(f"def {name}(value, _=None):")
    add("    if type(value) is dict:")
    add("        try:")
    add(f"            n = {required}")
    values: list[str] = []
    for a in fields:
        var = src.var("f")
        values.append(var)
        if a.required:
            add(f"            {var} = value[{a.name!r}]")
            _emit_read(conv, src, a.type, var, " " * 12)
            continue
        add(f"            if {a.name!r} in value:")
        add(f"                {var} = value[{a.name!r}]")
        add("                n += 1")
        _emit_read(conv, src, a.type, var, " " * 16)
        add("            else:")
        factory = _factory(a)
        if factory is not None and factory[0] in (list, dict):
            add(f"                {var} = {'[]' if factory[0] is list else '{}'}")
        elif factory is not None:
            add(f"                {var} = {src.ref(factory[0], 'D')}()")
        elif a.default is None or type(a.default) in (str, int, bool):
            add(f"                {var} = {a.default!r}")
        else:
            add(f"                {var} = {src.ref(a.default, 'D')}")
    add("            if len(value) == n:")
    add("                extras = {}")
    add("            else:")
    add(f"                known = {src.ref(frozenset(a.name for a in fields), 'K')}")
    add("                extras = {k: x for k, x in value.items() if k not in known}")
    if not cls._open:
        add(f"                if {src.ref(_STRICT.get, 'strict')}(): raise _FastPathError")
    if cls._strict_required:
        # Optional for a response, required in a request: let the slow path name the problem.
        names = sorted(cls._strict_required)
        missing = " or ".join(f"value.get({n!r}) is None" for n in names)
        add(f"            if ({missing}) and {src.ref(_STRICT.get, 'strict')}():")
        add("                raise _FastPathError")
    if _plain_init(cls):
        add(f"            obj = {src.ref(object.__new__, 'new')}({src.ref(cls, 'C')})")
        add("            obj.extras = extras")
        for a, var in zip(fields, values, strict=True):
            add(f"            obj.{a.name} = {var}")
    else:
        kwargs = ", ".join(f"{a.name}={var}" for a, var in zip(fields, values, strict=True))
        add(f"            obj = {src.ref(cls, 'C')}(extras=extras, {kwargs})")
    add("            obj._received = value")
    add("            return obj")
    add("        except Exception:")
    add("            pass")
    add(f"    return {slow}(value)")
    return src


def _write_expr(src: _Source, conv: Converter, tp: Any, var: str, *, not_none: bool = False) -> str:
    """An expression unstructuring ``var`` (a plain name) of declared type ``tp``; with
    ``not_none``, ``var`` is known not to be ``None``."""
    if _is_model(tp):
        return f"{src.ref(conv.get_unstructure_hook(tp), 'W')}({var})"
    if _is_union(tp):
        args = get_args(tp)
        rest = [a for a in args if a is not _NONE_TYPE]
        if len(rest) == 1:
            inner = _write_expr(src, conv, rest[0], var)
            return inner if inner == var or not_none else f"(None if {var} is None else {inner})"
        if all(_writes_as_is(a) for a in rest):
            return var
        table = {member: conv.get_unstructure_hook(member) for member in rest if _is_model(member)}
        fallback = src.ref(_unstructure_value, "H")
        if table:
            return f"{src.ref(table, 'U')}.get({var}.__class__, {fallback})({var})"
        return f"{fallback}({var})"
    if _is_list(tp):
        args = get_args(tp)
        item = src.var("e")
        inner = _write_expr(src, conv, args[0] if args else Any, item)
        return f"list({var})" if inner == item else f"[{inner} for {item} in {var}]"
    if _is_dict(tp):
        args = get_args(tp)
        item, key = src.var("e"), src.var("k")
        inner = _write_expr(src, conv, args[1] if len(args) == 2 else Any, item)
        if inner == item:
            return f"dict({var})"
        return f"{{{key}: {inner} for {key}, {item} in {var}.items()}}"
    return var


def _writes_as_is(tp: Any) -> bool:
    """Whether a value of ``tp`` is its own JSON (a string, a number, a literal, ``Any``)."""
    return tp in (str, int, float, bool, _NONE_TYPE) or tp is Any or _is_literal(tp)


def _unstructure_value(value: Any) -> Any:
    """The JSON of ``value`` by what it is (for a union whose member is only known at run time)."""
    if isinstance(value, WireModel):
        return get_converter().get_unstructure_hook(type(value))(value)
    if isinstance(value, (list, tuple)):
        return [_unstructure_value(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _unstructure_value(item) for key, item in value.items()}
    return value


def _fast_class_unhook(conv: Converter, cls: type[WireModel]) -> Callable[[Any], Any]:
    """The generated writer of ``cls``: what :func:`_class_unhook` writes, in one function."""
    name = f"unstructure_{cls.__name__}"
    unhook: Callable[[Any], Any] | None = _ahead_of_time(cls, name)
    if unhook is None:
        unhook = _deferred(name, cls.__module__, "obj", lambda: _writer_source(conv, cls, name))
    _SHAPES[unhook] = ("writer", cls)
    return unhook


def _writer_source(
    conv: Converter, cls: type[WireModel], name: str, src: _Source | None = None
) -> _Source:
    fields = _wire_names(cls)
    omitted = [a for a in fields if a.default is None and a.name not in cls._always_emit]
    written = [a for a in fields if a not in omitted]
    src = src or _Source()
    add = src.lines.append
    add(f"def {name}(obj):")
    for a in written:
        add(f"    {src.var('w')} = obj.{a.name}")
    items = ", ".join(
        f"{a.name!r}: {_write_expr(src, conv, a.type, f'w{i}')}"
        for i, a in enumerate(written, start=1)
    )
    add(f"    res = {{{items}}}")
    for a in omitted:
        var = src.var("w")
        add(f"    {var} = obj.{a.name}")
        add(f"    if {var} is not None:")
        add(f"        res[{a.name!r}] = {_write_expr(src, conv, a.type, var, not_none=True)}")
    add("    extras = obj.extras")
    add("    if extras:")
    add("        res.update(extras)")
    add("    return res")
    return src


class Converter:
    """Structure and unstructure hooks by type, each made once, on first request."""

    def __init__(self, *, fast: bool = True) -> None:
        self.fast = fast
        self._structure: dict[Any, Hook] = {}
        self._unstructure: dict[Any, Callable[[Any], Any]] = {}

    def get_structure_hook(self, tp: Any) -> Hook:
        """The hook reading a JSON value into ``tp``: ``hook(value, tp)``."""
        hook = self._structure.get(tp)
        if hook is None:
            hook = self._structure[tp] = self._make_structure(tp)
        return hook

    def get_unstructure_hook(self, tp: Any) -> Callable[[Any], Any]:
        """The hook writing a value of declared type ``tp`` as JSON: ``hook(value)``."""
        hook = self._unstructure.get(tp)
        if hook is None:
            hook = self._unstructure[tp] = self._make_unstructure(tp)
        return hook

    def _make_structure(self, tp: Any) -> Hook:
        prim = _PRIMITIVES.get(tp)
        if prim is not None:
            return prim
        if tp is Any or tp is object:
            return _any
        if _is_literal(tp):
            return _literal_hook(tp)
        if _is_list(tp):
            return _list_hook(self, tp)
        if _is_dict(tp):
            return _dict_hook(self, tp)
        if _is_union(tp):
            if _is_tagged(tp, TAGGED):
                return TAGGED[frozenset(get_args(tp))].hook(self)
            return _union_hook(self, tp, TAGGED)
        if _is_model(tp):
            return _fast_class_hook(self, tp) if self.fast else _class_hook(self, tp)
        if tp is _NONE_TYPE:
            return _none
        raise TypeError(f"no reader for {tp!r}")

    def _make_unstructure(self, tp: Any) -> Callable[[Any], Any]:
        if _is_model(tp):
            return _fast_class_unhook(self, tp) if self.fast else _class_unhook(self, tp)
        if _writes_as_is(tp):
            return _unstructure_any
        if _is_plain_dict(tp):
            return _copy_dict
        if self.fast:
            src = _Source()
            src.lines.append(
                f"def unstructure(value):\n    return {_write_expr(src, self, tp, 'value')}"
            )
            unhook: Callable[[Any], Any] = src.compile("unstructure", "types", {})
            return unhook
        return _unstructure_value


def _none(value: Any, _: Any = None) -> None:
    if value is not None:
        raise _expected("null", value)


_PRIMITIVES: dict[Any, Hook] = {str: _str, int: _int, float: _float, bool: _bool}


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


def _is_tagged(tp: Any, tagged: Mapping[frozenset[type], _Tagged]) -> bool:
    return frozenset(get_args(tp)) in tagged


def _build(*, fast: bool = True) -> Converter:
    """A converter. ``fast=False`` keeps the plain class hooks (the slow path alone); the tests
    compare the two."""
    return Converter(fast=fast)


@functools.cache
def get_converter() -> Converter:
    """The package's single converter, built on the first call."""
    return _build()


# The converter's hooks for the top-level classes, looked up once (``get_structure_hook`` is a
# dispatch through several strategies; these are plain dict lookups).
_READERS: dict[type, Hook] = {}
_WRITERS: dict[type, Callable[[Any], Any]] = {}


def _reader(cls: type) -> Hook:
    hook = _READERS.get(cls)
    if hook is None:
        hook = _READERS[cls] = get_converter().get_structure_hook(cls)
    return hook


def structure(data: object, cls: type[T], *, strict: bool) -> T:
    """Read ``data`` into ``cls``; raises :class:`ModelError` (and nothing else) when it can't."""
    hook = _READERS.get(cls) or _reader(cls)
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
    cls = type(obj)
    hook = _WRITERS.get(cls)
    if hook is None:
        hook = _WRITERS[cls] = get_converter().get_unstructure_hook(cls)
    return hook(obj)  # type: ignore[no-any-return]


def read_response(data: object, cls: type[T]) -> Result[T, ResponseValidationError]:
    """Read a response-side model tolerantly; a problem is a ``ResponseValidationError``."""
    hook = _READERS.get(cls) or _reader(cls)
    try:
        return Success(hook(data, cls))
    except Exception as exc:
        err = _as_error(exc)
        path = err.dotted
        return Failure(
            ResponseValidationError(
                message=f"{path}: {err.problem}" if path else err.problem,
                path=path,
                problem=err.problem,
            )
        )


# --- the strict writer: typed values checked before they are sent -------------------------------


def check_types(obj: WireModel) -> ModelError | None:
    """The first value of ``obj`` (a model built in code) that its declared type does not admit,
    as a :class:`ModelError` with its path; None when every value fits. Never raises.

    ``to_dict`` writes what it is given (a string where a list belongs comes out as a list of
    characters), so typed params are checked with this before being sent.
    """
    try:
        return _check_model(obj, set())
    except RecursionError:
        return ModelError([], "nested too deeply")


def _check_model(obj: WireModel, seen: set[int]) -> ModelError | None:
    if id(obj) in seen:
        return ModelError([], "holds itself")
    seen.add(id(obj))
    cls = type(obj)
    for a in _wire_names(cls):
        value = getattr(obj, a.name)
        if value is None and a.name in cls._strict_required:
            return ModelError([a.name], "required field missing")
        err = _check_value(value, a.type, seen)
        if err is not None:
            err.path.insert(0, a.name)
            return err
    extras = obj.extras
    if not isinstance(extras, dict) or not all(type(k) is str for k in extras):
        return ModelError(["extras"], "must be a dict with string keys")
    seen.discard(id(obj))
    return None


def _check_value(value: Any, tp: Any, seen: set[int]) -> ModelError | None:
    if tp is Any:
        return None
    if _is_union(tp):
        args = get_args(tp)
        if value is None:
            return None if _NONE_TYPE in args else _expected(_type_name(tp), value)
        problems = [_check_value(value, arg, seen) for arg in args if arg is not _NONE_TYPE]
        if any(p is None for p in problems):
            return None
        # One member of the right kind (the model class, the list) says best what is wrong.
        nested = [p for p in problems if p is not None and p.path]
        return nested[0] if nested else _expected(_type_name(tp), value)
    if value is None:
        return _expected(_type_name(tp), value)
    origin = get_origin(tp)
    if origin is Literal:
        return None if value in get_args(tp) else ModelError([], f"expected {_type_name(tp)}")
    if tp is str or tp is bool:
        return None if type(value) is tp else _expected(_JSON_NAMES[tp], value)
    if tp is int:
        return None if type(value) is int else _expected("integer", value)
    if tp is float:
        return None if type(value) in (int, float) else _expected("number", value)
    if _is_list(tp):
        if type(value) is not list:
            return _expected("array", value)
        args = get_args(tp)
        for index, item in enumerate(value):
            err = _check_value(item, args[0] if args else Any, seen)
            if err is not None:
                err.path.insert(0, index)
                return err
        return None
    if _is_dict(tp):
        if not isinstance(value, Mapping):
            return _expected("object", value)
        args = get_args(tp)
        for key, item in value.items():
            if type(key) is not str:
                return ModelError([], f"expected string keys, got {_json_name(key)}")
            err = _check_value(item, args[1] if len(args) == 2 else Any, seen)
            if err is not None:
                err.path.insert(0, key)
                return err
        return None
    if _is_model(tp):
        if not isinstance(value, tp):
            return ModelError([], f"expected {tp.__name__}, got {type(value).__name__}")
        return _check_model(value, seen)
    return None


def _type_name(tp: Any) -> str:
    if _is_union(tp):
        return " or ".join(_type_name(arg) for arg in get_args(tp))
    if get_origin(tp) is Literal:
        return " or ".join(repr(v) for v in get_args(tp))
    if tp in _JSON_NAMES:
        return _JSON_NAMES[tp]
    if _is_list(tp):
        return "array"
    if _is_dict(tp):
        return "object"
    return getattr(tp, "__name__", str(tp))


def read_request(data: object, cls: type[T]) -> Result[T, InvalidRequestError]:
    """Read a request mapping strictly; a problem is an ``InvalidRequestError`` naming the path."""
    try:
        return Success(structure(data, cls, strict=True))
    except ModelError as err:
        path = err.dotted
        return Failure(
            InvalidRequestError(
                message=f"{path}: {err.problem}" if path else err.problem,
                path=path,
                problem=err.problem,
            )
        )


def reader(tp: Any) -> Callable[[Any], Result[Any, ResponseValidationError]]:
    """A tolerant reader of ``tp`` (a model, a union of models, a list, ...) for an operation."""
    return functools.partial(_read_any, tp=tp)


def _read_any(data: object, tp: Any) -> Result[Any, ResponseValidationError]:
    return read_response(data, tp)
