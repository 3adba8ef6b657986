"""The small part of an HTTP client the SDK uses, as typed protocols.

``httpx.Client`` / ``httpx.AsyncClient`` and the ``httpx2`` fork both satisfy these structurally,
so a caller may inject either without a cast.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any, Protocol


class TimeoutLike(Protocol):
    """A timeout object such as ``httpx.Timeout`` or ``httpx2.Timeout`` (seconds or None)."""

    @property
    def connect(self) -> float | None:
        """Seconds to establish a connection."""

    @property
    def read(self) -> float | None:
        """Seconds to wait for each read."""

    @property
    def write(self) -> float | None:
        """Seconds to wait for each write."""

    @property
    def pool(self) -> float | None:
        """Seconds to wait for a pooled connection."""


class ResponseHeaders(Protocol):
    """Case-insensitive response headers."""

    def get(self, key: str, default: Any = None) -> Any:
        """The header's value, or ``default``."""

    def items(self) -> Any:
        """All header pairs."""


class SyncResponse(Protocol):
    """A response opened with ``send(..., stream=True)``."""

    @property
    def status_code(self) -> int:
        """The HTTP status."""

    @property
    def headers(self) -> Any:
        """The response headers."""

    def read(self) -> bytes:
        """Read the whole (decoded) body."""

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        """Iterate over the (decoded) body."""

    def close(self) -> None:
        """Release the connection."""


class AsyncResponse(Protocol):
    """An async response opened with ``send(..., stream=True)``."""

    @property
    def status_code(self) -> int:
        """The HTTP status."""

    @property
    def headers(self) -> Any:
        """The response headers."""

    async def aread(self) -> bytes:
        """Read the whole (decoded) body."""

    def aiter_bytes(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        """Iterate over the (decoded) body."""

    async def aclose(self) -> None:
        """Release the connection."""


class SyncHTTPClient(Protocol):
    """What the SDK needs from a sync client (``httpx.Client``, ``httpx2.Client``)."""

    def build_request(
        self,
        method: str,
        url: str,
        *,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: Any = ...,
    ) -> Any:
        """Build a request object for ``send``."""

    def send(self, request: Any, *, stream: bool = False) -> Any:
        """Send a request; with ``stream=True`` the body is not read yet."""

    def close(self) -> None:
        """Close the pool."""


class AsyncHTTPClient(Protocol):
    """What the SDK needs from an async client (``httpx.AsyncClient``, ``httpx2.AsyncClient``)."""

    def build_request(
        self,
        method: str,
        url: str,
        *,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: Any = ...,
    ) -> Any:
        """Build a request object for ``send``."""

    async def send(self, request: Any, *, stream: bool = False) -> Any:
        """Send a request; with ``stream=True`` the body is not read yet."""

    async def aclose(self) -> None:
        """Close the pool."""
