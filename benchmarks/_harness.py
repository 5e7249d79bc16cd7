"""Shared bits of the UI benchmarks: a host app, an event-loop stall meter, RSS."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from textual.app import App, ComposeResult  # noqa: E402
from textual.widget import Widget  # noqa: E402

SIZE = (120, 40)
PANE_CSS = ROOT / "fleet_tui" / "tui" / "fleet.tcss"


class Host(App[None]):
    """A bare app around one widget, like the chat screen around the pane."""

    CSS_PATH = str(PANE_CSS)

    def __init__(self, widget: Widget) -> None:
        super().__init__()
        self.widget = widget

    def compose(self) -> ComposeResult:
        yield self.widget


class StallMeter:
    """A 10 ms ticker: the worst lateness is the longest time the event loop was blocked."""

    PERIOD = 0.010

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(self.PERIOD)
            self.worst = max(self.worst, time.perf_counter() - start - self.PERIOD)

    def start(self) -> StallMeter:
        self.worst = 0.0
        self._task = asyncio.create_task(self._run())
        return self

    async def stop(self) -> float:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        return self.worst


def rss_mb() -> float:
    """Resident memory of this process now (Linux), in MB."""
    try:
        with open(f"/proc/{os.getpid()}/statm") as statm:
            pages = int(statm.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
    except OSError:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"
