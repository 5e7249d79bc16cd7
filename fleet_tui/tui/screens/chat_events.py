"""How the chat screen follows the conversation service: each event, delivered on the screen's
message queue as a `ServiceMessage`, updates the pane, the sidebar and the status line."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

from fleet_tui.services.service_events import (
    ActivityChanged,
    AnswerRejected,
    BusyChoice,
    ConversationChanged,
    FilesUpdated,
    InterruptsPending,
    PlanChanged,
    Problem,
    RunBegan,
    RunFinished,
    ServiceEvent,
    ThreadBusy,
    TranscriptReplaced,
)
from fleet_tui.tui.screens import chat_inbox, chat_review

if TYPE_CHECKING:
    from fleet_tui.tui.screens.chat import ChatScreen


class ServiceMessage(Message):
    """A conversation service event, delivered to the screen on its message queue."""

    def __init__(self, event: ServiceEvent) -> None:
        super().__init__()
        self.event = event


def follow(chat: ChatScreen, event: ServiceEvent) -> None:
    """Show what `event` changed; what concerns another conversation stays in the sidebar."""
    current = chat.current.id if chat.current is not None else None
    if isinstance(event, RunBegan):
        state = chat.service.get(event.conversation_id)
        if state is not None:
            chat.sidebar.set_running(state.conversation, True)
    elif isinstance(event, ConversationChanged):
        chat.sidebar.refresh_row(event.conversation)
        chat.app.inbox.changed()
    elif isinstance(event, RunFinished):
        run_finished(chat, event)
        chat.app.inbox.run_finished(event, current)
    elif isinstance(event, InterruptsPending) and event.conversation_id == current:
        chat_inbox.approvals_read(chat, current)
    elif isinstance(event, ThreadBusy):
        ask_busy(chat, event)
    elif isinstance(event, TranscriptReplaced) and event.conversation_id == current:
        cursor = chat.pane.cursor  # kept: `]` again goes on with the same message
        chat.pane.set_transcript(event.transcript)
        if cursor is not None:
            chat.pane.highlight(cursor)
    elif isinstance(event, Problem) and event.conversation_id == current:
        chat.pane.add_error(event.title, event.message, retryable=event.retryable)
    elif isinstance(event, AnswerRejected):
        chat_review.answer_rejected(chat, event)
    elif isinstance(event, PlanChanged) and event.conversation_id == current:
        chat.plan_panel.todos = event.todos
    elif isinstance(event, FilesUpdated):
        return  # the files view follows the service itself
    if not isinstance(event, ActivityChanged) or event.conversation_id == current:
        chat.show_status()


def run_finished(chat: ChatScreen, event: RunFinished) -> None:
    state = chat.service.get(event.conversation_id)
    conversation = state.conversation if state is not None else None
    conversation = conversation or chat.app.store.get_conversation(event.conversation_id)
    if conversation is not None:
        chat.sidebar.set_running(conversation, False)
    chat.sidebar.reload(keep=chat.current.id if chat.current else None)
    if (
        event.status == "interrupted"
        and not event.busy
        and chat.current is not None
        and chat.current.id == event.conversation_id
        and not chat.current.running
    ):
        chat.action_review()


def ask_busy(chat: ChatScreen, event: ThreadBusy) -> None:
    """The thread is busy with a run started elsewhere: wait, watch it, or stop it."""
    from fleet_tui.tui.screens.busy import BusyScreen

    def chosen(choice: BusyChoice | None) -> None:
        chat.service.answer_busy(event.conversation_id, event.text, choice)

    chat.app.push_screen(BusyScreen(), chosen)
