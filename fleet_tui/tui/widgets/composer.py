"""The composer: a multi-line input where enter sends and ctrl+j inserts a newline."""

from __future__ import annotations

from rich.cells import cell_len
from textual import events
from textual.binding import Binding
from textual.message import Message

from fleet_tui.tui.widgets.text_area_adapter import KeysFirstTextArea

# the placeholder, longest first: the longest that fits is shown
HINTS = (
    "Message the agent — enter sends, ctrl+j newline",
    "Message — enter sends, ctrl+j newline",
    "enter sends, ctrl+j newline",
    "enter sends",
)


class Composer(KeysFirstTextArea):
    BINDINGS = [
        Binding("enter", "send", "Send", priority=False, tooltip="Send the message"),
        Binding("ctrl+j", "newline", "Newline", show=False, tooltip="Insert a newline"),
        Binding(
            "f8",
            "screen.attach_file",
            "Attach",
            id="attach.file",
            tooltip="Attach a file to the next message",
        ),
    ]

    class Submitted(Message):
        def __init__(self, composer: Composer, text: str) -> None:
            super().__init__()
            self.composer = composer
            self.text = text

        @property
        def control(self) -> Composer:
            return self.composer

    def __init__(self, *, id: str | None = None, hints: tuple[str, ...] = HINTS) -> None:
        """`hints`: the placeholder, longest first; the longest that fits is shown, so a
        narrow terminal never cuts one mid-word."""
        super().__init__(
            id=id,
            soft_wrap=True,
            show_line_numbers=False,
            tab_behavior="focus",
            placeholder=hints[0],
            compact=True,
        )
        self._hints = hints
        # files wait to be sent: a message of files alone may go without text
        self.can_send_empty = False

    def on_resize(self) -> None:
        # the cursor takes a cell after the text
        room = self.content_size.width - 1
        fitting = [hint for hint in self._hints if cell_len(hint) <= room]
        self.placeholder = fitting[0] if fitting else ""

    def take_key(self, event: events.Key) -> bool:
        # TextArea inserts a newline on enter before bindings are checked: take enter first
        if event.key == "enter":
            self.action_send()
            return True
        if event.key == "ctrl+j":
            self.action_newline()
            return True
        return False

    def action_send(self) -> None:
        text = self.text
        if not text.strip() and not self.can_send_empty:
            return
        self.clear()
        self.post_message(self.Submitted(self, text))

    def action_newline(self) -> None:
        self.insert("\n")
