"""Structured outputs: the ``response_format`` for a class, and reading an answer into it."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, TypeVar

from returns.result import Failure, Result, Success

from openrouter_core.errors import InvalidRequestError
from openrouter_core.tools._result import StructuredOutputError, message_text

if TYPE_CHECKING:
    from openrouter_core.models import ChatResponse

__all__ = ["parse_answer", "response_format"]

T = TypeVar("T")


def response_format(cls: Any) -> Result[dict[str, Any], InvalidRequestError]:
    """``{"type": "json_schema", "json_schema": {"name", "strict": true, "schema"}}`` for
    ``cls`` (an attrs class, a dataclass, a TypedDict or a pydantic model)."""
    from openrouter_core.json_schema import SchemaError, object_schema

    try:
        schema = object_schema(cls, strict=True)
    except SchemaError as err:
        where = "response_type" + (f".{err.path}" if err.path else "")
        return Failure(
            InvalidRequestError(message=f"{where}: {err.problem}", path=where, problem=err.problem)
        )
    name = re.sub(r"[^A-Za-z0-9_-]", "_", getattr(cls, "__name__", "output"))[:64] or "output"
    return Success(
        {"type": "json_schema", "json_schema": {"name": name, "strict": True, "schema": schema}}
    )


def parse_answer(response: ChatResponse, cls: type[T]) -> Result[T, StructuredOutputError]:
    """The first choice's content read into ``cls``; a refusal, no content, content that is not
    JSON or does not fit is a ``StructuredOutputError`` keeping the raw text."""
    from openrouter_core.tools._convert import describe_error, read_as

    name = getattr(cls, "__name__", repr(cls))
    message = response.choices[0].message if response.choices else None
    raw = message_text(response)
    refusal = message.refusal if message is not None else None
    if refusal:
        return Failure(
            StructuredOutputError(
                message=f"the model refused to answer as {name}: {refusal}",
                kind="refusal",
                raw=raw,
                refusal=refusal,
                response=response,
            )
        )
    if not raw.strip():
        return Failure(
            StructuredOutputError(
                message=f"the answer has no content to read as {name}",
                kind="empty",
                raw=raw,
                response=response,
            )
        )
    try:
        value = json.loads(raw)
    except ValueError as exc:
        return Failure(
            StructuredOutputError(
                message=f"the answer is not JSON ({exc}), so not a {name}",
                kind="not_json",
                raw=raw,
                problem=str(exc),
                response=response,
            )
        )
    try:
        parsed: T = read_as(value, cls)
    except Exception as exc:
        problem = describe_error(exc)
        return Failure(
            StructuredOutputError(
                message=f"the answer does not fit {name}: {problem}",
                kind="mismatch",
                raw=raw,
                problem=problem,
                response=response,
            )
        )
    return Success(parsed)
