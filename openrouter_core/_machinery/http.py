"""``HTTPInfo``: the HTTP exchange behind a Success (``.http``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["HTTPInfo"]

#: Header names a request id may arrive in, most specific first.
_ID_HEADERS = ("x-generation-id", "x-request-id", "request-id", "cf-ray")


class HTTPInfo:
    """The HTTP exchange that produced a value: what ``.http`` holds on a Success.

    ``headers`` has lower-case names (rate limits, ``x-generation-id``, ...); ``request_id`` is
    the first of ``x-generation-id``, ``x-request-id``, ``request-id``, ``cf-ray`` sent;
    ``attempts`` counts the tries this call made; ``elapsed`` is the seconds from the first
    attempt until the response (for a stream: until its first event).

    The headers are copied into a plain dict when first asked for, so a call whose caller never
    looks pays nothing for them.
    """

    __slots__ = ("_headers", "_raw", "attempts", "elapsed", "status_code")

    def __init__(
        self,
        *,
        status_code: int,
        headers: Mapping[str, str] | None = None,
        attempts: int = 1,
        elapsed: float = 0.0,
        raw_headers: Any = None,
    ) -> None:
        self.status_code = status_code
        self.attempts = attempts
        self.elapsed = elapsed
        self._headers: dict[str, str] | None = (
            {k.lower(): v for k, v in headers.items()} if headers is not None else None
        )
        self._raw = raw_headers

    @property
    def headers(self) -> Mapping[str, str]:
        """The response headers, lower-case names."""
        if self._headers is None:
            try:
                self._headers = {str(k).lower(): str(v) for k, v in self._raw.items()}
            except Exception:  # a caller's client may hand over odd headers
                self._headers = {}
        return self._headers

    @property
    def request_id(self) -> str | None:
        """The request id the response carried, if any."""
        headers = self.headers
        return next((headers[name] for name in _ID_HEADERS if headers.get(name)), None)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, HTTPInfo):
            return NotImplemented
        return (self.status_code, self.attempts, self.elapsed, dict(self.headers)) == (
            other.status_code,
            other.attempts,
            other.elapsed,
            dict(other.headers),
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"HTTPInfo(status_code={self.status_code}, attempts={self.attempts}, "
            f"elapsed={self.elapsed:.3f}, request_id={self.request_id!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.status_code, dict(self.headers), self.attempts, self.elapsed))


def _rebuild(status_code: int, headers: dict[str, str], attempts: int, elapsed: float) -> HTTPInfo:
    return HTTPInfo(status_code=status_code, headers=headers, attempts=attempts, elapsed=elapsed)
