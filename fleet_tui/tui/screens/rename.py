"""A small dialog asking for a conversation's new title."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from fleet_tui.common.sanitize import for_row
from fleet_tui.tui.screens import DIALOGS_CSS


class RenameScreen(ModalScreen[str | None]):
    CSS_PATH = DIALOGS_CSS

    BINDINGS = [Binding("escape", "cancel", "Cancel", tooltip="Close without renaming")]

    def __init__(self, title: str) -> None:
        super().__init__()
        self._title = for_row(title)

    def compose(self) -> ComposeResult:
        with Vertical(id="rename-dialog", classes="dialog"):
            yield Label("Rename conversation", classes="dialog-title")
            yield Input(self._title, id="rename-input", select_on_focus=True)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Rename", variant="primary", id="rename-ok")
                yield Button("Cancel", id="rename-cancel")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#rename-ok")
    def _ok(self) -> None:
        self.dismiss(self.query_one(Input).value.strip() or None)

    @on(Button.Pressed, "#rename-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
