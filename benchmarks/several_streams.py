"""Several conversations streaming at once: the visible one stays smooth, hidden ones cost no
rendering.

    python benchmarks/several_streams.py [--url URL --key KEY] [--graph long] [--streams 3]

The real FleetApp (120x40 headless, frames rendered to escape sequences) against the test Agent
Server (tests/server/, started here unless `--url` is given). Two scenarios, alternating,
`--runs` times each:

- alone: one conversation streams the `long` reply (~5,000 tokens), visible;
- together: conversation 1 starts streaming, ctrl+n, conversation 2 starts, ctrl+n, ... so
  `--streams` replies stream at once, the last one visible, the others in the background
  (their workers keep writing into their own transcripts and the store).

For the visible conversation: its first token -> its last token painted, and the longest event-loop
stall (10 ms ticker) over that time. For the pane, counted by wrapping `MessagePane._ensure`
(renders an item's lines) and `render_line`: how many renders went to each transcript, and
lines / frames painted. Hidden transcripts must get no renders, and the pane's work must not
grow with the number of streams. At the end every hidden transcript must hold the whole reply.
Targets (issue 7): visible stall <= 50 ms; no rendering for hidden conversations.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

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
    table,
    verdict,
    wait_for,
    write_results,
)
from _harness import StallMeter
from stream_e2e import TimingTransport

from fleet_tui.domain.transcript import AssistantItem, Transcript
from fleet_tui.tui.widgets.message_pane import MessagePane


class PaneWork:
    """Counts the pane's work per transcript, whichever pane instance does it."""

    def __init__(self) -> None:
        self.renders: Counter[int] = Counter()
        self.render_seconds = 0.0
        self.lines = 0
        original_ensure = MessagePane._ensure
        original_line = MessagePane.render_line
        work = self

        def _ensure(self: MessagePane, *args: Any, **kwargs: Any) -> bool:
            start = time.perf_counter()
            try:
                return original_ensure(self, *args, **kwargs)
            finally:
                work.renders[id(self.transcript)] += 1
                work.render_seconds += time.perf_counter() - start

        def render_line(self: MessagePane, y: int) -> Any:
            work.lines += 1
            return original_line(self, y)

        MessagePane._ensure = _ensure  # type: ignore[method-assign]
        MessagePane.render_line = render_line  # type: ignore[method-assign]

    def reset(self) -> None:
        self.renders.clear()
        self.render_seconds = 0.0
        self.lines = 0


def reply_of(transcript: Transcript) -> str:
    items = [i for i in transcript.items if isinstance(i, AssistantItem)]
    return items[-1].text if items else ""


async def scenario(
    app: Any,
    transport: TimingTransport,
    work: PaneWork,
    streams: int,
    expected: str | None,
) -> dict[str, Any]:
    chat = app.chat
    pane = chat.pane
    lives = []
    runners = []
    for n in range(streams):
        if n:
            press(app, "ctrl+n")
            await wait_for(lambda: chat.current is None, 10, "a new conversation")
        chat.composer.clear()
        chat.composer.insert(f"Conversation {n + 1}: write the long report.")
        press(app, "enter")
        await wait_for(
            lambda: chat.current is not None and chat.current.runner is not None,
            10,
            "the conversation",
        )
        lives.append(chat.current)
        runners.append(chat.current.runner)
    visible = lives[-1]
    # from here on the others are hidden: any render of their transcripts is a hidden render
    work.reset()
    frames_before = len(app.frames)

    def path_of(n: int) -> str:
        # the runner knows the thread as soon as it made it (the Live only when the run ends)
        return f"/threads/{runners[n].thread_id}/runs/stream"

    last = len(runners) - 1
    await wait_for(
        lambda: runners[last].thread_id and path_of(last) in transport.streams,
        60,
        "the visible stream",
    )
    timing = transport.streams[path_of(last)]
    await wait_for(lambda: timing.first_token is not None, 60, "the first token")
    meter = StallMeter().start()

    def whole_reply_painted() -> bool:
        if pane.has_pending_render or chat.current is not visible:
            return False
        text = reply_of(visible.transcript)
        return text == expected if expected is not None else visible.runner is None

    painted = app.when_painted(whole_reply_painted)
    await wait_for(lambda: painted, 300, "the visible reply painted")
    stall = await meter.stop()
    assert timing.first_token is not None
    seconds = painted[0] - timing.first_token
    lines, frames = work.lines, len(app.frames) - frames_before
    await wait_for(lambda: all(live.runner is None for live in lives), 300, "every run to end")
    # how much of the visible stream's time had a hidden stream going too
    end = painted[0]
    spans = sorted(
        (max(t.first_token, timing.first_token), min(t.last, end))
        for n in range(last)
        if (t := transport.streams.get(path_of(n))) and t.first_token and t.last
    )
    covered, reach = 0.0, timing.first_token
    for start, stop in spans:
        start = max(start, reach)
        if stop > start:
            covered += stop - start
            reach = stop
    hidden = [live.transcript for live in lives[:-1]]
    visible_id = id(visible.transcript)
    hidden_ids = {id(t) for t in hidden}
    result = {
        "seconds": seconds,
        "stall": stall,
        "visible_renders": work.renders[visible_id],
        "hidden_renders": sum(work.renders[i] for i in hidden_ids),
        "other_renders": sum(
            c for i, c in work.renders.items() if i != visible_id and i not in hidden_ids
        ),
        "render_seconds": work.render_seconds,
        "lines": lines,
        "frames": frames,
        "overlap": covered / seconds if seconds else 0.0,
        "hidden_complete": all(expected is None or reply_of(t) == expected for t in hidden),
        "visible_complete": expected is None or reply_of(visible.transcript) == expected,
    }
    chat.start_new(stateless=False)
    await asyncio.sleep(0.2)
    return result


