"""The client's bytes-level SSE line splitter against httpx-sse's own text path."""

from __future__ import annotations

from httpx_sse._decoders import SSEDecoder, SSELineDecoder
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fleet_tui.agent_server import sse_bytes
from fleet_tui.agent_server.client import SSEBytesDecoder

FRAGMENTS = st.sampled_from(
    [
        b"event: messages",
        b"event:updates",
        b"data: ",
        b'data: {"a": "h\xc3\xa9llo \xe2\x80\xa8 \xc2\x85"}',
        b"data:x",
        b"id: 17-0",
        b"id: a\x00b",
        b"retry: 30",
        b": comment",
        b"\r",
        b"\n",
        b"\r\n",
        b"\r\n\r\n",
        b"\n\n",
        b"\x0b\x0c\x1c",
        b"\xe2\x80",
        b"\xff",
    ]
)


def reference(body: bytes) -> list[tuple[object, ...]]:
    """What `EventSource.aiter_sse` yields for the whole body (its text, then its lines)."""
    lines = SSELineDecoder()
    decoder = SSEDecoder()
    text = body.decode("utf-8", "replace")
    out = []
    for line in (lines.decode(text) if text else []) + lines.flush():
        if (sse := decoder.decode(line)) is not None:
            out.append((sse.event, sse.data, sse.id, sse.retry))
    return out


def ours(body: bytes, cuts: list[int]) -> list[tuple[object, ...]]:
    decoder = SSEBytesDecoder()
    out = []
    start = 0
    for cut in [*sorted(cuts), len(body)]:
        for sse in decoder.feed(body[start:cut]):
            out.append((sse.event, sse.data, sse.id, sse.retry))
        start = cut
    return out


@settings(max_examples=400, deadline=None)
@given(
    st.lists(FRAGMENTS | st.binary(max_size=4), max_size=30),
    st.lists(st.integers(0, 1000), max_size=12),
)
# an empty chunk between the CR and the LF of one CRLF: still one line end
@example([b"retry: 30\r", b"\n"], [10, 10])
def test_same_events_as_httpx_sse_however_the_bytes_are_cut(
    parts: list[bytes], cuts: list[int]
) -> None:
    body = b"".join(parts)
    cuts = [cut % (len(body) + 1) for cut in cuts]
    assert ours(body, cuts) == reference(body)
    # the same with every line taken as a long one (the path of a reply of megabytes)
    long_line = sse_bytes.LONG_LINE
    sse_bytes.LONG_LINE = 2
    try:
        assert ours(body, cuts) == reference(body)
    finally:
        sse_bytes.LONG_LINE = long_line


def test_an_empty_chunk_between_cr_and_lf() -> None:
    assert ours(b"retry: 30\r\n", [10, 10]) == reference(b"retry: 30\r\n") == []


def test_one_byte_at_a_time_with_every_line_end() -> None:
    for newline in (b"\n", b"\r\n", b"\r"):
        body = newline.join([b"event: messages", b"data: h\xc3\xa9", b"id: 1-0", b"", b""])
        assert (
            ours(body, list(range(len(body))))
            == reference(body)
            == [("messages", "h\u00e9", "1-0", None)]
        )


def test_a_line_longer_than_many_chunks() -> None:
    body = b"data: " + b"x" * 100_000 + b"\r\n\r\n"
    got = ours(body, list(range(0, len(body), 7)))
    assert got == [("message", "x" * 100_000, "", None)]


def test_an_event_past_the_limit_stops_the_decoder_and_keeps_what_came_before() -> None:
    decoder = SSEBytesDecoder(max_event_bytes=100)
    got = decoder.feed(b"data: small\n\ndata: " + b"x" * 60 + b"\n")
    assert [sse.data for sse in got] == ["small"] and not decoder.overflowed
    # the same event goes on past 100 bytes, its last line still open
    assert decoder.feed(b"data: " + b"y" * 20) == []
    assert not decoder.overflowed
    assert decoder.feed(b"y" * 10) == []
    assert decoder.overflowed
    assert decoder.feed(b"\n\ndata: later\n\n") == []  # nothing from then on


def test_the_limit_is_per_event_not_per_stream() -> None:
    decoder = SSEBytesDecoder(max_event_bytes=100)
    body = b"".join(b"data: " + b"z" * 80 + b"\n\n" for _ in range(1000))
    got = [
        sse for start in range(0, len(body), 37) for sse in decoder.feed(body[start : start + 37])
    ]
    assert len(got) == 1000 and not decoder.overflowed


def test_one_line_over_the_limit_in_a_single_chunk() -> None:
    decoder = SSEBytesDecoder(max_event_bytes=100)
    got = decoder.feed(b"data: a\n\ndata: " + b"w" * 200 + b"\n\ndata: b\n\n")
    assert [sse.data for sse in got] == ["a"] and decoder.overflowed


def test_a_line_of_megabytes_in_64_kb_chunks() -> None:
    value = "é" * 3_000_000 + "end"
    body = b"event: messages\r\ndata: " + value.encode() + b"\r\n\r\ndata: next\r\n\r\n"
    got = ours(body, list(range(0, len(body), 65_536)))
    assert got == reference(body) == [("messages", value, "", None), ("message", "next", "", None)]
