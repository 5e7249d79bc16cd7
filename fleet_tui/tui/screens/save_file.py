"""Save one of the agent's files to disk: a path (the file's own name in the current folder by
default), a question before replacing a file, and a clear sentence when writing fails.

Dismisses with the path written, or None when cancelled. Errors stay in the dialog so the user
can fix the path and try again.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from fleet_tui.common.sanitize import for_row
from fleet_tui.domain.deep_state import StateFile, human_size
from fleet_tui.services.save_file import (
    default_save_path,
    resolve_target,
    save_state_file,
    write_error_text,
)
from fleet_tui.tui.screens import DIALOGS_CSS
from fleet_tui.tui.widgets.footer import FittedFooter


class SaveFileScreen(ModalScreen[Path | None]):
    CSS_PATH = DIALOGS_CSS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="save-file.cancel"),
        Binding("ctrl+s", "save", "Save", id="save-file.save"),
    ]

    def __init__(self, file: StateFile, *, directory: Path | None = None) -> None:
        super().__init__()
        self.file = file
        self._default = default_save_path(file, directory)

    def compose(self) -> ComposeResult:
        with Vertical(id="save-file-dialog", classes="dialog"):
            yield Static("Save file to disk", classes="dialog-title")
            yield Static(
                Content(f"{for_row(self.file.path)} · {human_size(self.file.size)}"),
                id="save-file-subject",
            )
            yield Label("Save to", id="save-file-label")
            yield Input(str(self._default), id="save-file-path", select_on_focus=False)
            yield Static(id="save-file-message")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", id="save-file-save", variant="primary")
                yield Button("Cancel", id="save-file-cancel")
        yield FittedFooter()

    def on_mount(self) -> None:
        path_input = self.query_one("#save-file-path", Input)
        path_input.focus()
        path_input.cursor_position = len(path_input.value)

    def _say(self, text: str, *, error: bool = False) -> None:
        message = self.query_one("#save-file-message", Static)
        message.update(Content(for_row(text)))
        message.set_class(error, "-error")
        message.set_class(bool(text), "-shown")

    @on(Input.Submitted, "#save-file-path")
    @on(Button.Pressed, "#save-file-save")
    def _save_asked(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        self.action_save()

    @on(Button.Pressed, "#save-file-cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        raw = self.query_one("#save-file-path", Input).value.strip()
        if not raw:
            self._say("Enter a file name.", error=True)
            return
        target = resolve_target(raw, self.file)
        try:
            self.dismiss(save_state_file(target, self.file))
        except FileExistsError:
            self._ask_overwrite(target)
        except OSError as exc:
            self._say(write_error_text(exc, target), error=True)

    def _ask_overwrite(self, target: Path) -> None:
        from fleet_tui.tui.screens.confirm import ConfirmScreen

        def answered(yes: object) -> None:
            if not yes:
                self._say(f"{target} exists; nothing was written. Choose another name.")
                return
            try:
                self.dismiss(save_state_file(target, self.file, overwrite=True))
            except OSError as exc:
                self._say(write_error_text(exc, target), error=True)

        self.app.push_screen(
            ConfirmScreen(
                "Replace the file?",
                f"{target} already exists. Replace it with {for_row(self.file.path)}?",
                confirm_label="Replace",
                cancel_label="Keep it",
                danger=True,
            ),
            answered,
        )
