"""How a chat completion or chunk reports an error in a 200 answer: kept apart from the stream
classes so that a call that does not stream loads none of them."""

from __future__ import annotations

from typing import Any

from openrouter_core._machinery.classify import error_fields
from openrouter_core._machinery.operation import ErrorFields

__all__ = ["choice_error", "reported_error"]


def choice_error(obj: dict[str, Any]) -> ErrorFields | None:
    """The error a choice of a completion or chunk reports (``error``, or ``finish_reason``
    ``"error"``), or None."""
    choices = obj.get("choices")
    if not isinstance(choices, list):
        return None
    for choice in choices:
        if not isinstance(choice, dict):
            continue
        err = choice.get("error")
        if isinstance(err, dict):
            fields = error_fields({"error": err})
            if fields is not None:
                code, message, metadata = fields
                return code, message or "the provider reported an error", metadata
        if choice.get("finish_reason") == "error":
            return None, "the generation ended with finish_reason 'error'", None
    return None


def reported_error(obj: Any) -> ErrorFields | None:
    """The error a chunk reports: a top-level ``error`` object, or a choice's."""
    if not isinstance(obj, dict):
        return None
    if obj.get("error") is not None:
        fields = error_fields(obj)
        if fields is not None:
            return fields
    return choice_error(obj)
