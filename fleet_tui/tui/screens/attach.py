"""Attach a file to the next message: a path typed with completion (tab takes the suggestion)
or picked in a folder tree. The file is read and checked here, so a refusal (missing,
unreadable, too large, a kind that cannot be sent) is said in the dialog, which stays open.

Dismisses with the `Attachment`, or None when cancelled. File names on disk are untrusted
text: the tree shows them through `for_row`, the messages as plain content.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from rich.text import Text, TextType
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import DirectoryTree, Input, Static

from fleet_tui.common.sanitize import for_row
from fleet_tui.domain.attachments import (
    SUPPORTED,
    Attachment,
    AttachmentError,
    AttachmentRules,
    read_attachment,
)
from fleet_tui.tui.screens import DIALOGS_CSS
from fleet_tui.tui.widgets.footer import FittedFooter

# entries listed in a folder before completion gives up (a huge folder must not stall a key)
_SCAN_LIMIT = 5000


class PathSuggester(Suggester):
    """Completes the last part of a path from what is on disk (folders end with `/`)."""

    def __init__(self, base: Path) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.base = base

    async def get_suggestion(self, value: str) -> str | None:
        return complete_path(value, self.base)


def complete_path(value: str, base: Path) -> str | None:
    """`value` completed to the first entry it starts, or None."""
    head, _, stem = value.rpartition(os.sep)
    folder = Path(os.path.expanduser(head + os.sep if head or value.startswith(os.sep) else "."))
    if not folder.is_absolute():
        folder = base / folder
    try:
        with os.scandir(folder) as entries:
            names = []
            for count, entry in enumerate(entries):
                if count >= _SCAN_LIMIT:
                    break
                if entry.name.startswith(stem) and entry.name != stem:
                    if entry.name.startswith(".") and not stem.startswith("."):
                        continue
                    names.append(entry.name + (os.sep if _is_dir(entry) else ""))
    except OSError:
        return None
    if not names:
        return None
    prefix = value[: len(value) - len(stem)]
    return prefix + min(names)


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


class PathInput(Input):
    """An input whose tab takes the completion shown (and moves focus when there is none)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "complete", "Complete", id="attach.complete", show=False),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "complete":
            return bool(self._suggestion) and self._suggestion != self.value
        return super().check_action(action, parameters)

    def action_complete(self) -> None:
        self.value = self._suggestion
        self.cursor_position = len(self.value)


class FileTree(DirectoryTree):
    """The folder tree, without hidden files, names cleaned."""

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [path for path in paths if not path.name.startswith(".")]

    def process_label(self, label: TextType) -> Text:
        return super().process_label(for_row(label) if isinstance(label, str) else label)


class AttachScreen(ModalScreen[Attachment | None]):
    CSS_PATH = DIALOGS_CSS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="attach.cancel"),
    ]

    def __init__(self, rules: AttachmentRules, *, folder: Path | None = None) -> None:
        super().__init__()
        self.rules = rules
        self.folder = folder or Path.cwd()

    def compose(self) -> ComposeResult:
        with Vertical(id="attach-dialog", classes="dialog"):
            yield Static("Attach a file", classes="dialog-title")
            yield Static(
                f"{SUPPORTED[0].upper()}{SUPPORTED[1:]}, up to {self.rules.max_mb:g} MB. "
                "Type a path (tab completes, enter attaches) or pick one below.",
                id="attach-hint",
            )
            yield PathInput(
                placeholder="path of the file",
                id="attach-path",
                suggester=PathSuggester(self.folder),
            )
            yield Static(id="attach-message")
            yield FileTree(self.folder, id="attach-tree")
        yield FittedFooter()

    def on_mount(self) -> None:
        self.query_one("#attach-path", Input).focus()

    def _say(self, text: str) -> None:
        message = self.query_one("#attach-message", Static)
        message.update(Content(for_row(text)))
        message.set_class(bool(text), "-shown")

    @on(Input.Submitted, "#attach-path")
    def _typed(self, event: Input.Submitted) -> None:
        event.stop()
        raw = event.value.strip()
        if not raw:
            self._say("Type the path of a file, or pick one in the list.")
            return
        path = Path(os.path.expanduser(raw))
        self.attach(path if path.is_absolute() else self.folder / path)

    @on(DirectoryTree.FileSelected, "#attach-tree")
    def _picked(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self.attach(event.path)

    def attach(self, path: Path) -> None:
        try:
            attachment = read_attachment(path, max_mb=self.rules.max_mb)
        except AttachmentError as exc:
            self._say(str(exc))
            return
        self.dismiss(attachment)

    def action_cancel(self) -> None:
        self.dismiss(None)
