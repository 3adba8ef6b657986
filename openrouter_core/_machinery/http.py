"""``HTTPInfo``: the HTTP exchange behind a Success (``.http``)."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

__all__ = ["HTTPInfo"]


@attrs.frozen(kw_only=True)
class HTTPInfo:
    """The HTTP exchange that produced a value: what ``.http`` holds on a Success.

    ``headers`` has lower-case names (rate limits, ``x-generation-id``, ...); ``request_id`` is
    the first of ``x-generation-id``, ``x-request-id``, ``request-id``, ``cf-ray`` sent;
    ``attempts`` counts the tries this call made; ``elapsed`` is the seconds from the first
    attempt until the response (for a stream: until its first event).
    """

    status_code: int
    headers: Mapping[str, str] = attrs.field(factory=dict)
    request_id: str | None = None
    attempts: int = 1
    elapsed: float = 0.0
