"""SSE decoding throughput: the client's decode path against langgraph_sdk's bytes decoder.

    python benchmarks/sse_decode.py [--source FILE.sse] [--size-mb 20] [--reps 3]

Builds a ~20 MB `messages-tuple` + `updates` stream from a real recording (default
tests/data/scripted_stateless.sse; run_all.py passes the `long` stream stream_e2e.py recorded
from the test server), repeated with the message ids made unique per copy so the normaliser
does the same work on every copy. The bytes are served from memory through an httpx transport,
in the chunks a server writes (one SSE event per chunk; `--chunk N` for fixed-size chunks), and
decoded by:

- fleet-tui: `FleetClient.stream_run` -> `RunStream` (lines cut from the raw bytes and fed
  to httpx-sse's `SSEDecoder`, orjson, `EventNormalizer`): exactly what the app and `ask` run;
- the same client with the standard library's `json` in place of orjson;
- httpx-sse's `EventSource.aiter_sse` + json / + orjson: SSE events and JSON only, no
  normaliser (how httpx-sse is used by default);
- langgraph_sdk: its `BytesLineDecoder` + `SSEDecoder` (orjson inside) on `aiter_bytes`, as the
  SDK's own client loop does.

Then where the fleet-tui path spends its time, stage by stage. Medians of `--reps`.
Target (issue 7): within 1.5x of the SDK decoder; decoding under 5% of benchmark 4's end-to-end
time (`--e2e-seconds`, from stream_e2e.py, for a stream of `--e2e-bytes`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import orjson
from _fleet import ROOT, median, table, verdict, write_results
from httpx_sse import EventSource
from langgraph_sdk.sse import BytesLineDecoder
from langgraph_sdk.sse import SSEDecoder as SdkSSEDecoder

import fleet_tui.agent_server.normalizer
from fleet_tui.agent_server.client import FleetClient, SSEBytesDecoder
from fleet_tui.agent_server.normalizer import EventNormalizer

OURS = "fleet-tui client (bytes lines, httpx-sse, orjson, normaliser)"
DEFAULT_SOURCE = ROOT / "tests" / "data" / "scripted_stateless.sse"
_EVENT_END = re.compile(rb"\r\n\r\n|\n\n|\r\r")
_MESSAGE_ID = re.compile(rb"lc_run--[0-9a-f-]+|run--[0-9a-f-]+")


def split_events(data: bytes) -> list[bytes]:
    """The stream cut after each event, as the server writes it."""
    out: list[bytes] = []
    start = 0
    for match in _EVENT_END.finditer(data):
        out.append(data[start : match.end()])
        start = match.end()
    if start < len(data):
        out.append(data[start:])
    return out


def build_stream(source: bytes, size: int) -> bytes:
    """`source` repeated to `size` bytes, each copy with its own message ids."""
    ids = sorted(set(_MESSAGE_ID.findall(source)), key=len, reverse=True)
    parts: list[bytes] = []
    total = copy = 0
    while total < size:
        piece = source
        if copy:
            for mid in ids:
                piece = piece.replace(mid, mid + b"-c%d" % copy)
        parts.append(piece)
        total += len(piece)
        copy += 1
    return b"".join(parts)


class _Replay(httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            yield chunk


class ReplayTransport(httpx.AsyncBaseTransport):
    """Answers every request with the recorded stream, from memory."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            headers={
                "content-type": "text/event-stream; charset=utf-8",
                "location": "/threads/t-1/runs/r-1/stream",
                "content-location": "/threads/t-1/runs/r-1",
            },
            stream=_Replay(self.chunks),
            request=request,
        )


async def with_response(
    chunks: list[bytes], read: Callable[[httpx.Response], Awaitable[int]]
) -> int:
    async with (
        httpx.AsyncClient(transport=ReplayTransport(chunks)) as client,
        client.stream("GET", "http://replay.invalid/stream") as response,
    ):
        return await read(response)


