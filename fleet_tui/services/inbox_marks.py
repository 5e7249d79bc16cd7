"""What the inbox keeps of a conversation's own runs: what it waits on when a run ends, when it
changed (with its failure's words), and that it was seen when it ended on screen. The
background watch keeps the same marks for changes made elsewhere. No Textual import.
"""

from __future__ import annotations

import time

from fleet_tui.services.conversation_state import ConversationState
from fleet_tui.storage.store import Store


def run_ended(store: Store, state: ConversationState, status: str, *, on_screen: bool) -> None:
    now = time.time()
    store.set_waiting(state.id, state.pending() if status == "interrupted" else [])
    failure = state.last_error if status == "error" else None
    store.mark_changed(state.id, now, failure=failure or None)
    if on_screen:
        store.mark_seen(state.id, now)
