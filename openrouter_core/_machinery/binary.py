"""Binary answers (audio, a file's bytes, a video): ``Body`` (sync) and ``AsyncBody`` (async).

A Success holds the response with its body not read yet. ``read()`` takes it whole;
``iter_bytes()`` hands it out in chunks (a Result each); ``save(path)`` streams it to a file in
chunks, so a 1 GB body never needs 1 GB of memory. A body cut off mid-way is a Failure
(``StreamTruncatedError``, or the read's error), never a short file passed off as whole: a
``Content-Length`` that does not match what arrived counts as cut. The body is a context
manager and closes like a stream: at the end, on ``close()``, or when dropped.
"""

from __future__ import annotations

import contextlib
import os
import weakref
from collections.abc import AsyncIterator, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any

from returns.result import Failure, Result, Success

from openrouter_core._machinery.classify import classify_exception, header_getter
from openrouter_core.errors import (
    APITimeoutError,
    StreamConnectionError,
    StreamError,
    StreamTimeoutError,
    StreamTruncatedError,
)

if TYPE_CHECKING:
    from typing import Self

    from openrouter_core._machinery.http import HTTPInfo

__all__ = ["AsyncBody", "Body"]

#: Bytes per chunk handed out or written.
CHUNK = 64 * 1024


def _read_error(exc: Exception, received: int) -> StreamError:
    verdict = classify_exception(exc)
    cause = getattr(verdict.error, "cause", "") or f"{type(exc).__name__}: {exc}"
    if isinstance(verdict.error, APITimeoutError):
        return StreamTimeoutError(message=f"the body stalled after {received} bytes ({cause})")
    return StreamConnectionError(
        message=f"the body broke off after {received} bytes ({cause})", cause=cause
    )


class _BodyBase:
    """What both drivers share: the response's type, length and the check of what arrived."""

    def __init__(self, response: Any, http: HTTPInfo | None = None) -> None:
        self._response = response
        self._closed = False
        #: The HTTP exchange the body came in.
        self.http = http
        self.received = 0

    @property
    def content_type(self) -> str | None:
        """The ``Content-Type`` the server sent (``audio/mpeg``, ``video/mp4``, ...)."""
        return header_getter(self._response.headers)("content-type")

    @property
    def content_length(self) -> int | None:
        """The ``Content-Length`` the server sent, when it did."""
        value = header_getter(self._response.headers)("content-length")
        return int(value) if value is not None and value.isdigit() else None

    @property
    def closed(self) -> bool:
        """Whether the HTTP response has been closed."""
        return self._closed

    def __repr__(self) -> str:
        length = self.content_length
        size = f"{length} bytes" if length is not None else "length unknown"
        status = "closed" if self._closed else "open"
        return (
            f"<{type(self).__name__} {self.content_type or 'no Content-Type'}, {size}, "
            f"{self.received} read, {status}>"
        )

    def _ended(self) -> StreamError | None:
        """The error of a body that ended short of its ``Content-Length``, or None."""
        expected = self.content_length
        if expected is not None and self.received != expected:
            return StreamTruncatedError(
                message=f"the body ended after {self.received} of {expected} bytes"
            )
        return None


class Body(_BodyBase):
    """A binary answer (sync): ``read()``, ``iter_bytes()`` or ``save(path)``; then closed."""

    def __init__(self, response: Any, http: HTTPInfo | None = None) -> None:
        super().__init__(response, http)
        self._finalizer = weakref.finalize(self, _close_quietly, response)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def iter_bytes(self, chunk_size: int = CHUNK) -> Iterator[Result[bytes, StreamError]]:
        """The body in chunks; a Failure last if it broke off. Closes the response at the end."""
        try:
            for data in self._response.iter_bytes(chunk_size):
                self.received += len(data)
                yield Success(data)
        except Exception as exc:
            yield Failure(_read_error(exc, self.received))
            return
        finally:
            self.close()
        short = self._ended()
        if short is not None:
            yield Failure(short)

    def read(self) -> Result[bytes, StreamError]:
        """The whole body (for bodies that fit in memory)."""
        into = _Collect()
        all(into.take(item) for item in self.iter_bytes())
        self.close()
        return into.result()

    def save(self, path: str | os.PathLike[str]) -> Result[int, StreamError]:
        """Write the body to ``path`` chunk by chunk; the number of bytes written. On a Failure
        the partial file is removed."""
        with _Save(path) as into:
            if into.ready():
                all(into.take(item) for item in self.iter_bytes())
        self.close()
        return into.result()

    def close(self) -> None:
        """Close the HTTP response (idempotent)."""
        if not self._closed:
            self._closed = True
            self._finalizer.detach()
            _close_quietly(self._response)


