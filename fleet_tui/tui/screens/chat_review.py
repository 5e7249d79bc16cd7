"""How the chat screen opens the review of a conversation's approvals, and opens it again when
the server refused the answers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.screen import ModalScreen

from fleet_tui.services import approvals
from fleet_tui.tui.widgets.notices import tell

if TYPE_CHECKING:
    from fleet_tui.domain.transcript import InterruptItem
    from fleet_tui.services.conversation_state import ConversationState
    from fleet_tui.services.service_events import AnswerRejected
    from fleet_tui.tui.screens.chat import ChatScreen


def open_review(
    chat: ChatScreen, state: ConversationState, item: InterruptItem | None, problem: str
) -> None:
    """Every approval `state` waits on in one review (`item`'s first); one answer for all."""
    from fleet_tui.domain.approvals import raised_by
    from fleet_tui.tui.screens.review import ReviewScreen

    pending = state.pending()
    if item is not None:
        pending.sort(key=lambda interrupt: interrupt.id != item.id)

    def answered(answers: dict[str | None, Any] | None) -> None:
        if answers is None or chat._client_or_say() is None:
            return
        problems = chat.service.answer(state.id, answers)
        if problems:
            tell(chat, "Not sent: " + "; ".join(problems), severity="warning")

    sources = {i.id: raised_by(state.transcript, i) or "" for i in pending}
    screen = ReviewScreen(
        pending,
        problem=problem or None,
        check=lambda answers: approvals.answer_problems(state, answers),
        sources=sources,
    )
    chat.app.push_screen(screen, answered)


def answer_rejected(chat: ChatScreen, event: AnswerRejected) -> None:
    """The server refused the answers: the review again, with its words and only what is
    still pending (read again from the server)."""
    state = chat.current
    if state is None or state.id != event.conversation_id or state.running:
        tell(chat, "An answer to an approval was refused; open that conversation to review.")
        return
    if not isinstance(chat.app.screen, ModalScreen):
        chat.open_review(state, problem=event.message)
