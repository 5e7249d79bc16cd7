"""Opening the inbox with many waiting items, and one of them leaving while it is open.

    python benchmarks/inbox_open.py [--items 1000] [--runs 7]

The real app (FleetApp, chat screen, 120x40 headless) on a store holding `--items` conversations
that wait for an approval (a `send_email` call each, as the HITL middleware raises it), spread
over two saved agents, its agents a loopback port that never answers. `f4` goes in the way a
terminal driver delivers it; the latency runs to the first frame painted (rendered to terminal
escape sequences) that shows the inbox with every row. Then, with the inbox open, one item is
answered (its waiting mark cleared and the hub told, as an answer does): change -> the frame
without it. Medians over `--runs` openings; also the longest event-loop stall meanwhile.
Target (issue 15): the inbox opens in <= 100 ms with 1,000 waiting items.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from _fleet import (
    make_app,
    median,
    ms,
    press,
    silent_server,
    table,
    verdict,
    wait_for,
    write_results,
)
from _harness import SIZE, StallMeter

from fleet_tui.domain.interrupt_model import Interrupt
from fleet_tui.settings.config import AgentProfile
from fleet_tui.storage.store import Store

AGENTS = ("5b0d4a1e-0000-4000-8000-0000000000a1", "5b0d4a1e-0000-4000-8000-0000000000a2")


def approval(n: int) -> dict[str, Any]:
    return {
        "action_requests": [
            {
                "name": "send_email",
                "args": {
                    "to": f"person{n}@example.com",
                    "subject": f"Invoice {4000 + n}",
                    "body": "Hello,\n\nplease find the invoice attached.\n" * 3,
                },
                "description": "Review the email before it is sent.",
            }
        ],
        "review_configs": [
            {"action_name": "send_email", "allowed_decisions": ["approve", "edit", "reject"]}
        ],
    }


def fill(store_path: Path, url: str, items: int) -> None:
    store = Store.open(store_path)
    try:
        agents = [store.ensure_agent(url, agent_id) for agent_id in AGENTS]
        now = time.time()
        for n in range(items):
            agent = agents[n % len(agents)]
            title = f"Chase invoice {4000 + n} with the customer"
            conversation = store.create_conversation(agent.id, thread_id=f"t-{n}", title=title)
            store.set_status(conversation.id, "interrupted")
            store.set_waiting(conversation.id, [Interrupt(f"{n:032x}", approval(n))])
            store.mark_changed(conversation.id, now - n * 37)
    finally:
        store.close()


async def painted(app: Any, predicate: Any, timeout: float = 30.0) -> float:
    hit = app.when_painted(predicate)
    await wait_for(lambda: hit, timeout, "a frame")
    return float(hit[0])


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from fleet_tui.tui.screens.chat import ChatScreen
    from fleet_tui.tui.screens.inbox import InboxScreen

    with silent_server() as url, tempfile.TemporaryDirectory(prefix="fleet-bench-") as tmp:
        store_path = Path(tmp) / "fleet.db"
        fill(store_path, url, args.items)
        app = make_app(store_path, url, AGENTS[0], "bench-key", Path(tmp))
        app.settings.replace_profile(
            AgentProfile(name="second", url=url, agent_id=AGENTS[1], api_key="bench-key")
        )
        openings: list[float] = []
        closings: list[float] = []
        updates: list[float] = []
        async with app.run_test(size=SIZE):
            await wait_for(lambda: app.frames and app.waiting_count == args.items, what="badge")
            await asyncio.sleep(1.0)  # start-up's own work done, the inbox styles read
            meter = StallMeter().start()
            for _ in range(args.runs):
                sent = press(app, "f4")

                def shown() -> bool:
                    screen = app.screen
                    return (
                        isinstance(screen, InboxScreen)
                        and screen.listing.row_count == len(screen.entries) > 0
                    )

                openings.append(await painted(app, shown) - sent)
                screen = app.screen
                assert isinstance(screen, InboxScreen)
                first = screen.entries[0]
                before = len(screen.entries)
                changed = time.perf_counter()
                app.store.set_waiting(first.conversation_id, [])
                app.inbox.changed()
                updates.append(
                    await painted(app, lambda s=screen, b=before: len(s.entries) == b - 1) - changed
                )
                sent = press(app, "escape")
                closings.append(
                    await painted(app, lambda: isinstance(app.screen, ChatScreen)) - sent
                )
                await asyncio.sleep(0.2)
            stall = await meter.stop()
            rows = before
        app.store.close()
    return {
        "openings": openings,
        "updates": updates,
        "closings": closings,
        "stall": stall,
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", help="add the figures to this JSON file (run_all.py)")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    opened = result["openings"]
    rows = [
        [
            f"f4 -> inbox painted ({result['rows']:,} rows)",
            ms(median(opened)),
            ms(max(opened)),
            "<= 100 ms",
        ],
        [
            "an item answered -> the frame without it",
            ms(median(result["updates"])),
            ms(max(result["updates"])),
            "",
        ],
        [
            "escape -> the chat painted",
            ms(median(result["closings"])),
            ms(max(result["closings"])),
            "",
        ],
    ]
    print(table(rows, ["what", "median", "max", "target"]))
    print(f"longest event-loop stall meanwhile: {ms(result['stall'])}")
    print("openings (ms):", " ".join(f"{t * 1000:.0f}" for t in opened))
    ok = median(opened) <= 0.100
    print(f"inbox open: {verdict(ok)}")
    write_results(
        args.json,
        "inbox_open",
        {
            "open_median": median(opened),
            "open_max": max(opened),
            "update_median": median(result["updates"]),
            "items": args.items,
            "met": ok,
        },
    )


if __name__ == "__main__":
    main()
