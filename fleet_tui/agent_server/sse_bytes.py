"""Server-sent events cut from the raw bytes of a response, with a bound on one event's size.

No Textual import.
"""

from __future__ import annotations

import httpx
from httpx_sse import ServerSentEvent, SSEError

from fleet_tui.agent_server.sse_decoder_adapter import append_data, new_decoder
from fleet_tui.common.errors import FleetError
from fleet_tui.common.exit_codes import ExitCode

# A reply is streamed token by token: no real event comes near this. A server that sends more
# in one event would have the app hold it all in memory and parse it in one go.
MAX_EVENT_BYTES = 16_000_000
# A line longer than this skips the copies of the ordinary path (see `SSEBytesDecoder._line`).
LONG_LINE = 64 * 1024


class EventTooLarge(FleetError):
    """One server-sent event grew past the limit; the stream cannot go on."""

    exit_code: int = ExitCode.UNREACHABLE

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"The server sent one event larger than {limit / 1_000_000:.0f} MB, more than "
            "fleet-tui accepts; the stream was closed and the reply so far is kept. The whole "
            "run can be read in LangSmith."
        )
        self.limit = limit


def _line_end(chunk: bytes) -> int:
    """Index of the first CR or LF in `chunk` (there is one)."""
    lf = chunk.find(b"\n")
    cr = chunk.find(b"\r")
    return lf if cr < 0 or 0 <= lf < cr else cr


def check_event_stream(response: httpx.Response) -> None:
    content_type = response.headers.get("content-type", "").partition(";")[0]
    if "text/event-stream" not in content_type:
        raise SSEError(f"Expected Content-Type text/event-stream, got {content_type!r}")


class SSEBytesDecoder:
    """httpx-sse's event decoder fed with lines cut from the raw bytes.

    EventSource.aiter_sse decodes the body to text incrementally and splits str lines with a
    buffer, two async generator layers per event: that is 2/3 of its time. `bytes.splitlines`
    ends lines at exactly SSE's three line ends (CRLF, LF, CR) in one pass, and each whole line
    is decoded on its own, so a UTF-8 sequence split between chunks is never cut.

    The bytes of the event being gathered (its lines so far, and a line still open) are
    counted; past `max_event_bytes`, `overflowed` is set: `feed` returns the events before that
    point, drops the rest, and returns nothing from then on.
    """

    def __init__(self, max_event_bytes: int = MAX_EVENT_BYTES) -> None:
        self._decoder = new_decoder()
        self.max_event_bytes = max_event_bytes
        # a line longer than a chunk, gathered without quadratic copies
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        # bytes of the complete lines of the event being gathered
        self._event_bytes = 0
        # the last chunk ended with CR: an LF starting the next one is the rest of that CRLF
        self._after_cr = False
        self.overflowed = False
        self.long_lines = 0
        """How many long lines were decoded (see `_line`): a reader may pause around them."""

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        if not chunk or self.overflowed:
            # nothing arrived: a CR at the end of the last chunk may still be half a CRLF
            return []
        if self._after_cr:
            self._after_cr = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        if b"\n" not in chunk and b"\r" not in chunk:
            if chunk:
                self._pending.append(chunk)
                self._pending_bytes += len(chunk)
                if self._event_bytes + self._pending_bytes > self.max_event_bytes:
                    self._overflow()
            return []
        if self._pending:
            # the open line ends in this chunk: joined alone, so a line of megabytes is copied
            # once, not again by splitlines with the rest of the chunk
            end = _line_end(chunk)
            self._pending.append(chunk[:end])
            line = b"".join(self._pending)
            self._pending.clear()
            self._pending_bytes = 0
            self._event_bytes += len(line)
            if self._event_bytes > self.max_event_bytes:
                self._overflow()
                return []
            self._line(line)  # not blank: it cannot end an event
            if chunk[end] == 13 and end + 1 == len(chunk):  # CR: maybe half a CRLF
                self._after_cr = True
                return []
            chunk = chunk[end + 2 :] if chunk[end : end + 2] == b"\r\n" else chunk[end + 1 :]
            if not chunk:
                return []
            if b"\n" not in chunk and b"\r" not in chunk:
                return self.feed(chunk)
        lines = chunk.splitlines()
        last = chunk[-1]
        if last == 13:  # CR
            self._after_cr = True
        elif last != 10:  # LF
            tail = lines.pop()
            self._pending.append(tail)
            self._pending_bytes = len(tail)
        decode = self._decoder.decode
        limit = self.max_event_bytes
        size = self._event_bytes
        out: list[ServerSentEvent] = []
        for line in lines:
            if line:
                size += len(line)
                if size > limit:
                    self._overflow()
                    return out
            else:
                size = 0  # a blank line ends the event
            if len(line) > LONG_LINE:
                self._line(line)
            elif (sse := decode(line.decode("utf-8", "replace"))) is not None:
                out.append(sse)
        self._event_bytes = size
        if size + self._pending_bytes > limit:
            self._overflow()
        return out

    def _line(self, line: bytes) -> None:
        """One line that is not blank. A long `data:` line (a reply of megabytes in one event)
        is decoded straight from the bytes: `SSEDecoder.decode` would copy it twice more."""
        if len(line) > LONG_LINE:
            self.long_lines += 1
            if line.startswith(b"data:"):
                start = 6 if line[5:6] == b" " else 5
                append_data(self._decoder, str(memoryview(line)[start:], "utf-8", "replace"))
                return
        self._decoder.decode(line.decode("utf-8", "replace"))

    def _overflow(self) -> None:
        self.overflowed = True
        self._pending.clear()
        self._pending_bytes = 0
