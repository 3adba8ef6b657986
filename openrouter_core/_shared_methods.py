"""The ``__repr__`` and ``__eq__`` that the models and the errors share.

Those classes are declared ``@attrs.define(..., repr=False, eq=False)`` and take these from
their base class instead: they print and compare as attrs' generated methods would (``Name(a=1,
b=2)``; equal when of the same class with equal fields), while defining a class costs about half
(attrs compiles a repr and an eq for every class otherwise, and a chat call defines over a
hundred model classes).
"""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["fields_eq", "fields_repr", "shown"]


def fields_repr(obj: Any) -> str:
    """``Name(field=value, ...)`` over the attrs fields that take part in the repr, leaving out
    private fields (a leading underscore) and ``extras`` while it is empty."""
    shown = ", ".join(
        f"{a.name}={value!r}"
        for a in attrs.fields(type(obj))
        if a.repr
        and not a.name.startswith("_")
        and not ((value := getattr(obj, a.name)) == {} and a.name == "extras")
    )
    return f"{type(obj).__name__}({shown})"


def fields_eq(obj: Any, other: Any) -> bool:
    """Whether ``other`` is of ``obj``'s very class with equal fields (those with ``eq``)."""
    return all(
        getattr(obj, a.name) == getattr(other, a.name) for a in attrs.fields(type(obj)) if a.eq
    )


def shown(value: object, limit: int = 80) -> str:
    """A caller's value in a message: its type and repr, shortened, and never raising (the
    repr of an object of the caller's may)."""
    kind = type(value).__name__
    try:
        text = repr(value)
    except Exception:
        return kind
    return f"{kind} {text if len(text) <= limit else text[: limit - 3] + '...'}"
