"""Records: classes declared by annotated fields, with ``__init__``, ``repr`` and equality.

The package's models, errors and internal values are records. A class is set up by
``__init_subclass__`` from its annotations alone (no code generated when the class is
created), so defining the hundreds of wire models costs little at import; each class's
``__init__`` is compiled the first time that class is instantiated, so only the classes a
program builds pay for it, and building one costs what a hand-written ``__init__`` costs.

Declare with class keywords: ``kw_only`` (default ``True``) and ``frozen`` (default ``False``);
a field's default is its class-level value or :func:`field` (``factory``, ``converter``,
``validator``, ``init``, ``repr``, ``eq``). :func:`replace` returns a changed copy and
:func:`fields` lists a class's fields.
"""

from __future__ import annotations

import sys
import typing
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar, dataclass_transform, overload

__all__ = ["Field", "FrozenInstanceError", "Record", "field", "fields", "replace"]

T = TypeVar("T")
R = TypeVar("R", bound="Record")


class _Nothing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NOTHING"


#: The default of a field that has none (it must be given).
NOTHING: Any = _Nothing()


# The type of a ``__slots__`` member as it appears in the class's namespace.
_SLOT = type(type("_Slotted", (), {"__slots__": ("x",)}).__dict__["x"])


class FrozenInstanceError(AttributeError):
    """Raised when assigning to a field of a frozen record."""


class Field:
    """One field of a record class: its name, default or factory, and its options."""

    __slots__ = (
        "converter",
        "default",
        "eq",
        "factory",
        "init",
        "module",
        "name",
        "repr",
        "takes_self",
        "type",
        "validator",
    )

    def __init__(
        self,
        *,
        default: Any = NOTHING,
        factory: Callable[..., Any] | None = None,
        takes_self: bool = False,
        converter: Callable[[Any], Any] | None = None,
        validator: Callable[[Any, Field, Any], None] | None = None,
        init: bool = True,
        repr: bool = True,
        eq: bool = True,
    ) -> None:
        self.name = ""
        #: The module of the class that declared the field (where its annotation is evaluated).
        self.module = ""
        self.default = default
        self.factory = factory
        self.takes_self = takes_self
        self.converter = converter
        self.validator = validator
        self.init = init
        self.repr = repr
        self.eq = eq
        #: The annotation: a string until :func:`resolve_types` evaluates it.
        self.type: Any = None

    @property
    def required(self) -> bool:
        """Whether the field has neither a default nor a factory."""
        return self.default is NOTHING and self.factory is None

    def _named(self, name: str, annotation: Any, module: str) -> Field:
        """This field as ``name`` of a class of ``module``: itself, unless another class
        already named it (a ``field()`` object reused), then a copy."""
        spec = self
        if self.name:
            spec = Field(
                default=self.default,
                factory=self.factory,
                takes_self=self.takes_self,
                converter=self.converter,
                validator=self.validator,
                init=self.init,
                repr=self.repr,
                eq=self.eq,
            )
        spec.name = name
        spec.module = module
        spec.type = annotation
        return spec

    def __repr__(self) -> str:
        return f"Field(name={self.name!r}, type={self.type!r}, default={self.default!r})"


@overload
def field(
    *,
    default: T,
    converter: Callable[[Any], Any] | None = ...,
    validator: Callable[[Any, Field, Any], None] | None = ...,
    init: bool = ...,
    repr: bool = ...,
    eq: bool = ...,
) -> T: ...
@overload
def field(
    *,
    factory: Callable[[], T],
    converter: Callable[[Any], Any] | None = ...,
    validator: Callable[[Any, Field, Any], None] | None = ...,
    init: bool = ...,
    repr: bool = ...,
    eq: bool = ...,
) -> T: ...
@overload
def field(
    *,
    converter: Callable[[Any], Any] | None = ...,
    validator: Callable[[Any, Field, Any], None] | None = ...,
    init: bool = ...,
    repr: bool = ...,
    eq: bool = ...,
) -> Any: ...
def field(
    *,
    default: Any = NOTHING,
    factory: Callable[[], Any] | None = None,
    converter: Callable[[Any], Any] | None = None,
    validator: Callable[[Any, Field, Any], None] | None = None,
    init: bool = True,
    repr: bool = True,
    eq: bool = True,
) -> Any:
    """A field with options; its class-level value in a record's body."""
    return Field(
        default=default,
        factory=factory,
        converter=converter,
        validator=validator,
        init=init,
        repr=repr,
        eq=eq,
    )


