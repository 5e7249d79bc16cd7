"""Asked before an approval is rejected from the inbox: an optional reason for the agent."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from fleet_tui.common.sanitize import for_row
from fleet_tui.domain.inbox import InboxEntry
from fleet_tui.tui.screens import DIALOGS_CSS, INBOX_CSS
from fleet_tui.tui.widgets.cells import fit

WHAT_CELLS = 56


class ReasonScreen(ModalScreen[str | None]):
    """Dismisses with the reason ("" for none), or None when the user changed their mind."""

    CSS_PATH = [DIALOGS_CSS, INBOX_CSS]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="inbox.reason_cancel", tooltip="Do not reject"),
    ]

    def __init__(self, entry: InboxEntry) -> None:
        super().__init__()
        self.entry = entry

    def compose(self) -> ComposeResult:
        entry = self.entry
        with Vertical(id="reason-dialog", classes="dialog"):
            yield Label("Reject", classes="dialog-title")
            yield Static(
                Content.assemble(
                    (fit(for_row(entry.agent), 20), "bold"),
                    " · ",
                    fit(for_row(entry.title) or "New conversation", 30),
                    "\n",
                    (fit(for_row(entry.what), WHAT_CELLS), "$text-muted"),
                ),
                id="reason-what",
            )
            yield Input(placeholder="Reason for the agent (optional)", id="reason-input")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Reject", variant="error", id="reason-ok")
                yield Button("Cancel", id="reason-cancel")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#reason-ok")
    def _ok(self) -> None:
        self.dismiss(self.query_one(Input).value.strip())

    @on(Button.Pressed, "#reason-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
