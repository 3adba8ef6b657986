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

__all__ = ["fields_eq", "fields_repr"]


def fields_repr(obj: Any) -> str:
    """``Name(field=value, ...)`` over the attrs fields that take part in the repr."""
    shown = ", ".join(
        f"{a.name}={getattr(obj, a.name)!r}" for a in attrs.fields(type(obj)) if a.repr
    )
    return f"{type(obj).__name__}({shown})"


def fields_eq(obj: Any, other: Any) -> bool:
    """Whether ``other`` is of ``obj``'s very class with equal fields (those with ``eq``)."""
    return all(
        getattr(obj, a.name) == getattr(other, a.name) for a in attrs.fields(type(obj)) if a.eq
    )