def _is_classvar(annotation: Any) -> bool:
    if isinstance(annotation, str):
        return annotation.startswith(("ClassVar", "typing.ClassVar", "t.ClassVar"))
    return annotation is ClassVar or typing.get_origin(annotation) is ClassVar


@dataclass_transform(kw_only_default=True, field_specifiers=(field, Field))
class Record:  # noqa: PLW1641  # unhashable unless frozen: see __init_subclass__
    """Base of every record class; see the module's docstring."""

    # No instance layout here, so subclasses may also derive from Exception.
    __slots__ = ()

    __record_fields__: ClassVar[tuple[Field, ...]] = ()
    __record_kw_only__: ClassVar[bool] = True
    __record_frozen__: ClassVar[bool] = False

    def __init_subclass__(cls, *, kw_only: bool | None = None, frozen: bool | None = None) -> None:
        super().__init_subclass__()
        # Read directly: inspect.get_annotations would cost an import of inspect.
        own = cls.__dict__.get("__annotations__", {})  # noqa: RUF063
        found: dict[str, Field] = {f.name: f for f in cls.__record_fields__}
        for name, annotation in own.items():
            if _is_classvar(annotation):
                continue
            value = cls.__dict__.get(name, NOTHING)
            if isinstance(value, _SLOT):
                value = NOTHING  # the class's own slot, not a default
            spec = value if isinstance(value, Field) else Field(default=value)
            found.pop(name, None)
            found[name] = spec._named(name, annotation, cls.__module__)
            if isinstance(value, Field):
                # The instance always sets it; leaving the marker would hide a missing value.
                delattr(cls, name)
        cls.__record_fields__ = tuple(found.values())
        if kw_only is not None:
            cls.__record_kw_only__ = kw_only
        if frozen is not None:
            cls.__record_frozen__ = frozen
        if cls.__record_frozen__:
            cls.__setattr__ = _frozen_setattr  # type: ignore[method-assign]
            cls.__delattr__ = _frozen_delattr  # type: ignore[method-assign]
            if "__hash__" not in cls.__dict__:
                cls.__hash__ = _frozen_hash  # type: ignore[method-assign]
        if "__init__" not in cls.__dict__:
            cls.__init__ = _stub_init(cls)  # type: ignore[method-assign]

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{f.name}={getattr(self, f.name, NOTHING)!r}" for f in self.__record_fields__ if f.repr
        )
        return f"{type(self).__name__}({shown})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(
            getattr(self, f.name) == getattr(other, f.name) for f in self.__record_fields__ if f.eq
        )

    def __replace__(self: R, **changes: Any) -> R:
        return replace(self, **changes)

    # Defining __eq__ leaves Record (and so a mutable record) unhashable, as a value should be;
    # frozen records hash their fields.


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r} of a frozen {type(self).__name__}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r} of a frozen {type(self).__name__}")


def _frozen_hash(self: Any) -> int:
    return hash((type(self), *(getattr(self, f.name) for f in self.__record_fields__ if f.eq)))


def _stub_init(owner: type) -> Callable[..., None]:
    """``owner``'s ``__init__`` until its first call compiles the real one and puts it in its
    place (on ``owner``: a subclass's own ``__init__`` calling ``super().__init__`` gets the
    base class's)."""

    def first_call(self: Any, *args: Any, **kwargs: Any) -> None:
        init = _compile_init(owner)
        owner.__init__ = init  # type: ignore[misc]
        init(self, *args, **kwargs)

    first_call.__name__ = "__init__"
    first_call.__qualname__ = f"{owner.__qualname__}.__init__"
    return first_call


