"""Opening a long stored conversation in the message pane.

    python benchmarks/open_thread.py [--messages N]

Builds, in memory, a conversation of N messages (default 1,000: questions, markdown replies with
code blocks, tool calls with JSON results; ~500 KB) as objects with the store's StoredMessage
attributes, then, in a headless 120x40 app: time from the messages to the first paint of the
latest ones (`Transcript.from_messages` + `set_transcript` + the frame), the longest event-loop
stall (10 ms ticker) while jumping to the top and back and while paging up through it, how long
the background takes to render every message, and the resident memory (RSS).
Target (issue 4): first paint <= 300 ms, stalls <= 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

from _harness import SIZE, Host, StallMeter, ms, rss_mb
from _reply import build_reply

from fleet_tui.domain.transcript import Transcript
from fleet_tui.tui.widgets.message_pane import MessagePane

_ASKS = (
    "Summarise the incident report and list the follow-ups.",
    "What is the weather in {city} this week?",
    "Write a Python function that parses the export and explain it.",
    "Find the open invoices for {city} and draft a reminder email.",
    "Compare the last two deployments and tell me what changed.",
)
_CITIES = ("Paris", "Lisbon", "Nairobi", "Osaka", "Lima", "Oslo", "Austin")


@dataclass
class StoredMessageLike:
    """The attributes of the store's StoredMessage that the pane reads."""

    role: str
    content: str
    id: int
    server_id: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    tool_call_id: str | None = None
    name: str | None = None
    complete: bool = True
    reasoning: str = ""


def build_messages(count: int, seed: int = 3) -> list[StoredMessageLike]:
    rng = random.Random(seed)
    out: list[StoredMessageLike] = []
    n = 0
    while len(out) < count:
        n += 1
        city = rng.choice(_CITIES)
        out.append(
            StoredMessageLike("human", rng.choice(_ASKS).format(city=city), len(out), f"h{n}")
        )
        if rng.random() < 0.4 and len(out) + 3 <= count:
            call_id = f"call_{n}"
            args = {"city": city, "days": rng.randint(1, 7), "units": "metric"}
            out.append(
                StoredMessageLike(
                    "ai",
                    "",
                    len(out),
                    f"a{n}t",
                    [{"id": call_id, "name": "get_weather", "args": args}],
                )
            )
            result = {
                "city": city,
                "forecast": [
                    {"day": d, "high": rng.randint(10, 30), "low": rng.randint(0, 10)}
                    for d in range(args["days"])
                ],
            }
            out.append(
                StoredMessageLike(
                    "tool",
                    json.dumps(result),
                    len(out),
                    f"t{n}",
                    tool_call_id=call_id,
                    name="get_weather",
                )
            )
        # replies of a few hundred bytes to a few KB, with code now and then
        size = rng.choice((40, 60, 90, 150, 250))
        out.append(StoredMessageLike("ai", build_reply(size, seed=n), len(out), f"a{n}"))
    return out[:count]


async def run(count: int) -> None:
    messages = build_messages(count)
    size_kb = sum(len(m.content) for m in messages) / 1000
    print(f"conversation: {len(messages)} messages, {size_kb:.0f} KB, terminal {SIZE[0]}x{SIZE[1]}")

    painted: list[float] = []

    class Pane(MessagePane):
        def render_lines(self, crop):  # type: ignore[no-untyped-def]
            lines = super().render_lines(crop)
            if self.transcript.items and self._total:
                painted.append(time.perf_counter())
            return lines

    pane = Pane()
    app = Host(pane)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.2)
        rss_before = rss_mb()
        meter = StallMeter().start()
        start = time.perf_counter()
        transcript = Transcript.from_messages(messages)
        built = time.perf_counter()
        pane.set_transcript(transcript)
        while not painted:
            await asyncio.sleep(0.001)
        first_paint = painted[0] - start
        await asyncio.sleep(max(0.0, start + 0.3 - time.perf_counter()))
        open_stall = await meter.stop()
        bottom = pane.line_texts(len(transcript) - 1)[-1:]

        meter.start()
        background_start = time.perf_counter()
        while pane._stale:
            await asyncio.sleep(0.01)
        background = time.perf_counter() - background_start
        bg_stall = await meter.stop()

        # a fresh open for the scrolling figures (heights not all known yet)
        other = Transcript.from_messages(messages)
        pane.set_transcript(other)
        await pilot.pause(0.05)
        meter.start()
        pane.action_scroll_to_top()
        await pilot.pause(0.1)
        top_ok = pane.scroll_y == 0
        pane.scroll_to_latest()
        await pilot.pause(0.1)
        jump_stall = await meter.stop()
        meter.start()
        for _ in range(40):
            pane.action_page_up()
            await asyncio.sleep(1 / 60)
        await pilot.pause(0.05)
        page_stall = await meter.stop()
        while pane._stale:
            await asyncio.sleep(0.01)
        await pilot.pause(0.05)
        rss_after = rss_mb()
        lines = sum(e.height + e.prefix for e in pane._view.entries)

    def row(label: str, value: str) -> None:
        print(f"  {label:<38} {value}")

    row("Transcript.from_messages", ms(built - start))
    row("first paint of the latest messages", f"{ms(first_paint)}  (target <= 300 ms)")
    row("longest stall, first 300 ms", ms(open_stall))
    row("background render of the rest", f"{ms(background)}, longest stall {ms(bg_stall)}")
    reached = "" if top_ok else "  (did not reach the top!)"
    row("jump to top and back, longest stall", f"{ms(jump_stall)}  (target <= 50 ms){reached}")
    row("40 x page up at 60 Hz, longest stall", ms(page_stall))
    row("rendered lines", str(lines))
    row("RSS", f"{rss_before:.0f} MB before opening, {rss_after:.0f} MB with it open (twice)")
    row("last line on screen", repr(bottom[0] if bottom else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=1000, help="messages in the conversation")
    args = parser.parse_args()
    asyncio.run(run(args.messages))


if __name__ == "__main__":
    main()