# -- decoders: each returns how many items it produced ----------------------------------
async def fleet_client(chunks: list[bytes]) -> int:
    client = FleetClient("http://replay.invalid", "agent", "key", transport=ReplayTransport(chunks))
    count = 0
    async with client:
        async for _ in client.stream_run({"messages": []}, thread_id="t-1"):
            count += 1
    return count


async def sse_json(chunks: list[bytes]) -> int:
    async def read(response: httpx.Response) -> int:
        count = 0
        async for sse in EventSource(response).aiter_sse():
            json.loads(sse.data)
            count += 1
        return count

    return await with_response(chunks, read)


async def sse_orjson(chunks: list[bytes]) -> int:
    async def read(response: httpx.Response) -> int:
        count = 0
        async for sse in EventSource(response).aiter_sse():
            orjson.loads(sse.data)
            count += 1
        return count

    return await with_response(chunks, read)


async def sdk(chunks: list[bytes]) -> int:
    async def read(response: httpx.Response) -> int:
        count = 0
        lines = BytesLineDecoder()
        decoder = SdkSSEDecoder()
        async for chunk in response.aiter_bytes():
            for line in lines.decode(chunk):
                if decoder.decode(bytes(line)) is not None:
                    count += 1
        for line in lines.flush():
            if decoder.decode(bytes(line)) is not None:
                count += 1
        return count

    return await with_response(chunks, read)


async def fleet_client_stdlib_json(chunks: list[bytes]) -> int:
    """The client with the normaliser's orjson swapped for the standard library's json."""
    original = fleet_tui.agent_server.normalizer._fast_loads
    fleet_tui.agent_server.normalizer._fast_loads = json.loads
    try:
        return await fleet_client(chunks)
    finally:
        fleet_tui.agent_server.normalizer._fast_loads = original


# -- the fleet-tui path, stage by stage ---------------------------------------------------
async def stage_bytes(chunks: list[bytes]) -> int:
    async def read(response: httpx.Response) -> int:
        return sum([1 async for _ in response.aiter_bytes()])

    return await with_response(chunks, read)


async def stage_lines(chunks: list[bytes]) -> int:
    """Lines cut and decoded as the client does (each chunk here ends with its event)."""

    async def read(response: httpx.Response) -> int:
        count = 0
        async for chunk in response.aiter_bytes():
            count += len([line.decode("utf-8", "replace") for line in chunk.splitlines()])
        return count

    return await with_response(chunks, read)


async def stage_events(chunks: list[bytes]) -> int:
    async def read(response: httpx.Response) -> int:
        decoder = SSEBytesDecoder()
        return sum([len(decoder.feed(chunk)) async for chunk in response.aiter_bytes()])

    return await with_response(chunks, read)


async def stage_json(chunks: list[bytes]) -> int:
    async def read(response: httpx.Response) -> int:
        decoder = SSEBytesDecoder()
        count = 0
        async for chunk in response.aiter_bytes():
            for sse in decoder.feed(chunk):
                fleet_tui.agent_server.normalizer._loads(sse.data)
                count += 1
        return count

    return await with_response(chunks, read)


async def stage_normalised(chunks: list[bytes]) -> int:
    async def read(response: httpx.Response) -> int:
        decoder = SSEBytesDecoder()
        normalizer = EventNormalizer("t-1")
        count = 0
        async for chunk in response.aiter_bytes():
            for sse in decoder.feed(chunk):
                count += len(normalizer.feed(sse.event, sse.data))
        return count

    return await with_response(chunks, read)


