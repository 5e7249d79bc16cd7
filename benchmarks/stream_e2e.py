"""Streaming end to end: the real test server's `long` reply into the real app, against the floor.

    python benchmarks/stream_e2e.py [--url URL --key KEY] [--graph long] [--runs 3]

The test Agent Server (tests/server/, started here unless `--url` is given) streams the `long`
graph's ~5,000-token markdown reply (messages-tuple + updates, as fast as it can) over loopback.
In one process, alternating, `--runs` times each:

- floor: httpx reads the same kind of stream (a thread run with the body the app sends) and
  decodes it (httpx-sse + json.loads per event) and nothing else: first token -> the last
  token decoded (the server then still sends the whole message in `updates` and ends the run;
  that time is shown too).
- app: the real FleetApp (120x40 headless, frames rendered to escape sequences) sends a
  message from its composer; its worker streams the run through FleetClient, the normaliser,
  the recorder (SQLite) and the message pane: first token -> the first frame painted with the
  whole reply on screen and nothing pending.
- app + typing: the same while a key is typed into the composer every `--type-every` s;
  each key's latency runs to the first frame showing it in the composer.

Times come from a timing transport under httpx (the same for the floor and the app). The
ratio counts from the first token's bytes: the first byte of the body is the `metadata` event,
sent at once, and the server then takes 0.1-0.6 s (varying run to run) before the first token:
the server's time, not the client's. The figure from the first byte is printed too. The
server streams no faster than it can, and not always at the same pace to every reader (here it
fed the app faster than the bare reader, whose one-read-per-event pattern it seems to pace), so
the wall-clock ratio says whether the app keeps up; this process's CPU time over the same span
says what the app costs. Also prints the longest event-loop stall of the app run (10 ms ticker)
and checks that the painted reply equals the server's text.
Targets (issue 7): app <= 1.3x the floor; keystrokes echoed within 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from _fleet import (
    SIZE,
    add_server_flags,
    agent_server,
    assistant_for,
    expected_reply,
    make_app,
    median,
    ms,
    press,
    server_headers,
    table,
    verdict,
    wait_for,
    write_results,
)
from _harness import StallMeter
from httpx_sse import EventSource

from fleet_tui.agent_server.client import DEFAULT_STREAM_MODES
from fleet_tui.domain.transcript import AssistantItem

MESSAGE = "Write the long report."


class Timing:
    """When the body of each event stream started and ended, and its bytes."""

    def __init__(self, keep: bool = False) -> None:
        self.headers: float | None = None
        self.first: float | None = None
        # the first bytes of the reply: the server sends `metadata` at once, then thinks for a
        # while (0.1-0.6 s here, varying run to run) before the first token
        self.first_token: float | None = None
        self.cpu_first_token = 0.0
        self.last: float | None = None
        self.size = 0
        self.keep = keep
        self.data = bytearray()

    def reset(self) -> None:
        self.headers = self.first = self.first_token = self.last = None
        self.size = 0
        self.data = bytearray()


class _TimedStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, timing: Timing) -> None:
        self._inner = inner
        self._timing = timing

    async def __aiter__(self) -> AsyncIterator[bytes]:
        timing = self._timing
        async for chunk in self._inner:
            now = time.perf_counter()
            if timing.first is None:
                timing.first = now
            if timing.first_token is None and b"event: messages" in chunk:
                timing.first_token = now
                timing.cpu_first_token = time.process_time()
            timing.last = now
            timing.size += len(chunk)
            if timing.keep:
                timing.data += chunk
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


class TimingTransport(httpx.AsyncBaseTransport):
    """Wraps a transport; times the body of `text/event-stream` responses: all in `timing`,
    or, without one, each in its own `Timing` (in `streams`, by request path)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, timing: Timing | None = None) -> None:
        self._inner = inner
        self.timing = timing
        self.streams: dict[str, Timing] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if "text/event-stream" in response.headers.get("content-type", ""):
            timing = self.timing
            if timing is None:
                timing = self.streams[request.url.path] = Timing()
            timing.headers = time.perf_counter()
            assert isinstance(response.stream, httpx.AsyncByteStream)
            response.stream = _TimedStream(response.stream, timing)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def run_body(assistant_id: str) -> dict[str, Any]:
    """The body FleetClient.stream_run sends for a message on a thread."""
    return {
        "assistant_id": assistant_id,
        "stream_mode": list(DEFAULT_STREAM_MODES),
        "input": {"messages": [{"role": "user", "content": MESSAGE}]},
        "stream_resumable": True,
    }


