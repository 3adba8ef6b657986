"""A module imported on first use, for the operations' annotations and their machinery.

An operation module names its classes through module aliases (``_models.ApiKeysCreateResponse``)
and reaches the machinery that runs a call the same way (``_call.call(...)``, ``_pages.walk``):
for the type checkers each alias is the module itself (imported under ``TYPE_CHECKING``); at run
time it is a :func:`lazy_module`, which imports the module when an attribute is first read (the
operations share one table of them, ``funcs/_aliases.py``). So
importing an operation loads no models, and ``typing.get_type_hints`` (or
``inspect.signature(..., eval_str=True)``) on its functions still resolves every annotation to
the real class, loading only the modules those annotations name.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

__all__ = ["LazyModule", "lazy_module"]


class LazyModule:
    """Stands for the module ``name``: reading an attribute imports it (once) and reads the
    attribute there."""

    __slots__ = ("_module", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__"):
            # Probes such as ``__wrapped__`` or ``__path__`` (doctest, inspect, pydoc) do not
            # import anything.
            raise AttributeError(attribute)
        module = self._module
        if module is None:
            # Kept here: an operation reads its machinery through an alias on every call, and
            # this is cheaper than asking importlib each time.
            module = self._module = importlib.import_module(self._name)
        return getattr(module, attribute)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


def lazy_module(name: str) -> LazyModule:
    """A stand-in for the module ``name`` that imports it when first used."""
    return LazyModule(name)
