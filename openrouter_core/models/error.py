"""OpenRouter's JSON error body, as sent with an error status or inside a stream chunk."""

from __future__ import annotations

from typing import Any

import attrs
from returns.result import Result

from openrouter_core.errors import ResponseValidationError
from openrouter_core.models._base import WireModel
from openrouter_core.models._converter import read_response

__all__ = ["ErrorBody", "ErrorResponse"]


@attrs.define(kw_only=True, repr=False, eq=False)
class ErrorBody(WireModel):
    """``{code, message, metadata}``; ``code`` is a number or a string, as sent."""

    code: int | str | None = None
    message: str | None = None
    metadata: dict[str, Any] | None = None


@attrs.define(kw_only=True, repr=False, eq=False)
class ErrorResponse(WireModel):
    """An error response body: ``{"error": {...}, "user_id"?, "openrouter_metadata"?}``."""

    error: ErrorBody
    user_id: str | None = None
    openrouter_metadata: dict[str, Any] | None = None

    @classmethod
    def from_dict(cls, data: object) -> Result[ErrorResponse, ResponseValidationError]:
        """Read an error body (parsed JSON); never raises."""
        return read_response(data, cls)
