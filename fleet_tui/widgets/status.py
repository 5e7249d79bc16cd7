"""The agent bar at the top and the run status line above the composer."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from fleet_tui.sanitize import clean_line

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


class AgentBar(Static):
    """Which agent this is and whether the server answers."""

    def show(self, agent_name: str, url: str, state: str, detail: str = "") -> None:
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
        if detail:
            text.append(f"  {clean_line(detail)}", style="dim")
        self.update(text, layout=False)


class RunStatus(Static):
    """One line: whether a run is going in the visible conversation, how long, and where."""

    def show_running(self, elapsed: float, activity: str, tick: int, extra: str = "") -> None:
        text = Text.assemble(
            (SPINNER[tick % len(SPINNER)] + " ", "bold cyan"),
            ("running ", "bold"),
            (f"{elapsed:5.1f} s", ""),
        )
        if activity:
            text.append(f" · {clean_line(activity)}", style="cyan")
        if extra:
            text.append(f" · {clean_line(extra)}", style="bold yellow")
        text.append("  (escape cancels)", style="dim")
        self.update(text, layout=False)

    def show_idle(self, note: str = "") -> None:
        self.update(Text(clean_line(note), style="dim"), layout=False)
