"""Run every benchmark and print their tables, then a summary against the targets.

    python benchmarks/run_all.py            # full sizes (~5-10 minutes on 2 cores)
    python benchmarks/run_all.py --smoke    # tiny sizes, seconds: checks the scripts still run
    python benchmarks/run_all.py --only startup,sidebar
    python benchmarks/run_all.py --url URL --key KEY   # use a running test Agent Server

Each benchmark runs in its own process, one after the other (they measure time: never in
parallel). The benchmarks that need the real test Agent Server (tests/server/) share one,
started here unless `--url` is given. The exit status is non-zero only when a script fails;
missed targets are reported, not failed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _fleet import CACHE, OWNER_KEY, agent_server, table

HERE = Path(__file__).resolve().parent
# inbox_watch seeds 25,000 threads into the server: it runs last
SERVER_BENCHMARKS = {"stream_e2e", "several_streams", "deep_stream", "inbox_watch"}
ORDER = [
    "startup",
    "sidebar",
    "stream_render",
    "open_thread",
    "stream_e2e",
    "several_streams",
    "deep_stream",
    "sse_decode",
    "large_reply",
    "deep_views",
    "inbox_open",
    "inbox_watch",
]
SMOKE_ARGS: dict[str, list[str]] = {
    "startup": ["--conversations", "200", "--messages-per", "4", "--runs", "1"],
    "sidebar": [
        "--conversations",
        "300",
        "--messages-per",
        "4",
        "--query",
        "kub",
        "--interval",
        "0",
        "--wheel-rows",
        "40",
    ],
    "stream_render": ["--tokens", "200", "--no-baseline", "--rate", "4000"],
    "open_thread": ["--messages", "40"],
    "stream_e2e": ["--graph", "scripted", "--runs", "1", "--type-every", "0.02"],
    "several_streams": ["--graph", "scripted", "--runs", "1"],
    "deep_stream": ["--message", "2x40", "--runs", "1"],
    "sse_decode": ["--size-mb", "0.3", "--reps", "1"],
    "large_reply": ["--event-mb", "0.3", "--reply-mb", "0.5"],
    "deep_views": ["--file-mb", "0.2", "--todos", "40", "--updates", "5"],
    "inbox_open": ["--items", "50", "--runs", "2"],
    "inbox_watch": ["--agents", "2", "--threads", "50", "--import-threads", "200", "--runs", "1"],
}
LONG_STREAM = CACHE / "long_stream.sse"


def run_one(name: str, args: list[str]) -> tuple[int, float, list[str]]:
    """Run one script, echoing its output as it comes; returns (status, seconds, lines)."""
    command = [sys.executable, str(HERE / f"{name}.py"), *args]
    print(f"\n=== {name}: {' '.join(command[1:])}", flush=True)
    started = time.perf_counter()
    lines: list[str] = []
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=HERE.parent
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            print(line, end="", flush=True)
            lines.append(line.rstrip("\n"))
    return process.returncode, time.perf_counter() - started, lines


def line_with(lines: list[str], start: str) -> str:
    return next((line.strip() for line in lines if line.strip().startswith(start)), "")


def number(line: str, pattern: str) -> float | None:
    """A figure out of another script's printed line (issue 4's scripts print no JSON)."""
    found = re.search(pattern, line)
    return float(found[1]) if found else None


def summary(results: dict[str, object], outputs: dict[str, list[str]]) -> list[list[str]]:
    """One row per target: benchmark, figure, target, verdict."""

    def met(ok: object) -> str:
        return "MET" if ok else "MISSED"

    rows: list[list[str]] = []
    r = results.get("startup")
    if isinstance(r, dict):
        rows.append(
            [
                "1 start-up",
                f"ours/bare {r['ratio']:.2f} at {r['conversations']:,} conversations "
                f"({r['big'] * 1000:.0f} vs {r['bare'] * 1000:.0f} ms)",
                "<= 1.25",
                met(r["ratio"] <= 1.25),
            ]
        )
        rows.append(
            [
                "1 start-up",
                f"`ask` imports Textual: {'yes' if r['ask_imports_textual'] else 'no'}",
                "no",
                met(not r["ask_imports_textual"]),
            ]
        )
    r = results.get("sidebar")
    if isinstance(r, dict):
        rows.append(
            [
                "2 sidebar",
                f"filter keystroke -> repaint median {r['filter_median'] * 1000:.0f} ms",
                "<= 50 ms",
                met(r["filter_median"] <= 0.050),
            ]
        )
        worst = max(r["page_stall"], r["wheel_stall"])
        rows.append(
            [
                "2 sidebar",
                f"scrolling, longest stall {worst * 1000:.0f} ms",
                "<= 50 ms",
                met(worst <= 0.050),
            ]
        )
    if "stream_render" in outputs:
        lines = outputs["stream_render"]
        ratio = number(line_with(lines, "ratio baseline/ours"), r"([\d.]+)x")
        stall = number(line_with(lines, "longest stall"), r"(\d+) ms")
        if ratio is not None:
            rows.append(
                [
                    "issue 4 stream_render",
                    f"MarkdownStream/pane {ratio:.1f}x",
                    ">= 10",
                    met(ratio >= 10),
                ]
            )
        if stall is not None:
            rows.append(
                [
                    "issue 4 stream_render",
                    f"pane longest stall {stall:.0f} ms",
                    "<= 50 ms",
                    met(stall <= 50),
                ]
            )
    if "open_thread" in outputs:
        lines = outputs["open_thread"]
        paint = number(line_with(lines, "first paint of the latest messages"), r"(\d+) ms")
        jump = number(line_with(lines, "jump to top and back"), r"(\d+) ms")
        pages = number(line_with(lines, "40 x page up"), r"(\d+) ms")
        rss = number(line_with(lines, "RSS"), r"(\d+) MB with it open")
        if paint is not None:
            rows.append(
                ["3 open_thread", f"first paint {paint:.0f} ms", "<= 300 ms", met(paint <= 300)]
            )
        if jump is not None and pages is not None:
            worst = max(jump, pages)
            rows.append(
                [
                    "3 open_thread",
                    f"scrolling, longest stall {worst:.0f} ms",
                    "<= 50 ms",
                    met(worst <= 50),
                ]
            )
        if rss is not None:
            rows.append(
                ["3 open_thread", f"RSS with it open {rss:.0f} MB", "<= 150 MB", met(rss <= 150)]
            )
    r = results.get("stream_e2e")
    if isinstance(r, dict):
        rows.append(
            [
                "4 streaming e2e",
                f"app/floor {r['ratio']:.2f} ({r['app'] * 1000:.0f} vs {r['floor'] * 1000:.0f} ms)",
                "<= 1.3",
                met(r["ratio"] <= 1.3),
            ]
        )
        echo = r.get("echo_max")
        rows.append(
            [
                "4 streaming e2e",
                "keystroke echo "
                + (
                    f"median {r['echo_median'] * 1000:.0f} ms, max {echo * 1000:.0f} ms"
                    if isinstance(echo, float)
                    else "(no key typed)"
                ),
                "<= 50 ms",
                met(isinstance(echo, float) and echo <= 0.050),
            ]
        )
    r = results.get("sse_decode")
    if isinstance(r, dict):
        rows.append(
            [
                "5 SSE decoding",
                f"{r['ours_mbs']:.0f} MB/s vs SDK {r['sdk_mbs']:.0f} MB/s ({r['ratio']:.2f}x)",
                "<= 1.5x",
                met(r["ratio"] <= 1.5),
            ]
        )
        share = r.get("e2e_share")
        if isinstance(share, float):
            rows.append(
                [
                    "5 SSE decoding",
                    f"share of benchmark 4's time {share * 100:.1f}%",
                    "< 5%",
                    met(share < 0.05),
                ]
            )
    r = results.get("several_streams")
    if isinstance(r, dict):
        rows.append(
            [
                "6 several streams",
                f"visible stall {r['stall'] * 1000:.0f} ms",
                "<= 50 ms",
                met(r["stall"] <= 0.050),
            ]
        )
        rows.append(
            [
                "6 several streams",
                f"renders of hidden conversations: {r['hidden_renders']}",
                "0",
                met(r["hidden_renders"] == 0),
            ]
        )
    r = results.get("deep_stream")
    if isinstance(r, dict):
        rows.append(
            [
                "13 deep run",
                f"ratio {r['ratio']:.2f} (collapsed {r['collapsed'] * 1000:.0f} ms, expanded "
                f"{r['expanded'] * 1000:.0f} ms, floor {r['floor'] * 1000:.0f} ms)",
                "<= 1.3",
                met(r["ratio"] <= 1.3),
            ]
        )
        stall = f"stall {r['stall'] * 1000:.0f} ms"
        rows.append(["13 deep run", stall, "<= 50 ms", met(r["stall"] <= 0.050)])
    if "large_reply" in outputs:
        stall = number(line_with(outputs["large_reply"], "large reply longest stall"), r"(\d+) ms")
        if stall is not None:
            rows.append(
                [
                    "11 large reply",
                    f"10 MB event, 50 MB reply opened: longest stall {stall:.0f} ms",
                    "<= 50 ms",
                    met(stall <= 50),
                ]
            )
    r = results.get("deep_views")
    if isinstance(r, dict):
        rows.append(
            [
                "13 files view",
                f"1 MB file, first screen {r['file_first'] * 1000:.0f} ms",
                "<= 200 ms",
                met(r["file_first"] <= 0.200),
            ]
        )
        rows.append(
            [
                "13 plan panel",
                f"200-todo plan, longest stall {r['plan_stall'] * 1000:.0f} ms",
                "<= 50 ms",
                met(r["plan_stall"] <= 0.050),
            ]
        )
    r = results.get("inbox_open")
    if isinstance(r, dict):
        rows.append(
            [
                "15 inbox",
                f"opens with {r['items']:,} waiting in {r['open_median'] * 1000:.0f} ms (median)",
                "<= 100 ms",
                met(r["open_median"] <= 0.100),
            ]
        )
    r = results.get("inbox_watch")
    if isinstance(r, dict):
        rows.append(
            [
                "15 inbox watch",
                f"requests per agent when nothing changed: {r['quiet_requests']}",
                "<= 1",
                met(r["quiet_requests"] <= 1),
            ]
        )
        rows.append(
            [
                "15 inbox watch",
                f"longest stall during a pass over the agents {r['stall'] * 1000:.0f} ms",
                "<= 50 ms",
                met(r["stall"] <= 0.050),
            ]
        )
        for limit, ratio in r["ratios"].items():
            rows.append(
                [
                    "15 inbox watch",
                    f"first import vs langgraph_sdk's loop at limit {limit}: {ratio:.2f}x",
                    "<= 1.5x",
                    met(ratio <= 1.5),
                ]
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: seconds, no figures")
    parser.add_argument("--only", help=f"comma-separated subset of: {','.join(ORDER)}")
    parser.add_argument("--url", help="a running test Agent Server (tests/server/)")
    parser.add_argument("--key", default=OWNER_KEY, help="owner key of that server")
    parser.add_argument("--json", help="also write every benchmark's figures to this file")
    args = parser.parse_args()

    selected = ORDER if not args.only else [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in selected if n not in ORDER]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    started = time.perf_counter()
    failures: list[str] = []
    outputs: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="fleet-bench-run-") as tmp:
        results_path = Path(args.json) if args.json else Path(tmp) / "results.json"
        results_path.unlink(missing_ok=True)
        needs_server = bool(SERVER_BENCHMARKS & set(selected))
        server = agent_server(args.url, args.key) if needs_server else None
        url = key = None
        if server is not None:
            url, key = server.__enter__()
        try:
            for name in selected:
                extra = list(SMOKE_ARGS[name]) if args.smoke else []
                if name in SERVER_BENCHMARKS:
                    assert url and key
                    extra += ["--url", url, "--key", key]
                if name == "stream_e2e" and not args.smoke:
                    LONG_STREAM.parent.mkdir(parents=True, exist_ok=True)
                    extra += ["--save-stream", str(LONG_STREAM)]
                if name == "sse_decode" and not args.smoke:
                    data = json.loads(results_path.read_text()) if results_path.exists() else {}
                    e2e = data.get("stream_e2e")
                    if LONG_STREAM.exists() and "stream_e2e" in selected:
                        extra += ["--source", str(LONG_STREAM)]
                    if isinstance(e2e, dict):
                        extra += [
                            "--e2e-seconds",
                            str(e2e["app"]),
                            "--e2e-bytes",
                            str(e2e["bytes"]),
                        ]
                if name not in ("stream_render", "open_thread", "large_reply"):
                    extra += ["--json", str(results_path)]
                status, seconds, lines = run_one(name, extra)
                outputs[name] = lines
                print(f"=== {name}: {seconds:.1f} s, exit status {status}", flush=True)
                if status != 0:
                    failures.append(name)
        finally:
            if server is not None:
                server.__exit__(None, None, None)
        results = json.loads(results_path.read_text()) if results_path.exists() else {}

    print(f"\n=== summary ({'smoke sizes, figures meaningless' if args.smoke else 'full sizes'})")
    rows = summary(results, outputs)
    if rows:
        print(table(rows, ["benchmark", "figure", "target", "verdict"], numbers=False))
    total = time.perf_counter() - started
    print(f"{len(selected)} benchmark(s) in {total:.0f} s; failed: {', '.join(failures) or 'none'}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
