"""The tool loop: a pure core and four thin drivers (sync, async, each streaming or not).

The core (:func:`_core`) is a generator that does no I/O: it yields what it needs done, an
effect, and is sent the outcome:

- ``_Send(body)``: send one chat completion; sent back the ``Result[ChatResponse, ...]``;
- ``_Run(calls)``: run these prepared tool calls; sent back their ``ToolResult``s in order;
- ``_Emit(event)``: an event for a streaming caller; sent back nothing.

and returns the final ``Result[ModelResult, CallModelError]``. Every decision (the messages,
the tools, approvals, stop conditions, the state, the errors) is made there once; the drivers
only call ``chat_send`` / ``chat_send_async`` (streaming or not) and run functions, so the four
ways to call the loop cannot behave differently.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Callable,
    Generator,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeAlias, TypeVar

import attrs
from returns.result import Failure, Result, Success

from openrouter_core.errors import InvalidRequestError, OpenRouterCoreError
from openrouter_core.telemetry import _agent_run, tool_span
from openrouter_core.tools._result import (
    CallModelError,
    ModelEvent,
    ModelResult,
    Step,
    TextDelta,
    ToolCall,
    ToolCallEvent,
    ToolResult,
    ToolResultEvent,
    TurnEnd,
    message_text,
)
from openrouter_core.tools._stop import StopCondition, step_count_is
from openrouter_core.tools._tool import Tool, _Compiled, as_tool

if TYPE_CHECKING:
    import asyncio
    from typing import Self

    from openrouter_core.chat.stream import AsyncChatStream, ChatStream
    from openrouter_core.core import OpenRouterCore
    from openrouter_core.models import ChatResponse, ChatUsage
    from openrouter_core.telemetry._agent import AgentRun

__all__ = [
    "AsyncModelStream",
    "ModelStream",
    "run",
    "run_async",
    "start_stream",
    "start_stream_async",
]

T = TypeVar("T")

#: The kind and version written into a paused loop's ``state``.
STATE_KIND = "openrouter_core.call_model"
STATE_VERSION = 1
REJECTED = "rejected by the user"

Outcome: TypeAlias = Result[ModelResult[Any], CallModelError]


# --- effects ------------------------------------------------------------------------------------


@attrs.frozen
class _Send:
    body: dict[str, Any]
    step: int


@attrs.frozen
class _Prepared:
    """A call ready to run (``fn`` with ``args``/``kwargs``), or already answered (``done``)."""

    call: ToolCall
    fn: Callable[..., Any] | None = None
    is_async: bool = False
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = attrs.field(factory=dict)
    done: ToolResult | None = None


@attrs.frozen
class _Run:
    calls: list[_Prepared]


@attrs.frozen
class _Emit:
    event: ModelEvent


_Effect: TypeAlias = _Send | _Run | _Emit
_Core: TypeAlias = Generator[_Effect, Any, Outcome]


# --- setting up -----------------------------------------------------------------------------------


@attrs.frozen
class Setup:
    """Everything the core needs, checked: made by :func:`setup`."""

    params: dict[str, Any]
    messages: list[dict[str, Any]]
    tools: dict[str, tuple[Tool, _Compiled]]
    definitions: list[dict[str, Any]]
    stop_when: list[StopCondition]
    response_type: Any
    steps: list[Step]
    # On resume: the paused step's calls, each with its decision (True approve, False reject,
    # None: needs none).
    resume: list[tuple[ToolCall, bool | None]] | None


def _invalid(message: str, path: str = "", problem: str = "") -> CallModelError:
    cause = InvalidRequestError(message=message, path=path, problem=problem or message)
    return CallModelError(message=message, cause=cause)


def setup(
    params: Any,
    *,
    tools: Iterable[Tool | Callable[..., Any]],
    stop_when: StopCondition | Sequence[StopCondition] | None,
    response_type: Any,
    state: Mapping[str, Any] | None,
    approve: Iterable[str],
    reject: Iterable[str],
) -> Result[Setup, CallModelError]:
    """Check the caller's input and build the core's starting point; never raises."""
    try:
        return _setup(params, tools, stop_when, response_type, state, approve, reject)
    except _SetupError as err:
        return Failure(err.error)


class _SetupError(Exception):
    def __init__(self, error: CallModelError) -> None:
        self.error = error


def _fail(message: str, path: str = "") -> _SetupError:
    return _SetupError(_invalid(message, path))


def _setup(
    params: Any,
    tools: Iterable[Tool | Callable[..., Any]],
    stop_when: StopCondition | Sequence[StopCondition] | None,
    response_type: Any,
    state: Mapping[str, Any] | None,
    approve: Iterable[str],
    reject: Iterable[str],
) -> Result[Setup, CallModelError]:
    from openrouter_core.models import ChatGenerationParams

    if (params is None) == (state is None):
        raise _fail("give params to start, or state (with approve/reject) to resume; not both")
    conditions = _conditions(stop_when)
    tool_list = _tool_list(tools)
    compiled: dict[str, tuple[Tool, _Compiled]] = {}
    for t in tool_list:
        outcome = t.compiled()
        if isinstance(outcome, Failure):
            err = outcome.failure()
            raise _SetupError(CallModelError(message=err.message, cause=err))
        if t.name in compiled:
            raise _fail(f"tools: two tools are named {t.name!r}", "tools")
        compiled[t.name] = (t, outcome.unwrap())

    steps: list[Step] = []
    resume: list[tuple[ToolCall, bool | None]] | None = None
    if state is not None:
        params, steps, resume = _read_state(state, compiled, approve, reject)
    elif list(approve) or list(reject):
        raise _fail("approve and reject go with state= (resuming a paused loop)")

    if isinstance(params, ChatGenerationParams):
        params = params.to_dict()
    if not isinstance(params, Mapping):
        raise _fail(
            f"params must be a mapping or ChatGenerationParams, not {type(params).__name__}"
        )
    checked = ChatGenerationParams.from_dict(dict(params))
    if isinstance(checked, Failure):
        err = checked.failure()
        raise _SetupError(CallModelError(message=err.message, cause=err))
    wire = checked.unwrap().to_dict()
    wire.pop("stream", None)
    messages = wire.pop("messages")

    own = [t.function.name for t in checked.unwrap().tools or [] if hasattr(t, "function")]
    for name in own:
        if name in compiled:
            raise _fail(f"tools: {name!r} is both in params['tools'] and in tools=", "tools")
    if response_type is not None:
        if "response_format" in wire:
            raise _fail(
                "give response_type or params['response_format'], not both", "response_type"
            )
        from openrouter_core.tools._structured import response_format

        made = response_format(response_type)
        if isinstance(made, Failure):
            err = made.failure()
            raise _SetupError(CallModelError(message=err.message, cause=err))
        wire["response_format"] = made.unwrap()
    definitions = [*wire.pop("tools", []), *(c.definition for _, c in compiled.values())]
    return Success(
        Setup(
            params=wire,
            messages=messages,
            tools=compiled,
            definitions=definitions,
            stop_when=conditions,
            response_type=response_type,
            steps=steps,
            resume=resume,
        )
    )


def _conditions(stop_when: Any) -> list[StopCondition]:
    if stop_when is None:
        return [step_count_is(5)]
    items = [stop_when] if callable(stop_when) else stop_when
    try:
        conditions = list(items)
    except TypeError:
        raise _fail(
            f"stop_when must be a condition or a list of them, not {type(stop_when).__name__}",
            "stop_when",
        ) from None
    for index, condition in enumerate(conditions):
        if not callable(condition):
            raise _fail(
                f"stop_when[{index}] is not a condition (a callable of the steps), "
                f"but {type(condition).__name__}",
                f"stop_when[{index}]",
            )
    if not conditions:
        raise _fail("stop_when is empty: the loop would have no bound", "stop_when")
    return conditions


def _tool_list(tools: Any) -> list[Tool]:
    if isinstance(tools, (str, bytes)) or callable(tools):
        raise _fail("tools must be a list of functions or Tool objects", "tools")
    try:
        items = list(tools)
    except TypeError:
        raise _fail(f"tools must be a list, not {type(tools).__name__}", "tools") from None
    out = []
    for index, item in enumerate(items):
        if not callable(item) and not isinstance(item, Tool):
            raise _fail(
                f"tools[{index}] is neither a function nor a Tool ({type(item).__name__})",
                f"tools[{index}]",
            )
        out.append(as_tool(item))
    return out


# --- the state of a paused loop -------------------------------------------------------------------


def _write_state(
    params: dict[str, Any],
    messages: list[dict[str, Any]],
    steps: list[Step],
    pending: list[ToolCall],
) -> dict[str, Any]:
    return {
        "kind": STATE_KIND,
        "version": STATE_VERSION,
        "params": params,
        "messages": messages,
        "steps": [
            {
                "response": step.response.to_dict(),
                "results": [
                    {"id": r.call.id, "output": r.output, "content": r.content, "error": r.error}
                    for r in step.tool_results
                ],
            }
            for step in steps
        ],
        "pending": [call.id for call in pending],
    }


def _read_state(
    state: Any,
    compiled: dict[str, tuple[Tool, _Compiled]],
    approve: Iterable[str],
    reject: Iterable[str],
) -> tuple[dict[str, Any], list[Step], list[tuple[ToolCall, bool | None]]]:
    from openrouter_core.models import ChatResponse

    if not isinstance(state, Mapping) or state.get("kind") != STATE_KIND:
        raise _fail("state is not the state of a paused call_model (ModelResult.state)", "state")
    if state.get("version") != STATE_VERSION:
        raise _fail(
            f"state has version {state.get('version')!r}; this library reads {STATE_VERSION}",
            "state.version",
        )
    params, messages, raw_steps, pending = (
        state.get("params"),
        state.get("messages"),
        state.get("steps"),
        state.get("pending"),
    )
    if not isinstance(params, Mapping) or not isinstance(messages, list):
        raise _fail("state.params must be an object and state.messages an array", "state")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise _fail("state.steps must be a non-empty array", "state.steps")
    if not isinstance(pending, list) or not all(isinstance(p, str) for p in pending):
        raise _fail("state.pending must be an array of call ids", "state.pending")
    steps: list[Step] = []
    for index, raw in enumerate(raw_steps):
        where = f"state.steps[{index}]"
        if not isinstance(raw, Mapping) or not isinstance(raw.get("results"), list):
            raise _fail(f"{where} must be an object with response and results", where)
        read = ChatResponse.from_dict(raw.get("response"))
        if isinstance(read, Failure):
            raise _fail(f"{where}.response: {read.failure().message}", f"{where}.response")
        response = read.unwrap()
        calls = _tool_calls(response, index)
        by_id = {call.id: call for call in calls}
        results = []
        for r in raw["results"]:
            if (
                not isinstance(r, Mapping)
                or r.get("id") not in by_id
                or not isinstance(r.get("content"), str)
            ):
                raise _fail(
                    f"{where}.results: each result needs the id of a call and its content",
                    f"{where}.results",
                )
            results.append(
                ToolResult(
                    call=by_id[r["id"]],
                    output=r.get("output"),
                    content=r["content"],
                    error=r.get("error"),
                )
            )
        steps.append(Step(response=response, tool_calls=calls, tool_results=results))
    last = steps[-1]
    if last.tool_results or not last.tool_calls:
        raise _fail("state.steps: the last step must hold the calls that wait", "state.steps")
    approved, rejected = _ids(approve, "approve"), _ids(reject, "reject")
    ids = {call.id for call in last.tool_calls}
    for name, given in (("approve", approved), ("reject", rejected)):
        unknown = sorted(given - ids)
        if unknown:
            raise _fail(f"{name}: no pending call has the id {', '.join(map(repr, unknown))}", name)
    both = sorted(approved & rejected)
    if both:
        raise _fail(
            f"the call {', '.join(map(repr, both))} is both approved and rejected", "approve"
        )
    undecided = [p for p in pending if p not in approved and p not in rejected]
    if undecided:
        raise _fail(
            f"the call {', '.join(map(repr, undecided))} waits for approval: "
            "pass its id in approve or reject",
            "approve",
        )
    decisions: list[tuple[ToolCall, bool | None]] = []
    for call in last.tool_calls:
        decision = True if call.id in approved else False if call.id in rejected else None
        decisions.append((call, decision))
    return {**params, "messages": messages}, steps, decisions


def _ids(values: Iterable[str], name: str) -> set[str]:
    if isinstance(values, str):
        raise _fail(f"{name} must be a list of call ids, not a string", name)
    out = set()
    for value in values:
        if not isinstance(value, str):
            raise _fail(f"{name} must hold call ids (strings), not {type(value).__name__}", name)
        out.add(value)
    return out


# --- the core -----------------------------------------------------------------------------------


def _tool_calls(response: ChatResponse, step: int) -> list[ToolCall]:
    if not response.choices:
        return []
    raw = response.choices[0].message.tool_calls or []
    calls = []
    for index, call in enumerate(raw):
        function = call.function
        calls.append(
            ToolCall(
                # A provider that leaves the id out still needs one to answer the call.
                id=call.id or f"call_{step}_{index}",
                name=(function.name if function else None) or "",
                arguments=(function.arguments if function else None) or "",
            )
        )
    return calls


def _assistant_message(response: ChatResponse, calls: list[ToolCall]) -> dict[str, Any]:
    """The answer as the next request's assistant message: the fields a request may carry."""
    from openrouter_core.models import ReasoningDetailUnknown

    message = response.choices[0].message if response.choices else None
    out: dict[str, Any] = {"role": "assistant"}
    if message is not None and message.content is not None:
        out["content"] = (
            message.content
            if isinstance(message.content, str)
            else [part.to_dict() for part in message.content]
        )
    if calls:
        out["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in calls
        ]
    if message is not None and message.reasoning_details:
        # Reasoning models continue their reasoning across tool calls from these.
        details = [
            d.to_dict()
            for d in message.reasoning_details
            if not isinstance(d, ReasoningDetailUnknown)
        ]
        if details:
            out["reasoning_details"] = details
    return out


