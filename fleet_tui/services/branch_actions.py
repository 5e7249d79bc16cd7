"""Edit and resend, regenerate, switch branch, send on a branch: the conversation service's
part for a thread's branches (`ConversationService` mixes it in). No Textual import.

Each action reads the thread's tree first (`branching.read_tree`): the checkpoint a fork
starts from must be the server's, never a guess from the store. A run it starts is an
ordinary turn of the one orchestrator (`TurnRunner`), only started from a checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from fleet_tui.common.errors import FleetError
from fleet_tui.domain.attachments import Attachment, AttachmentError, AttachmentRules
from fleet_tui.domain.branches import BranchPath, BranchTree, message_key
from fleet_tui.domain.deep_state import parse_files, parse_todos
from fleet_tui.domain.transcript import Transcript
from fleet_tui.services import approvals, branching
from fleet_tui.services.attachment_files import files_of_message
from fleet_tui.services.conversation_state import Cancellable, ConversationState
from fleet_tui.services.service_events import (
    ConversationChanged,
    Problem,
    ServiceEvent,
    TranscriptReplaced,
)

if TYPE_CHECKING:
    from fleet_tui.agent_server.client import FleetClient
    from fleet_tui.services.deep_tracking import DeepTracking
    from fleet_tui.storage.store import Store, StoredMessage

BRANCH_FAILED = "Could not read the thread's branches"
NOT_ON_BRANCH = (
    "That message is not on this branch as the server has it; refresh (ctrl+r) and try again."
)


class BranchActions:
    """What the conversation service does with branches; see the module's doc."""

    if TYPE_CHECKING:
        store: Store
        states: dict[int, ConversationState]
        keep_choice: bool
        _deep: DeepTracking
        _spawn: Callable[[Coroutine[Any, Any, Any], str], Cancellable]
        _attachment_rules: Callable[[], AttachmentRules]

        def _emit(self, event: ServiceEvent) -> None: ...
        def client_of(self, state: ConversationState) -> FleetClient | None: ...
        def _start(
            self,
            state: ConversationState,
            *,
            text: str | None = None,
            checkpoint: str | None = None,
            regenerate: str | None = None,
            attachments: tuple[Attachment, ...] = (),
        ) -> Cancellable | None: ...

    # ----------------------------------------------------------------- the actions
    def edit(self, conversation_id: int, item_index: int, text: str) -> Cancellable | None:
        """Run the thread again from the checkpoint before the user message transcript item
        `item_index` shows, with `text` instead of it; the old branch stays on the server."""
        return self._branch_work(conversation_id, lambda s: self._edit(s, item_index, text))

    def regenerate(self, conversation_id: int, item_index: int) -> Cancellable | None:
        """Run the thread again from the checkpoint before the reply at `item_index`."""
        return self._branch_work(conversation_id, lambda s: self._regenerate(s, item_index))

    def switch_branch(self, conversation_id: int, item_index: int, step: int) -> Cancellable | None:
        """Show the sibling `step` places from the one shown at `item_index` (-1: previous)."""
        return self._branch_work(conversation_id, lambda s: self._switch(s, item_index, step))

    def _branch_work(
        self,
        conversation_id: int,
        work: Callable[[ConversationState], Coroutine[Any, Any, None]],
    ) -> Cancellable | None:
        state = self.states.get(conversation_id)
        if state is None or state.running or not state.conversation.thread_id:
            return None
        return self._spawn(work(state), "refresh")

    # ----------------------------------------------------------------- reading
    async def _tree(self, state: ConversationState) -> BranchTree | None:
        client = self.client_of(state)
        thread_id = state.conversation.thread_id
        if client is None or thread_id is None:
            return None
        try:
            return await branching.read_tree(client, thread_id)
        except FleetError as exc:
            self._emit(Problem(state.id, BRANCH_FAILED, str(exc), retryable=True))
            return None

    def _shown_path(self, tree: BranchTree, state: ConversationState) -> BranchPath:
        return tree.path(state.conversation.branch_tip if self.keep_choice else None)

    async def _locate(
        self, state: ConversationState, item_index: int
    ) -> tuple[BranchTree, BranchPath, int] | None:
        tree = await self._tree(state)
        if tree is None or state.running:
            return None
        path = self._shown_path(tree, state)
        index = branching.message_at(state.transcript, item_index, path)
        if index is None:
            self._emit(Problem(state.id, "Not on this branch", NOT_ON_BRANCH))
            return None
        return tree, path, index

    # ----------------------------------------------------------------- edit, regenerate
    async def _edit(self, state: ConversationState, item_index: int, text: str) -> None:
        found = await self._locate(state, item_index)
        if found is None:
            return
        _, path, index = found
        row = self._row_of(state, path, index)
        if row is None:
            return
        try:
            # the message edited goes again with the files it had
            files = files_of_message(self.store, row, max_mb=self._attachment_rules().max_mb)
        except AttachmentError as exc:
            self._emit(Problem(state.id, "Not sent: a file cannot be attached", str(exc)))
            return
        if self._cut(state, path, index):
            self._start(state, text=text, checkpoint=path.before[index], attachments=files)

    async def _regenerate(self, state: ConversationState, item_index: int) -> None:
        found = await self._locate(state, item_index)
        if found is not None and self._cut(state, found[1], found[2]):
            _, path, index = found
            self._start(state, regenerate=path.before[index])

    def _cut(self, state: ConversationState, path: BranchPath, index: int) -> bool:
        """Set the stored messages from path message `index` on aside (they stay a branch on
        the server) and show what is left; False, said, when no fork can start there."""
        row = self._row_of(state, path, index)
        if row is None:
            return False
        self.store.set_aside(state.id, row.seq)
        self._rebuild(state)
        return True

    def _row_of(
        self, state: ConversationState, path: BranchPath, index: int
    ) -> StoredMessage | None:
        """The stored row of path message `index`; None, said, when no fork can start there."""
        if path.before[index] is None:
            self._emit(
                Problem(
                    state.id,
                    "Cannot run again from there",
                    "The server's history of this thread does not reach back to that message.",
                )
            )
            return None
        server_id = message_key(path.messages[index], index)
        row = self.store.find_message_by_server_id(state.id, server_id)
        if row is None:  # a message just sent, not matched to the server's copy yet
            humans = [
                m
                for m in self.store.messages(state.id)
                if m.role == "human" and not m.parent_call_id
            ]
            position = sum(1 for m in path.messages[:index] if _is_human(m))
            row = (
                humans[position]
                if position < len(humans) and _is_human(path.messages[index])
                else None
            )
        if row is None:
            self._emit(Problem(state.id, "Not on this branch", NOT_ON_BRANCH))
        return row

    # ----------------------------------------------------------------- switching
    async def _switch(self, state: ConversationState, item_index: int, step: int) -> None:
        found = await self._locate(state, item_index)
        if found is None:
            return
        tree, path, index = found
        tip = tree.switch(path, index, step)
        if tip is None or tip == path.tip:
            return
        self.show_path(state, tree.path(tip))

    def show_path(self, state: ConversationState, path: BranchPath) -> None:
        """Put the conversation on `path` (the user's choice from now on): its messages in the
        store and on screen, its plan and files."""
        from fleet_tui.services.sync import ThreadRefresh, reconcile_messages  # the network's

        branching.align(self.store, state.id, path)
        reconcile_messages(self.store, state.id, list(path.messages))
        state.conversation = branching.keep(self.store, state.conversation, path, choice=True)
        self._rebuild(state)
        # the branch's own plan and files: none when it has none (not the last branch's)
        values = path.values
        files = parse_files(values.get("files")) or {}
        result = ThreadRefresh(
            todos=parse_todos(values.get("todos")) or (),
            files={p: f for p, f in files.items() if f is not None},
        )
        self.store.save_plan(state.id, result.todos or ())
        self.store.save_files(state.id, result.files or {})
        self._deep.refreshed(state, result)
        self._emit(ConversationChanged(state.conversation))

    def _rebuild(self, state: ConversationState) -> None:
        """The transcript again from the store, with its branch marks."""
        state.transcript = Transcript.from_messages(self.store.messages(state.id))
        branching.mark(state.transcript, self.store.branch_points(state.id))
        approvals.restore(self.store, state)
        state.transcript.settle_stored()
        self._emit(TranscriptReplaced(state.id, state.transcript))

    # ----------------------------------------------------------------- sending on a branch
    async def _send_on_branch(
        self, state: ConversationState, text: str, attachments: tuple[Attachment, ...] = ()
    ) -> None:
        """Send on the branch shown: from its tip when it is not the server's head."""
        tree = await self._tree(state)
        if tree is None:
            state.transcript.add_notice("Not sent. Send it again once the server answers.")
            return
        path = self._shown_path(tree, state)
        checkpoint = path.tip if path.tip != tree.head else None
        self._start(state, text=text, checkpoint=checkpoint, attachments=attachments)

    def fork_ended(self, state: ConversationState, forked_from: str) -> None:
        """A run from `forked_from` ended: its branch is the one shown from now on (where it
        got to is read by the refresh that follows)."""
        if self.keep_choice:
            conversation = state.conversation
            number, count = conversation.branch_number or 1, conversation.branch_count or 1
            self.store.set_branch(state.id, forked_from, number, count)


def _is_human(message: Any) -> bool:
    return isinstance(message, dict) and message.get("type") in ("human", "user")
