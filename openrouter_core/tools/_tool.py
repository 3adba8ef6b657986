"""A tool: a Python function the model may call, and what the loop learns from its signature."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, overload

import attrs
from returns.result import Failure, Result, Success

from openrouter_core.errors import InvalidRequestError

if TYPE_CHECKING:
    from openrouter_core.json_schema import Parameter

__all__ = ["Tool", "tool"]

_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


@attrs.frozen(eq=False)
class Tool:
    """A function the model may call. Build it with :func:`tool`; a plain function passed in
    ``tools`` is ``tool(fn)``.

    Its schema is read from the signature on first use (not when the tool is made), and a
    signature that cannot be described is an ``InvalidRequestError`` from the call using it.
    """

    fn: Callable[..., Any]
    name: str
    description: str | None = None
    require_approval: bool = False
    # Filled once, on first use: (definition, parameters, is_async), or the error.
    _compiled: list[Result[_Compiled, InvalidRequestError]] = attrs.field(
        factory=list, init=False, repr=False, alias="_compiled"
    )

    def definition(self) -> Result[dict[str, Any], InvalidRequestError]:
        """The tool as sent to the model: ``{"type": "function", "function": {name,
        description, parameters}}``, or the error saying why the signature cannot be sent."""
        return self.compiled().map(lambda compiled: compiled.definition)

    def compiled(self) -> Result[_Compiled, InvalidRequestError]:
        """The definition, the parameters and whether the function is async (computed once)."""
        if not self._compiled:
            self._compiled.append(_compile(self))
        return self._compiled[0]


@attrs.frozen
class _Compiled:
    definition: dict[str, Any]
    parameters: list[Parameter]
    is_async: bool


def _compile(t: Tool) -> Result[_Compiled, InvalidRequestError]:
    from openrouter_core.json_schema import SchemaError, function_parameters

    if not isinstance(t.name, str) or not _NAME.fullmatch(t.name):
        return Failure(
            InvalidRequestError(
                message=(
                    f"tools[{t.name!r}]: a tool's name is 1 to 64 letters, digits, '_' or '-'; "
                    "pass name= to tool()"
                ),
                path=f"tools[{t.name!r}]",
                problem="invalid name",
            )
        )
    try:
        schema, params = function_parameters(t.fn)
    except SchemaError as err:
        where = f"tools[{t.name!r}]" + (f".{err.path}" if err.path else "")
        return Failure(
            InvalidRequestError(message=f"{where}: {err.problem}", path=where, problem=err.problem)
        )
    function: dict[str, Any] = {"name": t.name}
    if t.description:
        function["description"] = t.description
    function["parameters"] = schema
    return Success(
        _Compiled(
            definition={"type": "function", "function": function},
            parameters=params,
            is_async=_is_async(t.fn),
        )
    )


def _is_async(fn: Callable[..., Any]) -> bool:
    if inspect.iscoroutinefunction(fn):
        return True
    call = getattr(fn, "__call__", None)  # noqa: B004  # an object with an async __call__
    return call is not None and inspect.iscoroutinefunction(call)


@overload
def tool(
    fn: Callable[..., Any],
    *,
    name: str | None = None,
    description: str | None = None,
    require_approval: bool = False,
) -> Tool: ...
@overload
def tool(
    fn: None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    require_approval: bool = False,
) -> Callable[[Callable[..., Any]], Tool]: ...
def tool(
    fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    require_approval: bool = False,
) -> Tool | Callable[[Callable[..., Any]], Tool]:
    """Make ``fn`` a tool: its name is the function's (or ``name``), its description the
    docstring (or ``description``), its parameters' JSON Schema is read from the annotations.
    ``require_approval=True`` pauses the loop before the tool runs (see ``call_model``).

    Also a decorator: ``@tool`` or ``@tool(require_approval=True)``.
    """

    def make(f: Callable[..., Any]) -> Tool:
        return Tool(
            fn=f,
            name=name if name is not None else getattr(f, "__name__", type(f).__name__),
            description=description if description is not None else inspect.getdoc(f),
            require_approval=require_approval,
        )

    return make if fn is None else make(fn)


def as_tool(item: Tool | Callable[..., Any]) -> Tool:
    """A ``tools`` entry as a :class:`Tool`."""
    return item if isinstance(item, Tool) else tool(item)
