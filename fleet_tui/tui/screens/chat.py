"""The main screen: sidebar of conversations, the message pane, run status and composer.

A view: user intents go to the conversation service, whose events come back as
`ServiceMessage`s that update the pane, the sidebar and the status line. Each running
conversation has its own worker; a run keeps streaming into its own transcript when the user
switches to another conversation, and only the visible one is rendered.

The events are followed in chat_events.py, the status line drawn in chat_status.py, an empty
conversation's greeting kept in chat_greeting.py.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import var
from textual.screen import ModalScreen, Screen

from fleet_tui.domain.transcript import InterruptItem, Item, Transcript
from fleet_tui.services.approvals import STATELESS_NOTICE
from fleet_tui.services.conversation_service import ConversationService
from fleet_tui.services.conversation_state import Cancellable, ConversationState
from fleet_tui.services.service_events import RunEventFor, ServiceEvent
from fleet_tui.storage.store import Conversation
from fleet_tui.tui.screens import (
    chat_attach,
    chat_branches,
    chat_events,
    chat_greeting,
    chat_inbox,
    chat_review,
    chat_sidebar,
    chat_status,
)
from fleet_tui.tui.screens.chat_events import ServiceMessage
from fleet_tui.tui.widgets.attachment_chips import AttachmentChips
from fleet_tui.tui.widgets.composer import Composer
from fleet_tui.tui.widgets.footer import FittedFooter
from fleet_tui.tui.widgets.message_pane import MessagePane
from fleet_tui.tui.widgets.notices import tell
from fleet_tui.tui.widgets.plan_panel import PlanPanel
from fleet_tui.tui.widgets.sidebar import ConversationList, FilterInput, ThreadSidebar
from fleet_tui.tui.widgets.status import AgentBar, RunStatus

if TYPE_CHECKING:
    from fleet_tui.agent_server.client import FleetClient
    from fleet_tui.tui.app import FleetApp


class ChatScreen(Screen[None]):
    HORIZONTAL_BREAKPOINTS = chat_sidebar.BREAKPOINTS
    # what the footer keeps first when it cannot show every key (FittedFooter)
    FOOTER_ORDER = (
        "cancel_run",
        "new_conversation",
        "app.inbox",
        "jump_list",
        "review",
        "toggle_plan",
        "files",
        "toggle_sidebar",
        "toggle_tools",
        "focus_filter",
    )
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
            "ctrl+s",
            "jump_list",
            "Chats",
            id="chats",
            tooltip="To the list of conversations, and back to the composer",
        ),
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
        Binding(
            "ctrl+g", "toggle_plan", "Plan", id="plan", tooltip="Show or hide the agent's plan"
        ),
        Binding("f3", "files", "Files", id="files", tooltip="The agent's files"),
        Binding(
            "f4",
            "app.inbox",
            "Inbox",
            id="inbox",
            tooltip="Every agent's approvals waiting, failed and finished runs",
        ),
        Binding(
            "ctrl+l",
            "focus_composer",
            "Compose",
            id="compose",
            show=False,
            tooltip="Back to the composer",
        ),
    ]

    app: FleetApp

    run_going: var[bool] = var(False, bindings=True)
    """A run of the open conversation is going: the footer offers to cancel it exactly then."""

    def __init__(self) -> None:
        super().__init__()
        self.current: ConversationState | None = None
        self.new_is_stateless = False
        # the greeting of an empty new conversation: it leaves when the first message is sent
        self._greeting: Item | None = None
        self._service: ConversationService | None = None
        # a conversation opened from the inbox: its review opens once its approvals are read
        self.review_pending_for: int | None = None

    @property
    def service(self) -> ConversationService:
        if self._service is None:
            app = self.app
            self._service = ConversationService(
                app.store,
                self._spawn,
                client=app.client_for,
                stream_modes=lambda: app.profile.stream_modes if app.profile else None,
                attachment_rules=lambda: app.settings.attachment_rules(),
                keep_choice=True,  # the branch shown is the user's choice, kept
            )
            self._service.subscribe(self._from_service)
        return self._service

    def _from_service(self, event: ServiceEvent) -> None:
        # Events reach the view on its message queue, in the order they happened. A run's
        # stream events are already in their transcript, which the pane follows: they need
        # no message of their own (one per token would cost more than the token).
        if not isinstance(event, RunEventFor):
            self.post_message(ServiceMessage(event))

    def _spawn(self, work: Coroutine[Any, Any, Any], name: str) -> Cancellable:
        # one worker per running conversation ("run-<id>"); one refresh at a time
        return self.run_worker(
            work, name=name, group=name, exclusive=name != "join", exit_on_error=False
        )

    # ----------------------------------------------------------------- layout
    def compose(self) -> ComposeResult:
        yield AgentBar(id="agent-bar")
        with Horizontal(id="main"):
            yield ThreadSidebar(
                self._load_conversations, unread=self.app.store.unread_ids, id="sidebar"
            )
            with Vertical(id="chat"):
                yield PlanPanel(id="plan")
                yield MessagePane(id="pane")
                yield RunStatus(id="run-status")
                yield AttachmentChips(id="attachments")
                yield Composer(id="composer")
        yield FittedFooter()

    @property
    def pane(self) -> MessagePane:
        return self.query_one(MessagePane)

    @property
    def sidebar(self) -> ThreadSidebar:
        return self.query_one(ThreadSidebar)

    @property
    def composer(self) -> Composer:
        return self.query_one(Composer)

    @property
    def plan_panel(self) -> PlanPanel:
        return self.query_one(PlanPanel)

    def on_mount(self) -> None:
        self.sidebar.reload()
        self.composer.focus()
        self.show_connection()
        self.start_new(stateless=False)
        chat_inbox.follow_badge(self)

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
        bar = self.query_one(AgentBar)
        bar.demo = app.demo
        bar.show(app.agent_label, url, app.connection_state, detail)

    def agent_renamed(self) -> None:
        """The server named the agent: the header and an empty conversation's greeting say it."""
        chat_greeting.agent_renamed(self)

    def agent_changed(self) -> None:
        """The app switched to another agent: new sidebar, new blank conversation."""
        self.sidebar.current_id = None
        self.sidebar.reload()
        self.start_new(stateless=False)
        self.show_connection()
        chat_inbox.show_badge(self)

    # ----------------------------------------------------------------- conversations
    def start_new(self, *, stateless: bool) -> None:
        self.current = None
        self.service.unfocus()
        self.new_is_stateless = stateless
        self.sidebar.current_id = None
        self._greeting = None
        transcript = Transcript()
        self.pane.set_transcript(transcript)
        self.plan_panel.opened = False
        self.plan_panel.todos = ()
        if stateless:
            self.pane.add_notice(
                "New stateless conversation: each message is sent on its own, with no server "
                "thread and no history (kept locally)."
            )
        elif self.app.agent_ready:
            chat_greeting.show_greeting(self)
        self.composer.focus()
        self.show_status()

    def open_conversation(self, conversation_id: int) -> None:
        state = self.service.open(conversation_id)
        if state is None:
            tell(self, "That conversation no longer exists.", severity="warning")
            self.sidebar.reload()
            return
        self.current = state
        self.review_pending_for = None
        self.sidebar.current_id = conversation_id
        self.sidebar.mark_read(state.conversation)
        self.sidebar.highlight(conversation_id)
        self.app.inbox.changed()  # opened: it is read now
        self.pane.set_transcript(state.transcript)
        self.plan_panel.opened = False
        self.plan_panel.todos = state.plan
        self.show_status()

    def conversations_changed(self, keep: int | None = None) -> None:
        """The store's list of conversations changed (a sync, a rename): redraw the sidebar,
        the highlight on `keep` (a renamed row) when given."""
        self.sidebar.reload(keep=keep)

    def conversation_deleted(self, conversation_id: int) -> None:
        """Stop its run, delete it, and show a new conversation if it was the open one."""
        was_open = self.current is not None and self.current.id == conversation_id
        self.service.delete(conversation_id)
        if was_open:
            self.start_new(stateless=False)
        self.sidebar.reload()

    def refresh_from_server(self, state: ConversationState) -> None:
        self.service.refresh(state.id)

    # ----------------------------------------------------------------- sending
    @on(Composer.Submitted)
    def _submitted(self, event: Composer.Submitted) -> None:
        event.stop()
        if event.edit is not None:
            chat_branches.send_edit(self, event.edit, event.text)
        else:
            self.send(event.text)

    def send(self, text: str) -> None:
        if self._client_or_say() is None:
            return
        state = self.current
        if state is None:
            agent = self.app.agent
            assert agent is not None
            state = self.service.create(
                agent.id,
                stateless=self.new_is_stateless,
                transcript=chat_greeting.without_greeting(self),
            )
            self.current = state
            self.sidebar.current_id = state.id
            self.sidebar.reload(keep=state.id)
        self.service.send(state.id, text, chat_attach.take(self))
        self.pane.follow_latest()

    def client_or_say(self) -> FleetClient | None:
        return self._client_or_say()

    def action_attach_file(self) -> None:
        chat_attach.open_picker(self)

    @on(AttachmentChips.Changed)
    def _attachments_changed(self, event: AttachmentChips.Changed) -> None:
        event.stop()
        self.composer.can_send_empty = bool(event.chips.files)

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

    # ----------------------------------------------------------------- service events
    @on(ServiceMessage)
    def _service_event(self, message: ServiceMessage) -> None:
        message.stop()
        chat_events.follow(self, message.event)

    # ----------------------------------------------------------------- status
    def show_status(self) -> None:
        """The status line for the visible conversation (called on every service event)."""
        chat_status.show_status(self)

    # ----------------------------------------------------------------- events from widgets
    @on(ThreadSidebar.Opened)
    def _opened(self, event: ThreadSidebar.Opened) -> None:
        event.stop()
        self.open_conversation(event.conversation_id)
        chat_sidebar.back_to_composer(self)

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
        """Open the review of every approval the conversation waits on."""
        state = self.current
        if state is None:
            return
        if not state.can_answer:
            tell(self, STATELESS_NOTICE, severity="warning")
            return
        if not state.pending():
            tell(self, "Nothing is waiting for your approval here.", timeout=3)
            return
        if not isinstance(self.app.screen, ModalScreen):
            self.open_review(state)

    def review_when_pending(self, conversation_id: int) -> None:
        chat_inbox.review_when_pending(self, conversation_id)

    def open_review(
        self, state: ConversationState, item: InterruptItem | None = None, problem: str = ""
    ) -> None:
        """The review of what `state` waits on (`item`'s interrupt first), in one screen."""
        chat_review.open_review(self, state, item, problem)

    @on(MessagePane.BranchRequested)
    def _branch_requested(self, event: MessagePane.BranchRequested) -> None:
        event.stop()
        chat_branches.requested(self, event.kind, event.index, event.step)

    @on(MessagePane.RetryRequested)
    def _retry(self, event: MessagePane.RetryRequested) -> None:
        event.stop()
        state = self.current
        if state is None or state.running or self._client_or_say() is None:
            return
        index = (
            state.transcript.items.index(event.item)
            if event.item in state.transcript.items
            else None
        )
        self.service.retry(state.id, index)

    # ----------------------------------------------------------------- actions
    def action_new_conversation(self) -> None:
        self.start_new(stateless=False)

    def action_new_stateless(self) -> None:
        self.start_new(stateless=True)

    def action_retry(self) -> None:
        state = self.current
        if state is None or state.running or self._client_or_say() is None:
            return
        self.service.retry(state.id)

    async def action_cancel_run(self) -> None:
        state = self.current
        if state is None or state.runner is None:
            return
        problem = await self.service.cancel(state.id)
        if problem:
            self.pane.add_error("Cancel not confirmed", problem, retryable=False)
        else:
            tell(self, "Run cancelled; the partial reply is kept.", timeout=3)

    def action_toggle_sidebar(self) -> None:
        chat_sidebar.toggle(self)

    def action_focus_filter(self) -> None:
        chat_sidebar.focus_filter(self)

    def action_jump_list(self) -> None:
        chat_sidebar.jump(self)

    @on(FilterInput.Left)
    def _filter_left(self, event: FilterInput.Left) -> None:
        event.stop()
        chat_sidebar.back_to_composer(self)

    def on_resize(self) -> None:
        self.call_after_refresh(chat_sidebar.after_resize, self)

    def action_toggle_plan(self) -> None:
        panel = self.plan_panel
        if not panel.todos:
            tell(self, "The agent has made no plan in this conversation.", timeout=3)
            return
        panel.toggle()

    def action_files(self) -> None:
        """The agent's state files for the open conversation (kept up to date while open)."""
        from fleet_tui.tui.screens.files import FilesScreen

        state = self.current
        if not isinstance(self.app.screen, ModalScreen):
            files = state.files if state is not None else {}
            self.app.push_screen(FilesScreen(self.service, state.id if state else None, files))

    def action_focus_composer(self) -> None:
        self.composer.focus()

    def action_toggle_tools(self) -> None:
        self.pane.action_toggle_all_tools()

    def action_toggle_usage(self) -> None:
        self.pane.action_toggle_usage()

    @on(MessagePane.UsageToggled)
    def _usage_toggled(self, event: MessagePane.UsageToggled) -> None:
        event.stop()
        chat_status.usage_toggled(self, event.shown)

    def action_refresh(self) -> None:
        if self.current is not None and self.current.conversation.thread_id:
            self.service.refresh(self.current.id)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "review":
            # shown dimmed until the conversation waits on an approval
            state = self.current
            return True if state is not None and state.can_answer and state.pending() else None
        if action == "cancel_run":
            # escape belongs to dialogs and the filter box unless a run is going here
            return self.run_going
        return True
