"""The agent's state files for one conversation: a list (f3), and one file shown (enter).

Both screens follow the conversation service themselves: a `FilesUpdated` for their
conversation redraws the list, or the open file, within a frame. File names and contents are
the agent's text: rows go through `for_row`, contents through the viewer (no markup).
"""

from __future__ import annotations

from functools import partial
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from fleet_tui.common.sanitize import for_row
from fleet_tui.domain.deep_state import StateFile, human_size
from fleet_tui.domain.file_types import binary_type, file_kind, short_time
from fleet_tui.services.conversation_service import ConversationService
from fleet_tui.services.service_events import FilesUpdated, ServiceEvent
from fleet_tui.tui.copying import copy
from fleet_tui.tui.screens import DIALOGS_CSS
from fleet_tui.tui.widgets.file_viewer import (
    MARKDOWN_AS_TEXT_NOTE,
    FileViewer,
    markdown_as_text,
    warm_lexers,
)
from fleet_tui.tui.widgets.footer import FittedFooter
from fleet_tui.tui.widgets.notices import tell, toast_path

KIND_LABELS = {"markdown": "markdown", "code": "code", "text": "text"}


class _FilesChanged(Message):
    def __init__(self, files: dict[str, StateFile]) -> None:
        super().__init__()
        self.files = files


class _FollowsFiles(Screen[None]):
    """A screen that hears about its conversation's files from the service while it is open."""

    def __init__(self, service: ConversationService | None, conversation_id: int | None) -> None:
        super().__init__()
        self._service = service
        self.conversation_id = conversation_id

    def on_mount(self) -> None:
        if self._service is not None:
            self._service.subscribe(self._from_service)

    def on_unmount(self) -> None:
        if self._service is not None:
            self._service.unsubscribe(self._from_service)

    def _from_service(self, event: ServiceEvent) -> None:
        if isinstance(event, FilesUpdated) and event.conversation_id == self.conversation_id:
            self.post_message(_FilesChanged(dict(event.files)))


def file_row(file: StateFile) -> Table:
    """One row of the list: the path, then its size and last change on the right."""
    row = Table.grid(expand=True, padding=(0, 1))
    row.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
    row.add_column(justify="right", no_wrap=True, width=9)
    row.add_column(justify="right", no_wrap=True, width=12)
    row.add_row(
        Text(for_row(file.path)),
        Text(human_size(file.size), style="dim"),
        Text(short_time(file.modified_at or file.created_at), style="dim"),
    )
    return row


class FilesScreen(_FollowsFiles):
    """The list of the agent's files, sorted by path; enter shows one."""

    CSS_PATH = DIALOGS_CSS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="files.close", tooltip="Back to the conversation"),
    ]

    def __init__(
        self,
        service: ConversationService | None,
        conversation_id: int | None,
        files: dict[str, StateFile],
    ) -> None:
        super().__init__(service, conversation_id)
        self.files = dict(files)

    def compose(self) -> ComposeResult:
        yield Static(id="files-title")
        yield OptionList(id="files-list")
        yield Static(
            "The agent has no files in this conversation yet. Files it writes (write_file, "
            "edit_file) show here as they change.",
            id="files-empty",
        )
        yield FittedFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self._fill()
        self.query_one(OptionList).focus()
        code = [path for path, file in self.files.items() if file_kind(file) == "code"]
        if code:
            self.run_worker(partial(warm_lexers, code), thread=True, exit_on_error=False)

    @property
    def paths(self) -> list[str]:
        return sorted(self.files)

    def _fill(self) -> None:
        listing = self.query_one(OptionList)
        highlighted = listing.highlighted
        current = listing.get_option_at_index(highlighted).id if highlighted is not None else None
        listing.clear_options()
        paths = self.paths
        listing.add_options(Option(file_row(self.files[path]), id=path) for path in paths)
        if paths:
            listing.highlighted = paths.index(current) if current in paths else 0
        count = len(paths)
        total = sum(file.size for file in self.files.values())
        title = Text("Files", style="bold")
        title.append(f" · {count} file{'s' if count != 1 else ''}", style="")
        if count:
            title.append(f" · {human_size(total)}", style="dim")
            title.append("   enter shows one · escape closes", style="dim")
        self.query_one("#files-title", Static).update(title)
        listing.display = bool(paths)
        self.query_one("#files-empty", Static).display = not paths

    @on(_FilesChanged)
    def _files_changed(self, message: _FilesChanged) -> None:
        self.files = message.files
        self._fill()

    @on(OptionList.OptionSelected, "#files-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        path = event.option.id
        if path is not None and path in self.files:
            self.app.push_screen(FileScreen(self._service, self.conversation_id, self.files[path]))

    def action_close(self) -> None:
        self.dismiss(None)


class FileScreen(_FollowsFiles):
    """One file, drawn by `FileViewer`; copy it, save it to disk."""

    CSS_PATH = DIALOGS_CSS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back", id="file.close", tooltip="Back to the list of files"),
        Binding("c", "copy", "Copy", id="file.copy", tooltip="Copy the file to the clipboard"),
        Binding("s", "save", "Save…", id="file.save", tooltip="Save the file to disk"),
    ]

    def __init__(
        self, service: ConversationService | None, conversation_id: int | None, file: StateFile
    ) -> None:
        super().__init__(service, conversation_id)
        self.file = file
        self.deleted = False

    def compose(self) -> ComposeResult:
        yield Static(id="file-title")
        yield FileViewer(id="file-viewer")
        yield FittedFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self._title()
        viewer = self.query_one(FileViewer)
        viewer.focus()
        self.call_after_refresh(viewer.show, self.file)

    def _title(self) -> None:
        file = self.file
        kind = file_kind(file)
        what = binary_type(file)[0] if kind == "binary" else KIND_LABELS[kind]
        title = Text(for_row(file.path), style="bold")
        if markdown_as_text(file):
            what = MARKDOWN_AS_TEXT_NOTE
        title.append(f" · {human_size(file.size)} · {what}", style="dim")
        changed = short_time(file.modified_at or file.created_at)
        if changed:
            title.append(f" · {changed}", style="dim")
        if self.deleted:
            title.append(" · deleted by the agent", style="bold yellow")
        self.query_one("#file-title", Static).update(title)

    @on(_FilesChanged)
    def _files_changed(self, message: _FilesChanged) -> None:
        new = message.files.get(self.file.path)
        if new is None:
            if not self.deleted:
                self.deleted = True
                self._title()
            return
        if new == self.file and not self.deleted:
            return
        self.file = new
        self.deleted = False
        self._title()
        self.query_one(FileViewer).show(new)

    def action_copy(self) -> None:
        file = self.file
        what = "the base64 text of the file" if file.is_binary else "the file"
        copy(self, file.content, what)

    def action_save(self) -> None:
        from fleet_tui.tui.screens.save_file import SaveFileScreen

        def saved(path: object) -> None:
            if path is not None:
                tell(self, "Saved to" + toast_path(self, path), timeout=6)

        self.app.push_screen(SaveFileScreen(self.file), saved)

    def action_close(self) -> None:
        self.dismiss(None)
