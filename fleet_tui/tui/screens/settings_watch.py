"""The settings screen's inbox section: how often the background watch looks at each saved
agent (0 turns it off) and whether nudges also ring the terminal's bell and ask it for a
desktop notification. They are settings of the app, not of one saved agent: Save writes them
with the rest (`apply`), the form's per-agent checks never see them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Static

from fleet_tui.settings.config_model import (
    MAX_WATCH_INTERVAL,
    MIN_WATCH_INTERVAL,
    Settings,
    valid_watch_interval,
)
from fleet_tui.tui.widgets.toggles import ClearCheckbox

if TYPE_CHECKING:
    from fleet_tui.tui.screens.settings import SettingsScreen

INTERVAL_PROBLEM = (
    f"The watch interval is a number of seconds: 0 (off) or {MIN_WATCH_INTERVAL:g} to "
    f"{MAX_WATCH_INTERVAL:g}."
)


def interval_text(seconds: float) -> str:
    return f"{seconds:g}"


def parse_interval(text: str) -> float | None:
    """The interval typed, or None when it is not an allowed one."""
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if valid_watch_interval(value) else None


def compose_section(settings: Settings) -> ComposeResult:
    """Under the saved agents, laid out as the attachments' section: for every agent."""
    with Vertical(id="watch-box", classes="settings-section"):
        yield Label("Inbox", classes="section-title")
        with Horizontal(classes="attach-row", id="row-watch_interval"):
            yield Label("Watch every, s", classes="attach-label")
            yield Input(
                interval_text(settings.watch_interval),
                placeholder="60",
                id="input-watch_interval",
                classes="attach-input watch-input",
                compact=True,
                restrict=r"[0-9.]*",
                tooltip="Seconds between the background watch's looks at each saved agent "
                "(0 turns it off)",
            )
        yield Static(id="msg-watch_interval", classes="watch-message")
        yield ClearCheckbox(
            "Bell, desktop notice",
            settings.nudge_terminal,
            id="nudge-terminal",
            compact=True,
            tooltip="Nudges also ring the terminal bell and ask the terminal for a desktop "
            "notification (OSC 9 / OSC 777)",
        )
        yield Static("Every agent; 0 s: no watch.", classes="hint")


def apply(screen: SettingsScreen) -> bool:
    """Write the section into the working settings; False (with the problem shown, the field
    focused) when the interval is not an allowed one."""
    field = screen.query_one("#input-watch_interval", Input)
    interval = parse_interval(field.value)
    if interval is None:
        screen._set_line("msg-watch_interval", INTERVAL_PROBLEM, "error")
        field.set_class(True, "-invalid")
        field.focus()
        return False
    screen._set_line("msg-watch_interval", None)
    field.set_class(False, "-invalid")
    screen._working.watch_interval = interval
    screen._working.nudge_terminal = screen.query_one("#nudge-terminal", ClearCheckbox).value
    return True
