"""The chat screen's part for branches: editing an earlier message in the composer, asking the
service to regenerate a reply or show a sibling branch, and the palette's way to the same."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fleet_tui.domain.transcript import UserItem
from fleet_tui.tui.widgets.notices import tell

if TYPE_CHECKING:
    from fleet_tui.tui.screens.chat import ChatScreen
    from fleet_tui.tui.widgets.message_pane import MessagePane

NO_THREAD = "This conversation has no server thread (stateless, or nothing sent yet): no branches."
BUSY = "Wait for the reply to finish (or cancel it with escape) first."


@dataclass(frozen=True, slots=True)
class EditTarget:
    """The message the composer edits: which conversation, which transcript item."""

    conversation_id: int
    index: int


def _ready(chat: ChatScreen) -> int | None:
    """The open conversation's id when a branch action can run on it; else say why."""
    state = chat.current
    if state is None or not state.conversation.thread_id:
        tell(chat, NO_THREAD, severity="warning")
        return None
    if state.running:
        tell(chat, BUSY, severity="warning")
        return None
    if chat.client_or_say() is None:
        return None
    return state.id


def requested(chat: ChatScreen, kind: str, index: int, step: int) -> None:
    """The pane asked for `kind` on transcript item `index` (see `MessagePane.BranchRequested`)."""
    cid = _ready(chat)
    if cid is None:
        return
    service = chat.service
    if kind == "edit":
        item = chat.pane.transcript.items[index]
        if isinstance(item, UserItem):
            chat.composer.start_edit(item.text, EditTarget(cid, index))
            chat.composer.focus()
            tell(chat, "Edit the message; enter runs it again as a new branch, escape leaves.")
    elif kind == "regenerate":
        service.regenerate(cid, index)
        chat.pane.follow_latest()
    else:
        service.switch_branch(cid, index, step)


def send_edit(chat: ChatScreen, target: object, text: str) -> None:
    """The composer sent an edited message: run the thread again from before it."""
    state = chat.current
    if not isinstance(target, EditTarget) or state is None or state.id != target.conversation_id:
        tell(chat, "The message being edited is not in this conversation any more.")
        return
    cid = _ready(chat)
    if cid is not None:
        chat.service.edit(cid, target.index, text)
        chat.pane.follow_latest()


def run_pane_action(chat: ChatScreen, action: str) -> None:
    """A palette entry: the pane's action on its highlighted item (the latest if none)."""
    pane: MessagePane = chat.pane
    if pane.check_action(action, ()) is not True:
        what = {
            "edit_message": "Highlight one of your messages in the message pane first.",
            "regenerate": "Highlight a reply of the agent in the message pane first.",
        }.get(action, "Highlight a message that shows ‹ 1/2 › in the message pane first.")
        tell(chat, what, timeout=3)
        return
    getattr(pane, f"action_{action}")()
