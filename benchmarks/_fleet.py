"""Shared bits of the issue-7 benchmarks: the real app instrumented to time its frames, a saved
history cached under /tmp, and the real test Agent Server (or one given by `--url`).

Nothing here imports Textual at module level: `startup.py` imports this module in the child
processes it times.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CACHE = Path(os.environ.get("FLEET_BENCH_CACHE", "/tmp/fleet-tui-bench"))
SERVER_FOLDER = ROOT / "tests" / "server"
# the keys tests/server_fixture.py gives its server, so `--url` can point at that one
OWNER_KEY = "fake-pat-owner-0000000000"
OTHER_KEY = "fake-pat-other-1111111111"
AUTH_SCHEME = "langsmith-api-key"
BENCH_AGENT_ID = "bench-agent"
SIZE = (120, 40)


# -- figures ------------------------------------------------------------------------------
def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def table(
    rows: Sequence[Sequence[str]], header: Sequence[str] | None = None, *, numbers: bool = True
) -> str:
    """A plain fixed-width table: first column left-aligned, the others right-aligned
    (`numbers=False`: all left-aligned)."""
    all_rows = [list(header)] if header else []
    all_rows += [list(r) for r in rows]
    widths = [max(len(r[i]) for r in all_rows) for i in range(len(all_rows[0]))]
    out = []
    for n, row in enumerate(all_rows):
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) if numbers else c.ljust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        out.append("  ".join(cells).rstrip())
        if header and n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def write_results(path: str | None, name: str, results: dict[str, Any]) -> None:
    """Figures for run_all.py's summary (one JSON object per benchmark)."""
    if not path:
        return
    target = Path(path)
    data = json.loads(target.read_text()) if target.exists() else {}
    data[name] = results
    target.write_text(json.dumps(data, indent=2))


# -- a saved history ----------------------------------------------------------------------
def history_home(conversations: int, messages_per: int) -> Path:
    """An XDG data home whose `fleet-tui/fleet.db` holds `conversations` x `messages_per`
    messages for one agent; built once, then reused (10,000 x 20 takes ~30 s to build)."""
    home = CACHE / f"history-{conversations}x{messages_per}"
    db = home / "fleet-tui" / "fleet.db"
    done = home / "complete"
    if done.exists() and db.exists():
        return home
    from _history import populate_demo_history

    from fleet_tui.storage.store import Store

    db.parent.mkdir(parents=True, exist_ok=True)
    for stale in db.parent.glob("fleet.db*"):
        stale.unlink()
    started = time.perf_counter()
    store = Store.open(db)
    try:
        agent = store.ensure_agent("http://127.0.0.1:9", BENCH_AGENT_ID)
        if conversations:
            populate_demo_history(store, agent.id, conversations, messages_per)
        store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        store.close()
    done.write_text(f"{time.perf_counter() - started:.1f} s\n")
    print(
        f"(built the saved history {conversations} x {messages_per} in "
        f"{time.perf_counter() - started:.0f} s: {db})",
        flush=True,
    )
    return home


def history_db(home: Path) -> Path:
    return home / "fleet-tui" / "fleet.db"


def point_history_at(home: Path, url: str, agent_id: str = BENCH_AGENT_ID) -> None:
    """Make the history belong to the agent at `url` (the app lists that agent's threads)."""
    import sqlite3

    conn = sqlite3.connect(history_db(home))
    try:
        conn.execute("UPDATE agents SET url = ?, agent_id = ?", (url.rstrip("/"), agent_id))
        conn.commit()
    finally:
        conn.close()


