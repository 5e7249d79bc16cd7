"""The files attached to the next message, as chips above the composer (name and size).

Hidden while there are none. Focused (tab from the pane, shift+tab from the composer), left and
right pick a chip and delete or backspace removes it. A file name is untrusted text: it goes
through `for_row` and is drawn as plain text, never as markup.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import var
from textual.widget import Widget

from fleet_tui.common.sanitize import for_row
from fleet_tui.domain.attachments import Attachment, AttachmentInfo, format_size
from fleet_tui.tui.widgets.cells import fit

# a chip's name, in cells: long names are cut in the middle of nowhere but their end
NAME_CELLS = 40


def chip_label(info: AttachmentInfo) -> str:
    """`[report.pdf · 1.2 MB]`: what a chip says, here and in the transcript."""
    return f"[{fit(for_row(info.name), NAME_CELLS)} · {format_size(info.size)}]"


def chips_text(files: Iterable[AttachmentInfo], style: Style | str = "") -> Text:
    """The chips of a sent message, on as many lines as they need."""
    text = Text(style=style)
    for index, info in enumerate(files):
        if index:
            text.append(" ")
        text.append(chip_label(info))
    return text


class AttachmentChips(Widget, can_focus=True):
    """The files waiting to go with the next message."""

    BINDINGS = [
        Binding(
            "delete,backspace",
            "remove",
            "Remove file",
            id="attach.remove",
            tooltip="Remove the chosen file from the next message",
        ),
        Binding(
            "f8",
            "screen.attach_file",
            "Attach",
            id="attach.file",
            tooltip="Attach a file to the next message",
        ),
        Binding("left", "move(-1)", show=False),
        Binding("right", "move(1)", show=False),
    ]

    files: var[tuple[Attachment, ...]] = var((), always_update=True)
    cursor: var[int] = var(0)

    class Changed(Message):
        """The files changed (added, removed, taken to be sent)."""

        def __init__(self, chips: AttachmentChips) -> None:
            super().__init__()
            self.chips = chips

        @property
        def control(self) -> AttachmentChips:
            return self.chips

    def on_mount(self) -> None:
        self.display = False

    def watch_files(self, files: tuple[Attachment, ...]) -> None:
        self.display = bool(files)
        self.cursor = max(0, min(self.cursor, len(files) - 1))
        self.tooltip = "delete removes the chosen file" if files else None
        self.refresh(layout=True)
        self.post_message(self.Changed(self))

    def watch_cursor(self) -> None:
        self.refresh()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def add(self, attachment: Attachment) -> None:
        self.files = (*self.files, attachment)
        self.cursor = len(self.files) - 1

    def take(self) -> tuple[Attachment, ...]:
        """The files, which leave the row (they go with the message being sent)."""
        files = self.files
        if files:
            self.files = ()
        return files

    def clear(self) -> None:
        self.take()

    def action_move(self, step: int) -> None:
        if self.files:
            self.cursor = (self.cursor + step) % len(self.files)

    def action_remove(self) -> None:
        if not self.files:
            return
        index = self.cursor
        self.files = self.files[:index] + self.files[index + 1 :]
        if not self.files:
            self.screen.focus_next()

    def render(self) -> Text:
        text = Text("attached: ", style="dim", no_wrap=False)
        for index, file in enumerate(self.files):
            if index:
                text.append(" ")
            chosen = self.has_focus and index == self.cursor
            text.append(chip_label(file.info), style="reverse" if chosen else "bold")
        return text
