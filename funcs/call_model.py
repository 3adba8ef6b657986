"""``call_model``: the tool loop over chat completions, as a Result.

>>> def get_weather(city: str) -> dict[str, object]:
...     '''The current weather in a city.'''
...     return {"city": city, "celsius": 21}
>>> match call_model(core, params, tools=[get_weather]):
...     case Success(ModelResult() as result): print(result.text, result.usage.cost)
...     case Failure(CallModelError() as error): print("failed:", error, len(error.steps))

Each turn is a non-streaming ``chat_send`` (``stream=True``: a streaming one) with the
library's retries and options; the tools the model calls run between turns and their results
go back to the model, until it answers without calling tools or a ``stop_when`` condition
holds (by default ``step_count_is(5)``). See ``docs/tools.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal, TypeVar, Unpack, overload

from returns.result import Failure, Result

# Each a stand-in that imports its module on first use (a call, typing.get_type_hints).
from funcs._aliases import models as _models, params_chat as _params, tools as _tools
from openrouter_core._machinery.options import CallOptions
from openrouter_core.core import OpenRouterCore

__all__ = ["call_model", "call_model_async"]

T = TypeVar("T")


@overload
def call_model(
    core: OpenRouterCore,
    params: _models.ChatGenerationParams
    | _params.ChatGenerationParamsDict
    | Mapping[str, Any]
    | None = ...,
    *,
    tools: Iterable[_tools.Tool | Callable[..., Any]] = ...,
    stop_when: _tools.StopCondition | Sequence[_tools.StopCondition] | None = ...,
    response_type: None = ...,
    state: Mapping[str, Any] | None = ...,
    approve: Iterable[str] = ...,
    reject: Iterable[str] = ...,
    stream: Literal[False] = ...,
    **options: Unpack[CallOptions],
) -> Result[_tools.ModelResult[None], _tools.CallModelError]: ...
@overload
def call_model(
    core: OpenRouterCore,
    params: _models.ChatGenerationParams
    | _params.ChatGenerationParamsDict
    | Mapping[str, Any]
    | None = ...,
    *,
    tools: Iterable[_tools.Tool | Callable[..., Any]] = ...,
    stop_when: _tools.StopCondition | Sequence[_tools.StopCondition] | None = ...,
    response_type: type[T],
    state: Mapping[str, Any] | None = ...,
    approve: Iterable[str] = ...,
    reject: Iterable[str] = ...,
    stream: Literal[False] = ...,
    **options: Unpack[CallOptions],
) -> Result[_tools.ModelResult[T], _tools.CallModelError]: ...
@overload
def call_model(
    core: OpenRouterCore,
    params: _models.ChatGenerationParams
    | _params.ChatGenerationParamsDict
    | Mapping[str, Any]
    | None = ...,
    *,
    tools: Iterable[_tools.Tool | Callable[..., Any]] = ...,
    stop_when: _tools.StopCondition | Sequence[_tools.StopCondition] | None = ...,
    response_type: None = ...,
    state: Mapping[str, Any] | None = ...,
    approve: Iterable[str] = ...,
    reject: Iterable[str] = ...,
    stream: Literal[True],
    **options: Unpack[CallOptions],
) -> Result[_tools.ModelStream[None], _tools.CallModelError]: ...
@overload
def call_model(
    core: OpenRouterCore,
    params: _models.ChatGenerationParams
    | _params.ChatGenerationParamsDict
    | Mapping[str, Any]
    | None = ...,
    *,
    tools: Iterable[_tools.Tool | Callable[..., Any]] = ...,
    stop_when: _tools.StopCondition | Sequence[_tools.StopCondition] | None = ...,
    response_type: type[T],
    state: Mapping[str, Any] | None = ...,
    approve: Iterable[str] = ...,
    reject: Iterable[str] = ...,
    stream: Literal[True],
    **options: Unpack[CallOptions],
) -> Result[_tools.ModelStream[T], _tools.CallModelError]: ...
def call_model(
    core: OpenRouterCore,
    params: _models.ChatGenerationParams
    | _params.ChatGenerationParamsDict
    | Mapping[str, Any]
    | None = None,
    *,
    tools: Iterable[_tools.Tool | Callable[..., Any]] = (),
    stop_when: _tools.StopCondition | Sequence[_tools.StopCondition] | None = None,
    response_type: Any = None,
    state: Mapping[str, Any] | None = None,
    approve: Iterable[str] = (),
    reject: Iterable[str] = (),
    stream: bool = False,
    **options: Unpack[CallOptions],
) -> Result[Any, _tools.CallModelError]:
    """Run the tool loop: send ``params`` with ``tools``, run the tools the model calls, send
    their results back, until the model answers without calling tools or ``stop_when`` holds.

    ``tools``: functions (sync or async) or ``tool(...)`` objects. ``stop_when``: a condition
    of ``openrouter_core.tools`` or a list (any of them); default ``step_count_is(5)``.
    ``response_type``: a class the final answer is read into (``ModelResult.parsed``). To resume
    a loop paused for approval, pass ``state=result.state`` (no params) with the call ids in
    ``approve`` and ``reject``, and the same ``tools``. ``stream=True`` gives a ``ModelStream``
    of events across every turn. The per-call options apply to every turn.

    Every Failure is a ``CallModelError`` carrying its ``cause`` and the steps done before it.
    Never raises except on cancellation.
    """
    from openrouter_core.tools import _loop

    ready = _loop.setup(
        params,
        tools=tools,
        stop_when=stop_when,
        response_type=response_type,
        state=state,
        approve=approve,
        reject=reject,
    )
    if isinstance(ready, Failure):
        return ready
    if stream:
        return _loop.start_stream(core, ready.unwrap(), options, model=_model(params))
    from openrouter_core.telemetry import agent_span

    # One invoke_agent span around the turns (when a tracer provider is set); the turns' chat
    # spans are its children.
    with agent_span(core, model=_model(params)) as agent:
        outcome = _loop.run(core, ready.unwrap(), options)
        if isinstance(outcome, Failure):
            agent.fail(outcome.failure())
        return outcome


@overload
async def call_model_async(
    core: OpenRouterCore,
    params: _models.ChatGenerationParams
    | _params.ChatGenerationParamsDict
    | Mapping[str, Any]
    | None = ...,
    *,
    tools: Iterable[_tools.Tool | Callable[..., Any]] = ...,
    stop_when: _tools.StopCondition | Sequence[_tools.StopCondition] | None = ...,
    response_type: None = ...,
    state: Mapping[str, Any] | None = ...,
    approve: Iterable[str] = ...,
    reject: Iterable[str] = ...,
    stream: Literal[False] = ...,
    **options: Unpack[CallOptions],
) -> Result[_tools.ModelResult[None], _tools.CallModelError]: ...
@overload
async def call_model_async(
    core: OpenRouterCore,
    params: _models.ChatGenerationParams
    | _params.ChatGenerationParamsDict
    | Mapping[str, Any]
    | None = ...,
    *,
    tools: Iterable[_tools.Tool | Callable[..., Any]] = ...,
    stop_when: _tools.StopCondition | Sequence[_tools.StopCondition] | None = ...,
    response_type: type[T],
    state: Mapping[str, Any] | None = ...,
    approve: Iterable[str] = ...,
    reject: Iterable[str] = ...,
    stream: Literal[False] = ...,
    **options: Unpack[CallOptions],
) -> Result[_tools.ModelResult[T], _tools.CallModelError]: ...
@overload
async def call_model_async(
    core: OpenRouterCore,
    params: _models.ChatGenerationParams
    | _params.ChatGenerationParamsDict
    | Mapping[str, Any]
    | None = ...,
    *,
    tools: Iterable[_tools.Tool | Callable[..., Any]] = ...,
    stop_when: _tools.StopCondition | Sequence[_tools.StopCondition] | None = ...,
    response_type: None = ...,
    state: Mapping[str, Any] | None = ...,
    approve: Iterable[str] = ...,
    reject: Iterable[str] = ...,
    stream: Literal[True],
    **options: Unpack[CallOptions],
) -> Result[_tools.AsyncModelStream[None], _tools.CallModelError]: ...
@overload
async def call_model_async(
    core: OpenRouterCore,
    params: _models.ChatGenerationParams
    | _params.ChatGenerationParamsDict
    | Mapping[str, Any]
    | None = ...,
    *,
    tools: Iterable[_tools.Tool | Callable[..., Any]] = ...,
    stop_when: _tools.StopCondition | Sequence[_tools.StopCondition] | None = ...,
    response_type: type[T],
    state: Mapping[str, Any] | None = ...,
    approve: Iterable[str] = ...,
    reject: Iterable[str] = ...,
    stream: Literal[True],
    **options: Unpack[CallOptions],
) -> Result[_tools.AsyncModelStream[T], _tools.CallModelError]: ...
async def call_model_async(
    core: OpenRouterCore,
    params: _models.ChatGenerationParams
    | _params.ChatGenerationParamsDict
    | Mapping[str, Any]
    | None = None,
    *,
    tools: Iterable[_tools.Tool | Callable[..., Any]] = (),
    stop_when: _tools.StopCondition | Sequence[_tools.StopCondition] | None = None,
    response_type: Any = None,
    state: Mapping[str, Any] | None = None,
    approve: Iterable[str] = (),
    reject: Iterable[str] = (),
    stream: bool = False,
    **options: Unpack[CallOptions],
) -> Result[Any, _tools.CallModelError]:
    """The async twin of ``call_model``: async tools of one turn run concurrently, sync ones in
    the event loop's thread; ``stream=True`` gives an ``AsyncModelStream``."""
    from openrouter_core.tools import _loop

    ready = _loop.setup(
        params,
        tools=tools,
        stop_when=stop_when,
        response_type=response_type,
        state=state,
        approve=approve,
        reject=reject,
    )
    if isinstance(ready, Failure):
        return ready
    if stream:
        return await _loop.start_stream_async(core, ready.unwrap(), options, model=_model(params))
    from openrouter_core.telemetry import agent_span

    with agent_span(core, model=_model(params)) as agent:  # as in call_model
        outcome = await _loop.run_async(core, ready.unwrap(), options)
        if isinstance(outcome, Failure):
            agent.fail(outcome.failure())
        return outcome


def _model(params: object) -> str | None:
    """The model a call asks for (a mapping's or a typed request's), for its span."""
    model = params.get("model") if isinstance(params, Mapping) else getattr(params, "model", None)
    return model if isinstance(model, str) else None
