"""The main screen: sidebar of conversations, the message pane, run status and composer.

Each running conversation has its own worker; a run keeps streaming into its own transcript
when the user switches to another conversation, and only the visible one is rendered.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer
from textual.worker import Worker

from fleet_tui.errors import FleetError
from fleet_tui.events import (
    Event,
    InterruptRequest,
    Reconnecting,
    RunEnded,
    RunStarted,
    StreamQuiet,
    TextDelta,
    ToolCallStarted,
    ToolResult,
)
from fleet_tui.store import Conversation
from fleet_tui.transcript import InterruptItem, Transcript
from fleet_tui.widgets.composer import Composer
from fleet_tui.widgets.message_pane import MessagePane
from fleet_tui.widgets.notices import tell
from fleet_tui.widgets.sidebar import ConversationList, ThreadSidebar
from fleet_tui.widgets.status import AgentBar, RunStatus

if TYPE_CHECKING:
    from fleet_tui.app import FleetApp
    from fleet_tui.client import FleetClient
    from fleet_tui.runner import TurnRunner


@dataclass
class Live:
    """A conversation the screen knows: its transcript, and its run when one is going."""

    conversation: Conversation
    transcript: Transcript
    runner: TurnRunner | None = None
    worker: Worker[Any] | None = None
    activity: str = ""
    reconnect: str = ""
    # when the run's stream last sent data, while it says it has been silent (StreamQuiet)
    quiet_since: float | None = None
    last_text: str | None = None
    # messages waiting for the running turn to end, and whether each is already shown/stored
    queued: list[tuple[str, bool]] = field(default_factory=list)
    schemas: dict[str | None, Any] = field(default_factory=dict)


class ChatScreen(Screen[None]):
    BINDINGS = [
        Binding(
            "ctrl+n", "new_conversation", "New chat", id="new", tooltip="Start a new conversation"
        ),
        Binding(
            "escape", "cancel_run", "Cancel run", id="cancel", tooltip="Cancel the running reply"
        ),
        Binding(
            "ctrl+b", "toggle_sidebar", "Sidebar", id="sidebar", tooltip="Show or hide the sidebar"
        ),
        Binding("ctrl+f", "focus_filter", "Filter", id="filter", tooltip="Filter conversations"),
        Binding(
            "ctrl+t",
            "toggle_tools",
            "Tools",
            id="tools",
            tooltip="Expand or collapse all tool blocks",
        ),
        Binding(
            "ctrl+r",
            "review",
            "Review",
            id="review",
            tooltip="Answer the approval this conversation waits on",
        ),
        Binding("ctrl+l", "focus_composer", "Compose", id="compose", show=False),
    ]

    app: FleetApp

    def __init__(self) -> None:
        super().__init__()
        self.lives: dict[int, Live] = {}
        self.current: Live | None = None
        self.new_is_stateless = False
        self._tick = 0

    # ----------------------------------------------------------------- layout
    def compose(self) -> ComposeResult:
        yield AgentBar(id="agent-bar")
        with Horizontal(id="main"):
            yield ThreadSidebar(self._load_conversations, id="sidebar")
            with Vertical(id="chat"):
                yield MessagePane(id="pane")
                yield RunStatus(id="run-status")
                yield Composer(
                    id="composer", placeholder="Message the agent — enter sends, ctrl+j newline"
                )
        yield Footer()

    @property
    def pane(self) -> MessagePane:
        return self.query_one(MessagePane)

    @property
    def sidebar(self) -> ThreadSidebar:
        return self.query_one(ThreadSidebar)

    @property
    def composer(self) -> Composer:
        return self.query_one(Composer)

    def on_mount(self) -> None:
        self.sidebar.reload()
        self.composer.focus()
        self.set_interval(0.25, self._update_status)
        self.show_connection()
        self.start_new(stateless=False)

    def _load_conversations(self, query: str, offset: int, limit: int) -> list[Conversation]:
        agent = self.app.agent
        if agent is None:
            return []
        return self.app.store.list_conversations(
            agent.id, query=query or None, limit=limit, offset=offset
        )

    def show_connection(self) -> None:
        app = self.app
        url = app.profile.url if app.profile else ""
        detail = app.connection_detail[:120]
        self.query_one(AgentBar).show(app.agent_name, url, app.connection_state, detail)

    def agent_changed(self) -> None:
        """The app switched to another agent: new sidebar, new blank conversation."""
        for live in list(self.lives.values()):
            if live.runner is None:
                del self.lives[live.conversation.id]
        self.sidebar.current_id = None
        self.sidebar.reload()
        self.start_new(stateless=False)
        self.show_connection()

    # ----------------------------------------------------------------- conversations
    def start_new(self, *, stateless: bool) -> None:
        self.current = None
        self.new_is_stateless = stateless
        self.sidebar.current_id = None
        transcript = Transcript()
        self.pane.set_transcript(transcript)
        if stateless:
            self.pane.add_notice(
                "New stateless conversation: each message is sent on its own, with no server "
                "thread and no history (kept locally)."
            )
        elif self.app.agent_ready:
            self.pane.add_notice(
                f"New conversation with {self.app.agent_name or 'the agent'}: enter sends, "
                "ctrl+j starts a new line, ctrl+p lists every action."
            )
        self.composer.focus()

    def open_conversation(self, conversation_id: int) -> None:
        live = self.lives.get(conversation_id)
        if live is None:
            conversation = self.app.store.get_conversation(conversation_id)
            if conversation is None:
                tell(self, "That conversation no longer exists.", severity="warning")
                self.sidebar.reload()
                return
            transcript = Transcript.from_messages(self.app.store.messages(conversation_id))
            live = Live(conversation, transcript)
        self._forget_idle(keep=live)
        self.lives[conversation_id] = live
        self.current = live
        self.sidebar.current_id = conversation_id
        self.sidebar.highlight(conversation_id)
        self.pane.set_transcript(live.transcript)
        if live.conversation.thread_id and live.runner is None and self.app.agent_ready:
            self.refresh_from_server(live)

    def _forget_idle(self, keep: Live) -> None:
        """Only running conversations and the visible one stay in memory."""
        for cid, live in list(self.lives.items()):
            if live is not keep and live.runner is None:
                del self.lives[cid]

    @work(exclusive=True, group="refresh", exit_on_error=False)
    async def refresh_from_server(self, live: Live) -> None:
        """Reconcile with the server's copy of the thread (messages added elsewhere appear)."""
        client = self.app.client
        if client is None or live.runner is not None:
            return
        latest = self.app.store.messages(live.conversation.id, limit=1)
        last_seq = latest[0].seq if latest else 0
        try:
            from fleet_tui.sync import refresh_thread

            result = await refresh_thread(client, self.app.store, live.conversation)
        except FleetError as exc:
            if live is self.current:
                self.pane.add_error("Could not refresh from the server", str(exc), retryable=True)
            return
        conversation = self.app.store.get_conversation(live.conversation.id)
        if conversation is not None:
            live.conversation = conversation
            self.sidebar.refresh_row(conversation)
        if result.updated:
            # a stored reply was finished on the server: redraw from the store
            live.transcript = Transcript.from_messages(
                self.app.store.messages(live.conversation.id)
            )
            if live is self.current:
                self.pane.set_transcript(live.transcript)
        elif result.added:
            # append only what was added elsewhere; what is on screen stays as it is
            added = [m for m in self.app.store.messages(live.conversation.id) if m.seq > last_seq]
            live.transcript.add_messages(added)
        for interrupt in result.interrupts:
            self._deliver(live, InterruptRequest.of(interrupt))

    # ----------------------------------------------------------------- sending
    @on(Composer.Submitted)
    def _submitted(self, event: Composer.Submitted) -> None:
        event.stop()
        self.send(event.text)

    def send(self, text: str) -> None:
        if self._client_or_say() is None:
            return
        live = self.current
        if live is None:
            agent = self.app.agent
            assert agent is not None
            conversation = self.app.store.create_conversation(
                agent.id, stateless=self.new_is_stateless
            )
            live = Live(conversation, self.pane.transcript)
            self.lives[conversation.id] = live
            self.current = live
            self.sidebar.current_id = conversation.id
            self.sidebar.reload(keep=conversation.id)
        if live.runner is not None:
            live.queued.append((text, False))
            self.pane.add_notice("Queued: it is sent when the current reply finishes.")
            return
        self._start_run(live, text=text)

    def _client_or_say(self) -> FleetClient | None:
        """The agent's client, or None after telling the user what is missing and opening the
        settings (nothing is sent with settings that are missing or wrong)."""
        app = self.app
        client = app.client if app.agent_ready else None
        if client is not None:
            return client
        if app.connection_state == "settings need fixing":
            message = f"The settings need fixing (ctrl+o): {app.connection_detail}"
        else:
            message = "Set up the agent first (ctrl+o opens the settings)."
        tell(self, message, severity="warning")
        app.action_settings()
        return None

    def _start_run(
        self,
        live: Live,
        *,
        text: str | None = None,
        resume: Any = None,
        join_run: str | None = None,
        strategy: str | None = None,
        shown: bool = False,
    ) -> None:
        """Start a turn: send `text`, answer an interrupt with `resume`, or follow `join_run`.

        `shown`: the message is already on screen and in the store (a retry after a 409).
        """
        client = self._client_or_say()
        if client is None:
            return
        if text is not None:
            live.last_text = text
            if not shown:
                if live is self.current:
                    self.pane.add_user(text)
                else:
                    live.transcript.add_user(text)
        from fleet_tui.runner import TurnRunner

        runner = TurnRunner(
            client,
            self.app.store,
            live.conversation,
            lambda event: self._deliver(live, event),
            stream_modes=self.app.profile.stream_modes if self.app.profile else None,
        )
        live.runner = runner
        live.activity = "starting"
        live.reconnect = ""
        self.sidebar.set_running(live.conversation, True)
        if join_run is not None:
            turn = runner.join(join_run)
        elif text is not None:
            turn = runner.send(text, multitask_strategy=strategy, store_human=not shown)
        else:
            turn = runner.resume(resume)
        live.worker = self.run_worker(
            self._run(live, runner, turn, text),
            group=f"run-{live.conversation.id}",
            exclusive=True,
            exit_on_error=False,
        )

    async def _run(
        self, live: Live, runner: TurnRunner, turn: Awaitable[str], text: str | None
    ) -> None:
        try:
            await turn
        finally:
            live.runner = None
            live.worker = None
            live.activity = ""
            conversation = (
                self.app.store.get_conversation(live.conversation.id) or runner.conversation
            )
            live.conversation = conversation
            self.sidebar.set_running(conversation, False)
            self.sidebar.reload(keep=self.current.conversation.id if self.current else None)
            if runner.busy and text is not None:
                self._ask_busy(live, text)
            elif runner.status == "interrupted" and live is self.current:
                self.action_review()
            elif live.queued and runner.status not in ("cancelled",):
                queued, shown = live.queued.pop(0)
                self._start_run(live, text=queued, shown=shown)
            elif live is not self.current and live.runner is None:
                self.lives.pop(conversation.id, None)

    def _ask_busy(self, live: Live, text: str) -> None:
        """The thread is busy with a run started elsewhere: wait, watch it, or stop it."""
        from fleet_tui.screens.busy import BusyScreen

        def chosen(choice: str | None) -> None:
            if choice is None:
                self.pane.add_notice("Not sent. Your message is kept above; send it again later.")
            elif choice == "join":
                live.queued.insert(0, (text, True))
                self._join_running(live)
            else:
                self._start_run(live, text=text, strategy=choice, shown=True)

        self.app.push_screen(BusyScreen(), chosen)

    @work(group="join", exit_on_error=False)
    async def _join_running(self, live: Live) -> None:
        client = self.app.client
        thread_id = live.conversation.thread_id
        if client is None or thread_id is None:
            return
        try:
            runs = await client.list_runs(thread_id, status="running")
            runs = runs or await client.list_runs(thread_id, status="pending")
        except FleetError as exc:
            self.pane.add_error("Could not find the running run", str(exc), retryable=False)
            return
        if not runs:
            # it finished meanwhile: send what was waiting
            queued, shown = live.queued.pop(0)
            self._start_run(live, text=queued, shown=shown)
            return
        self._start_run(live, join_run=str(runs[0]["run_id"]))

    def _deliver(self, live: Live, event: Event) -> None:
        """A run's event: into the pane when its conversation is visible, else its transcript."""
        live.quiet_since = (
            time.monotonic() - event.seconds
            if isinstance(event, StreamQuiet) and not event.resumed
            else None
        )
        if isinstance(event, RunStarted):
            live.activity = "waiting for the agent"
        elif isinstance(event, TextDelta):
            live.activity = f"node {event.node}" if event.node else "writing"
            live.reconnect = ""
        elif isinstance(event, ToolCallStarted):
            live.activity = f"tool {event.call.name}"
        elif isinstance(event, ToolResult):
            live.activity = "thinking"
        elif isinstance(event, Reconnecting):
            live.reconnect = f"reconnecting ({event.attempt}/{event.limit})"
        elif isinstance(event, RunEnded):
            live.reconnect = ""
        elif isinstance(event, InterruptRequest):
            live.schemas[event.id] = event.response_schema
            live.conversation = replace(live.conversation, status="interrupted")
            self.sidebar.refresh_row(live.conversation)
        if live is self.current:
            self.pane.apply_event(event)
        else:
            live.transcript.apply(event)

    # ----------------------------------------------------------------- status
    def _update_status(self) -> None:
        self._tick += 1
        status = self.query_one(RunStatus)
        live = self.current
        if live is not None and live.runner is not None:
            since = live.quiet_since
            status.show_running(
                time.monotonic() - live.runner.started_at,
                live.activity,
                self._tick,
                live.reconnect,
                quiet=None if since is None else time.monotonic() - since,
            )
            return
        running = sum(1 for lv in self.lives.values() if lv.runner is not None)
        note = (
            f"{running} other conversation{'s' if running != 1 else ''} running" if running else ""
        )
        if live is not None and live.conversation.status == "interrupted":
            note = "waiting for your decision" + (f" · {note}" if note else "")
        if self.app.store.problem:  # shown as long as nothing is being saved
            note = "not saved locally" + (f" · {note}" if note else "")
        status.show_idle(note)

    # ----------------------------------------------------------------- events from widgets
    @on(ThreadSidebar.Opened)
    def _opened(self, event: ThreadSidebar.Opened) -> None:
        event.stop()
        self.open_conversation(event.conversation_id)
        self.composer.focus()

    @on(ConversationList.RenameRequested)
    def _rename(self, event: ConversationList.RenameRequested) -> None:
        event.stop()
        self.app.rename_conversation(event.conversation_id)

    @on(ConversationList.DeleteRequested)
    def _delete(self, event: ConversationList.DeleteRequested) -> None:
        event.stop()
        self.app.delete_conversation(event.conversation_id)

    @on(MessagePane.ReviewRequested)
    def _review_requested(self, event: MessagePane.ReviewRequested) -> None:
        event.stop()
        if self.current is not None:
            self.open_review(self.current, event.item)

    def action_review(self) -> None:
        """Open the review panel of the first approval the conversation waits on."""
        live = self.current
        if live is None:
            return
        pending = self._pending(live)
        if not pending:
            tell(self, "Nothing is waiting for your approval here.", timeout=3)
            return
        if not isinstance(self.app.screen, ModalScreen):
            self.open_review(live, pending[0])

    @staticmethod
    def _pending(live: Live) -> list[InterruptItem]:
        return [i for i in live.transcript.items if isinstance(i, InterruptItem) and not i.resolved]

    def open_review(self, live: Live, item: InterruptItem) -> None:
        from fleet_tui.screens.review import ReviewScreen

        def answered(value: Any) -> None:
            if value is None:
                return
            if live.runner is not None:
                tell(self, "A run is still going in this conversation.", severity="warning")
                return
            pending = self._pending(live)
            # several approvals at once: the server wants each answer keyed by its interrupt id
            resume = {item.id: value} if len(pending) > 1 and item.id else value
            item.resolved = True
            item.touch()
            live.transcript.changed(live.transcript.items.index(item))
            self._start_run(live, resume=resume)

        screen = ReviewScreen(item.value, item.id, response_schema=live.schemas.get(item.id))
        self.app.push_screen(screen, answered)

    @on(MessagePane.RetryRequested)
    def _retry(self, event: MessagePane.RetryRequested) -> None:
        event.stop()
        self.action_retry()

    # ----------------------------------------------------------------- actions
    def action_new_conversation(self) -> None:
        self.start_new(stateless=False)

    def action_new_stateless(self) -> None:
        self.start_new(stateless=True)

    def action_retry(self) -> None:
        live = self.current
        if live is None or live.runner is not None:
            return
        if live.conversation.thread_id:
            # the run may have gone on without us: the server's copy says what happened
            last = live.transcript.last_user_text()
            if self._failed_before_start(live) and last:
                self._start_run(live, text=last, shown=True)
            else:
                self.refresh_from_server(live)
        elif live.last_text:
            self._start_run(live, text=live.last_text, shown=True)

    def _failed_before_start(self, live: Live) -> bool:
        """True when the last human message got no run at all (e.g. a 401 on send)."""
        messages = self.app.store.messages(live.conversation.id, limit=3)
        roles = [m.role for m in messages]
        return bool(roles) and roles[-1] == "error" and (len(roles) < 2 or roles[-2] == "human")

    async def action_cancel_run(self) -> None:
        live = self.current
        if live is None or live.runner is None:
            return
        runner, worker = live.runner, live.worker
        live.activity = "cancelling"
        problem = await runner.cancel()
        if worker is not None:
            worker.cancel()
        if problem:
            self.pane.add_error("Cancel not confirmed", problem, retryable=False)
        else:
            tell(self, "Run cancelled; the partial reply is kept.", timeout=3)

    def action_toggle_sidebar(self) -> None:
        sidebar = self.sidebar
        sidebar.display = not sidebar.display
        if not sidebar.display:
            self.composer.focus()

    def action_focus_filter(self) -> None:
        self.sidebar.display = True
        self.sidebar.filter_input.focus()

    def action_focus_composer(self) -> None:
        self.composer.focus()

    def action_toggle_tools(self) -> None:
        self.pane.action_toggle_all_tools()

    def action_refresh(self) -> None:
        if self.current is not None and self.current.conversation.thread_id:
            self.refresh_from_server(self.current)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "review":
            # shown dimmed until the conversation waits on an approval
            return True if self.current is not None and self._pending(self.current) else None
        if action == "cancel_run":
            # escape belongs to dialogs and the filter box unless a run is going here
            return self.current is not None and self.current.runner is not None
        return True
