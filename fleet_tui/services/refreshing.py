"""Refreshing a conversation from the server's copy of its thread: the conversation service's
part that reconciles messages added elsewhere, follows the branch shown, and reads what is
pending (`ConversationService` mixes it in). No Textual import.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from typing import TYPE_CHECKING, Any

from fleet_tui.common.errors import FleetError
from fleet_tui.domain.events import Event, InterruptRequest
from fleet_tui.domain.transcript import Transcript
from fleet_tui.services import approvals, branching
from fleet_tui.services.conversation_state import Cancellable, ConversationState
from fleet_tui.services.service_events import (
    AnswerRejected,
    ConversationChanged,
    InterruptsPending,
    Problem,
    ServiceEvent,
    TranscriptReplaced,
)

if TYPE_CHECKING:
    from fleet_tui.agent_server.client import FleetClient
    from fleet_tui.services.deep_tracking import DeepTracking
    from fleet_tui.storage.store import Store

REFRESH_FAILED = "Could not refresh from the server"


class Refreshing:
    """What the conversation service does to bring a conversation in line with the server."""

    if TYPE_CHECKING:
        store: Store
        states: dict[int, ConversationState]
        keep_choice: bool
        _deep: DeepTracking
        _spawn: Callable[[Coroutine[Any, Any, Any], str], Cancellable]

        def _emit(self, event: ServiceEvent) -> None: ...
        def client_of(self, state: ConversationState) -> FleetClient | None: ...
        def _deliver(self, state: ConversationState, event: Event, runner: Any = None) -> None: ...

    async def refresh_now(self, conversation_id: int) -> bool:
        """`refresh`, awaited (what is pending is known when it returns); False when the
        server's copy could not be read."""
        state = self.states.get(conversation_id)
        if state is None or not state.conversation.thread_id:
            return False
        return await self._refresh(state)

    def refresh(self, conversation_id: int) -> Cancellable | None:
        """Reconcile with the server's copy of the thread (messages added elsewhere appear,
        pending interrupts are read with their schemas)."""
        state = self.states.get(conversation_id)
        if state is None or not state.conversation.thread_id:
            return None
        return self._spawn(self._refresh(state), "refresh")

    async def _refresh(self, state: ConversationState, *, run_failed: bool = False) -> bool:
        from fleet_tui.services.sync import refresh_thread

        client = self.client_of(state)
        if client is None or state.running:
            return False
        latest = self.store.messages(state.id, limit=1)
        last_seq = latest[0].seq if latest else 0
        try:
            result = await refresh_thread(
                client, self.store, state.conversation, keep_choice=self.keep_choice
            )
        except FleetError as exc:
            self._emit(Problem(state.id, REFRESH_FAILED, str(exc), retryable=True))
            return False
        conversation = self.store.get_conversation(state.id)
        if conversation is not None:
            state.conversation = conversation
            self._emit(ConversationChanged(conversation))
        points = self.store.branch_points(state.id) if result.path is not None else {}
        if result.updated or (points and branching.marks_differ(state.transcript, points)):
            # a stored reply was finished on the server, the branch shown changed, or its
            # marks did: rebuild from the store
            state.transcript = Transcript.from_messages(self.store.messages(state.id))
            branching.mark(state.transcript, self.store.branch_points(state.id))
            approvals.restore(self.store, state)
            settle_stored(state)
            self._emit(TranscriptReplaced(state.id, state.transcript))
        elif result.added:
            # append only what was added elsewhere; what is shown stays as it is
            added = [m for m in self.store.messages(state.id) if m.seq > last_seq]
            state.transcript.add_messages(added)
        self._deep.refreshed(state, result)
        approvals.sync_pending(
            self.store, state, result.interrupts, run_failed=run_failed or state.last_run_failed
        )
        for interrupt in result.interrupts:
            self._deliver(state, InterruptRequest.of(interrupt))
        if not state.running:
            state.transcript.settle_stored()
        if result.interrupts and not state.answering:
            self._emit(InterruptsPending(state.id, tuple(state.interrupts.values())))
        return True

    async def _settle_answers(self, state: ConversationState) -> None:
        """A run of answers was refused or stopped: `/state` says which ones the server took;
        the review opens again with its message and what is still pending."""
        await self._refresh(state, run_failed=state.last_run_failed)
        message, state.answer_error = state.answer_error, None
        state.answering, state.deciding = {}, {}
        if message is not None and state.interrupts:
            self._emit(AnswerRejected(state.id, message, tuple(state.interrupts.values())))

    def known(self, conversation_id: int, ids: Iterable[str]) -> None:
        """Message ids already shown for this conversation (e.g. read from the server)."""
        state = self.states.get(conversation_id)
        if state is not None:
            state.known_ids.update(ids)


def settle_stored(state: ConversationState) -> None:
    """A transcript rebuilt from the store shows no call as running: no run is going. Only
    a thread that waits for approvals keeps its last turn's calls open until the pending
    approvals are read from the server (they mark the calls they gate)."""
    state.transcript.settle_stored(keep_last_turn=state.conversation.status == "interrupted")
