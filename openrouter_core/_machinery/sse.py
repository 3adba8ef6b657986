"""A sans-I/O decoder for ``text/event-stream`` (the WHATWG "server-sent events" format).

``SSEDecoder`` takes bytes exactly as they come off the wire, cut anywhere (inside a line, between
a CR and its LF, inside a multi-byte UTF-8 character), and returns the complete events. It never
does I/O and never raises, so the sync and async streams drive the same object.

The work per piece happens in C where it can: ``bytes.splitlines`` cuts the lines at LF, CR and
CRLF in one pass and UTF-8 is decoded once per field value. Only the loop over
lines is Python. Line ends are ASCII bytes that never occur inside a multi-byte UTF-8 sequence, so
splitting before decoding is safe.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["SSEDecoder", "ServerSentEvent"]

_BOM = b"\xef\xbb\xbf"
_LF = 10
_CR = 13


class ServerSentEvent(NamedTuple):
    """One dispatched event. ``id`` is the last event id seen so far in the stream."""

    data: str
    event: str = "message"
    id: str = ""
    retry: int | None = None


# Builds a ServerSentEvent from a 4-tuple in C; the generated ``__new__`` costs a Python frame.
_new_event = tuple.__new__


class SSEDecoder:
    """Incremental event-stream decoder: ``feed(bytes) -> list[ServerSentEvent]``, then ``flush()``.

    Comment lines (``: OPENROUTER PROCESSING``) are skipped, ``data`` lines of one event are joined
    with ``\\n``, ``event``, ``id`` and ``retry`` are kept on the events, unknown fields are
    ignored, and an event without any ``data`` line is not dispatched.
    """

    __slots__ = ("_data", "_event", "_head", "_last_id", "_pending", "_retry", "_skip_lf")

    def __init__(self) -> None:
        # Bytes of the current, not yet terminated line, kept as pieces so that a long line
        # arriving in many small reads is joined once instead of being re-copied on every read.
        self._pending: list[bytes] = []
        # The previous piece ended in CR: a LF at the start of the next one is the same line end.
        self._skip_lf = False
        # Bytes seen at the very start while they could still be a (split) byte-order mark.
        self._head: bytes | None = b""
        self._data: list[bytes] = []
        self._event = ""
        self._last_id = ""
        self._retry: int | None = None

    def feed(self, data: bytes) -> list[ServerSentEvent]:
        """Decode the next piece of the stream; return the events it completes."""
        if self._head is not None:
            head = self._head + data
            if len(head) < len(_BOM) and _BOM.startswith(head):
                self._head = head
                return []
            self._head = None
            data = head[3:] if head.startswith(_BOM) else head
        if self._skip_lf:
            self._skip_lf = False
            if data[:1] == b"\n":
                data = data[1:]
        if not data:
            return []
        # ``bytes.splitlines`` breaks at exactly LF, CR and CRLF, in C. A final CR may be the
        # first half of a CRLF cut in two, so the next piece's leading LF is then skipped.
        lines = data.splitlines()
        last = data[-1]
        if last == _LF:
            pass
        elif last == _CR:
            self._skip_lf = True
        else:
            rest = lines.pop()
            if not lines:
                self._pending.append(rest)
                return []
            if self._pending:
                self._pending.append(lines[0])
                lines[0] = b"".join(self._pending)
            self._pending = [rest]
            return self._lines(lines)
        if self._pending:
            self._pending.append(lines[0])
            lines[0] = b"".join(self._pending)
            self._pending = []
        return self._lines(lines)

    def flush(self) -> list[ServerSentEvent]:
        """End of stream: return the last event if its blank line never came, then reset.

        An unterminated final line may have been cut anywhere, so it is dropped, as the standard
        says. An event whose lines are all complete is still dispatched (the standard would drop
        it too), so a server that closes right after its last ``data:`` line loses nothing.
        """
        events = [self._dispatch()] if self._data else []
        self._pending = []
        self._skip_lf = False
        self._head = b""
        self._event = ""
        return events

    @property
    def last_event_id(self) -> str:
        """The last ``id`` field seen (the value a reconnecting client would send)."""
        return self._last_id

    @property
    def retry(self) -> int | None:
        """The last valid ``retry`` field (milliseconds), if any."""
        return self._retry

    def _lines(self, lines: list[bytes]) -> list[ServerSentEvent]:
        events: list[ServerSentEvent] = []
        data = self._data
        for line in lines:
            if not line:
                if not data:
                    self._event = ""
                elif len(data) == 1 and not self._event:
                    # The usual event, one data line: built inline, skipping a method call.
                    fields = (
                        data[0].decode("utf-8", "replace"),
                        "message",
                        self._last_id,
                        self._retry,
                    )
                    events.append(_new_event(ServerSentEvent, fields))
                    data.clear()
                else:
                    events.append(self._dispatch())
                    data = self._data
            elif line.startswith(b"data: "):
                data.append(line[6:])
            elif line[0] == 0x3A:  # ":" starts a comment (keep-alives)
                continue
            else:
                self._field(line)
        return events

    def _field(self, line: bytes) -> None:
        name, colon, value = line.partition(b":")
        if colon and value[:1] == b" ":
            value = value[1:]
        if name == b"data":
            self._data.append(value)
        elif name == b"event":
            self._event = value.decode("utf-8", "replace")
        elif name == b"id":
            if b"\0" not in value:
                self._last_id = value.decode("utf-8", "replace")
        elif name == b"retry" and value.isdigit():  # bytes.isdigit: ASCII digits, not empty
            self._retry = int(value)

    def _dispatch(self) -> ServerSentEvent:
        data = self._data
        raw = data[0] if len(data) == 1 else b"\n".join(data)
        fields = (
            raw.decode("utf-8", "replace"),
            self._event or "message",
            self._last_id,
            self._retry,
        )
        event = _new_event(ServerSentEvent, fields)
        self._data = []
        self._event = ""
        return event