def _error_result(call: ToolCall, problem: str) -> ToolResult:
    output = {"error": problem}
    return ToolResult(call=call, output=output, content=json.dumps(output), error=problem)


def _prepare(call: ToolCall, tools: dict[str, tuple[Tool, _Compiled]]) -> _Prepared:
    """Parse and read a call's arguments into the tool's types; a problem is its answer."""
    from openrouter_core.tools._convert import describe_error, read_as

    found = tools.get(call.name)
    if found is None:
        known = ", ".join(sorted(tools)) or "none"
        return _Prepared(
            call=call, done=_error_result(call, f"no tool named {call.name!r} (tools: {known})")
        )
    t, compiled = found
    try:
        arguments = json.loads(call.arguments) if call.arguments.strip() else {}
    except ValueError as exc:
        return _Prepared(call=call, done=_error_result(call, f"the arguments are not JSON ({exc})"))
    if not isinstance(arguments, dict):
        return _Prepared(call=call, done=_error_result(call, "the arguments must be a JSON object"))
    known_names = {p.name for p in compiled.parameters}
    unexpected = sorted(set(arguments) - known_names)
    if unexpected:
        return _Prepared(
            call=call,
            done=_error_result(call, f"unexpected argument(s): {', '.join(unexpected)}"),
        )
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    problems: list[str] = []
    for param in compiled.parameters:
        if param.name not in arguments:
            if param.required:
                problems.append(f"{param.name}: required argument missing")
            continue
        try:
            value = read_as(arguments[param.name], param.annotation)
        except Exception as exc:
            problems.append(describe_error(exc, path=f"$.{param.name}").replace("$.", ""))
            continue
        if param.positional_only:
            args.append(value)
        else:
            kwargs[param.name] = value
    if problems:
        return _Prepared(call=call, done=_error_result(call, "; ".join(problems)))
    return _Prepared(
        call=call, fn=t.fn, is_async=compiled.is_async, args=tuple(args), kwargs=kwargs
    )