async def run(args: argparse.Namespace, url: str, key: str) -> dict[str, list[dict[str, Any]]]:
    assistant_id = assistant_for(url, key, args.graph)
    # only `long` answers every conversation with the same text
    expected = expected_reply(args.graph, "") if args.graph == "long" else None
    work = PaneWork()
    results: dict[str, list[dict[str, Any]]] = {"alone": [], "together": []}
    with tempfile.TemporaryDirectory(prefix="fleet-bench-") as tmp:
        app = make_app(Path(tmp) / "store.db", url, assistant_id, key, Path(tmp))
        async with app.run_test(size=SIZE):
            await wait_for(lambda: app.connection_state != "checking", 30, "the agent check")
            http = app.client._http
            transport = http._transport = TimingTransport(http._transport)
            await scenario(app, transport, work, 1, expected)  # warm-up
            for _ in range(args.runs):
                results["alone"].append(await scenario(app, transport, work, 1, expected))
                results["together"].append(
                    await scenario(app, transport, work, args.streams, expected)
                )
        app.store.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_server_flags(parser)
    parser.add_argument("--graph", default="long", help="test graph to run (tests/server)")
    parser.add_argument("--streams", type=int, default=3, help="conversations streaming at once")
    parser.add_argument("--runs", type=int, default=2, help="runs of each scenario (medians)")
    parser.add_argument("--json", help="add the figures to this JSON file (run_all.py)")
    args = parser.parse_args()

    with agent_server(args.url, args.key) as (url, key):
        results = asyncio.run(run(args, url, key))
    print(
        f"Several streams: the `{args.graph}` reply, visible conversation alone vs with "
        f"{args.streams - 1} more streaming in the background ({args.runs} runs, medians; "
        "stall and hidden renders: worst run)"
    )
    rows = []
    for label, runs in (
        ("1 stream, visible", results["alone"]),
        (f"{args.streams} streams, 1 visible", results["together"]),
    ):
        rows.append(
            [
                label,
                ms(median([r["seconds"] for r in runs])),
                ms(max(r["stall"] for r in runs)),
                f"{median([r['visible_renders'] for r in runs]):.0f}",
                str(max(r["hidden_renders"] + r["other_renders"] for r in runs)),
                ms(median([r["render_seconds"] for r in runs])),
                f"{median([r['lines'] / r['seconds'] for r in runs]):,.0f}",
                f"{median([r['frames'] / r['seconds'] for r in runs]):.0f}",
            ]
        )
    print(
        table(
            rows,
            [
                "scenario",
                "visible: 1st token->painted",
                "stall",
                "renders (visible)",
                "renders (hidden)",
                "render time",
                "lines/s",
                "frames/s",
            ],
        )
    )
    together = results["together"]
    overlap = min(r["overlap"] for r in together)
    complete = all(r["hidden_complete"] and r["visible_complete"] for r in together)
    print(
        f"hidden streams were receiving during {overlap * 100:.0f}% (worst run) of the visible "
        f"stream; every reply complete in its own transcript: {'OK' if complete else 'NO'}"
    )
    stall = max(r["stall"] for r in together)
    hidden = max(r["hidden_renders"] + r["other_renders"] for r in together)
    alone_lines = median([r["lines"] / r["seconds"] for r in results["alone"]])
    together_lines = median([r["lines"] / r["seconds"] for r in together])
    lines_ratio = together_lines / alone_lines if alone_lines else 0.0
    print(
        f"visible stall <= 50 ms: {verdict(stall <= 0.050)}; hidden renders == 0: "
        f"{verdict(hidden == 0)}; lines painted per second, together / alone: {lines_ratio:.2f}"
    )
    write_results(
        args.json,
        "several_streams",
        {
            "stall": stall,
            "hidden_renders": hidden,
            "lines_ratio": lines_ratio,
            "visible_alone": median([r["seconds"] for r in results["alone"]]),
            "visible_together": median([r["seconds"] for r in together]),
            "complete": complete,
            "met": stall <= 0.050 and hidden == 0 and complete,
        },
    )


if __name__ == "__main__":
    main()