def timed(
    decode: Callable[[list[bytes]], Awaitable[int]], chunks: list[bytes], reps: int
) -> tuple[float, int]:
    times = []
    count = 0
    for _ in range(reps):
        start = time.perf_counter()
        count = asyncio.run(decode(chunks))
        times.append(time.perf_counter() - start)
    return median(times), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="a recorded stream")
    parser.add_argument("--size-mb", type=float, default=20.0)
    parser.add_argument("--chunk", type=int, default=0, help="chunk size (0: one event each)")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--e2e-seconds", type=float, help="benchmark 4's app time (s)")
    parser.add_argument("--e2e-bytes", type=int, help="benchmark 4's stream size (bytes)")
    parser.add_argument("--json", help="add the figures to this JSON file (run_all.py)")
    args = parser.parse_args()

    source = args.source.read_bytes()
    data = build_stream(source, int(args.size_mb * 1e6))
    if args.chunk:
        chunks = [data[i : i + args.chunk] for i in range(0, len(data), args.chunk)]
    else:
        chunks = split_events(data)
    mb = len(data) / 1e6
    cut = f"{args.chunk} B chunks" if args.chunk else "one event per chunk"
    print(
        f"SSE decoding: {mb:.1f} MB built from {args.source.name} ({len(source) / 1000:.0f} KB), "
        f"{len(split_events(data)):,} events, {cut}, median of {args.reps}"
    )
    decoders: dict[str, Callable[[list[bytes]], Awaitable[int]]] = {
        OURS: fleet_client,
        "langgraph_sdk BytesLineDecoder + SSEDecoder (orjson)": sdk,
        "fleet-tui client with stdlib json": fleet_client_stdlib_json,
        "httpx-sse EventSource + json (no normaliser)": sse_json,
        "httpx-sse EventSource + orjson (no normaliser)": sse_orjson,
    }
    results = {label: timed(decode, chunks, args.reps) for label, decode in decoders.items()}
    sdk_seconds = results["langgraph_sdk BytesLineDecoder + SSEDecoder (orjson)"][0]
    rows = [
        [label, f"{mb / seconds:.0f}", f"{seconds / sdk_seconds:.2f}", f"{count:,}"]
        for label, (seconds, count) in results.items()
    ]
    print(table(rows, ["decoder", "MB/s", "x SDK time", "items"]))
    ours = results[OURS][0]
    ratio = ours / sdk_seconds
    print(f"fleet-tui / SDK time: {ratio:.2f}  (target <= 1.5)")

    stages = {
        "aiter_bytes": stage_bytes,
        "+ lines: bytes.splitlines, UTF-8 decode": stage_lines,
        "+ httpx-sse SSEDecoder (events)": stage_events,
        "+ JSON (orjson)": stage_json,
        "+ EventNormalizer": stage_normalised,
        "+ RunStream (the client)": fleet_client,
    }
    print()
    print("Where the fleet-tui path spends its time (cumulative stages)")
    previous = 0.0
    stage_rows = []
    for label, decode in stages.items():
        seconds, _ = timed(decode, chunks, args.reps)
        stage_rows.append(
            [label, f"{seconds * 1000:.0f} ms", f"{(seconds - previous) * 1000:+.0f} ms"]
        )
        previous = seconds
    print(table(stage_rows, ["stage", "total", "this stage"]))

    share = None
    if args.e2e_seconds and args.e2e_bytes:
        decode_seconds = args.e2e_bytes / 1e6 / (mb / ours)
        share = decode_seconds / args.e2e_seconds
        print(
            f"\ndecoding benchmark 4's {args.e2e_bytes / 1e6:.2f} MB stream: "
            f"{decode_seconds * 1000:.0f} ms = {share * 100:.1f}% of its "
            f"{args.e2e_seconds * 1000:.0f} ms end to end  (target < 5%)"
        )
    ok = ratio <= 1.5 and (share is None or share < 0.05)
    print("targets:", verdict(ok))
    write_results(
        args.json,
        "sse_decode",
        {
            "mb": mb,
            "ours_mbs": mb / ours,
            "sdk_mbs": mb / sdk_seconds,
            "ratio": ratio,
            "e2e_share": share,
            "met": ok,
        },
    )


if __name__ == "__main__":
    main()
