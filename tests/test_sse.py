"""Unit tests of the pure SSE decoder (no network)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings, strategies as st

from openrouter_core._machinery.sse import ServerSentEvent, SSEDecoder
from tests.scale import examples


def decode(*pieces: bytes) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for piece in pieces:
        events += decoder.feed(piece)
    return events + decoder.flush()


def reference(stream: bytes) -> list[ServerSentEvent]:
    """A slow, literal reading of the WHATWG algorithm (plus the decoder's documented flush)."""
    text = stream.decode("utf-8", "replace")
    text = text.removeprefix("\ufeff")
    parts = re.split(r"\r\n|\r|\n", text)
    complete, tail = parts[:-1], parts[-1]
    del tail  # an unterminated last line is dropped
    events: list[ServerSentEvent] = []
    data: list[str] | None = None
    event = ""
    last_id = ""
    retry: int | None = None

    def dispatch() -> None:
        nonlocal data, event
        if data is not None:
            events.append(ServerSentEvent("\n".join(data), event or "message", last_id, retry))
        data, event = None, ""

    for line in complete:
        if line == "":
            dispatch()
            continue
        if line.startswith(":"):
            continue
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            data = [*(data or []), value]
        elif name == "event":
            event = value
        elif name == "id" and "\0" not in value:
            last_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            retry = int(value)
    dispatch()
    return events


CHUNK = (
    '{"id":"gen-1","object":"chat.completion.chunk","created":1,"model":"m",'
    '"choices":[{"index":0,"delta":{"content":"h\u00e9llo \u2028 \U0001f600"},'
    '"finish_reason":null}]}'
)
STREAM = (
    b": OPENROUTER PROCESSING\n\n"
    + b"data: "
    + CHUNK.encode()
    + b"\n\n"
    + b"event: note\nid: 7\nretry: 1500\ndata: first\ndata:second\ndata\n\n"
    + b": keep-alive\n"
    + b"data: [DONE]\n\n"
)


def test_basic_events() -> None:
    assert decode(STREAM) == [
        ServerSentEvent(CHUNK),
        ServerSentEvent("first\nsecond\n", "note", "7", 1500),
        ServerSentEvent("[DONE]", "message", "7", 1500),
    ]


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_every_line_ending(newline: bytes) -> None:
    assert decode(STREAM.replace(b"\n", newline)) == decode(STREAM)


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_every_split_point_gives_the_same_events(newline: bytes) -> None:
    stream = STREAM.replace(b"\n", newline)
    whole = decode(stream)
    for cut in range(len(stream) + 1):
        assert decode(stream[:cut], stream[cut:]) == whole, cut


def test_byte_by_byte() -> None:
    stream = STREAM.replace(b"\n", b"\r\n")
    assert decode(*(stream[i : i + 1] for i in range(len(stream)))) == decode(STREAM)


def test_split_inside_a_utf8_character() -> None:
    raw = "data: \U0001f600\u00e9\n\n".encode()
    for cut in range(6, 12):
        assert decode(raw[:cut], raw[cut:]) == [ServerSentEvent("\U0001f600\u00e9")]


def test_cr_then_lf_in_the_next_piece_is_one_line_end() -> None:
    assert decode(b"data: a\r", b"\n", b"\r", b"\ndata: b\r\n\r\n") == [
        ServerSentEvent("a"),
        ServerSentEvent("b"),
    ]


def test_bare_cr_between_lines_is_a_blank_line() -> None:
    assert decode(b"data: a\r\rdata: b\r\r") == [ServerSentEvent("a"), ServerSentEvent("b")]


def test_comments_only_give_nothing() -> None:
    assert decode(b": OPENROUTER PROCESSING\n\n" * 5) == []


def test_event_without_data_is_not_dispatched_and_resets_the_type() -> None:
    assert decode(b"event: x\n\ndata: y\n\n") == [ServerSentEvent("y")]


def test_empty_data_line_dispatches_an_empty_event() -> None:
    assert decode(b"data:\n\n") == [ServerSentEvent("")]
    assert decode(b"data\n\n") == [ServerSentEvent("")]


def test_only_one_space_after_the_colon_is_removed() -> None:
    assert decode(b"data:  two\n\n") == [ServerSentEvent(" two")]


def test_unknown_fields_and_bad_retry_and_nul_id_are_ignored() -> None:
    decoder = SSEDecoder()
    events = decoder.feed(
        b"id: 1\nfoo: bar\nretry: 10x\ndata: a\n\nid: a\0b\nretry: 30\ndata: b\n\n"
    )
    assert events == [ServerSentEvent("a", id="1"), ServerSentEvent("b", id="1", retry=30)]
    assert decoder.last_event_id == "1"
    assert decoder.retry == 30


def test_bom_only_at_start_even_split() -> None:
    assert decode(b"\xef", b"\xbb", b"\xbfdata: a\n\n") == [ServerSentEvent("a")]
    assert decode(b"\xef\xbb\xbfdata: a\n\n\xef\xbb\xbfdata: b\n\n") == [ServerSentEvent("a")]


def test_invalid_utf8_is_replaced() -> None:
    assert decode(b"data: \xff\xe2\x82\n\n") == [ServerSentEvent("\ufffd\ufffd")]


def test_unterminated_last_line_is_dropped_at_eof() -> None:
    assert decode(b'data: a\n\ndata: {"cut') == [ServerSentEvent("a")]


def test_flush_dispatches_complete_lines_without_the_blank_line() -> None:
    assert decode(b"data: a\ndata: b\n") == [ServerSentEvent("a\nb")]
    assert decode(b"data: [DONE]\r") == [ServerSentEvent("[DONE]")]


def test_long_line_in_many_pieces() -> None:
    payload = b"x" * 100_000
    stream = b"data: " + payload + b"\n\n"
    pieces = [stream[i : i + 7] for i in range(0, len(stream), 7)]
    assert decode(*pieces) == [ServerSentEvent(payload.decode())]


def test_empty_feeds_are_harmless() -> None:
    assert decode(b"", b"data: a", b"", b"\r", b"", b"\n", b"\n", b"") == [ServerSentEvent("a")]


_alphabet = st.sampled_from(
    [b"data", b"data:", b"data: ", b"event: e", b"id: 1", b"retry: 5", b": c", b"x", b"\xc3\xa9",
     b"\xf0\x9f\x98\x80", b"\xff", b"\r", b"\n", b"\r\n", b"\0", b" ", b":", b"[DONE]",
     b"\xef\xbb\xbf"]
)  # fmt: skip


@settings(max_examples=examples(300), deadline=None)
@given(
    parts=st.lists(_alphabet, max_size=40),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=8),
)
def test_any_split_gives_the_same_events_as_the_reference(
    parts: list[bytes], cuts: list[int]
) -> None:
    stream = b"".join(parts)
    bounds = sorted({min(c, len(stream)) for c in cuts})
    pieces = [stream[a:b] for a, b in zip([0, *bounds], [*bounds, len(stream)], strict=True)]
    assert decode(*pieces) == decode(stream) == reference(stream)


@settings(max_examples=200, deadline=None)
@given(stream=st.binary(max_size=300), data=st.data())
def test_any_bytes_never_raise(stream: bytes, data: st.DataObject) -> None:
    cut = data.draw(st.integers(min_value=0, max_value=len(stream)))
    assert decode(stream[:cut], stream[cut:]) == decode(stream) == reference(stream)
