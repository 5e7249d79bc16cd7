"""The deep-agent views: a 1 MB state file opened in the files view, a 200-todo plan.

    python benchmarks/deep_views.py [--file-mb 1] [--todos 200] [--updates 50]

1. A `--file-mb` MB state file shown by the files view's `FileViewer` in a headless 120x40 app,
   for each way a file is drawn: code highlighted by its extension (.py), plain text (.txt),
   markdown too long to draw as markdown (.md, shown as text) and a 90 KB markdown file (drawn as
   markdown). Prints the time from `show` to the first screen painted, the time until the
   whole file is drawn (it renders in slices between frames) and the longest event-loop stall
   meanwhile (10 ms ticker).
2. A `--todos` plan set on the plan panel, then `--updates` write_todos replacing it (one more
   task done each time, as an agent moves through it). Prints the longest stall.
Targets (issue 13): first screen of a 1 MB file <= 200 ms; the plan renders without a stall
over 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import time
from pathlib import Path

from _harness import SIZE, Host, StallMeter, ms

from fleet_tui.domain.deep_state import StateFile, Todo
from fleet_tui.tui.widgets.file_viewer import FileViewer
from fleet_tui.tui.widgets.plan_panel import PlanList, PlanPanel

CODE_LINE = (
    'def handler_{n}(event: dict[str, object]) -> str:\n    """Doc {n}."""\n'
    '    return f"{{event!r}} {n}"  # {n}\n\n'
)
TEXT_LINE = "line {n}: a plain text log line of an agent's notes, long enough to read\n"
MD_BLOCK = (
    "## Section {n}\n\nSome **bold** text and a [link](https://example.com/{n}).\n\n"
    "- one\n- two\n\n"
)


def filled(template: str, size: int) -> str:
    parts: list[str] = []
    total = 0
    n = 0
    while total < size:
        part = template.format(n=n)
        parts.append(part)
        total += len(part)
        n += 1
    return "".join(parts)[:size]


async def first_screen(file: StateFile) -> dict[str, float | int | bool]:
    viewer = FileViewer(id="file-viewer")
    app = Host(viewer)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        gc.freeze()
        start = time.perf_counter()
        viewer.show(file)
        while viewer.painted_at is None:  # the first screen drawn
            await asyncio.sleep(0.001)
        painted = viewer.painted_at - start
        height = viewer.scrollable_content_region.height
        full = viewer.line_count >= height or viewer.done
        # the rest is drawn between frames: how long can the app be kept waiting meanwhile
        meter = StallMeter().start()
        while not viewer.done:
            await asyncio.sleep(0.005)
        total = time.perf_counter() - start
        stall = await meter.stop()
        lines = viewer.line_count
    return {"first": painted, "full_screen": full, "total": total, "stall": stall, "lines": lines}


async def plan(todos: int, updates: int) -> dict[str, float]:
    panel = PlanPanel(id="plan")
    app = Host(panel)
    contents = [
        f"Task {n}: check source {n} and note what it says about the topic" for n in range(todos)
    ]

    def at(step: int) -> tuple[Todo, ...]:
        return tuple(
            Todo(text, "completed" if n < step else "in_progress" if n == step else "pending")
            for n, text in enumerate(contents)
        )

    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        gc.freeze()
        meter = StallMeter().start()
        panel.todos = at(0)
        await pilot.pause()
        first_stall = await meter.stop()
        meter = StallMeter().start()
        for step in range(1, updates + 1):
            panel.todos = at(step * todos // max(1, updates) - 1)
            await pilot.pause()
        update_stall = await meter.stop()
        assert panel.query_one(PlanList).line_count >= todos
    return {
        "first_stall": first_stall,
        "update_stall": update_stall,
        "stall": max(first_stall, update_stall),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--file-mb", type=float, default=1.0, help="size of the big state files")
    parser.add_argument("--todos", type=int, default=200, help="todos in the plan")
    parser.add_argument("--updates", type=int, default=50, help="write_todos updates")
    parser.add_argument("--json", help="add the figures to this JSON file")
    args = parser.parse_args()

    size = int(args.file_mb * 1_000_000)
    files = [
        ("code (.py)", StateFile("/src/handlers.py", filled(CODE_LINE, size))),
        ("text (.txt)", StateFile("/notes.txt", filled(TEXT_LINE, size))),
        ("markdown (.md, as text)", StateFile("/report.md", filled(MD_BLOCK, size))),
        ("markdown (.md, 90 KB)", StateFile("/short.md", filled(MD_BLOCK, 90_000))),
    ]
    print(f"files view, terminal {SIZE[0]}x{SIZE[1]}, {args.file_mb:g} MB files:")
    worst_first = 0.0
    worst_stall = 0.0
    all_full = True
    for label, file in files:
        result = asyncio.run(first_screen(file))
        big = file.size >= size
        if big:
            worst_first = max(worst_first, float(result["first"]))
        worst_stall = max(worst_stall, float(result["stall"]))
        all_full = all_full and bool(result["full_screen"])
        if not result["full_screen"]:
            print(f"  {label}: the first screen was not full")
        print(
            f"  {label:<26} first screen {ms(float(result['first'])):>7}   "
            f"all {int(result['lines']):,} lines {ms(float(result['total'])):>8}   "
            f"longest stall {ms(float(result['stall']))}"
        )
    print(f"1 MB file first screen: {ms(worst_first)}  (target <= 200 ms)")
    print(f"files view longest stall while the rest renders: {ms(worst_stall)}")

    result_plan = asyncio.run(plan(args.todos, args.updates))
    print(f"plan panel, {args.todos} todos, {args.updates} updates:")
    print(f"  longest stall, first render   {ms(result_plan['first_stall'])}")
    print(f"  longest stall, updates        {ms(result_plan['update_stall'])}")
    print(f"plan longest stall: {ms(result_plan['stall'])}  (target <= 50 ms)")
    ok = worst_first <= 0.200 and all_full and result_plan["stall"] <= 0.050
    print("targets:", "MET" if ok else "NOT MET")
    if args.json:
        path = Path(args.json)
        data = json.loads(path.read_text()) if path.exists() else {}
        data["deep_views"] = {
            "file_first": worst_first,
            "file_stall": worst_stall,
            "plan_stall": result_plan["stall"],
            "plan_update_stall": result_plan["update_stall"],
        }
        path.write_text(json.dumps(data))


if __name__ == "__main__":
    main()
