"""The chat screen's attachments: the file picker, and the chips above the composer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fleet_tui.domain.attachments import Attachment, check_total
from fleet_tui.tui.screens.attach import AttachScreen
from fleet_tui.tui.widgets.attachment_chips import AttachmentChips
from fleet_tui.tui.widgets.notices import tell

if TYPE_CHECKING:
    from fleet_tui.tui.screens.chat import ChatScreen


def chips(screen: ChatScreen) -> AttachmentChips:
    return screen.query_one(AttachmentChips)


def open_picker(screen: ChatScreen) -> None:
    """Pick a file; it joins the chips unless the files together would be too much."""
    rules = screen.app.settings.attachment_rules()

    def picked(attachment: Attachment | None) -> None:
        if attachment is not None:
            row = chips(screen)
            too_much = check_total([f.info for f in (*row.files, attachment)], rules.max_mb)
            if too_much:
                tell(screen, f"Not attached: {too_much}", severity="warning", timeout=10)
            else:
                row.add(attachment)
        screen.composer.focus()

    screen.app.push_screen(AttachScreen(rules), picked)


def take(screen: ChatScreen) -> tuple[Attachment, ...]:
    """The files that go with the message being sent (the chips empty)."""
    return chips(screen).take()