def _returned(call: ToolCall, value: Any) -> ToolResult:
    """A tool's return value as the call's result (text as it is, anything else as JSON)."""
    from openrouter_core.tools._convert import to_json_value

    if isinstance(value, str):
        return ToolResult(call=call, output=value, content=value)
    try:
        output = to_json_value(value)
        content = json.dumps(output, default=_json_default)
        output = json.loads(content)
    except Exception as exc:
        return _error_result(call, f"the tool returned a value that is not JSON ({exc})")
    return ToolResult(call=call, output=output, content=content)


def _json_default(value: Any) -> Any:
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _raised(call: ToolCall, exc: Exception) -> ToolResult:
    return _error_result(call, f"the tool raised {type(exc).__name__}: {exc}")


def sum_usage(steps: Sequence[Step]) -> ChatUsage:
    """Tokens and cost of every step, added up (``cost`` stays ``None`` if no step had one)."""
    from openrouter_core.models import ChatUsage

    prompt = completion = total = 0
    cost: float | None = None
    for step in steps:
        usage = step.response.usage
        if usage is None:
            continue
        prompt += usage.prompt_tokens or 0
        completion += usage.completion_tokens or 0
        total += usage.total_tokens or 0
        if usage.cost is not None:
            cost = (cost or 0.0) + usage.cost
    return ChatUsage(
        prompt_tokens=prompt, completion_tokens=completion, total_tokens=total, cost=cost
    )