@contextlib.contextmanager
def silent_server() -> Iterator[str]:
    """A loopback URL that accepts connections and never answers: the app's connection check
    stays in flight, as it would against a remote deployment, without touching the network."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


# -- the real app, timing its frames ------------------------------------------------------
def instrumented_app_class() -> type[Any]:
    """`FleetApp` that records when each frame is displayed, rendering it to the terminal
    escape sequences a real terminal would get (headless Textual skips that step)."""
    from textual._compositor import CompositorUpdate

    import fleet_tui.tui.app
    from fleet_tui.tui.app import FleetApp

    here = Path(fleet_tui.tui.app.__file__).parent
    paths = FleetApp.CSS_PATH if isinstance(FleetApp.CSS_PATH, list) else [FleetApp.CSS_PATH]

    class BenchApp(FleetApp):
        # CSS paths are relative to the module of the class that declares them
        CSS_PATH = [str(here / path) for path in paths]

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.frames: list[float] = []
            self._probes: list[tuple[Callable[[], bool], list[float]]] = []

        def _display(self, screen: Any, renderable: Any) -> None:
            super()._display(screen, renderable)
            if renderable is None or self._batch_count:
                return
            if self.is_headless and isinstance(renderable, CompositorUpdate):
                renderable.render_segments(self.console)
            now = time.perf_counter()
            self.frames.append(now)
            if self._probes:
                for probe in list(self._probes):
                    predicate, hit = probe
                    if predicate():
                        hit.append(now)
                        self._probes.remove(probe)

        def when_painted(self, predicate: Callable[[], bool]) -> list[float]:
            """A list that receives the time of the first frame painted once `predicate()`
            holds (checked at each frame)."""
            hit: list[float] = []
            self._probes.append((predicate, hit))
            return hit

    return BenchApp


def make_app(
    store_path: Path, url: str, agent_id: str, key: str, config_dir: Path, **kwargs: Any
) -> Any:
    from fleet_tui.settings.config import AgentProfile, Settings
    from fleet_tui.storage.store import Store

    profile = AgentProfile(name="bench", url=url, agent_id=agent_id, api_key=key)
    settings = Settings(profiles={}, current=None, theme=None)
    settings.replace_profile(profile, make_current=True)
    return instrumented_app_class()(
        store=Store.open(store_path),
        settings=settings,
        profile=profile,
        config_path=config_dir / "settings.json",
        **kwargs,
    )


def press(app: Any, key: str, char: str | None = None) -> float:
    """Send a key the way a terminal driver does; returns when it was sent."""
    from textual import events

    if char is None and len(key) == 1:
        char = key
    event = events.Key(key, char)
    event.set_sender(app)
    sent = time.perf_counter()
    app._driver.send_message(event)
    return sent


async def wait_for(predicate: Callable[[], object], timeout: float = 60.0, what: str = "") -> None:
    import asyncio

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(0.002)


# -- the real Agent Server ----------------------------------------------------------------
def add_server_flags(parser: Any) -> None:
    group = parser.add_argument_group("server (default: start the tests' server)")
    group.add_argument("--url", help="an already running test Agent Server (tests/server/)")
    group.add_argument("--key", default=OWNER_KEY, help="owner key of that server")


@contextlib.contextmanager
def agent_server(url: str | None, key: str) -> Iterator[tuple[str, str]]:
    """(url, key) of the tests' Agent Server: the one given, or one started for this run."""
    if url:
        yield url.rstrip("/"), key
        return
    from fleet_tui.demo.server import start_server

    started = time.perf_counter()
    handle = start_server(
        SERVER_FOLDER,
        owner_keys=[OWNER_KEY],
        other_keys=[OTHER_KEY],
        env={"FLEET_DEMO_TOKEN_DELAY": "0"},
        timeout=120,
    )
    print(f"(started the test Agent Server in {time.perf_counter() - started:.0f} s)", flush=True)
    try:
        yield handle.url, OWNER_KEY
    finally:
        handle.stop()


def server_headers(key: str) -> dict[str, str]:
    return {"X-Api-Key": key, "X-Auth-Scheme": AUTH_SCHEME}


def assistant_for(url: str, key: str, graph: str) -> str:
    """UUID of `graph`'s default assistant on the server."""
    import httpx

    response = httpx.post(
        f"{url}/assistants/search",
        json={"graph_id": graph, "limit": 10},
        headers=server_headers(key),
        trust_env=False,
        timeout=30,
    )
    response.raise_for_status()
    found = response.json()
    system = [a for a in found if (a.get("metadata") or {}).get("created_by") == "system"]
    if not (system or found):
        raise LookupError(f"no assistant for graph {graph!r} on {url}")
    return str((system or found)[0]["assistant_id"])


def load_replies() -> Any:
    """tests/server/replies.py: the exact texts the test graphs produce."""
    import importlib.util

    name = "fleet_tui_bench_replies"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, SERVER_FOLDER / "replies.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def expected_reply(graph: str, message: str) -> str | None:
    replies = load_replies()
    if graph == "long":
        return str(replies.long_reply())
    if graph in ("scripted", "echo"):
        return str(replies.echo_reply(message, 1))
    return None
