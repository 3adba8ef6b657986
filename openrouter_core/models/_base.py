"""The base class of every wire model.

Kept free of the converter so that importing the models stays cheap; readers and writers are
built on first use.
"""

from __future__ import annotations

from typing import Any, ClassVar

from openrouter_core._machinery.http import HTTPInfo
from openrouter_core._record import Record, field

__all__ = ["WireModel"]


class _Received:
    """Holds the JSON object a model was read from and the HTTP exchange it came in, outside
    the fields (so they take no part in ``__init__``, equality, repr or ``to_dict``)."""

    __slots__ = ("_http", "_received")
    _received: dict[str, Any]
    _http: HTTPInfo


class WireModel(_Received, Record):
    """Base of every model: a record whose attribute names are the wire (JSON) names.

    ``extras`` holds the object's wire fields that the model does not know, keyed by wire name.
    The reader fills it; :meth:`to_dict` merges it back (an ``extras`` key wins over a typed
    field of the same name), so unknown fields round-trip unchanged. Building a request with
    ``extras`` is the explicit way to send a field the models do not know yet.
    """

    #: Whether unknown keys are accepted even when reading strictly (a request). Request-side
    #: classes whose schema allows additional properties set this to ``True``.
    _open: ClassVar[bool] = False
    #: Nullable fields the schema requires: written as ``null`` when ``None`` instead of omitted.
    _always_emit: ClassVar[frozenset[str]] = frozenset()
    #: Fields a tolerant (response) read cannot do without: missing, or of a type that cannot be
    #: read, they fail the read. Every other field that cannot be read is kept raw in ``extras``.
    _needs: ClassVar[frozenset[str]] = frozenset()
    #: Fields typed optional (a response may omit them) that a strict (request) read requires.
    _strict_required: ClassVar[frozenset[str]] = frozenset()
    #: Fields of a request body whose explicit ``null`` is sent (it clears a value), not dropped.
    _nullable: ClassVar[frozenset[str]] = frozenset()

    extras: dict[str, Any] = field(factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The wire JSON object: unset (``None``) fields omitted, ``extras`` merged back.

        This is the model written out; :attr:`received_json` is the object exactly as received.
        """
        return _unstructure(self)

    @property
    def http(self) -> HTTPInfo | None:
        """The HTTP exchange this value came in (on a call's top-level value); ``None`` on
        nested values and on objects built in code."""
        return getattr(self, "_http", None)

    @property
    def received_json(self) -> dict[str, Any] | None:
        """The JSON object this value was read from, exactly as received (key for key, null
        for null); ``None`` for an object built in code or changed with ``replace``."""
        return getattr(self, "_received", None)


def _unstructure(obj: WireModel) -> dict[str, Any]:
    """Replaced by the converter module's ``unstructure`` on first use (that module imports this
    one, so it is imported late; once, rather than on every call)."""
    global _unstructure
    from openrouter_core.models._converter import unstructure

    _unstructure = unstructure
    return unstructure(obj)
