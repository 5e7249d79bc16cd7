"""Asked when the thread is busy with another run (the server answered 409)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from fleet_tui.services.service_events import BusyChoice
from fleet_tui.tui.screens import DIALOGS_CSS


class BusyScreen(ModalScreen[BusyChoice | None]):
    CSS_PATH = DIALOGS_CSS

    BINDINGS = [
        Binding("w", "choose('enqueue')", "Wait, then send"),
        Binding("j", "choose('join')", "Watch it, then send"),
        Binding("s", "choose('interrupt')", "Stop it, send mine"),
        Binding("escape", "choose('')", "Not now"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="busy-dialog", classes="dialog"):
            yield Label("The thread is busy", classes="dialog-title")
            yield Static(
                "Another run is going on this thread (started in the web UI, another terminal "
                "or `fleet-tui ask`). What should happen to your message?",
                id="busy-message",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Wait, then send (w)", id="busy-enqueue", variant="primary")
                yield Button("Watch it, then send (j)", id="busy-join")
                yield Button("Stop it, send mine (s)", id="busy-interrupt", variant="warning")
                yield Button("Not now (esc)", id="busy-cancel")

    def on_mount(self) -> None:
        self.query_one("#busy-enqueue", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.action_choose((event.button.id or "").removeprefix("busy-"))

    def action_choose(self, choice: str) -> None:
        try:
            self.dismiss(BusyChoice(choice))
        except ValueError:
            self.dismiss(None)