async def floor_once(url: str, key: str, assistant_id: str, timing: Timing) -> dict[str, Any]:
    timing.reset()
    transport = TimingTransport(httpx.AsyncHTTPTransport(), timing)
    async with httpx.AsyncClient(
        base_url=url, headers=server_headers(key), transport=transport, timeout=120
    ) as client:
        thread = (await client.post("/threads", json={})).json()["thread_id"]
        events = 0
        last_token = cpu_last_token = 0.0
        async with client.stream(
            "POST",
            f"/threads/{thread}/runs/stream",
            json=run_body(assistant_id),
            headers={"Accept": "text/event-stream"},
        ) as response:
            response.raise_for_status()
            async for sse in EventSource(response).aiter_sse():
                payload = json.loads(sse.data)
                events += 1
                if sse.event == "messages" and payload[0].get("content"):
                    last_token = time.perf_counter()
                    cpu_last_token = time.process_time()
        done = time.perf_counter()
    assert timing.first is not None and timing.first_token is not None
    # the server still sends the whole message (`updates`) and ends the run after the last
    # token: the app's figure stops at the last token, so does the floor's
    return {
        "seconds": last_token - timing.first_token,
        "from_first_byte": last_token - timing.first,
        "cpu": cpu_last_token - timing.cpu_first_token,
        "to_end": done - timing.first_token,
        "bytes": timing.size,
        "events": events,
    }


def reply_item(app: Any) -> AssistantItem | None:
    items = app.chat.pane.transcript.items
    return next((i for i in reversed(items) if isinstance(i, AssistantItem)), None)


async def app_once(app: Any, timing: Timing, expected: str | None, type_every: float) -> dict:
    chat = app.chat
    pane, composer = chat.pane, chat.composer
    chat.start_new(stateless=False)
    await asyncio.sleep(0.1)
    timing.reset()

    cpu_at_paint: list[float] = []

    def whole_reply_painted() -> bool:
        item = reply_item(app)
        if item is None or pane.has_pending_render or chat.current is None:
            return False
        if expected is not None:
            done = item.text == expected
        else:
            done = chat.current.runner is None and item.complete
        if done:
            cpu_at_paint.append(time.process_time())
        return done

    painted = app.when_painted(whole_reply_painted)
    composer.clear()
    composer.insert(MESSAGE)
    meter = StallMeter().start()
    press(app, "enter")
    await wait_for(lambda: timing.first_token is not None, 120, "the first token")
    echoes: list[float] = []
    if type_every:
        typed = 0
        while not painted:
            await asyncio.sleep(type_every)
            if painted:
                break
            typed += 1
            count = typed
            sent = press(app, "x")
            hit = app.when_painted(lambda count=count: composer.text.count("x") >= count)
            await wait_for(lambda hit=hit: hit, 10, "the key's echo")
            echoes.append(hit[0] - sent)
    await wait_for(lambda: painted, 300, "the whole reply painted")
    stall = await meter.stop()
    await wait_for(lambda: chat.current is not None and chat.current.runner is None, 60, "end")
    assert timing.first is not None and timing.first_token is not None
    item = reply_item(app)
    composer.clear()
    return {
        "seconds": painted[0] - timing.first_token,
        "from_first_byte": painted[0] - timing.first,
        "cpu": cpu_at_paint[0] - timing.cpu_first_token,
        "stall": stall,
        "echoes": echoes,
        "bytes": timing.size,
        "same_text": expected is None or (item is not None and item.text == expected),
    }


