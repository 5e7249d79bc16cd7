"""Cold start to the first painted frame: fleet-tui against a bare Textual app.

    python benchmarks/startup.py [--conversations 10000] [--messages-per 20] [--runs 7]

Each run is a fresh Python process on a pseudo-terminal (120x40, the real Linux driver, so the
frame is rendered to escape sequences and written as in a terminal). The time is taken from
just before the process is spawned to the moment the app has written its first frame: a
wrapper around `App._display` (Textual's single place where a frame goes to the terminal)
notes the time of the first frame actually written, then the app exits.

- `fleet-tui` runs through its real entry point (`fleet_tui.main.main([])`): settings from the
  environment, the store at its default path (XDG_DATA_HOME points at a prepared store), the
  chat screen with the sidebar's first page; its agent is a loopback port that accepts and
  never answers, so the connection check is in flight, as against a remote deployment.
- the bare app has the same widget types (Static bar, Input, OptionList, a ScrollView, Static,
  TextArea, Footer) with no data and no CSS file.

Runs alternate (bare, empty store, big store), `--runs` each; medians. Also prints the
import time of `fleet_tui.tui.app`, and of `fleet_tui.main` + `fleet_tui.cli.ask` (which must not
import Textual). Target (issue 7): ours / bare <= 1.25 with 10,000 conversations.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


# -- child side (keep the imports above light: they are part of what is timed) -------------
def _install_first_frame_hook(result: Path) -> None:
    from textual.app import App

    original = App._display
    original_init = App.__init__
    state: dict[str, object] = {"done": False}

    def __init__(self: App[object], *args: object, **kwargs: object) -> None:
        state.setdefault("created", time.monotonic())
        original_init(self, *args, **kwargs)  # type: ignore[arg-type]

    def _display(self: App[object], screen: object, renderable: object) -> None:
        original(self, screen, renderable)
        if state["done"] or renderable is None or self._batch_count or not self._running:
            return
        state["done"] = True
        painted = time.monotonic()
        info: dict[str, object] = {
            "painted": painted,
            "cpu": time.process_time(),
            "created": state["created"],
            "screen": type(self.screen).__name__,
        }
        try:
            from textual.widgets import OptionList

            info["rows"] = self.screen.query_one(OptionList).option_count
        except Exception:
            info["rows"] = None
        info["modules"] = len(sys.modules)
        result.write_text(json.dumps(info))
        self.exit()

    App._display = _display  # type: ignore[method-assign]
    App.__init__ = __init__  # type: ignore[method-assign]


def _bare_app() -> object:
    from textual.app import App, ComposeResult
    from textual.containers import Horizontal, Vertical
    from textual.scroll_view import ScrollView
    from textual.strip import Strip
    from textual.widgets import Footer, Input, OptionList, Static, TextArea

    class Pane(ScrollView):
        def render_line(self, y: int) -> Strip:
            return Strip.blank(self.size.width)

    class Bare(App[None]):
        BINDINGS = [("ctrl+q", "quit", "Quit"), ("ctrl+n", "new", "New chat")]

        def compose(self) -> ComposeResult:
            yield Static("bare │ agent", id="bar")
            with Horizontal():
                with Vertical(id="side"):
                    yield Input(placeholder="Filter")
                    yield OptionList()
                    yield Static("0 conversations")
                with Vertical():
                    yield Pane()
                    yield Static("")
                    yield TextArea(compact=True)
            yield Footer()

        def on_mount(self) -> None:
            self.query_one(TextArea).focus()

    return Bare()


def child(kind: str, result: Path) -> int:
    _install_first_frame_hook(result)
    if kind == "bare":
        app = _bare_app()
        app.run()  # type: ignore[attr-defined]
        return 0
    from fleet_tui.main import main

    return main([])


# -- parent side ------------------------------------------------------------------------
def spawn(kind: str, env: dict[str, str], cwd: Path) -> dict[str, object]:
    """Run one child on a pseudo-terminal; returns its first-frame time and details."""
    import fcntl
    import pty
    import struct
    import subprocess
    import termios
    import threading

    result = cwd / f"result-{kind}.json"
    result.unlink(missing_ok=True)
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    written: list[int] = []

    def drain() -> None:
        # the terminal side: read everything the app writes, so it never blocks on output
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                return
            if not data:
                return
            written.append(len(data))

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    command = [sys.executable, str(Path(__file__).resolve()), "--child", kind, str(result)]
    started = time.monotonic()
    process = subprocess.Popen(
        command, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd, start_new_session=True
    )
    os.close(slave)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise RuntimeError(f"{kind}: no first frame within 60 s") from None
    reader.join(timeout=5)
    os.close(master)
    if not result.exists():
        raise RuntimeError(f"{kind}: exited ({process.returncode}) without painting a frame")
    info = json.loads(result.read_text())
    info["seconds"] = float(info["painted"]) - started
    info["to_app"] = float(info["created"]) - started
    info["bytes"] = sum(written)
    return info


def import_time(code: str, env: dict[str, str], runs: int) -> tuple[float, str]:
    """Median time to run `code` (imports) in a fresh interpreter; plus its last output."""
    import subprocess

    script = (
        "import time, sys\nstart = time.perf_counter()\n"
        f"{code}\n"
        "print(time.perf_counter() - start, 'textual' in sys.modules)"
    )
    times = []
    textual = ""
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        ).stdout.split()
        times.append(float(out[0]))
        textual = out[1]
    from _fleet import median

    return median(times), textual


def child_env(data_home: Path, config_home: Path, url: str) -> dict[str, str]:
    from _fleet import BENCH_AGENT_ID, CACHE

    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FLEET_", "LANGGRAPH_", "LANGSMITH_", "LANGCHAIN_", "TEXTUAL"))
        and k != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(
        TERM="xterm-256color",
        COLORTERM="truecolor",
        XDG_DATA_HOME=str(data_home),
        XDG_CONFIG_HOME=str(config_home),
        FLEET_API_URL=url,
        FLEET_AGENT_ID=BENCH_AGENT_ID,
        LANGGRAPH_API_KEY="bench-key-not-a-secret",
        # an installed package has its bytecode compiled; keep ours out of the source tree
        PYTHONPYCACHEPREFIX=str(CACHE / "pycache"),
        PYTHONPATH=os.pathsep.join([str(HERE.parent), env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        ),
    )
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--messages-per", type=int, default=20)
    parser.add_argument("--runs", type=int, default=7, help="runs of each kind (medians)")
    parser.add_argument("--json", help="add the figures to this JSON file (run_all.py)")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "RESULT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.exit(child(args.child[0], Path(args.child[1])))

    import tempfile

    from _fleet import (
        history_home,
        median,
        ms,
        point_history_at,
        silent_server,
        table,
        verdict,
        write_results,
    )

    big = history_home(args.conversations, args.messages_per)
    empty = history_home(0, 0)
    with tempfile.TemporaryDirectory(prefix="fleet-bench-startup-") as tmp, silent_server() as url:
        work = Path(tmp)
        config = work / "config"
        config.mkdir()
        for home in (big, empty):
            point_history_at(home, url)
        kinds = {
            "bare Textual app": ("bare", empty),
            "fleet-tui, empty store": ("ours", empty),
            f"fleet-tui, {args.conversations:,} conversations": ("ours", big),
        }
        samples: dict[str, list[dict[str, object]]] = {label: [] for label in kinds}
        spawn("bare", child_env(empty, config, url), work)  # warm the page cache and pycs
        spawn("ours", child_env(big, config, url), work)
        for _ in range(args.runs):
            for label, (kind, home) in kinds.items():
                samples[label].append(spawn(kind, child_env(home, config, url), work))

        plain_env = child_env(empty, config, url)
        reps = max(3, args.runs)
        imports = {
            "textual.app + the bare app's widgets": import_time(
                "import textual.app, textual.widgets\n"
                "from textual.widgets import Footer, Input, OptionList, Static, TextArea",
                plain_env,
                reps,
            ),
            "fleet_tui.tui.app": import_time("import fleet_tui.tui.app", plain_env, reps),
            "fleet_tui.main + fleet_tui.cli.ask": import_time(
                "import fleet_tui.main, fleet_tui.cli.ask", plain_env, reps
            ),
        }

    medians = {
        label: median([float(s["seconds"]) for s in runs]) for label, runs in samples.items()
    }
    bare = medians["bare Textual app"]
    bare_cpu = median([float(s["cpu"]) for s in samples["bare Textual app"]])
    rows = []
    for label, runs in samples.items():
        seconds = [float(s["seconds"]) for s in runs]
        to_app = median([float(s["to_app"]) for s in runs])
        cpu = median([float(s["cpu"]) for s in runs])
        first = runs[0]
        rows.append(
            [
                label,
                ms(medians[label]),
                f"{ms(min(seconds))}-{ms(max(seconds))}",
                f"{medians[label] / bare:.2f}",
                ms(to_app),
                ms(medians[label] - to_app),
                ms(cpu),
                f"{cpu / bare_cpu:.2f}",
                str(first["screen"]),
                str(first["rows"]),
                f"{int(first['bytes']) / 1000:.0f} KB",
                str(first["modules"]),
            ]
        )
    print(
        f"Cold start to the first painted frame ({SIZE_TEXT}, pseudo-terminal, "
        f"{args.runs} runs each, medians)"
    )
    print(
        table(
            rows,
            [
                "app",
                "median",
                "range",
                "/ bare",
                "to App()",
                "App()->frame",
                "CPU",
                "CPU / bare",
                "first screen",
                "rows",
                "written",
                "modules",
            ],
        )
    )
    ratio = medians[list(kinds)[2]] / bare
    print(f"ours / bare with {args.conversations:,} conversations: {ratio:.2f}  (target <= 1.25)")
    print()
    print("Import time (fresh interpreter, median)")
    import_rows = [
        [label, ms(t), "yes" if tx == "True" else "no"] for label, (t, tx) in imports.items()
    ]
    print(table(import_rows, ["modules", "time", "textual loaded"]))
    ask_textual = imports["fleet_tui.main + fleet_tui.cli.ask"][1] == "True"
    print(f"`ask` imports Textual: {'YES (must not)' if ask_textual else 'no'}")
    ok = ratio <= 1.25 and not ask_textual
    print("targets:", verdict(ok))
    write_results(
        args.json,
        "startup",
        {
            "bare": bare,
            "empty": medians[list(kinds)[1]],
            "big": medians[list(kinds)[2]],
            "ratio": ratio,
            "conversations": args.conversations,
            "import_app": imports["fleet_tui.tui.app"][0],
            "import_cli_ask": imports["fleet_tui.main + fleet_tui.cli.ask"][0],
            "ask_imports_textual": ask_textual,
            "met": ok,
        },
    )


SIZE_TEXT = "120x40"

if __name__ == "__main__":
    main()
