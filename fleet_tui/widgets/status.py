"""The agent bar at the top and the run status line above the composer."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rich.text import Text
from textual.timer import Timer
from textual.widgets import Static

from fleet_tui.sanitize import clean_line

if TYPE_CHECKING:
    from fleet_tui.events import ServerWait

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


class AgentBar(Static):
    """Which agent this is and whether the server answers; a wait the server asked for."""

    _shown: tuple[str, str, str, str] = ("", "", "unconfigured", "")
    _wait: ServerWait | None = None
    _wait_timer: Timer | None = None

    def show(self, agent_name: str, url: str, state: str, detail: str = "") -> None:
        self._shown = (agent_name, url, state, detail)
        marker, style = {
            "connected": ("●", "bold green"),
            "checking": ("◌", "yellow"),
            "offline": ("✗", "bold red"),
            "unconfigured": ("○", "dim"),
        }.get(state, ("○", "dim"))
        text = Text.assemble(
            ("fleet-tui ", "bold"),
            ("│ ", "dim"),
            (clean_line(agent_name) or "no agent", "bold"),
            ("  ", ""),
            (clean_line(url), "dim"),
            ("  ", ""),
            (f"{marker} {state}", style),
        )
        wait = self._wait
        if wait is not None:
            left = max(0, round(wait.until - time.time()))
            text.append(f"  ⏳ {clean_line(wait.describe())} · {left} s left", style="yellow")
        elif detail:
            text.append(f"  {clean_line(detail)}", style="dim")
        self.update(text, layout=False)

    def show_wait(self, wait: ServerWait) -> None:
        """Say, until it is over, that the server asked to wait (the client's `on_wait`)."""
        self._wait = wait
        if self._wait_timer is None:
            self._wait_timer = self.set_interval(1, self._count_down)
        self.show(*self._shown)

    def _count_down(self) -> None:
        wait = self._wait
        if wait is None or time.time() >= wait.until:
            self._wait = None
            if self._wait_timer is not None:
                self._wait_timer.stop()
                self._wait_timer = None
        self.show(*self._shown)


class RunStatus(Static):
    """One line: whether a run is going in the visible conversation, how long, and where."""

    def show_running(
        self,
        elapsed: float,
        activity: str,
        tick: int,
        extra: str = "",
        quiet: float | None = None,
    ) -> None:
        """`quiet`: seconds since the run's stream last sent anything, once it says so."""
        text = Text.assemble(
            (SPINNER[tick % len(SPINNER)] + " ", "bold cyan"),
            ("running ", "bold"),
            (f"{elapsed:5.1f} s", ""),
        )
        if activity:
            text.append(f" · {clean_line(activity)}", style="cyan")
        if extra:
            text.append(f" · {clean_line(extra)}", style="bold yellow")
        if quiet is not None:
            text.append(f" · no data for {quiet:.0f} s", style="bold yellow")
        text.append("  (escape cancels)", style="dim")
        self.update(text, layout=False)

    def show_idle(self, note: str = "") -> None:
        self.update(Text(clean_line(note), style="dim"), layout=False)
