"""Access to the wire contract vendored in the repository (``spec/``; see ``spec/README.md``)."""

from __future__ import annotations

import contextlib
import copy
import functools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
from referencing import Registry, Resource

SPEC_DIR = Path(__file__).resolve().parents[1] / "spec"
SCHEMA_FILE = SPEC_DIR / "chat-completions.schema.json"
SCHEMA_ID = "urn:openrouter:chat-completions"


@functools.cache
def spec_document() -> dict[str, Any]:
    """The whole schema document."""
    loaded: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return loaded


@functools.cache
def _registry() -> Registry[Any]:
    resource: Resource[Any] = Resource.from_contents(spec_document())
    registry: Registry[Any] = Registry().with_resource(SCHEMA_ID, resource)
    return registry


@functools.cache
def validator(pointer: str) -> jsonschema.Draft202012Validator:
    """A validator for one part of the document, e.g. ``request`` or ``errors/429``."""
    return jsonschema.Draft202012Validator(
        {"$ref": f"{SCHEMA_ID}#/{pointer}"}, registry=_registry()
    )


def schema_errors(pointer: str, instance: Any) -> list[str]:
    """Every validation error of ``instance`` against ``pointer``, as readable lines."""
    return [
        f"{error.json_path}: {error.message}" for error in validator(pointer).iter_errors(instance)
    ]


def _strip_annotations(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: _strip_annotations(value)
            for key, value in node.items()
            if key not in ("format", "discriminator", "example", "examples")
            and not key.startswith("x-")
        }
    if isinstance(node, list):
        return [_strip_annotations(item) for item in node]
    return node


def generation_schema(pointer: str) -> dict[str, Any]:
    """A self-contained schema for hypothesis-jsonschema: ``pointer``'s schema with the
    components beside it, annotation-only keywords (format, discriminator, x-*) removed."""
    document = spec_document()
    target: Any = document
    for part in pointer.split("/"):
        target = target[part]
    return {
        **_strip_annotations(copy.deepcopy(target)),
        "components": _strip_annotations(copy.deepcopy(document["components"])),
    }


def drop_nulls(value: Any) -> Any:
    """``value`` with every ``null``-valued object member removed (recursively).

    The models omit ``None`` fields on output, so an explicit ``null`` on an optional field
    does not survive a round trip; compare after this normalisation.
    """
    if isinstance(value, dict):
        return {key: drop_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [drop_nulls(item) for item in value]
    return value


class _ManyCompat:
    """Old ``cu.many`` protocol (``more()`` / ``reject()``) over Hypothesis' newer one.

    hypothesis-jsonschema 0.23.1 (the latest release) still calls ``elements.more()``, which
    Hypothesis 6.1xx replaced by a context manager that is iterated.
    """

    def __init__(self, data: Any, **kwargs: Any) -> None:
        from hypothesis.internal.conjecture import utils

        self._many = utils.many(data, **kwargs)
        self._many.__enter__()
        self._steps = iter(self._many)
        self._open = True

    def more(self) -> bool:
        try:
            next(self._steps)
        except StopIteration:
            if self._open:
                self._open = False
                self._many.__exit__(None)
            return False
        return True

    def reject(self, why: str | None = None) -> None:
        self._many.reject()


def patch_hypothesis_jsonschema() -> None:
    """Make hypothesis-jsonschema work with the installed Hypothesis (no-op when not needed)."""
    import types

    from hypothesis.internal.conjecture import utils
    from hypothesis_jsonschema import _from_schema

    if hasattr(utils.many, "more") or isinstance(
        getattr(_from_schema, "cu", None), types.SimpleNamespace
    ):
        return
    setattr(_from_schema, "cu", types.SimpleNamespace(many=_ManyCompat))  # noqa: B010


@contextlib.contextmanager
def memoised_strategies() -> Iterator[None]:
    """Memoise hypothesis-jsonschema's strategy building while the block runs.

    Its object strategy builds the strategy of each property's schema anew on every draw (and
    canonicalises and checks the schema each time); strategies are immutable, so one per schema
    object is the same thing, computed once. Keyed by the schema objects' identity (kept alive
    in the cache, so an id is never reused). Restored afterwards.
    """
    from hypothesis_jsonschema import _from_schema

    build: Any = getattr(_from_schema, "__from_schema")
    merge: Any = _from_schema.merged_as_strategies
    cache: dict[tuple[Any, ...], tuple[Any, Any]] = {}

    def cached(kind: str, schema: Any, make: Callable[[], Any], **kwargs: Any) -> Any:
        ids = tuple(map(id, schema)) if kind == "merged" else id(schema)
        key = (kind, ids, id(kwargs["alphabet"]), id(kwargs["custom_formats"]))
        hit = cache.get(key)
        if hit is None:
            hit = cache[key] = (schema, make())
        return hit[1]

    def built(schema: Any, **kwargs: Any) -> Any:
        return cached("one", schema, lambda: build(schema, **kwargs), **kwargs)

    def merged(schemas: list[Any], **kwargs: Any) -> Any:
        kept = tuple(schemas)
        return cached("merged", kept, lambda: merge(schemas, **kwargs), **kwargs)

    setattr(_from_schema, "__from_schema", built)
    _from_schema.merged_as_strategies = merged
    try:
        yield
    finally:
        setattr(_from_schema, "__from_schema", build)
        _from_schema.merged_as_strategies = merge
