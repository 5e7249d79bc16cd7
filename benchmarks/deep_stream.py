"""A deep run end to end: sub-agents streaming in parallel into their cards, against the floor.

    python benchmarks/deep_stream.py [--url URL --key KEY] [--message 3x2000] [--runs 3]

The test Agent Server (tests/server/, started here unless `--url` is given) runs the
`deep_parallel` graph: the message "NxM" makes it start N `task` sub-agents that each stream M
tokens (their namespaces interleaved on the wire), then M tokens of the main reply. In one
process, alternating, `--runs` times each:

- floor: httpx reads the same stream (a thread run with the body the app sends, subgraphs
  included) and decodes it (httpx-sse + json.loads per event) and nothing else: first token ->
  the last token decoded.
- app, cards collapsed: the real FleetApp (120x40 headless) sends the message; its worker
  streams the run through FleetClient, the normaliser, the recorder (SQLite) and the message
  pane, each sub-agent in its own card: first token -> the first frame painted with the run
  over, the main reply whole and nothing pending.
- app, cards expanded: the same with every tool block expanded as soon as it appears (what `t`
  does), so each card draws its sub-agent's text as it streams.

Also prints the longest event-loop stall of each app run (10 ms ticker) and checks that each
card holds its own sub-agent's text and the main reply none of it.
Targets (issue 13): longest stall <= 50 ms; app <= 1.3x the floor.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from _fleet import (
    SIZE,
    add_server_flags,
    agent_server,
    assistant_for,
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
from stream_e2e import Timing, TimingTransport

from fleet_tui.agent_server.client import DEFAULT_STREAM_MODES
from fleet_tui.domain.transcript import AssistantItem, ToolItem

GRAPH = "deep_parallel"


def run_body(assistant_id: str, message: str) -> dict[str, Any]:
    """The body FleetClient.stream_run sends for a message on a thread."""
    return {
        "assistant_id": assistant_id,
        "stream_mode": list(DEFAULT_STREAM_MODES),
        "stream_subgraphs": True,
        "input": {"messages": [{"role": "user", "content": message}]},
        "stream_resumable": True,
    }


async def floor_once(
    url: str, key: str, assistant_id: str, message: str, timing: Timing
) -> dict[str, Any]:
    timing.reset()
    transport = TimingTransport(httpx.AsyncHTTPTransport(), timing)
    async with httpx.AsyncClient(
        base_url=url, headers=server_headers(key), transport=transport, timeout=300
    ) as client:
        thread = (await client.post("/threads", json={})).json()["thread_id"]
        events = 0
        last_token = 0.0
        async with client.stream(
            "POST",
            f"/threads/{thread}/runs/stream",
            json=run_body(assistant_id, message),
            headers={"Accept": "text/event-stream"},
        ) as response:
            response.raise_for_status()
            async for sse in EventSource(response).aiter_sse():
                if not sse.data:
                    continue  # a keep-alive
                payload = json.loads(sse.data)
                events += 1
                if sse.event.startswith("messages") and payload[0].get("content"):
                    last_token = time.perf_counter()
    assert timing.first_token is not None
    return {"seconds": last_token - timing.first_token, "bytes": timing.size, "events": events}


def _main_reply(items: list[Any]) -> AssistantItem | None:
    return next((i for i in reversed(items) if isinstance(i, AssistantItem)), None)


async def app_once(app: Any, timing: Timing, message: str, expand: bool) -> dict[str, Any]:
    chat = app.chat
    pane, composer = chat.pane, chat.composer
    chat.start_new(stateless=False)
    await asyncio.sleep(0.1)
    timing.reset()

    def run_painted() -> bool:
        current = chat.current
        if current is None or current.runner is not None or pane.has_pending_render:
            return False
        reply = _main_reply(pane.transcript.items)
        return reply is not None and reply.complete

    painted = app.when_painted(run_painted)
    composer.clear()
    composer.insert(message)
    meter = StallMeter().start()
    press(app, "enter")
    await wait_for(lambda: timing.first_token is not None, 120, "the first token")
    while not painted:
        if expand:
            # what `t` does, for every block as it appears
            transcript = pane.transcript
            closed = [
                n
                for n, i in enumerate(transcript.items)
                if isinstance(i, ToolItem) and not i.expanded
            ]
            for index in closed:
                transcript.items[index].expanded = True
            if closed:
                transcript.changed(*closed)
        await asyncio.sleep(0.02)
    stall = await meter.stop()
    items = pane.transcript.items
    cards = [i for i in items if isinstance(i, ToolItem) and i.is_subagent]
    main = "".join(i.text for i in items if isinstance(i, AssistantItem))
    own = all(
        card.subagent is not None
        and any(
            isinstance(n, AssistantItem) and n.text and n.text not in main
            for n in card.subagent.items
        )
        for card in cards
    )
    lines = len(pane.line_texts()) if expand else 0
    composer.clear()
    return {
        "seconds": painted[0] - timing.first_token,  # type: ignore[operator]
        "stall": stall,
        "cards": len(cards),
        "own_text": own,
        "lines": lines,
    }


async def run(args: argparse.Namespace, url: str, key: str) -> dict[str, Any]:
    assistant_id = assistant_for(url, key, GRAPH)
    floor_timing = Timing()
    app_timing = Timing()
    floors: list[dict[str, Any]] = []
    collapsed: list[dict[str, Any]] = []
    expanded: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="fleet-bench-") as tmp:
        app = make_app(Path(tmp) / "store.db", url, assistant_id, key, Path(tmp))
        async with app.run_test(size=SIZE):
            await wait_for(lambda: app.connection_state != "checking", 30, "the agent check")
            http = app.client._http
            http._transport = TimingTransport(http._transport, app_timing)
            await floor_once(url, key, assistant_id, args.message, floor_timing)  # warm up
            await app_once(app, app_timing, args.message, False)
            for _ in range(args.runs):
                floors.append(await floor_once(url, key, assistant_id, args.message, floor_timing))
                collapsed.append(await app_once(app, app_timing, args.message, False))
                expanded.append(await app_once(app, app_timing, args.message, True))
        app.store.close()
    return {"floors": floors, "collapsed": collapsed, "expanded": expanded}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_server_flags(parser)
    parser.add_argument("--message", default="3x2000", help="NxM: N sub-agents, M tokens each")
    parser.add_argument("--runs", type=int, default=3, help="runs of each kind (medians)")
    parser.add_argument("--json", help="add the figures to this JSON file (run_all.py)")
    args = parser.parse_args()

    with agent_server(args.url, args.key) as (url, key):
        result = asyncio.run(run(args, url, key))
    floors, collapsed, expanded = result["floors"], result["collapsed"], result["expanded"]
    floor = median([f["seconds"] for f in floors])
    print(
        f"A deep run end to end (`{GRAPH}`, message {args.message!r}): "
        f"{floors[-1]['bytes'] / 1e6:.2f} MB of SSE, {floors[-1]['events']} events, loopback "
        f"({args.runs} runs each, medians)"
    )
    rows = [["floor: httpx + httpx-sse + json", ms(floor), "1.00", "-", "-"]]
    figures: dict[str, float] = {}
    for label, runs in (("cards collapsed", collapsed), ("cards expanded", expanded)):
        seconds = median([r["seconds"] for r in runs])
        stall = max(r["stall"] for r in runs)
        figures[label] = seconds
        figures[f"{label} stall"] = stall
        rows.append(
            [
                f"fleet-tui app, {label}",
                ms(seconds),
                f"{seconds / floor:.2f}",
                ms(stall),
                "<= 1.3x, 50 ms",
            ]
        )
    print(table(rows, ["first token -> run painted", "median", "x floor", "stall", "target"]))
    for label, runs in (("floor", floors), ("collapsed", collapsed), ("expanded", expanded)):
        print(f"  {label:<10} runs: " + " ".join(ms(r["seconds"]) for r in runs))
    print(f"  expanded pane: {expanded[-1]['lines']:,} lines drawn for the run")
    apps = collapsed + expanded
    cards_ok = all(r["cards"] == int(args.message.split("x")[0]) and r["own_text"] for r in apps)
    print(f"each sub-agent's text in its own card, none in the main reply: {verdict(cards_ok)}")
    stall = max(figures["cards collapsed stall"], figures["cards expanded stall"])
    ratio = max(figures["cards collapsed"], figures["cards expanded"]) / floor
    print(f"ratio: {verdict(ratio <= 1.3)}; stall: {verdict(stall <= 0.050)}")
    write_results(
        args.json,
        "deep_stream",
        {
            "floor": floor,
            "collapsed": figures["cards collapsed"],
            "expanded": figures["cards expanded"],
            "ratio": ratio,
            "stall": stall,
            "cards_ok": cards_ok,
            "met": ratio <= 1.3 and stall <= 0.050 and cards_ok,
        },
    )


if __name__ == "__main__":
    main()
