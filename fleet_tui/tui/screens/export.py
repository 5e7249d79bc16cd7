"""The export dialog: save a conversation as Markdown or JSON.

Dismisses with the path written, or None when cancelled. A file that exists is never replaced:
the export goes to `name-1.md` and so on (`export.write_export`), and the dialog's answer says
where. Write errors stay in the dialog so the user can fix the path and try again.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioSet, Static

from fleet_tui.common.sanitize import for_row
from fleet_tui.services.export import (
    EXTENSIONS,
    ExportFormat,
    default_export_path,
    export_text,
    with_format,
    write_export,
)
from fleet_tui.storage.store import Conversation, StoredMessage, ThreadState
from fleet_tui.tui.screens import DIALOGS_CSS
from fleet_tui.tui.widgets.footer import FittedFooter
from fleet_tui.tui.widgets.toggles import ClearRadioButton

_FORMATS: dict[str, ExportFormat] = {"export-markdown": "markdown", "export-json": "json"}


class ExportScreen(ModalScreen[Path | None]):
    """Ask for a format and a path, write the export; dismisses with the path written or None."""

    CSS_PATH = DIALOGS_CSS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="export.cancel"),
        Binding("ctrl+s", "export", "Export", id="export.save"),
    ]

    def __init__(
        self,
        conversation: Conversation,
        messages: Sequence[StoredMessage],
        agent_name: str,
        url: str,
        *,
        thread_state: ThreadState | None = None,
        directory: Path | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """`directory` overrides the default folder (~/fleet-tui-exports)."""
        super().__init__(name=name, id=id, classes=classes)
        self._conversation = conversation
        self._messages = list(messages)
        self._thread_state = thread_state
        self._agent_name = agent_name
        self._url = url
        self._format: ExportFormat = "markdown"
        self._default = default_export_path(conversation, "markdown", directory)

    @property
    def format(self) -> ExportFormat:
        return self._format

    def compose(self) -> ComposeResult:
        title = for_row(self._conversation.title) or "Untitled conversation"
        count = len(self._messages)
        with Vertical(id="export-dialog", classes="dialog"):
            yield Static("Export conversation", id="export-title", classes="dialog-title")
            yield Static(
                Content(f"{title} · {count} message{'s' if count != 1 else ''}"),
                id="export-subject",
            )
            with RadioSet(id="export-format"):
                yield ClearRadioButton("Markdown (.md)", value=True, id="export-markdown")
                yield ClearRadioButton("JSON (.json)", id="export-json")
            yield Label("Save to", id="export-path-label")
            yield Input(str(self._default), id="export-path", select_on_focus=False)
            yield Static(id="export-message")
            with Horizontal(id="export-buttons", classes="dialog-buttons"):
                yield Button("Export", id="export-save", variant="primary")
                yield Button("Cancel", id="export-cancel")
        yield FittedFooter()

    def on_mount(self) -> None:
        path_input = self.query_one("#export-path", Input)
        path_input.focus()
        path_input.cursor_position = len(path_input.value)

    @on(RadioSet.Changed, "#export-format")
    def _format_changed(self, event: RadioSet.Changed) -> None:
        event.stop()
        fmt = _FORMATS.get(event.pressed.id or "", "markdown")
        if fmt == self._format:
            return
        self._format = fmt
        path_input = self.query_one("#export-path", Input)
        value = path_input.value.strip()
        if value:
            path_input.value = str(with_format(Path(value), fmt))
            path_input.cursor_position = len(path_input.value)
        self._say("")

    @on(Input.Submitted, "#export-path")
    def _path_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_export()

    @on(Button.Pressed, "#export-save")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_export()

    @on(Button.Pressed, "#export-cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _say(self, text: str, *, error: bool = False) -> None:
        message = self.query_one("#export-message", Static)
        message.update(Content(for_row(text)))
        message.set_class(error, "-error")
        message.set_class(bool(text), "-shown")

    def action_export(self) -> None:
        raw = self.query_one("#export-path", Input).value.strip()
        if not raw:
            self._say("Enter a file name.", error=True)
            return
        path = Path(raw).expanduser()
        if path.is_dir():
            # A folder was typed: put the usual file name in it rather than failing.
            path = path / self._default.with_suffix(EXTENSIONS[self._format]).name
        try:
            text = export_text(
                self._format,
                self._conversation,
                self._messages,
                agent_name=self._agent_name,
                url=self._url,
                thread_state=self._thread_state,
            )
            written = write_export(path, text)
        except OSError as exc:
            # Our own errors carry a whole sentence; the system's carry `strerror`.
            reason = str(exc) if exc.strerror is None else exc.strerror
            self._say(f"Could not write {path}: {reason or type(exc).__name__}", error=True)
            return
        self.dismiss(written)
