"""One call of a declared operation: prepare the request, run the attempts. What every
generated operation function calls, with its keyword arguments in one mapping: the
operation's declared parameters and the per-call options (``CallOptions``), told apart here by
the declaration."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs
from returns.result import Failure, Result

from openrouter_core._machinery.attempts import run_async, run_sync
from openrouter_core._machinery.request import Prepared, prepare
from openrouter_core._shared_methods import shown
from openrouter_core.errors import InvalidRequestError

if TYPE_CHECKING:
    from openrouter_core._machinery.operation import Operation
    from openrouter_core.core import OpenRouterCore
    from openrouter_core.errors import OpenRouterCoreError

__all__ = ["call", "call_async", "split"]

#: ``retry_not_found_for`` not given: the operation's declared window applies.
_DECLARED: Any = object()


def split(
    op: Operation[Any], arguments: Mapping[str, Any]
) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """``(parameters, options)``: the arguments ``op`` declares as path or query parameters, and
    the rest (per-call options, or unknown names that request building refuses, naming the
    nearest right one). Pure."""
    names = op.argument_names
    if not names:
        return {}, arguments
    parameters: dict[str, Any] = {}
    options: dict[str, Any] = {}
    for key, value in arguments.items():
        (parameters if key in names else options)[key] = value
    return parameters, options


def _prepared(
    op: Operation[Any],
    core: OpenRouterCore,
    params: object,
    arguments: Mapping[str, Any],
    retry_not_found_for: Any,
    stream: bool | None,
) -> Result[Prepared, OpenRouterCoreError]:
    window = op.retry_not_found_for if retry_not_found_for is _DECLARED else retry_not_found_for
    if window is not None and (
        isinstance(window, bool) or not isinstance(window, (int, float)) or window < 0
    ):
        problem = f"must be seconds >= 0 or None, not {shown(window)}"
        return Failure(
            InvalidRequestError(
                message=f"retry_not_found_for: {problem}",
                path="retry_not_found_for",
                problem=problem,
            )
        )
    parameters, options = split(op, arguments)
    prepared = prepare(op, core, params, arguments=parameters, stream=stream, options=options)
    if not window or isinstance(prepared, Failure):
        return prepared
    # The window is this call's, beside the declaration (which is never rewritten).
    return prepared.map(lambda p: attrs.evolve(p, not_found_for=float(window)))


def _observed(core: OpenRouterCore) -> bool:
    """Whether anyone listens: hooks, or a tracer or meter provider the application set.
    Without OpenTelemetry loaded (this package never imports it itself) a call pays one
    dictionary lookup; with it loaded but no provider set, the check of ``listening``."""
    if core.hooks is not None:
        return True
    if not core.telemetry or "opentelemetry" not in sys.modules:
        return False
    # Found in sys.modules once loaded: an import statement here would cost more than the check.
    otel = sys.modules.get("openrouter_core.telemetry._otel")
    if otel is None:
        from openrouter_core.telemetry import _otel

        otel = _otel
    return bool(otel.listening())


def call(
    op: Operation[Any],
    core: OpenRouterCore,
    params: object,
    arguments: Mapping[str, Any],
    *,
    retry_not_found_for: Any = _DECLARED,
    stream: bool | None = None,
) -> Result[Any, OpenRouterCoreError]:
    """Call ``op`` with the sync client; never raises. ``arguments`` holds its parameters and
    per-call options; ``stream`` asks a streaming operation for its event stream (or not), as
    ``chat_send``'s does."""
    prepared = _prepared(op, core, params, arguments, retry_not_found_for, stream)
    if _observed(core):
        from openrouter_core.telemetry._observe import observed

        return observed(op, core, params, prepared)
    if isinstance(prepared, Failure):
        return prepared
    return run_sync(core, prepared.unwrap())


async def call_async(
    op: Operation[Any],
    core: OpenRouterCore,
    params: object,
    arguments: Mapping[str, Any],
    *,
    retry_not_found_for: Any = _DECLARED,
    stream: bool | None = None,
) -> Result[Any, OpenRouterCoreError]:
    """Call ``op`` with the async client of the running loop; never raises."""
    prepared = _prepared(op, core, params, arguments, retry_not_found_for, stream)
    if _observed(core):
        from openrouter_core.telemetry._observe import observed_async

        return await observed_async(op, core, params, prepared)
    if isinstance(prepared, Failure):
        return prepared
    return await run_async(core, prepared.unwrap())