def _core(s: Setup) -> _Core:
    steps = list(s.steps)
    messages = list(s.messages)

    def failed(cause: OpenRouterCoreError) -> Outcome:
        turn = f"after {len(steps)} step(s)" if steps else "before any step"
        return Failure(
            CallModelError(
                message=f"call_model failed {turn}: {cause.message}",
                cause=cause,
                steps=list(steps),
                messages=list(messages),
                usage=sum_usage(steps),
            )
        )

    def stopped() -> Result[bool, OpenRouterCoreError]:
        for condition in s.stop_when:
            try:
                if condition(steps):
                    return Success(True)
            except Exception as exc:
                message = f"the stop condition {condition!r} raised {type(exc).__name__}: {exc}"
                return Failure(
                    InvalidRequestError(message=message, path="stop_when", problem=message)
                )
        return Success(False)

    def finish(stop_reason: Any, pending: list[ToolCall] | None = None) -> Outcome:
        response = steps[-1].response
        parsed = None
        if s.response_type is not None and stop_reason == "completed":
            from openrouter_core.tools._structured import parse_answer

            read = parse_answer(response, s.response_type)
            if isinstance(read, Failure):
                return failed(read.failure())
            parsed = read.unwrap()
        state = None
        if pending:
            state = _write_state(s.params, messages, steps, pending)
        return Success(
            ModelResult(
                text=message_text(response),
                response=response,
                steps=list(steps),
                messages=list(messages),
                usage=sum_usage(steps),
                stop_reason=stop_reason,
                parsed=parsed,
                pending=list(pending or []),
                state=state,
            )
        )

    def answer(step: Step, prepared: list[_Prepared]) -> Generator[_Effect, Any, Step]:
        """Run the calls of ``step``, send the events, append the tool messages."""
        index = len(steps) - 1
        results: list[ToolResult] = yield _Run(prepared)
        for result in results:
            yield _Emit(ToolResultEvent(step=index, result=result))
            messages.append(
                {"role": "tool", "tool_call_id": result.call.id, "content": result.content}
            )
        done = attrs.evolve(step, tool_results=results)
        steps[-1] = done
        yield _Emit(TurnEnd(index=index, step=done))
        return done

    if s.resume is not None:
        paused = steps[-1]
        prepared = [
            _Prepared(call=call, done=_error_result(call, REJECTED))
            if decision is False
            else _prepare(call, s.tools)
            for call, decision in s.resume
        ]
        yield from answer(paused, prepared)
        verdict = stopped()
        if isinstance(verdict, Failure):
            return failed(verdict.failure())
        if verdict.unwrap():
            return finish("stop_condition")

    while True:
        body = {**s.params, "messages": list(messages)}
        if s.definitions:
            body["tools"] = s.definitions
        sent: Result[ChatResponse, OpenRouterCoreError] = yield _Send(body, len(steps))
        if isinstance(sent, Failure):
            return failed(sent.failure())
        response = sent.unwrap()
        calls = _tool_calls(response, len(steps))
        messages.append(_assistant_message(response, calls))
        step = Step(response=response, tool_calls=calls)
        steps.append(step)
        index = len(steps) - 1
        for call in calls:
            yield _Emit(ToolCallEvent(step=index, call=call))
        if not calls:
            yield _Emit(TurnEnd(index=index, step=step))
            return finish("completed")
        waiting = [c for c in calls if c.name in s.tools and s.tools[c.name][0].require_approval]
        if waiting:
            yield _Emit(TurnEnd(index=index, step=step))
            return finish("approval", waiting)
        yield from answer(step, [_prepare(call, s.tools) for call in calls])
        verdict = stopped()
        if isinstance(verdict, Failure):
            return failed(verdict.failure())
        if verdict.unwrap():
            return finish("stop_condition")


