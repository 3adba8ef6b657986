"""Files sent with a request: what a caller may give (bytes, a path, a binary file object), how it
is checked before anything is sent, and how each attempt opens it so that it is streamed from
disk, never read into memory whole."""

from __future__ import annotations

import base64
import contextlib
import io
import mimetypes
import os
from typing import IO, Any, TypeAlias

import attrs

__all__ = ["FileInput", "FilePart", "file_part", "input_audio"]

#: What a file field accepts: its bytes, a path to it, or a binary file object open for reading.
FileInput: TypeAlias = bytes | str | os.PathLike[str] | IO[bytes]


@attrs.frozen
class FilePart:
    """One file of a multipart body, checked; ``source`` is opened anew by each attempt."""

    field: str
    filename: str
    content_type: str
    #: Bytes, a path (opened by each attempt) or a file object (sent from its start each time).
    source: Any

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


def file_part(field: str, value: object) -> FilePart | str:
    """The checked part for ``value``, or what is wrong with it. Touches no file's content."""
    if isinstance(value, bytes | bytearray | memoryview):
        return FilePart(field, field, "application/octet-stream", bytes(value))
    if isinstance(value, str | os.PathLike):
        path = os.fspath(value)
        if not isinstance(path, str) or not os.path.isfile(path):
            return f"no such file: {path!r}"
        if not os.access(path, os.R_OK):
            return f"the file cannot be read: {path!r}"
        name = os.path.basename(path)
        return FilePart(field, name, _guess(name), path)
    read = getattr(value, "read", None)
    if callable(read):
        if isinstance(value, io.TextIOBase):
            return "a file object must be opened in binary mode ('rb')"
        name = os.path.basename(str(getattr(value, "name", "") or field))
        return FilePart(field, name, _guess(name), value)
    return f"must be bytes, a path or a binary file object, not {type(value).__name__}"


def input_audio(source: FileInput, format: str | None = None) -> dict[str, str]:
    """An ``input_audio`` value (base64 data and format) for a JSON transcription request, from
    bytes, a path or a binary file object; the format defaults to the file's extension."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    elif isinstance(source, str | os.PathLike):
        with open(source, "rb") as file:
            data = file.read()
        format = format or os.path.splitext(os.fspath(source))[1].lstrip(".").lower() or None
    else:
        data = source.read()
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"the file object's read() gave {type(data).__name__}, not bytes")
        data = bytes(data)
        name = str(getattr(source, "name", ""))
        format = format or os.path.splitext(name)[1].lstrip(".").lower() or None
    return {"data": base64.b64encode(data).decode("ascii"), "format": format or "wav"}
