"""One call of a declared operation: prepare the request, run the attempts. What every
generated operation function calls."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs
from returns.result import Failure, Result

from openrouter_core._machinery.attempts import run_async, run_sync
from openrouter_core._machinery.request import prepare

if TYPE_CHECKING:
    from openrouter_core._machinery.operation import Operation
    from openrouter_core.core import OpenRouterCore
    from openrouter_core.errors import OpenRouterCoreError

__all__ = ["call", "call_async"]

_KEEP: Any = object()


def _prepared(
    op: Operation[Any],
    core: OpenRouterCore,
    params: object,
    arguments: Mapping[str, Any],
    options: Mapping[str, Any],
    retry_not_found_for: Any,
    stream: bool | None,
) -> Any:
    prepared = prepare(op, core, params, arguments=arguments, stream=stream, options=options)
    if retry_not_found_for is _KEEP or isinstance(prepared, Failure):
        return prepared
    if retry_not_found_for is not None and (
        isinstance(retry_not_found_for, bool)
        or not isinstance(retry_not_found_for, (int, float))
        or retry_not_found_for < 0
    ):
        from openrouter_core._machinery.request import _invalid

        return _invalid(
            "retry_not_found_for", f"must be seconds >= 0 or None, not {retry_not_found_for!r}"
        )
    return prepared.map(
        lambda p: attrs.evolve(p, op=attrs.evolve(p.op, retry_not_found_for=retry_not_found_for))
    )


def call(
    op: Operation[Any],
    core: OpenRouterCore,
    params: object,
    arguments: Mapping[str, Any],
    options: Mapping[str, Any],
    *,
    retry_not_found_for: Any = _KEEP,
    stream: bool | None = None,
) -> Result[Any, OpenRouterCoreError]:
    """Call ``op`` with the sync client; never raises. ``stream`` asks a streaming operation
    for its event stream (or not), as ``chat_send``'s does."""
    prepared = _prepared(op, core, params, arguments, options, retry_not_found_for, stream)
    if isinstance(prepared, Failure):
        return prepared
    return run_sync(core, prepared.unwrap())


async def call_async(
    op: Operation[Any],
    core: OpenRouterCore,
    params: object,
    arguments: Mapping[str, Any],
    options: Mapping[str, Any],
    *,
    retry_not_found_for: Any = _KEEP,
    stream: bool | None = None,
) -> Result[Any, OpenRouterCoreError]:
    """Call ``op`` with the async client of the running loop; never raises."""
    prepared = _prepared(op, core, params, arguments, options, retry_not_found_for, stream)
    if isinstance(prepared, Failure):
        return prepared
    return await run_async(core, prepared.unwrap())