# --- running tools ------------------------------------------------------------------------------


_Later = list[tuple[int, _Prepared, Any]]


def _run_sync_tools(
    core: OpenRouterCore, calls: list[_Prepared]
) -> tuple[dict[int, ToolResult], _Later]:
    """Run the sync tools of a turn here, in order; what is left to await comes back (an
    ``async def`` tool not called yet, or the awaitable a tool returned), with its index."""
    results: dict[int, ToolResult] = {}
    later: _Later = []
    for index, p in enumerate(calls):
        if p.done is not None:
            results[index] = p.done
            continue
        assert p.fn is not None
        if inspect.iscoroutinefunction(p.fn):
            later.append((index, p, None))
            continue
        with tool_span(core, p.call.name, call_id=p.call.id):
            try:
                value = p.fn(*p.args, **p.kwargs)
            except Exception as exc:
                results[index] = _raised(p.call, exc)
                continue
        if inspect.isawaitable(value):
            later.append((index, p, value))
        else:
            results[index] = _returned(p.call, value)
    return results, later


def _in_order(
    results: dict[int, ToolResult], later: _Later, awaited: list[ToolResult]
) -> list[ToolResult]:
    for (index, _, _), result in zip(later, awaited, strict=True):
        results[index] = result
    return [results[i] for i in range(len(results))]


def _run_tools_sync(core: OpenRouterCore, calls: list[_Prepared]) -> list[ToolResult]:
    """Sync tools in this thread, in order; async ones together in one event loop."""
    results, later = _run_sync_tools(core, calls)
    return _in_order(results, later, _await_all_sync(core, later) if later else [])


