"""What "retry" does after an error: send the user's message again when it got no run at all,
else re-read the thread from the server (the run may have gone on without us). No Textual import.
"""

from __future__ import annotations

from typing import Literal

from fleet_tui.domain.transcript import (
    AssistantItem,
    ErrorItem,
    InterruptItem,
    ReasoningItem,
    ToolItem,
    Transcript,
    UserItem,
)
from fleet_tui.services.conversation_state import ConversationState
from fleet_tui.storage.store import Store

Action = Literal["refresh", "send"]


def decide(
    state: ConversationState, store: Store, index: int | None, refresh_failed: str
) -> tuple[Action, str | None]:
    """The retry of the error item at `index` (the latest failure when None): what to do, and
    the text to send again."""
    items = state.transcript.items
    error = items[index] if index is not None and 0 <= index < len(items) else None
    if isinstance(error, ErrorItem) and error.title == refresh_failed:
        return "refresh", None
    if error is None:
        text = state.transcript.last_user_text()
        failed_before_start = _failed_before_start(state, store)
    else:
        text, failed_before_start = _message_before(state.transcript, items.index(error))
    if state.conversation.thread_id:
        if failed_before_start and text:
            return "send", text
        return "refresh", None
    return "send", text if error is not None else state.last_text


def _message_before(transcript: Transcript, index: int) -> tuple[str | None, bool]:
    """The user message an error follows, and whether nothing of the agent came between."""
    agent_output = False
    for item in reversed(transcript.items[:index]):
        if isinstance(item, UserItem):
            return item.text, not agent_output
        if isinstance(item, AssistantItem | ReasoningItem | ToolItem | InterruptItem):
            agent_output = True
    return None, False


def _failed_before_start(state: ConversationState, store: Store) -> bool:
    """True when the last human message got no run at all (e.g. a 401 on send)."""
    messages = store.messages(state.id, limit=3)
    roles = [m.role for m in messages]
    return bool(roles) and roles[-1] == "error" and (len(roles) < 2 or roles[-2] == "human")
