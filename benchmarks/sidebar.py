"""The sidebar over a big saved history: typing a filter, scrolling the whole list.

    python benchmarks/sidebar.py [--conversations 10000] [--messages-per 20] [--query TEXT]

The real app (FleetApp, chat screen, 120x40 headless) on a store of N conversations (built once
under /tmp, see _fleet.py), its agent a loopback port that never answers. Every input goes in
the way a terminal driver delivers it, and its latency runs to the first frame painted (rendered
to terminal escape sequences) that shows its effect:

- filter: ctrl+f, then the query typed one key at a time (one key every `--interval` s, like a
  fast typist): keystroke -> the frame with the filtered list. Median over the keystrokes
  (20 by default); also the part spent in `ThreadSidebar.reload` (store query + rows).
- page down from the first row to the last, loading every page on the way: key -> frame,
  and the longest event-loop stall (10 ms ticker).
- mouse wheel down over `--wheel-rows` rows of a freshly reloaded list: notch -> frame, stall.

Targets (issue 7): filter <= 50 ms keystroke -> repaint (median); no stall over 50 ms while
scrolling.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from _fleet import (
    BENCH_AGENT_ID,
    SIZE,
    history_db,
    history_home,
    make_app,
    median,
    ms,
    point_history_at,
    press,
    silent_server,
    table,
    verdict,
    wait_for,
    write_results,
)
from _harness import StallMeter
from textual import events


async def painted(app: Any, predicate: Any, timeout: float = 30.0) -> float:
    hit = app.when_painted(predicate)
    await wait_for(lambda: hit, timeout, "a frame")
    return float(hit[0])


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1] if len(values) >= 2 else values[0]


async def type_filter(app: Any, query: str, interval: float) -> dict[str, Any]:
    sidebar = app.chat.sidebar
    reload_times: list[float] = []
    original = sidebar.reload

    def timed_reload(**kwargs: Any) -> None:
        start = time.perf_counter()
        original(**kwargs)
        reload_times.append(time.perf_counter() - start)

    sidebar.reload = timed_reload
    press(app, "ctrl+f")
    await painted(app, lambda: sidebar.filter_input.has_focus)
    latencies: list[float] = []
    rows: list[int] = []
    typed = ""
    for char in query:
        typed += char
        expected = typed
        sent = press(app, "space" if char == " " else char, char)
        done = await painted(
            app,
            lambda expected=expected: (
                sidebar.filter_input.value == expected and sidebar._query == expected.strip()
            ),
        )
        latencies.append(done - sent)
        rows.append(sidebar.option_list.option_count)
        await asyncio.sleep(interval)
    sidebar.reload = original
    return {"latencies": latencies, "reloads": reload_times, "rows": rows}


async def page_through(app: Any) -> dict[str, Any]:
    sidebar = app.chat.sidebar
    sidebar.filter_input.value = ""
    await wait_for(lambda: sidebar._query == "", what="filter cleared")
    options = sidebar.option_list
    options.focus()
    options.highlighted = 0
    await painted(app, lambda: options.has_focus and options.highlighted == 0)
    latencies: list[float] = []
    meter = StallMeter().start()
    start = time.perf_counter()
    while not (sidebar._exhausted and options.highlighted == options.option_count - 1):
        before = options.highlighted
        sent = press(app, "pagedown")
        done = await painted(app, lambda before=before: options.highlighted != before)
        latencies.append(done - sent)
    total = time.perf_counter() - start
    stall = await meter.stop()
    return {
        "latencies": latencies,
        "stall": stall,
        "total": total,
        "rows": options.option_count,
        "end": options.highlighted,
    }


async def wheel_through(app: Any, rows: int) -> dict[str, Any]:
    sidebar = app.chat.sidebar
    options = sidebar.option_list
    sidebar.reload()
    options.scroll_to(y=0, animate=False, immediate=True)
    await painted(app, lambda: options.scroll_y == 0)
    region = options.region
    x, y = region.x + region.width // 2, region.y + region.height // 2
    latencies: list[float] = []
    meter = StallMeter().start()
    start = time.perf_counter()
    while options.scroll_y < rows and options.scroll_y < options.max_scroll_y:
        before = options.scroll_y
        event = events.MouseScrollDown(None, x, y, 0, 1, 0, False, False, False, x, y)
        event.set_sender(app)
        sent = time.perf_counter()
        app._driver.send_message(event)
        done = await painted(app, lambda before=before: options.scroll_y != before)
        latencies.append(done - sent)
    total = time.perf_counter() - start
    stall = await meter.stop()
    return {
        "latencies": latencies,
        "stall": stall,
        "total": total,
        "rows": int(options.scroll_y),
        "loaded": options.option_count,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    home = history_home(args.conversations, args.messages_per)
    with silent_server() as url, tempfile.TemporaryDirectory(prefix="fleet-bench-") as tmp:
        point_history_at(home, url)
        app = make_app(history_db(home), url, BENCH_AGENT_ID, "bench-key", Path(tmp))
        async with app.run_test(size=SIZE):
            sidebar = app.chat.sidebar
            await wait_for(lambda: app.frames and sidebar.option_list.option_count, what="rows")
            await asyncio.sleep(0.3)  # let start-up work (timers, workers) settle
            typing = await type_filter(app, args.query, args.interval)
            paging = await page_through(app)
            wheel = await wheel_through(app, args.wheel_rows)
        app.store.close()
    return {"typing": typing, "paging": paging, "wheel": wheel}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--messages-per", type=int, default=20)
    parser.add_argument(
        "--query", default="kubernetes cost revi", help="typed one key at a time (20 keys)"
    )
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between keys")
    parser.add_argument("--wheel-rows", type=int, default=2000, help="rows to wheel through")
    parser.add_argument("--json", help="add the figures to this JSON file (run_all.py)")
    args = parser.parse_args()

    result = asyncio.run(run(args))
    typing, paging, wheel = result["typing"], result["paging"], result["wheel"]
    typed = typing["latencies"]
    print(
        f"Sidebar over {args.conversations:,} conversations x {args.messages_per} messages "
        f"({SIZE[0]}x{SIZE[1]}, input -> first frame showing its effect)"
    )
    rows = [
        [
            f"filter: {len(typed)} keystrokes {args.query!r}",
            ms(median(typed)),
            ms(p90(typed)),
            ms(max(typed)),
            "-",
            "median <= 50 ms",
        ],
        [
            "  of which ThreadSidebar.reload",
            ms(median(typing["reloads"])),
            ms(p90(typing["reloads"])),
            ms(max(typing["reloads"])),
            "-",
            "",
        ],
        [
            f"page down through {paging['rows']:,} rows ({len(paging['latencies'])} keys)",
            ms(median(paging["latencies"])),
            ms(p90(paging["latencies"])),
            ms(max(paging["latencies"])),
            ms(paging["stall"]),
            "stall <= 50 ms",
        ],
        [
            f"wheel through {wheel['rows']:,} rows ({len(wheel['latencies'])} notches)",
            ms(median(wheel["latencies"])),
            ms(p90(wheel["latencies"])),
            ms(max(wheel["latencies"])),
            ms(wheel["stall"]),
            "stall <= 50 ms",
        ],
    ]
    print(table(rows, ["input", "median", "p90", "max", "longest stall", "target"]))
    print("per keystroke (ms):", " ".join(f"{t * 1000:.0f}" for t in typed))
    print("  of which reload:  ", " ".join(f"{t * 1000:.0f}" for t in typing["reloads"]))
    print("rows after each key:", " ".join(str(n) for n in typing["rows"]))
    print(
        f"page down: {paging['total']:.1f} s in all, reached row {paging['end'] + 1:,}; "
        f"wheel: {wheel['total']:.1f} s, {wheel['loaded']:,} rows loaded"
    )
    filter_ok = median(typed) <= 0.050
    scroll_ok = paging["stall"] <= 0.050 and wheel["stall"] <= 0.050
    print(f"filter: {verdict(filter_ok)}; scrolling: {verdict(scroll_ok)}")
    write_results(
        args.json,
        "sidebar",
        {
            "filter_median": median(typed),
            "filter_max": max(typed),
            "page_stall": paging["stall"],
            "wheel_stall": wheel["stall"],
            "met": filter_ok and scroll_ok,
        },
    )


if __name__ == "__main__":
    main()
