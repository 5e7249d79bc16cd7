"""Streaming a long markdown reply: the message pane against Textual's MarkdownStream.

    python benchmarks/stream_render.py [--tokens N] [--history N] [--no-baseline]

Feeds the same ~5,000-token reply (benchmarks/_reply.py), as fast as the event loop takes it,
as SSE `messages` events through the real path (`EventNormalizer` -> `TextDelta` -> the pane) in
a headless 120x40 app, and through a baseline `Markdown` + `Markdown.get_stream()`. Prints the
time to the final render, the longest event-loop stall (10 ms ticker), the baseline/ours ratio,
then, feeding at a steady `--rate`, the CPU cost per token early and late in the reply (it must
not grow), and checks that the streamed
result equals rendering the whole reply at once. `--history N` first opens a thread of N stored
messages, to show that the length of the thread does not matter either.
Targets (issue 4): ratio >= 10, longest stall <= 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from _harness import SIZE, Host, StallMeter, ms
from _reply import build_reply, tokens_of
from textual.containers import VerticalScroll
from textual.widgets import Markdown

from fleet_tui.agent_server.normalizer import EventNormalizer
from fleet_tui.domain.transcript import AssistantItem, Transcript
from fleet_tui.tui.widgets.lines import text_of
from fleet_tui.tui.widgets.markdown_render import BlockRenderer
from fleet_tui.tui.widgets.message_pane import MessagePane

MESSAGE_ID = "lc_run--bench-0001"


def sse_payloads(tokens: list[str]) -> list[str]:
    """`messages` event data as the Agent Server sends it (messages-tuple mode)."""
    meta = {"langgraph_node": "model", "langgraph_step": 1}
    return [
        json.dumps([{"type": "AIMessageChunk", "id": MESSAGE_ID, "content": tok}, meta])
        for tok in tokens
    ]


def fifths(marks: list[float], count: int) -> tuple[float, float]:
    """Mean cost per token over the first and the last fifth of the reply."""
    fifth = max(1, count // 5)
    early = (marks[fifth] - marks[0]) / fifth
    late = (marks[count] - marks[count - fifth]) / fifth
    return early, late


class Feed:
    """Feeds tokens as fast as the loop takes them (rate 0), or paced at `rate` tokens/s.

    Records the CPU time of the process at each token, for the per-token cost.
    """

    def __init__(self, count: int, rate: float) -> None:
        self.count = count
        self.rate = rate
        self.cpu = [0.0] * (count + 1)

    async def run(self, send: object) -> None:
        assert callable(send)
        start = time.perf_counter()
        for index in range(self.count):
            self.cpu[index] = time.process_time()
            await send(index)
            if self.rate:
                due = start + (index + 1) / self.rate
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            else:
                await asyncio.sleep(0)
        self.cpu[self.count] = time.process_time()


async def run_ours(tokens: list[str], history: int, rate: float = 0) -> dict[str, object]:
    pane = MessagePane()
    app = Host(pane)
    async with app.run_test(size=SIZE) as pilot:
        if history:
            from open_thread import build_messages

            pane.set_transcript(Transcript.from_messages(build_messages(history)))
            while pane._stale:  # let the background finish so it does not blur the figures
                await asyncio.sleep(0.05)
        pane.add_user("Write me a long report, with code.")
        await pilot.pause()
        payloads = sse_payloads(tokens)
        normalizer = EventNormalizer("thread-1")

        async def send(index: int) -> None:
            for event in normalizer.feed("messages", payloads[index]):
                pane.apply_event(event)

        feed = Feed(len(tokens), rate)
        meter = StallMeter().start()
        start = time.perf_counter()
        await feed.run(send)
        for event in normalizer.finish():
            pane.apply_event(event)
        while pane.has_pending_render:
            await asyncio.sleep(0.001)
        await pilot.pause()
        total = time.perf_counter() - start
        stall = await meter.stop()
        index = next(
            i
            for i, item in enumerate(pane.transcript.items)
            if isinstance(item, AssistantItem) and item.message_id == MESSAGE_ID
        )
        streamed = pane._view.entries[index].body
        reference = BlockRenderer(app.console, pane._width, "monokai").render_text("".join(tokens))
        early, late = fifths(feed.cpu, len(tokens))
        return {
            "total": total,
            "stall": stall,
            "same_text": [text_of(s) for s in streamed] == [text_of(s) for s in reference],
            "same_style": streamed == reference,
            "pinned": pane.scroll_y == pane.max_scroll_y and pane.pinned,
            "early": early,
            "late": late,
        }


async def run_baseline(tokens: list[str], rate: float = 0) -> dict[str, object]:
    markdown = Markdown()
    scroll = VerticalScroll(markdown)
    app = Host(scroll)
    async with app.run_test(size=SIZE) as pilot:
        scroll.anchor()
        await pilot.pause()
        stream = Markdown.get_stream(markdown)

        async def send(index: int) -> None:
            await stream.write(tokens[index])

        feed = Feed(len(tokens), rate)
        meter = StallMeter().start()
        start = time.perf_counter()
        await feed.run(send)
        await stream.stop()
        await pilot.pause()
        total = time.perf_counter() - start
        stall = await meter.stop()
        early, late = fifths(feed.cpu, len(tokens))
        return {"total": total, "stall": stall, "early": early, "late": late}


def report(label: str, result: dict[str, object], paced: dict[str, object], rate: float) -> None:
    print(f"{label}:")
    print(f"  total to final render    {ms(result['total'])}")  # type: ignore[arg-type]
    print(f"  longest stall            {ms(result['stall'])}")  # type: ignore[arg-type]
    if "same_text" in result:
        print(f"  final text == whole      {'OK' if result['same_text'] else 'MISMATCH'}")
        print(f"  final styles == whole    {'OK' if result['same_style'] else 'MISMATCH'}")
        print(f"  pinned to the bottom     {'OK' if result['pinned'] else 'NO'}")
    early, late = paced["early"], paced["late"]
    print(
        f"  at {rate:.0f} tokens/s: CPU per token first / last fifth "
        f"{early * 1e6:.0f} us / {late * 1e6:.0f} us, "  # type: ignore[operator]
        f"longest stall {ms(paced['stall'])}"  # type: ignore[arg-type]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=5000, help="reply length in tokens")
    parser.add_argument("--history", type=int, default=0, help="stored messages opened first")
    parser.add_argument("--no-baseline", action="store_true", help="skip MarkdownStream")
    parser.add_argument(
        "--rate", type=float, default=2000, help="tokens/s of the paced run (per-token cost)"
    )
    args = parser.parse_args()

    text = build_reply(args.tokens)
    tokens = tokens_of(text)
    print(f"reply: {len(tokens)} tokens, {len(text) / 1000:.1f} KB, terminal {SIZE[0]}x{SIZE[1]}")

    ours = asyncio.run(run_ours(tokens, args.history))
    ours_paced = asyncio.run(run_ours(tokens, args.history, args.rate))
    label = f"message pane{f' (after {args.history} stored messages)' if args.history else ''}"
    report(label, ours, ours_paced, args.rate)
    if args.no_baseline:
        return
    base = asyncio.run(run_baseline(tokens))
    base_paced = asyncio.run(run_baseline(tokens, args.rate))
    report("baseline Markdown + MarkdownStream", base, base_paced, args.rate)
    ratio = base["total"] / ours["total"]  # type: ignore[operator]
    print(f"ratio baseline/ours: {ratio:.1f}x  (target >= 10)")
    ok = ratio >= 10 and ours["stall"] <= 0.050 and ours["same_text"]  # type: ignore[operator]
    print("targets:", "MET" if ok else "NOT MET")


if __name__ == "__main__":
    main()