def _await_all_sync(core: OpenRouterCore, later: _Later) -> list[ToolResult]:
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        for _, _, awaitable in later:
            close = getattr(awaitable, "close", None)
            if close is not None:
                close()  # never awaited: close it so Python does not warn
        return [
            _error_result(
                p.call,
                "an async tool cannot run inside a running event loop from "
                "call_model: use call_model_async",
            )
            for _, p, _ in later
        ]
    return asyncio.run(_gather(core, [(p, aw) for _, p, aw in later]))


async def _gather(core: OpenRouterCore, pairs: list[tuple[_Prepared, Any]]) -> list[ToolResult]:
    import asyncio

    async def one(p: _Prepared, awaitable: Any) -> ToolResult:
        # An ``async def`` tool is called here, inside its span (and its task, so the tools of
        # one turn run concurrently); any other awaitable a tool returned was made already.
        with tool_span(core, p.call.name, call_id=p.call.id):
            try:
                if awaitable is None:
                    assert p.fn is not None
                    awaitable = p.fn(*p.args, **p.kwargs)
                return _returned(p.call, await awaitable)
            except Exception as exc:
                return _raised(p.call, exc)

    return list(await asyncio.gather(*(one(p, aw) for p, aw in pairs)))


async def _run_tools_async(core: OpenRouterCore, calls: list[_Prepared]) -> list[ToolResult]:
    """Sync tools in the event loop's thread, in order; then every async one concurrently."""
    results, later = _run_sync_tools(core, calls)
    awaited = await _gather(core, [(p, aw) for _, p, aw in later]) if later else []
    return _in_order(results, later, awaited)


# --- the drivers --------------------------------------------------------------------------------


def run(core: OpenRouterCore, s: Setup, options: Mapping[str, Any]) -> Outcome:
    """The loop, sync, each turn a non-streaming ``chat_send``."""
    from funcs.chat_send import chat_send

    gen = _core(s)
    value: Any = None
    while True:
        try:
            effect = gen.send(value)
        except StopIteration as stop:
            outcome: Outcome = stop.value
            return outcome
        if isinstance(effect, _Send):
            value = chat_send(core, effect.body, stream=False, **options)
        elif isinstance(effect, _Run):
            value = _run_tools_sync(core, effect.calls)
        else:
            value = None


async def run_async(core: OpenRouterCore, s: Setup, options: Mapping[str, Any]) -> Outcome:
    """The loop, async, each turn a non-streaming ``chat_send_async``."""
    from funcs.chat_send import chat_send_async

    gen = _core(s)
    value: Any = None
    while True:
        try:
            effect = gen.send(value)
        except StopIteration as stop:
            outcome: Outcome = stop.value
            return outcome
        if isinstance(effect, _Send):
            value = await chat_send_async(core, effect.body, stream=False, **options)
        elif isinstance(effect, _Run):
            value = await _run_tools_async(core, effect.calls)
        else:
            value = None


def _wrap_first(gen: _Core, failure: OpenRouterCoreError) -> CallModelError:
    """The error of the first turn (the stream never started), through the core."""
    try:
        gen.send(Failure(failure))
    except StopIteration as stop:
        return stop.value.failure()  # type: ignore[no-any-return]
    raise AssertionError("the core goes on after a failed turn")  # pragma: no cover


def start_stream(
    core: OpenRouterCore, s: Setup, options: Mapping[str, Any], *, model: str | None = None
) -> Result[ModelStream[Any], CallModelError]:
    """Start a streamed loop: Success once the first turn's stream has begun. With a tracer
    provider set, the loop's ``invoke_agent`` span (``model``: its request model) starts here
    and ends with the stream."""
    agent = _agent_run(core, model=model)
    if agent is None:
        return _start(core, s, options)
    token = agent.enter()
    try:
        opened = _start(core, s, options)
    except BaseException as exc:  # cancelled: the span ends with it
        agent.end("failed", exc)
        raise
    finally:
        agent.leave(token)
    return _watched(opened, agent, None)


def _start(
    core: OpenRouterCore, s: Setup, options: Mapping[str, Any]
) -> Result[ModelStream[Any], CallModelError]:
    from funcs.chat_send import chat_send

    gen = _core(s)
    effect = next(gen)
    pending: list[_Effect] = []
    # Resuming runs the paused calls first: their events come before the first turn's.
    while not isinstance(effect, _Send):
        pending.append(effect)
        value = _run_tools_sync(core, effect.calls) if isinstance(effect, _Run) else None
        try:
            effect = gen.send(value)
        except StopIteration as stop:
            return Success(ModelStream(core, gen, options, pending, None, stop.value))
    first = chat_send(core, effect.body, stream=True, **options)
    if isinstance(first, Failure):
        return Failure(_wrap_first(gen, first.failure()))
    return Success(ModelStream(core, gen, options, [*pending, effect], first.unwrap(), None))


