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

    # escape is the chat's (cancel a run) but while editing, where the title says what it does
    EDIT_TITLE = "Editing a message · enter: run as a new branch · escape: leave"

    class Submitted(Message):
        """`edit`: what the message edits (given to `start_edit`), None for a new message."""

        def __init__(self, composer: Composer, text: str, edit: object = None) -> None:
            super().__init__()
            self.composer = composer
            self.text = text
            self.edit = edit

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
        self._editing: object = None
        self._draft = ""

    # -- edit mode: the text of an earlier message, sent as a fork of the thread --------------
    @property
    def editing(self) -> object:
        """What the composer edits (see `start_edit`), None when it writes a new message."""
        return self._editing

    def start_edit(self, text: str, target: object) -> None:
        """Put an earlier message's `text` in, for `target`; the draft comes back after."""
        if self._editing is None:
            self._draft = self.text
        self._editing = target
        self.load_text(text)
        self.move_cursor(self.document.end)
        self.add_class("-editing")
        self.border_title = self.EDIT_TITLE
        self.refresh_bindings()

    def action_leave_edit(self) -> None:
        self._leave_edit(restore=True)

    def _leave_edit(self, *, restore: bool) -> None:
        if self._editing is None:
            return
        self._editing = None
        self.remove_class("-editing")
        self.border_title = None
        self.load_text(self._draft if restore else "")
        self._draft = ""
        self.refresh_bindings()

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
        if event.key == "escape" and self._editing is not None:
            self.action_leave_edit()
            return True
        return False

    def action_send(self) -> None:
        text = self.text
        edit = self._editing
        if not text.strip() and (edit is not None or not self.can_send_empty):
            return
        self.clear()
        if edit is not None:
            self._leave_edit(restore=True)
        self.post_message(self.Submitted(self, text, edit))

    def action_newline(self) -> None:
        self.insert("\n")