def _compile_init(cls: type) -> Callable[..., None]:
    specs: tuple[Field, ...] = cls.__record_fields__  # type: ignore[attr-defined]
    frozen: bool = cls.__record_frozen__  # type: ignore[attr-defined]
    namespace: dict[str, Any] = {"NOTHING": NOTHING, "_setattr": object.__setattr__}
    params: list[str] = []
    body: list[str] = []
    optional_seen = False
    positional = not cls.__record_kw_only__  # type: ignore[attr-defined]
    for index, spec in enumerate(specs):
        name = spec.name
        value = name
        if spec.init:
            if spec.required:
                # A required positional field after an optional one would be a syntax error.
                params.append(name if not (positional and optional_seen) else f"{name}=NOTHING")
                if positional and optional_seen:
                    body.append(f"    if {name} is NOTHING: raise TypeError(")
                    body.append(f"        '__init__() missing required argument: {name!r}')")
            elif spec.factory is not None:
                optional_seen = True
                params.append(f"{name}=NOTHING")
                namespace[f"_factory{index}"] = spec.factory
                arg = "self" if spec.takes_self else ""
                body.append(f"    if {name} is NOTHING: {name} = _factory{index}({arg})")
            else:
                optional_seen = True
                namespace[f"_default{index}"] = spec.default
                params.append(f"{name}=_default{index}")
        elif spec.factory is not None:
            namespace[f"_factory{index}"] = spec.factory
            value = f"_factory{index}({'self' if spec.takes_self else ''})"
        elif spec.default is not NOTHING:
            namespace[f"_default{index}"] = spec.default
            value = f"_default{index}"
        else:
            continue
        if spec.converter is not None:
            namespace[f"_converter{index}"] = spec.converter
            value = f"_converter{index}({value})"
        if frozen:
            body.append(f"    _setattr(self, {name!r}, {value})")
        else:
            body.append(f"    self.{name} = {value}")
    for index, spec in enumerate(specs):
        if spec.validator is not None:
            namespace[f"_validator{index}"] = spec.validator
            namespace[f"_field{index}"] = spec
            body.append(f"    _validator{index}(self, _field{index}, self.{spec.name})")
    post = getattr(cls, "__record_post_init__", None)
    if post is not None:
        body.append("    self.__record_post_init__()")
    signature = ", ".join(params)
    if params and not positional:
        signature = "*, " + signature
    source = f"def __init__(self{', ' if params else ''}{signature}):\n"
    source += "\n".join(body or ["    pass"]) + "\n"
    exec(
        compile(source, f"<record {cls.__module__}.{cls.__qualname__}.__init__>", "exec"), namespace
    )
    init: Callable[..., None] = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


def fields(cls: type[Record] | Record) -> tuple[Field, ...]:
    """The fields of a record class (or of a record's class), in declaration order."""
    if not isinstance(cls, type):
        cls = type(cls)
    return cls.__record_fields__


def replace(obj: R, /, **changes: Any) -> R:
    """A copy of the record ``obj`` with ``changes`` applied (through ``__init__``, so defaults,
    converters and validators run as for a new object)."""
    cls = type(obj)
    kwargs = {f.name: getattr(obj, f.name) for f in cls.__record_fields__ if f.init}
    for name in changes:
        if name not in kwargs:
            raise TypeError(f"{cls.__name__} has no field {name!r} to replace")
    kwargs.update(changes)
    return cls(**kwargs)


def resolve_types(cls: type[Record]) -> tuple[Field, ...]:
    """The fields of ``cls`` with their annotations evaluated (once per field: a subclass shares
    its base's fields)."""
    specs = cls.__record_fields__
    pending: dict[str, list[Field]] = {}
    for spec in specs:
        if isinstance(spec.type, str):
            pending.setdefault(spec.module, []).append(spec)
    for module, found in pending.items():
        # One evaluation per module rather than one ForwardRef (one compile) per annotation.
        source = "(" + "".join(f"{spec.type}, " for spec in found) + ")"
        values = eval(source, vars(sys.modules[module]))  # our own annotations
        for spec, value in zip(found, values, strict=True):
            spec.type = value
    return specs
