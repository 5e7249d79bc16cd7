"""The agent bar at the top and the run status line above the composer."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Literal

from rich.text import Text
from textual.timer import Timer
from textual.widgets import Static

from fleet_tui.common.errors import (
    AuthenticationError,
    FleetError,
    NotFoundError,
    UnreachableError,
)
from fleet_tui.common.sanitize import for_row
from fleet_tui.domain.events import human_seconds

if TYPE_CHECKING:
    from fleet_tui.domain.events import ServerWait

# What the header says about the agent's server; the app holds one of these. After the first
# check it follows the outcome of the last request (the client's `on_outcome`).
ConnectionState = Literal[
    "unconfigured",
    "checking",
    "connected",
    "unreachable",
    "authentication failed",
    "not found",
    "server error",
    "settings need fixing",
    "needs your confirmation",
]

# marker, words, style: what the header shows for each state
_LOOK: dict[str, tuple[str, str, str]] = {
    "connected": ("●", "connected", "bold green"),
    "checking": ("◌", "checking", "yellow"),
    "unreachable": ("✗", "unreachable", "bold red"),
    "authentication failed": ("✗", "authentication failed · ctrl+o: fix the token", "bold red"),
    "not found": ("✗", "not found — is the token the agent owner's?", "bold red"),
    "server error": ("✗", "server error", "bold red"),
    "unconfigured": ("○", "unconfigured", "dim"),
}
DEMO_MARKER = "demo — nothing here is kept"


def state_after_check(error: FleetError) -> ConnectionState:
    """The state after the agent check failed with `error` (it names the agent: a 404 means
    the agent is not there for this token)."""
    if isinstance(error, UnreachableError):
        return "unreachable"
    if isinstance(error, AuthenticationError):
        return "authentication failed"
    if isinstance(error, NotFoundError):
        return "not found"
    return "server error"


SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


class AgentBar(Static):
    """Which agent this is and whether the server answers; a wait the server asked for."""

    _shown: tuple[str, str, ConnectionState, str] = ("", "", "unconfigured", "")
    _wait: ServerWait | None = None
    _wait_timer: Timer | None = None
    demo = False
    """Demo mode: a marker says, for as long as it runs, that nothing is kept."""
    _waiting = 0
    _unchecked = 0

    def set_badge(self, waiting: int, unchecked: int = 0) -> None:
        """The inbox's badge: how many conversations (of every saved agent) wait for a human
        ("⚑ 3", hidden at 0), and how many saved agents the watch could not check."""
        if (waiting, unchecked) != (self._waiting, self._unchecked):
            self._waiting, self._unchecked = waiting, unchecked
            self.show(*self._shown)

    def show(self, agent_name: str, url: str, state: ConnectionState, detail: str = "") -> None:
        self._shown = (agent_name, url, state, detail)
        marker, words, style = _LOOK.get(state, ("○", state, "dim"))
        text = Text.assemble(("fleet-tui ", "bold"), ("│ ", "dim"))
        if self.demo:
            text.append(f" {DEMO_MARKER} ", style="bold black on yellow")
            text.append(" │ ", style="dim")
        if self._waiting:
            # before the agent: it counts every agent's, and must not be cut by a long URL
            text.append(f" ⚑ {self._waiting} ", style="bold black on yellow")
            text.append(" ", style="")
        if self._unchecked:
            agents = "agent" if self._unchecked == 1 else "agents"
            text.append(f"{self._unchecked} {agents} not checked", style="yellow")
            text.append(" │ ", style="dim")
        text.append(for_row(agent_name) or "no agent", style="bold")
        # the state before the URL: on a narrow terminal the URL is what gets cut
        text.append(f"  {marker} {words}", style=style)
        wait = self._wait
        if wait is None:
            text.append(f"  {for_row(url)}", style="dim")
        if wait is not None:
            # in place of the URL and the detail: the user needs to know why nothing happens
            left = max(0, round(wait.until - time.time()))
            at = time.strftime("%H:%M:%S", time.localtime(wait.until))
            text.append(
                f"  ⏳ the server asked to wait {human_seconds(wait.asked)} · retrying in "
                f"{left} s, at {at}",
                style="yellow",
            )
        elif detail:
            text.append(f"  {for_row(detail)}", style="dim")
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
    """One line: whether a run is going in the visible conversation, how long, and where.

    The screen sets it when the conversation service reports a change; while a run goes a
    timer only animates the spinner and the elapsed time.
    """

    _run: tuple[float, str, str, float | None] | None = None
    _timer: Timer | None = None
    _tick = 0
    plan_note = ""
    """Where the agent's plan stands ("Task 3 of 4 · Update the report"), while unfinished."""

    def show_run(
        self, started_at: float, activity: str, extra: str = "", quiet_since: float | None = None
    ) -> None:
        """A run goes: `started_at` and `quiet_since` are `time.monotonic()` times."""
        self._run = (started_at, activity, extra, quiet_since)
        if self._timer is None:
            self._timer = self.set_interval(0.25, self._spin)
        self._draw()

    def _spin(self) -> None:
        self._tick += 1
        self._draw()

    def _draw(self) -> None:
        if self._run is None:
            return
        started_at, activity, extra, quiet_since = self._run
        now = time.monotonic()
        self.show_running(
            now - started_at,
            activity,
            self._tick,
            extra,
            quiet=None if quiet_since is None else now - quiet_since,
        )

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
            text.append(f" · {for_row(activity)}", style="cyan")
        if extra:
            text.append(f" · {for_row(extra)}", style="bold yellow")
        if quiet is not None:
            text.append(f" · no data for {quiet:.0f} s", style="bold yellow")
        if self.plan_note:
            text.append(f" · ☰ {for_row(self.plan_note)}", style="")
        hint = Text("  (escape cancels)", style="dim")
        self.update(self._fitted(text, hint), layout=False)

    def _fitted(self, text: Text, hint: Text | None = None) -> Text:
        """`text` (then `hint`, if it fits whole) cut to the line's width in cells, an
        ellipsis marking the cut: never a word cut by the edge, never a second line."""
        width = self.content_size.width
        if hint is not None and (not width or text.cell_len + hint.cell_len <= width):
            return Text.assemble(text, hint)
        if width and text.cell_len > width:
            text.truncate(width, overflow="ellipsis")
        return text

    def show_idle(self, note: str = "") -> None:
        self._run = None
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        text = Text(for_row(note), style="dim")
        if self.plan_note:
            text.append(" · " if note else "")
            text.append(f"☰ {for_row(self.plan_note)}", style="")
        self.update(self._fitted(text), layout=False)
