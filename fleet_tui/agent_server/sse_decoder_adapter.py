"""httpx-sse's event decoder, which httpx-sse keeps private (`httpx_sse._decoders`).

`sse_bytes.SSEBytesDecoder` feeds it lines it cuts from the raw bytes itself, skipping
`EventSource.aiter_sse`'s text decoding and line splitting (2/3 of its time). What is relied on,
pinned by tests/test_private_api.py so that an httpx-sse upgrade that changes it fails there:

- `SSEDecoder()` takes no argument; `decode(line)` takes one line without its line end and
  returns a `ServerSentEvent` at the blank line that ends an event, None otherwise;
- the data lines of the event being gathered are kept in the list `_data`, joined with "\\n"
  when the event ends (`append_data` adds one without `decode`'s copies of a huge line).
"""

from __future__ import annotations

from httpx_sse._decoders import SSEDecoder

__all__ = ["SSEDecoder", "append_data", "new_decoder"]


def new_decoder() -> SSEDecoder:
    return SSEDecoder()


def append_data(decoder: SSEDecoder, data: str) -> None:
    """Add one `data:` line's value (after "data:" and its optional space) to the event."""
    decoder._data.append(data)
