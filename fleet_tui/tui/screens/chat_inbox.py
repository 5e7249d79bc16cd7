"""The chat screen's side of the inbox: the header's badge, and the review of a conversation
opened from the inbox, which opens once its approvals are read from the server."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fleet_tui.tui.widgets.status import AgentBar

if TYPE_CHECKING:
    from fleet_tui.tui.screens.chat import ChatScreen


def follow_badge(chat: ChatScreen) -> None:
    """Keep the badge on the app's count of waiting conversations and unchecked agents."""
    chat.watch(chat.app, "waiting_count", lambda: show_badge(chat), init=False)
    chat.watch(chat.app, "unchecked", lambda: show_badge(chat), init=False)


def show_badge(chat: ChatScreen) -> None:
    # the agent on screen has its connection state beside its name: not counted twice
    app = chat.app
    others = [name for name, _ in app.unchecked if name != app.settings.current]
    chat.query_one(AgentBar).set_badge(app.waiting_count, len(others))


def review_when_pending(chat: ChatScreen, conversation_id: int) -> None:
    """Open the review of the open conversation now if its approvals are known, else as soon
    as they are read from the server (`approvals_read`)."""
    state = chat.current
    if state is None or state.id != conversation_id:
        return
    if state.pending():
        chat.action_review()
    else:
        chat.review_pending_for = conversation_id


def approvals_read(chat: ChatScreen, conversation_id: int) -> None:
    if chat.review_pending_for == conversation_id:
        chat.review_pending_for = None
        chat.action_review()
