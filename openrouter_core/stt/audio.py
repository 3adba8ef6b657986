"""Speech-to-text's ``input_audio``: base64 audio data and its format, made from a file.

:func:`audio_value` is pure (the bytes and the file's name in, the value out); it is the encoder
the operation declares, called by the machinery once the driver has read the file.
:func:`input_audio` reads the file itself, for a caller who wants the value in hand.
"""

from __future__ import annotations

import base64
import os

from openrouter_core._machinery.files import FileInput, read

__all__ = ["audio_value", "input_audio"]

#: The format said when the file's name has no extension (raw bytes, say).
_DEFAULT_FORMAT = "wav"


def _extension(name: str) -> str | None:
    return os.path.splitext(name)[1].lstrip(".").lower() or None


def audio_value(content: bytes, filename: str) -> dict[str, str]:
    """The ``input_audio`` value for ``content``: base64 data, and the format the file's
    extension names (``wav`` without one)."""
    return {
        "data": base64.b64encode(content).decode("ascii"),
        "format": _extension(filename) or _DEFAULT_FORMAT,
    }


def input_audio(source: FileInput, format: str | None = None) -> dict[str, str]:
    """An ``input_audio`` value (base64 data and format) for a JSON transcription request, from
    bytes, a path or a binary file object; the format defaults to the file's extension."""
    if isinstance(source, str | os.PathLike):
        name = os.fspath(source)
    elif isinstance(source, bytes | bytearray | memoryview):
        name = ""
    else:
        name = str(getattr(source, "name", ""))
    value = audio_value(read(source), name)
    if format:
        value["format"] = format
    return value
