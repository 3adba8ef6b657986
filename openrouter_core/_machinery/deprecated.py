"""A deprecated name of an operation: the same function, with a ``DeprecationWarning``."""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["deprecated_alias"]

F = TypeVar("F", bound=Callable[..., Any])


def deprecated_alias(fn: F, name: str) -> F:
    """``fn`` under the old name ``name``: each call warns, then is ``fn``'s (its signature,
    types and docstring stay ``fn``'s, for ``help()`` and the type checkers)."""
    message = f"{name} is deprecated: call {fn.__name__}, which does the same"
    alias: Any
    if inspect.iscoroutinefunction(fn):
        # Still an ``async def``, so that callers (and ``inspect``) see a coroutine function.

        @functools.wraps(fn)
        async def alias(*args: Any, **kwargs: Any) -> Any:
            warnings.warn(message, DeprecationWarning, stacklevel=2)
            return await fn(*args, **kwargs)

    else:

        @functools.wraps(fn)
        def alias(*args: Any, **kwargs: Any) -> Any:
            warnings.warn(message, DeprecationWarning, stacklevel=2)
            return fn(*args, **kwargs)

    alias.__name__ = alias.__qualname__ = name
    alias.__doc__ = f"Deprecated: {fn.__name__} under its old name (the same call).\n\n{fn.__doc__}"
    return alias  # type: ignore[no-any-return]
