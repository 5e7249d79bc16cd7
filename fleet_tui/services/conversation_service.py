"""The conversation service: the one way a conversation is opened, sent to, resumed, cancelled
and refreshed, shared by the TUI and `ask`. No Textual import.

It owns the per-conversation state (`ConversationState`: transcript, run, activity, queue,
pending interrupts with their schemas) and reports every change as a typed event
(`service_events`) to its listeners: the TUI turns them into Textual messages, `ask` prints
them. Network work runs as coroutines handed to the caller's `spawn(coro, name)`: the TUI runs
them as workers (one per running conversation, so a run keeps streaming into its own
conversation when the user looks at another), `ask` as asyncio tasks. `name` is "run-<id>"
for a turn, "refresh" or "join".
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from fleet_tui.common.errors import FleetError
from fleet_tui.domain.attachments import (
    Attachment,
    AttachmentError,
    AttachmentRules,
    check_total,
)
from fleet_tui.domain.events import (
    Event,
    RunStarted,
    StreamQuiet,
)
from fleet_tui.domain.message_identity import message_ids_in_state
from fleet_tui.domain.transcript import (
    InterruptItem,
    Transcript,
)
from fleet_tui.services import approvals, attachment_files, branching, inbox_marks, retry_rule
from fleet_tui.services.branch_actions import BranchActions
from fleet_tui.services.conversation_state import Cancellable, ConversationState, QueuedMessage
from fleet_tui.services.deep_tracking import DeepTracking
from fleet_tui.services.refreshing import REFRESH_FAILED, Refreshing, settle_stored
from fleet_tui.services.service_events import (
    Activity,
    ActivityChanged,
    BusyChoice,
    ConversationChanged,
    InterruptsPending,
    Problem,
    Queued,
    RunBegan,
    RunEventFor,
    RunFinished,
    ServiceEvent,
    ThreadBusy,
)
from fleet_tui.storage.store import Conversation, Store
from fleet_tui.storage.store import memory_store as memory_store  # re-exported, for `ask`

if TYPE_CHECKING:
    from fleet_tui.agent_server.client import FleetClient
    from fleet_tui.services.runner import TurnRunner

Spawn = Callable[[Coroutine[Any, Any, Any], str], Cancellable]
Listener = Callable[[ServiceEvent], None]

NOT_ATTACHED = "Not sent: a file cannot be attached"
QUEUED_NOTICE = "Queued: it is sent when the current reply finishes."
NOT_SENT_NOTICE = "Not sent. Your message is kept above; send it again later."


class ConversationService(BranchActions, Refreshing):
    def __init__(
        self,
        store: Store,
        spawn: Spawn,
        *,
        client: Callable[[int], FleetClient | None],
        stream_modes: Callable[[], Sequence[str] | None] = lambda: None,
        keep_choice: bool = False,
        attachment_rules: Callable[[], AttachmentRules] = AttachmentRules,
    ) -> None:
        self.store = store
        # the branch shown is the user's choice (the TUI), not the server's head (`ask`)
        self.keep_choice = keep_choice
        self._spawn = spawn
        # the client of an agent (by its store key): each conversation runs with its own
        # agent's, so a run goes on when the user switches to another agent
        self._client = client
        self._stream_modes = stream_modes
        self._attachment_rules = attachment_rules
        self.states: dict[int, ConversationState] = {}
        # the conversation the user looks at: kept in memory while idle
        self.focused: int | None = None
        self._listeners: list[Listener] = []
        self._deep = DeepTracking(store, self._emit)  # plan, files, sub-agents' activity

    # ----------------------------------------------------------------- listeners
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _emit(self, event: ServiceEvent) -> None:
        for listener in list(self._listeners):
            listener(event)

    def client_of(self, state: ConversationState) -> FleetClient | None:
        return self._client(state.conversation.agent_pk)

    # ----------------------------------------------------------------- conversations
    def get(self, conversation_id: int) -> ConversationState | None:
        return self.states.get(conversation_id)

    def running(self) -> list[ConversationState]:
        return [s for s in self.states.values() if s.running]

    def _track(self, conversation: Conversation, transcript: Transcript) -> ConversationState:
        state = ConversationState(conversation, transcript)
        self.states[conversation.id] = state
        return state

    def create(
        self,
        agent_pk: int,
        *,
        stateless: bool = False,
        transcript: Transcript | None = None,
        thread_id: str | None = None,
    ) -> ConversationState:
        """A new stored conversation (its server thread is made by its first run)."""
        conversation = self.store.create_conversation(
            agent_pk, stateless=stateless, thread_id=thread_id
        )
        state = self._track(conversation, transcript if transcript is not None else Transcript())
        self.focused = conversation.id
        return state

    def attach_thread(
        self, agent_pk: int, thread_id: str, *, server_state: Any = None
    ) -> ConversationState:
        """The conversation of a server thread, stored if it was not. The messages in
        `server_state` (its `/state`) count as already shown: a run never shows them again."""
        conversation = self.store.find_conversation_by_thread(agent_pk, thread_id)
        if conversation is None:
            conversation = self.store.create_conversation(agent_pk, thread_id=thread_id)
        known = conversation.id in self.states
        state = self.states.get(conversation.id)
        if state is None:
            state = self._track(
                conversation, Transcript.from_messages(self.store.messages(conversation.id))
            )
            branching.mark(state.transcript, self.store.branch_points(conversation.id))
            approvals.restore(self.store, state)
            settle_stored(state)
        state.known_ids.update(message_ids_in_state(server_state))
        self.focused = conversation.id
        self._deep.restore(state, from_store=not known)
        return state

    def open(self, conversation_id: int, *, refresh: bool = True) -> ConversationState | None:
        """The conversation with its stored messages, then reconciled with the server."""
        state = self.states.get(conversation_id)
        fresh = state is None
        if state is None:
            state = self._from_store(conversation_id)
            if state is None:
                return None
        self.focused = conversation_id
        self.store.mark_seen(conversation_id)
        self.forget_idle()
        self._deep.restore(state, from_store=fresh)
        self.states[conversation_id] = state
        idle = not state.running
        if refresh and state.conversation.thread_id and idle and self.client_of(state):
            self.refresh(conversation_id)
        return state

    def _from_store(self, conversation_id: int) -> ConversationState | None:
        conversation = self.store.get_conversation(conversation_id)
        if conversation is None:
            return None
        transcript = Transcript.from_messages(self.store.messages(conversation_id))
        branching.mark(transcript, self.store.branch_points(conversation_id))
        state = ConversationState(conversation, transcript)
        approvals.restore(self.store, state)
        settle_stored(state)
        return state

    def load(self, conversation_id: int) -> ConversationState | None:
        """The conversation's state without putting it on screen (e.g. to answer it from the
        inbox); it is let go again once idle and not focused."""
        state = self.states.get(conversation_id)
        if state is None:
            state = self._from_store(conversation_id)
            if state is None:
                return None
            self._deep.restore(state, from_store=True)
            self.states[conversation_id] = state
        return state

    def unfocus(self) -> None:
        """The user looks at a new, not yet stored conversation."""
        self.focused = None
        self.forget_idle()

    def forget_idle(self) -> None:
        """Only running conversations and the focused one stay in memory."""
        for cid, state in list(self.states.items()):
            if cid != self.focused and not state.running:
                del self.states[cid]

    def delete(self, conversation_id: int) -> None:
        """Stop its run (if any) and delete it from the store."""
        state = self.states.pop(conversation_id, None)
        if state is not None and state.handle is not None:
            state.handle.cancel()
        if self.focused == conversation_id:
            self.focused = None
        self.store.delete_conversation(conversation_id)

    def delete_agent_data(self, agent_pk: int, *, forget_agent: bool = False) -> int:
        """Stop the agent's runs and delete all its local conversations (never the server's
        threads); `forget_agent` drops the agent too. Returns how many were deleted."""
        for cid, state in list(self.states.items()):
            if state.conversation.agent_pk == agent_pk:
                del self.states[cid]
                if state.handle is not None:
                    state.handle.cancel()
                if self.focused == cid:
                    self.focused = None
        return self.store.delete_agent_data(agent_pk, forget_agent=forget_agent)

    # ----------------------------------------------------------------- turns
    def send(
        self, conversation_id: int, text: str, attachments: Sequence[Attachment] = ()
    ) -> Cancellable | None:
        """Send `text` with the files attached to it; while a run goes it is queued and sent
        when the run ends. Files over the size limit together are not sent (a `Problem`)."""
        state = self.states[conversation_id]
        files = tuple(attachments)
        too_much = check_total([f.info for f in files], self._attachment_rules().max_mb)
        if too_much is not None:
            self._emit(Problem(conversation_id, NOT_ATTACHED, too_much))
            return None
        if state.running:
            state.queued.append(QueuedMessage(text, attachments=files))
            state.transcript.add_notice(QUEUED_NOTICE)
            self._emit(Queued(conversation_id, text))
            return None
        if self.keep_choice and state.conversation.branch_tip and state.conversation.thread_id:
            return self._spawn(self._send_on_branch(state, text, files), "refresh")
        return self._start(state, text=text, attachments=files)

    def resume(
        self, conversation_id: int, value: Any, item: InterruptItem | None = None
    ) -> Cancellable | None:
        """Answer `item`, or what is pending (`approvals.answers_from`); None if not sent."""
        state = self.states[conversation_id]
        answers = approvals.answers_from(state, value, item)
        return None if self.answer(conversation_id, answers) else state.handle

    def answer(self, conversation_id: int, answers: dict[str | None, Any]) -> list[str]:
        """Send answers (interrupt id -> answer) in one resume, each checked first against
        what its interrupt allows; the problems found, and then nothing is sent."""
        state = self.states[conversation_id]
        problems = approvals.answer_problems(state, answers)
        if problems:
            return problems
        self._start(state, resume=approvals.begin(state, answers))
        return []

    def answer_busy(
        self, conversation_id: int, text: str, choice: BusyChoice | None
    ) -> Cancellable | None:
        """What the user chose for a message the server refused with 409 (`ThreadBusy`)."""
        state = self.states.get(conversation_id)
        if state is None:
            return None
        if choice is None:
            state.transcript.add_notice(NOT_SENT_NOTICE)
            return None
        files = state.last_attachments if text == state.last_text else ()
        if choice is BusyChoice.JOIN:
            state.queued.insert(0, QueuedMessage(text, shown=True, attachments=files))
            return self.join(conversation_id)
        return self._start(state, text=text, strategy=choice.value, shown=True, attachments=files)

    def join(self, conversation_id: int) -> Cancellable | None:
        """Follow the run going on the thread (started elsewhere), then send what is queued."""
        state = self.states.get(conversation_id)
        if state is None:
            return None
        return self._spawn(self._join(state), "join")

    async def _join(self, state: ConversationState) -> None:
        client = self.client_of(state)
        thread_id = state.conversation.thread_id
        if client is None or thread_id is None:
            return
        try:
            runs = await client.list_runs(thread_id, status="running")
            runs = runs or await client.list_runs(thread_id, status="pending")
        except FleetError as exc:
            self._emit(Problem(state.id, "Could not find the running run", str(exc)))
            return
        if runs:
            self._start(state, join_run=str(runs[0]["run_id"]))
        elif state.queued:
            # it finished meanwhile: send what was waiting
            queued = state.queued.pop(0)
            self._start(state, text=queued.text, shown=queued.shown, attachments=queued.attachments)

    def retry(self, conversation_id: int, index: int | None = None) -> None:
        """Retry after the error item at `index` (the latest failure when None): send its
        message again when it got no run at all, else re-read the thread from the server
        (the run may have gone on without us)."""
        state = self.states.get(conversation_id)
        if state is None or state.running:
            return
        action, text = retry_rule.decide(state, self.store, index, REFRESH_FAILED)
        if action == "refresh":
            self.refresh(conversation_id)
        elif text:
            max_mb = self._attachment_rules().max_mb
            try:
                files = attachment_files.files_again(self.store, state, text, max_mb=max_mb)
            except AttachmentError as exc:
                self._emit(Problem(conversation_id, NOT_ATTACHED, str(exc)))
                return
            self._start(state, text=text, shown=True, attachments=files)

    async def cancel(self, conversation_id: int) -> str | None:
        """Stop the run on the server, keeping the partial reply. A problem to show, or None."""
        state = self.states.get(conversation_id)
        if state is None or state.runner is None:
            return None
        runner, handle = state.runner, state.handle
        self._set_activity(state, Activity.CANCELLING)
        problem = await runner.cancel()
        if handle is not None:
            handle.cancel()
        return problem

    # ----------------------------------------------------------------- running a turn
    def _start(
        self,
        state: ConversationState,
        *,
        text: str | None = None,
        resume: Any = None,
        join_run: str | None = None,
        strategy: str | None = None,
        shown: bool = False,
        checkpoint: str | None = None,
        regenerate: str | None = None,
        attachments: tuple[Attachment, ...] = (),
    ) -> Cancellable | None:
        """Start a turn: send `text`, answer an interrupt with `resume`, follow `join_run`, or
        run again from the checkpoint `regenerate`.

        `shown`: the message is already in the transcript and the store (a retry, a 409).
        `checkpoint`: `text` is sent from that checkpoint (a fork).
        """
        client = self.client_of(state)
        if client is None:
            return None
        from fleet_tui.services.runner import TurnRunner

        if text is not None:
            state.last_text, state.last_attachments = text, attachments
            if not shown:
                infos = tuple(a.info for a in attachments)
                state.transcript.add_user(text, attachments=infos)
        runner = TurnRunner(
            client,
            self.store,
            state.conversation,
            lambda event: self._deliver(state, event, runner),
            stream_modes=self._stream_modes(),
            known_message_ids=state.known_ids,
            open_subagents=state.transcript.open_subagents(),
            attachment_rules=self._attachment_rules(),
        )
        state.runner = runner
        runner.forked_from = checkpoint or regenerate
        state.last_error = None
        state.reconnecting = ""
        state.quiet_since = None
        self._emit(RunBegan(state.id, runner.started_at))
        self._set_activity(state, Activity.STARTING)
        if join_run is not None:
            turn = runner.join(join_run)
        elif regenerate is not None:
            turn = runner.regenerate(regenerate)
        elif text is not None:
            turn = runner.send(
                text,
                multitask_strategy=strategy,
                store_human=not shown,
                checkpoint=checkpoint,
                attachments=attachments,
            )
        else:
            turn = runner.resume(resume)
        state.handle = self._spawn(self._run(state, runner, turn, text), f"run-{state.id}")
        return state.handle

    async def _run(
        self,
        state: ConversationState,
        runner: TurnRunner,
        turn: Coroutine[Any, Any, str],
        text: str | None,
    ) -> None:
        try:
            await turn
        finally:
            self._finished(state, runner, text)

    def _finished(self, state: ConversationState, runner: TurnRunner, text: str | None) -> None:
        state.runner = None
        state.handle = None
        state.last_run_failed = runner.status == "error"
        state.reconnecting = ""
        state.quiet_since = None
        if runner.failure is not None and not runner.busy:
            state.last_error = str(runner.failure)
        if runner.forked_from is not None and not runner.busy:
            self.fork_ended(state, runner.forked_from)
        state.conversation = self.store.get_conversation(state.id) or runner.conversation
        self._deep.run_finished(state)
        self._set_activity(state, Activity.IDLE)
        self._emit(ConversationChanged(state.conversation))
        status, unsettled = approvals.after_run(self.store, state, runner.status or "success")
        inbox_marks.run_ended(self.store, state, status, on_screen=state.id == self.focused)
        if unsettled:
            self._spawn(self._settle_answers(state), "refresh")
        self._emit(RunFinished(state.id, status, runner.busy, runner.failure))
        if runner.busy and text is not None:
            self._emit(ThreadBusy(state.id, text))
        elif status == "interrupted":
            self._emit(InterruptsPending(state.id, tuple(state.interrupts.values())))
        elif state.queued and status != "cancelled":
            queued = state.queued.pop(0)
            self._start(state, text=queued.text, shown=queued.shown, attachments=queued.attachments)
        elif state.id != self.focused:
            self.states.pop(state.id, None)
        if runner.forked_from is not None and state.conversation.thread_id and not state.running:
            self.refresh(state.id)  # the new branch's points and marks

    def _set_activity(self, state: ConversationState, activity: Activity, detail: str = "") -> None:
        state.activity = activity
        state.activity_detail = detail
        self._emit_activity(state)

    def _emit_activity(self, state: ConversationState) -> None:
        self._emit(
            ActivityChanged(
                state.id,
                state.activity,
                state.activity_detail,
                state.reconnecting,
                state.quiet_since,
            )
        )

    def _deliver(
        self, state: ConversationState, event: Event, runner: TurnRunner | None = None
    ) -> None:
        """One event of a run (or an interrupt found by a refresh): into the state, the
        transcript, and out to the listeners."""
        before = (state.activity, state.activity_detail, state.reconnecting, state.quiet_since)
        state.quiet_since = (
            time.monotonic() - event.seconds
            if isinstance(event, StreamQuiet) and not event.resumed
            else None
        )
        state.note_activity(event)
        made = runner.thread_id if runner is not None and isinstance(event, RunStarted) else None
        if made is not None and made != state.conversation.thread_id:
            # the run made the conversation's thread: known from now on, not at its end
            state.conversation = replace(state.conversation, thread_id=made)
        self._deep.deliver(state, event, running=runner is not None)
        state.transcript.apply(event)
        if runner is None or not runner.ending:
            # the runner's own error/cancel ends are reported by RunFinished
            self._emit(RunEventFor(state.id, event))
        if (state.activity, state.activity_detail, state.reconnecting, state.quiet_since) != before:
            self._emit_activity(state)
        if approvals.on_event(state, event):
            state.conversation = replace(state.conversation, status="interrupted")
            self._emit(ConversationChanged(state.conversation))