async def run(args: argparse.Namespace, url: str, key: str) -> dict[str, Any]:
    assistant_id = assistant_for(url, key, args.graph)
    expected = expected_reply(args.graph, MESSAGE)
    floor_timing = Timing(keep=bool(args.save_stream))
    app_timing = Timing()
    floors: list[dict[str, Any]] = []
    apps: list[dict[str, Any]] = []
    typed: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="fleet-bench-") as tmp:
        app = make_app(Path(tmp) / "store.db", url, assistant_id, key, Path(tmp))
        async with app.run_test(size=SIZE):
            await wait_for(lambda: app.connection_state != "checking", 30, "the agent check")
            http = app.client._http
            http._transport = TimingTransport(http._transport, app_timing)
            await floor_once(url, key, assistant_id, floor_timing)  # warm both paths up
            await app_once(app, app_timing, expected, 0)
            for _ in range(args.runs):
                floors.append(await floor_once(url, key, assistant_id, floor_timing))
                apps.append(await app_once(app, app_timing, expected, 0))
                typed.append(await app_once(app, app_timing, expected, args.type_every))
        app.store.close()
    if args.save_stream:
        Path(args.save_stream).write_bytes(bytes(floor_timing.data))
    return {"floors": floors, "apps": apps, "typed": typed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_server_flags(parser)
    parser.add_argument("--graph", default="long", help="test graph to run (tests/server)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each kind (medians)")
    parser.add_argument("--type-every", type=float, default=0.1, help="seconds between keys")
    parser.add_argument("--save-stream", help="write the floor's raw SSE bytes here")
    parser.add_argument("--json", help="add the figures to this JSON file (run_all.py)")
    args = parser.parse_args()

    with agent_server(args.url, args.key) as (url, key):
        result = asyncio.run(run(args, url, key))
    floors, apps, typed = result["floors"], result["apps"], result["typed"]
    floor = median([f["seconds"] for f in floors])
    ours = median([a["seconds"] for a in apps])
    ours_typing = median([a["seconds"] for a in typed])
    echoes = [e for a in typed for e in a["echoes"]]
    stall = max(a["stall"] for a in apps)
    size = floors[-1]["bytes"]
    print(
        f"Streaming the `{args.graph}` reply end to end: {size / 1e6:.2f} MB of SSE, "
        f"{floors[-1]['events']} events, loopback ({args.runs} runs each, medians)"
    )
    rows = [
        [
            "floor: httpx + httpx-sse + json",
            ms(floor),
            "1.00",
            ms(median([f["cpu"] for f in floors])),
            "-",
            "-",
        ],
        [
            "  (floor to the end of the stream)",
            ms(median([f["to_end"] for f in floors])),
            "",
            "",
            "",
            "",
        ],
        [
            "fleet-tui app (worker, store, pane)",
            ms(ours),
            f"{ours / floor:.2f}",
            ms(median([a["cpu"] for a in apps])),
            ms(stall),
            "<= 1.3x",
        ],
        [
            f"  same, typing a key every {args.type_every * 1000:.0f} ms",
            ms(ours_typing),
            f"{ours_typing / floor:.2f}",
            ms(median([a["cpu"] for a in typed])),
            ms(max(a["stall"] for a in typed)),
            "",
        ],
    ]
    print(
        table(
            rows,
            ["first token -> last token painted", "median", "x floor", "CPU", "stall", "target"],
        )
    )
    for label, runs in (("floor", floors), ("app", apps), ("app + typing", typed)):
        print(f"  {label:<13} runs: " + " ".join(ms(r["seconds"]) for r in runs))
    from_byte = median([a["from_first_byte"] for a in apps])
    floor_byte = median([f["from_first_byte"] for f in floors])
    print(
        f"  from the first byte (`metadata`, then the server thinks): app {ms(from_byte)}, "
        f"floor {ms(floor_byte)}, ratio {from_byte / floor_byte:.2f}"
    )
    print(
        "  CPU: this process's CPU time over the same span (the server streams no faster than "
        "it can:\n  the wall-clock ratio says whether the app keeps up, CPU what it costs)"
    )
    if echoes:
        print(
            f"keystroke -> echo in the composer during the stream: {len(echoes)} keys, median "
            f"{ms(median(echoes))}, max {ms(max(echoes))}  (target <= 50 ms)"
        )
    same = all(a["same_text"] for a in apps + typed)
    print(f"painted reply == the server's text: {'OK' if same else 'MISMATCH'}")
    ratio = ours / floor
    echo_ok = bool(echoes) and max(echoes) <= 0.050
    print(f"ratio: {verdict(ratio <= 1.3)}; echo: {verdict(echo_ok)}")
    write_results(
        args.json,
        "stream_e2e",
        {
            "floor": floor,
            "app": ours,
            "ratio": ratio,
            "app_typing": ours_typing,
            "stall": stall,
            "echo_median": median(echoes) if echoes else None,
            "echo_max": max(echoes) if echoes else None,
            "bytes": size,
            "met": ratio <= 1.3 and echo_ok and same,
        },
    )


if __name__ == "__main__":
    main()
