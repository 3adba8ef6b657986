"""Files sent with a request: what a caller may give (bytes, a path, a binary file object), and
how they are checked and read.

Pure: :func:`file_part` sorts a value into a :class:`FilePart` or says what is wrong with it,
touching no file, so that ``prepare`` stays pure. I/O: :func:`load`, which a driver runs once
before the first attempt, checks that each path names a readable file and reads the file of a
JSON field that takes one (the operation's encoder turns its bytes into the field's value), and
:meth:`FilePart.open`, with which each attempt streams a multipart upload from disk, never
reading it into memory whole.
"""

from __future__ import annotations

import contextlib
import io
import mimetypes
import os
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any, TypeAlias

import attrs

if TYPE_CHECKING:
    from returns.result import Result

    from openrouter_core._machinery.request import Prepared
    from openrouter_core.errors import InvalidRequestError

__all__ = ["Encoder", "FileInput", "FilePart", "file_part", "load", "read"]

#: What a file field accepts: its bytes, a path to it, or a binary file object open for reading.
FileInput: TypeAlias = bytes | str | os.PathLike[str] | IO[bytes]

#: Turns a file's bytes and name into the JSON value of the field that takes it (pure).
Encoder: TypeAlias = Callable[[bytes, str], Any]


@attrs.frozen
class FilePart:
    """One file a request sends, sorted but not yet checked or read: a multipart part (opened
    anew by each attempt), or with ``encode`` the file of a JSON field (read once)."""

    field: str
    filename: str
    content_type: str
    #: Bytes, a path (opened by each attempt) or a file object (sent from its start each time).
    source: Any
    #: For a JSON field: makes the field's value from the file's bytes and name.
    encode: Encoder | None = None

    def open(self, opened: contextlib.ExitStack) -> tuple[str, Any, str]:
        """The ``(filename, data, content type)`` httpx sends for this attempt."""
        source = self.source
        if isinstance(source, bytes):
            return self.filename, source, self.content_type
        if isinstance(source, str | os.PathLike):
            file = opened.enter_context(open(source, "rb"))  # noqa: SIM115 - the stack closes it
            return self.filename, file, self.content_type
        # httpx rewinds a file object to its start before writing it, so a retry sends it whole.
        return self.filename, source, self.content_type


def _guess(filename: str) -> str:
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def file_part(field: str, value: object, encode: Encoder | None = None) -> FilePart | str:
    """The part for ``value``, or what is wrong with it; pure: no file is looked at (``load``
    checks that a path names a readable file)."""
    if isinstance(value, bytes | bytearray | memoryview):
        return FilePart(field, field, "application/octet-stream", bytes(value), encode)
    if isinstance(value, str | os.PathLike):
        path = os.fspath(value)
        if not isinstance(path, str) or not path:
            return f"no such file: {path!r}"
        name = os.path.basename(path)
        return FilePart(field, name, _guess(name), path, encode)
    read = getattr(value, "read", None)
    if callable(read):
        if isinstance(value, io.TextIOBase):
            return "a file object must be opened in binary mode ('rb')"
        name = os.path.basename(str(getattr(value, "name", "") or field))
        return FilePart(field, name, _guess(name), value, encode)
    return f"must be bytes, a path or a binary file object, not {type(value).__name__}"


def _unreadable(part: FilePart) -> str | None:
    """What keeps ``part``'s path from being read, or None (bytes and file objects: nothing)."""
    path = part.source
    if not isinstance(path, str):
        return None
    if not os.path.isfile(path):
        return f"no such file: {path!r}"
    if not os.access(path, os.R_OK):
        return f"the file cannot be read: {path!r}"
    return None


def read(source: FileInput) -> bytes:
    """The whole content of bytes, a path or a binary file object (read from where it stands)."""
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source)
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as file:
            return file.read()
    data = source.read()
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"the file object's read() gave {type(data).__name__}, not bytes")
    return bytes(data)


def load(prepared: Prepared) -> Result[Prepared, InvalidRequestError]:
    """``prepared`` with its files checked and each JSON field's file read and encoded into the
    body, or the refusal naming the field and what is wrong. Does I/O: a driver runs it once,
    before the first attempt, so that a missing file is refused before anything is sent."""
    from openrouter_core._machinery.request import filled, refusal

    values: dict[str, Any] = {}
    for part in prepared.files:
        problem = _unreadable(part)
        if problem is not None:
            return refusal(part.field, problem)
        if part.encode is not None:
            try:
                values[part.field] = part.encode(read(part.source), part.filename)
            except Exception as exc:  # the caller's file object may fail in any way
                return refusal(part.field, f"the file cannot be read: {type(exc).__name__}: {exc}")
    return filled(prepared, values)