async def start_stream_async(
    core: OpenRouterCore, s: Setup, options: Mapping[str, Any], *, model: str | None = None
) -> Result[AsyncModelStream[Any], CallModelError]:
    """Start a streamed loop (async): Success once the first turn's stream has begun; its
    span as in :func:`start_stream`."""
    agent = _agent_run(core, model=model)
    if agent is None:
        return await _start_async(core, s, options)
    token = agent.enter()
    try:
        opened = await _start_async(core, s, options)
    except BaseException as exc:  # as in start_stream
        agent.end("failed", exc)
        raise
    finally:
        agent.leave(token)
    import asyncio

    return _watched(opened, agent, asyncio.get_running_loop())


async def _start_async(
    core: OpenRouterCore, s: Setup, options: Mapping[str, Any]
) -> Result[AsyncModelStream[Any], CallModelError]:
    from funcs.chat_send import chat_send_async

    gen = _core(s)
    effect = next(gen)
    pending: list[_Effect] = []
    while not isinstance(effect, _Send):
        pending.append(effect)
        value = await _run_tools_async(core, effect.calls) if isinstance(effect, _Run) else None
        try:
            effect = gen.send(value)
        except StopIteration as stop:
            return Success(AsyncModelStream(core, gen, options, pending, None, stop.value))
    first = await chat_send_async(core, effect.body, stream=True, **options)
    if isinstance(first, Failure):
        return Failure(_wrap_first(gen, first.failure()))
    return Success(AsyncModelStream(core, gen, options, [*pending, effect], first.unwrap(), None))


S = TypeVar("S", bound="_StreamBase[Any]")


def _watched(
    opened: Result[S, CallModelError], agent: AgentRun, loop: asyncio.AbstractEventLoop | None
) -> Result[S, CallModelError]:
    """The span ends now if the loop could not start, else with the stream."""
    if isinstance(opened, Failure):
        agent.end("failed", opened.failure())
    else:
        stream = opened.unwrap()
        stream._agent = agent
        agent.watch(stream, loop)
    return opened


class _StreamBase(Generic[T]):
    def __init__(
        self,
        core: OpenRouterCore,
        gen: _Core,
        options: Mapping[str, Any],
        started: list[_Effect],
        chat: Any,
        outcome: Outcome | None,
    ) -> None:
        self._core = core
        self._gen = gen
        self._options = options
        # Effects already carried out when the stream was made: their events come first, and
        # the last may be the first turn's send, whose stream is ``chat``.
        self._started = started
        self._chat = chat
        self._outcome = outcome
        # The steps seen so far (from TurnEnd events): what a stream closed early had done.
        self._steps: list[Step] = []
        #: The loop's invoke_agent span, when a tracer provider is set.
        self._agent: AgentRun | None = None

    @property
    def result(self) -> Result[ModelResult[T], CallModelError] | None:
        """The outcome once the stream ended (``None`` before)."""
        return self._outcome

    def _advance(self, value: Any) -> _Effect | None:
        try:
            return self._gen.send(value)
        except StopIteration as stop:
            self._outcome = stop.value
            return None

    def _seen(self, event: ModelEvent) -> Result[ModelEvent, CallModelError]:
        if isinstance(event, TurnEnd):
            self._steps[event.index :] = [event.step]
        return Success(event)

    def _stopped(self) -> None:
        """The stream is closed: the loop stops here (a stream closed before its end gets an
        outcome saying so) and its span, if any, ends with how it went."""
        self._gen.close()
        early = self._outcome is None
        if early:
            steps = list(self._steps)
            self._outcome = Failure(
                CallModelError(
                    message="the stream was closed before the loop ended "
                    f"({len(steps)} step(s) done)",
                    steps=steps,
                    usage=sum_usage(steps),
                )
            )
        agent = self._agent
        if agent is not None:
            if early:
                agent.end("closed")
            elif isinstance(self._outcome, Failure):
                agent.end("failed", self._outcome.failure())
            else:
                agent.end("completed")