class AsyncBody(_BodyBase):
    """A binary answer (async): ``await read()``, ``async for`` over ``iter_bytes()``, or
    ``await save(path)``."""

    def __init__(self, response: Any, http: HTTPInfo | None = None) -> None:
        from openrouter_core._machinery.stream import close_when_dropped

        super().__init__(response, http)
        self._finalizer = close_when_dropped(self, response)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def iter_bytes(
        self, chunk_size: int = CHUNK
    ) -> AsyncIterator[Result[bytes, StreamError]]:
        """The body in chunks; a Failure last if it broke off. Closes the response at the end."""
        try:
            async for data in self._response.aiter_bytes(chunk_size):
                self.received += len(data)
                yield Success(data)
        except Exception as exc:
            yield Failure(_read_error(exc, self.received))
            return
        finally:
            await self.aclose()
        short = self._ended()
        if short is not None:
            yield Failure(short)

    async def read(self) -> Result[bytes, StreamError]:
        """The whole body (for bodies that fit in memory)."""
        into = _Collect()
        async for item in self.iter_bytes():
            if not into.take(item):
                break
        await self.aclose()
        return into.result()

    async def save(self, path: str | os.PathLike[str]) -> Result[int, StreamError]:
        """Write the body to ``path`` chunk by chunk; the number of bytes written. On a Failure
        the partial file is removed."""
        with _Save(path) as into:
            if into.ready():
                async for item in self.iter_bytes():
                    if not into.take(item):
                        break
        await self.aclose()
        return into.result()

    async def aclose(self) -> None:
        """Close the HTTP response (idempotent)."""
        if not self._closed:
            self._closed = True
            self._finalizer.detach()
            with contextlib.suppress(Exception):
                await self._response.aclose()


class _Collect:
    """Gathers the chunks of ``read()``; the first Failure ends it."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.error: StreamError | None = None

    def take(self, item: Result[bytes, StreamError]) -> bool:
        if isinstance(item, Failure):
            self.error = item.failure()
            return False
        self.parts.append(item.unwrap())
        return True

    def result(self) -> Result[bytes, StreamError]:
        return Failure(self.error) if self.error else Success(b"".join(self.parts))


class _Save:
    """Writes the chunks of ``save()`` to a file, removed again if the body fails."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = path
        self.file: Any = None
        self.written = 0
        self.error: StreamError | None = None

    def __enter__(self) -> _Save:
        try:
            self.file = open(self.path, "wb")
        except OSError as exc:
            self.error = StreamConnectionError(message=f"could not write {self.path!s}: {exc}")
        return self

    def ready(self) -> bool:
        return self.error is None

    def take(self, item: Result[bytes, StreamError]) -> bool:
        if isinstance(item, Failure):
            self.error = item.failure()
            return False
        try:
            self.file.write(item.unwrap())
        except OSError as exc:
            self.error = StreamConnectionError(message=f"could not write {self.path!s}: {exc}")
            return False
        self.written += len(item.unwrap())
        return True

    def __exit__(self, *exc: object) -> None:
        if self.file is not None:
            self.file.close()
            if self.error is not None:
                with contextlib.suppress(OSError):
                    os.unlink(self.path)

    def result(self) -> Result[int, StreamError]:
        return Failure(self.error) if self.error else Success(self.written)


def _close_quietly(response: Any) -> None:
    with contextlib.suppress(Exception):
        response.close()
