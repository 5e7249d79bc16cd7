"""The chat screen's status line: the open conversation's run, or what else needs the user
(other runs going, an approval waiting, a store that stopped saving)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fleet_tui.domain.deep_state import plan_progress, plan_summary
from fleet_tui.domain.transcript_usage import conversation_usage
from fleet_tui.domain.usage import totals_words
from fleet_tui.tui.widgets.notices import tell
from fleet_tui.tui.widgets.status import RunStatus

if TYPE_CHECKING:
    from fleet_tui.tui.screens.chat import ChatScreen


def show_status(chat: ChatScreen) -> None:
    """The status line for the visible conversation (called on every service event)."""
    status = chat.query_one(RunStatus)
    state = chat.current
    plan = state.plan if state is not None else ()
    status.plan_note = plan_summary(plan) if plan_progress(plan)[2] is not None else ""
    chat.run_going = state is not None and state.runner is not None
    if state is not None and state.runner is not None:
        status.show_run(
            state.runner.started_at,
            state.activity_text,
            state.reconnecting,
            quiet_since=state.quiet_since,
        )
        return
    running = sum(1 for s in chat.service.running() if s is not state)
    note = f"{running} other conversation{'s' if running != 1 else ''} running" if running else ""
    if state is not None and state.conversation.status == "interrupted":
        note = "waiting for your decision" + (f" · {note}" if note else "")
    if chat.app.store.problem:  # shown as long as nothing is being saved
        note = "not saved locally" + (f" · {note}" if note else "")
    cost = ""
    if chat.pane.show_usage and state is not None:
        cost = totals_words(conversation_usage(state.transcript))
    if cost:  # the conversation's totals, while each reply's cost is shown
        note = cost + (f" · {note}" if note else "")
    status.show_idle(note)


def usage_toggled(chat: ChatScreen, shown: bool) -> None:
    """`u` (or the palette) showed or hid each reply's cost: the totals follow, and a word
    says what happened when nothing on screen changes."""
    chat.show_status()
    state = chat.current
    if shown and (state is None or not conversation_usage(state.transcript)):
        tell(chat, "Usage shown: no reply here reported what it cost.", timeout=3)
    else:
        tell(chat, "Usage shown under each reply." if shown else "Usage hidden.", timeout=2)