class ModelStream(_StreamBase[T]):
    """A streamed ``call_model`` (sync): iterate for ``Result[ModelEvent, CallModelError]``
    items across every turn, or ``collect()`` the ``ModelResult``.

    Events: ``TextDelta`` (text as it streams), ``ToolCallEvent`` (a call, once its turn's
    answer is complete), ``ToolResultEvent`` (its result), ``TurnEnd`` (a step is complete). A
    failure is the last item. A context manager: leaving it (or ``close()``) closes the turn's
    HTTP stream; iterating never raises.
    """

    _iterator: Iterator[Result[ModelEvent, CallModelError]] | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __iter__(self) -> Iterator[Result[ModelEvent, CallModelError]]:
        # One generator for the stream's life: a second loop goes on where the first stopped.
        if self._iterator is None:
            agent = self._agent
            self._iterator = self._events() if agent is None else agent.within(self._events())
        try:
            yield from self._iterator
        finally:
            self.close()

    def collect(self) -> Result[ModelResult[T], CallModelError]:
        """Run the loop to its end (events already iterated included) and return its result."""
        for _ in self:
            pass
        assert self._outcome is not None
        return self._outcome

    def close(self) -> None:
        """Close the current turn's HTTP stream (idempotent); the loop does not go on."""
        chat, self._chat = self._chat, None
        if chat is not None:
            chat.close()
        self._stopped()

    def _events(self) -> Generator[Result[ModelEvent, CallModelError], None, None]:
        from funcs.chat_send import chat_send

        started, self._started = self._started, []
        for done in started:
            if isinstance(done, _Emit):
                yield self._seen(done.event)
        effect: _Effect | None = started[-1] if started and self._chat is not None else None
        while effect is not None:
            value: Any = None
            if isinstance(effect, _Send):
                chat = self._chat
                if chat is None:
                    opened = chat_send(self._core, effect.body, stream=True, **self._options)
                    chat = opened.unwrap() if isinstance(opened, Success) else None
                    value = opened if chat is None else None
                self._chat = chat
                if chat is not None:
                    yield from _deltas(chat, effect.step)
                    value = chat.collect()
                    self._chat = None
            elif isinstance(effect, _Run):
                value = _run_tools_sync(self._core, effect.calls)
            else:
                yield self._seen(effect.event)
            effect = self._advance(value)
        if isinstance(self._outcome, Failure):
            yield Failure(self._outcome.failure())


def _deltas(chat: ChatStream, step: int) -> Iterator[Result[ModelEvent, CallModelError]]:
    for item in chat:
        if isinstance(item, Failure):
            return  # collect() returns the same failure, which the core turns into the outcome
        for choice in item.unwrap().choices:
            text = choice.delta.content
            if text:
                yield Success(TextDelta(step=step, text=text))


class AsyncModelStream(_StreamBase[T]):
    """A streamed ``call_model_async``: ``async for`` over ``Result[ModelEvent,
    CallModelError]`` items, or ``await collect()``; ``async with`` closes it."""

    _iterator: AsyncIterator[Result[ModelEvent, CallModelError]] | None = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def __aiter__(self) -> AsyncIterator[Result[ModelEvent, CallModelError]]:
        if self._iterator is None:
            agent = self._agent
            self._iterator = self._events() if agent is None else agent.awithin(self._events())
        try:
            async for item in self._iterator:
                yield item
        finally:
            await self.aclose()

    async def collect(self) -> Result[ModelResult[T], CallModelError]:
        """Run the loop to its end and return its result."""
        async for _ in self:
            pass
        assert self._outcome is not None
        return self._outcome

    async def aclose(self) -> None:
        """Close the current turn's HTTP stream (idempotent)."""
        chat, self._chat = self._chat, None
        if chat is not None:
            await chat.aclose()
        self._stopped()

    async def _events(self) -> AsyncGenerator[Result[ModelEvent, CallModelError], None]:
        from funcs.chat_send import chat_send_async

        started, self._started = self._started, []
        for done in started:
            if isinstance(done, _Emit):
                yield self._seen(done.event)
        effect: _Effect | None = started[-1] if started and self._chat is not None else None
        while effect is not None:
            value: Any = None
            if isinstance(effect, _Send):
                chat: AsyncChatStream | None = self._chat
                if chat is None:
                    opened = await chat_send_async(
                        self._core, effect.body, stream=True, **self._options
                    )
                    chat = opened.unwrap() if isinstance(opened, Success) else None
                    value = opened if chat is None else None
                self._chat = chat
                if chat is not None:
                    async for item in chat:
                        if isinstance(item, Failure):
                            break
                        for choice in item.unwrap().choices:
                            if choice.delta.content:
                                yield Success(
                                    TextDelta(step=effect.step, text=choice.delta.content)
                                )
                    value = await chat.collect()
                    self._chat = None
            elif isinstance(effect, _Run):
                value = await _run_tools_async(self._core, effect.calls)
            else:
                yield self._seen(effect.event)
            effect = self._advance(value)
        if isinstance(self._outcome, Failure):
            yield Failure(self._outcome.failure())
