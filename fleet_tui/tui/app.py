"""The Textual app: holds the settings, the store and the client; wires screens together.

Its toasts and crash handling are in app_safety.py (`SafeApp`), how it follows the agent's
connection in app_connection.py, its palette in commands.py.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import var
from textual.screen import ModalScreen, Screen

from fleet_tui.common import gc_policy
from fleet_tui.common.errors import FleetError
from fleet_tui.common.sanitize import for_row
from fleet_tui.domain.agent_names import agent_label
from fleet_tui.settings.config import (
    AgentProfile,
    Resolved,
    Settings,
    validate_profile,
)
from fleet_tui.storage.store import Agent, Store
from fleet_tui.tui.app_connection import (
    confirm_cleartext,
    request_outcome,
    server_wait,
    set_connection,
)
from fleet_tui.tui.app_safety import SafeApp
from fleet_tui.tui.app_settings import label_of_saved, save_app_settings
from fleet_tui.tui.commands import ConversationCommands, app_commands
from fleet_tui.tui.conversation_edits import ask_delete, ask_rename
from fleet_tui.tui.forget import AgentData
from fleet_tui.tui.inbox_hub import InboxHub
from fleet_tui.tui.screens import DIALOGS_CSS, INBOX_CSS
from fleet_tui.tui.screens.chat import ChatScreen
from fleet_tui.tui.widgets.notices import tell, toast_path
from fleet_tui.tui.widgets.status import ConnectionState, state_after_check

if TYPE_CHECKING:
    from fleet_tui.agent_server.client import FleetClient

__all__ = ["ConversationCommands", "FleetApp"]


class FleetApp(SafeApp):
    CSS_PATH = "fleet.tcss"
    TITLE = "fleet-tui"
    COMMANDS = App.COMMANDS | {ConversationCommands}
    BINDINGS = [
        Binding(
            "ctrl+q", "quit", "Quit", id="quit", priority=True, show=False, tooltip="Quit fleet-tui"
        ),
        Binding("f1", "help", "Help", id="help", tooltip="Every key binding"),
        Binding("ctrl+o", "settings", "Settings", id="settings", tooltip="Agent settings"),
    ]

    # kept by the inbox hub (inbox_hub.py): what the inbox screen and the header's badge follow
    inbox_version: var[int] = var(0)
    waiting_count: var[int] = var(0)
    unchecked: var[tuple[tuple[str, str], ...]] = var(())  # (saved agent, why), in words

    def __init__(
        self,
        *,
        store: Store,
        settings: Settings,
        profile: AgentProfile | None,
        resolved: Resolved | None = None,
        config_path: Path | None = None,
        demo: bool = False,
        startup_notes: Iterable[str] = (),
    ) -> None:
        super().__init__()
        self.store = store
        self.settings = settings
        self.resolved = resolved
        self.config_path = config_path
        self.demo = demo
        self.profile: AgentProfile | None = None
        self._client: FleetClient | None = None
        self._client_wanted = False
        self.agent: Agent | None = None
        self.agent_name = ""
        self.connection_state: ConnectionState = "unconfigured"
        self.connection_detail = ""
        self.assistant_id: str | None = None
        self._unconfirmed: AgentProfile | None = None
        self._startup_notes = list(startup_notes)
        if settings.theme in self.available_themes:
            self.theme = settings.theme
        elif settings.theme:
            # A stored value that is not (or no longer) a theme must not stop the app starting.
            self._startup_notes.append(
                f"The saved theme {for_row(settings.theme)!r} does not exist; using the default. "
                "Pick one with ctrl+p → Theme."
            )
        from fleet_tui.services.client_pool import ClientPool

        self.clients = ClientPool(store, lambda: self.settings.profiles.values())
        self.inbox = InboxHub(self)
        self._use_profile(profile)

    # ----------------------------------------------------------------- agent
    @property
    def agent_label(self) -> str:
        """The agent's name wherever the app shows it: the saved agent's name, with the
        server's name for the assistant beside it when that differs ("demo (fleet-demo)")."""
        return agent_label(self.profile.name if self.profile else "", self.agent_name)

    def label_of(self, profile_name: str) -> str:
        """`agent_label` for any saved agent: the server's name as last seen in the store."""
        return label_of_saved(self, profile_name)

    @property
    def agent_ready(self) -> bool:
        return self._client_wanted

    @property
    def client(self) -> FleetClient | None:
        """Made on first use: httpx and its TLS context are not needed for the first frame.

        A profile httpx refuses gets no client: the user is told what to fix, nothing crashes.
        """
        profile = self.profile
        if self._client is None and self._client_wanted and profile is not None:
            from fleet_tui.services.launch import client_for

            try:
                client = client_for(profile)
            except FleetError as exc:
                self._client_wanted = False
                self.connection_state = "settings need fixing"
                self.connection_detail = str(exc)
                if self.is_running:
                    self.chat.show_connection()
                    tell(self, str(exc), title="Cannot use the agent", severity="error", timeout=20)
            else:
                client.on_wait = lambda wait: server_wait(self, wait)
                client.on_outcome = lambda outcome, error: request_outcome(
                    self, client, outcome, error
                )
                self._client = client
        return self._client

    def client_for(self, agent_pk: int) -> FleetClient | None:
        """The client of any stored agent: the one on screen's, or one kept per saved agent
        (a run of another agent goes on, and its approvals can be answered from the inbox)."""
        if self.agent is not None and agent_pk == self.agent.id:
            return self.client if self.agent_ready else None
        return self.clients.get(agent_pk)

    def _use_profile(self, profile: AgentProfile | None) -> None:
        old, old_agent, old_profile = self._client, self.agent, self.profile
        self.profile = profile
        if old is not None and old_agent is not None and old_profile is not None:
            # the pool keeps it for the runs still going and for the inbox
            self.clients.adopt(old_agent.id, old_profile, old)
        self._client = None
        self._client_wanted = False
        self.agent = None
        self.agent_name = ""
        self.connection_state, self.connection_detail = "unconfigured", ""
        self._unconfirmed = None
        if profile is None or not profile.url or not profile.agent_id:
            return
        problems = (
            self.resolved.problems()
            if self.resolved is not None and profile is self.resolved.profile
            else validate_profile(profile)
        )
        errors = [p.message for p in problems if p.severity == "error"]
        if errors:
            # As `ask` does: nothing is sent with settings that are wrong. The header says so,
            # the settings screen opens (`_start_agent`), and a toast says what to fix.
            self.connection_state = "settings need fixing"
            self.connection_detail = errors[0]
            message = "The settings need fixing before anything is sent: " + "; ".join(errors)
            if self.is_running:
                tell(self, message, title="Settings", severity="error", timeout=20)
            else:
                self._startup_notes.append(message)
            return
        if any(p.severity == "confirm" for p in problems):
            # a token over plain http to another host: nothing is sent before the user agrees
            self._unconfirmed = profile
            self.connection_state = "needs your confirmation"
            return
        self._client_wanted = True
        self.agent = self.store.ensure_agent(profile.url, profile.agent_id)
        self.agent_name = self.agent.name
        self.connection_state = "checking"

    def get_default_screen(self) -> Screen[None]:
        return ChatScreen()

    @property
    def chat(self) -> ChatScreen:
        screen = self.screen_stack[0]
        assert isinstance(screen, ChatScreen)
        return screen

    def on_mount(self) -> None:
        self.call_after_refresh(self._after_first_frame)
        for note in self._startup_notes:
            tell(self, note, severity="warning", timeout=15)
        if self.store.recovered_from:
            tell(
                self,
                "The local store was damaged; a fresh one was started. The old one was moved to"
                + toast_path(self, self.store.recovered_from),
                severity="warning",
                timeout=30,
            )
        if self.store.problem:
            self._store_problem(self.store.problem)
        self.store.on_problem = self._store_problem_from_any_thread
        self._start_agent(open_settings=True)
        self.call_after_refresh(self.verify_store)
        self.set_timer(0.5, self._preload_dialog_styles)
        self.set_timer(2.0, self._find_keyring)  # after start-up's own work

    async def on_unmount(self) -> None:
        await self.inbox.stop()  # the background watch, and its lock

    def _after_first_frame(self) -> None:
        # `fleet-tui` starts with the collector off (cli.main); it runs from here on
        gc_policy.after_first_frame()
        self.inbox.start()

    def _preload_dialog_styles(self) -> None:
        """Parse the dialogs' stylesheet once the app is up (it is left out of the first
        frame), so the first dialog opens as fast as the next ones."""
        sheet = self.stylesheet
        for path in (DIALOGS_CSS, INBOX_CSS):
            if not sheet.has_source(str(path), ""):
                sheet.read(path)
                sheet.parse()

    @work(thread=True, group="verify-store", exit_on_error=False)
    def verify_store(self) -> None:
        """The full integrity check of the store, off the event loop."""
        problem = self.store.verify()
        if problem:
            self.call_from_thread(self._store_damaged, problem)

    def _store_damaged(self, problem: str) -> None:
        moved = self.store.recover()
        if self.profile is not None and self.agent is not None:
            self.agent = self.store.ensure_agent(self.profile.url, self.profile.agent_id)
        self.chat.agent_changed()
        if moved is None:
            self._store_problem(self.store.problem or problem)
            return
        tell(
            self,
            f"The local store failed its integrity check ({problem}). A fresh one was started; "
            "sync from the server (ctrl+p) brings threads back. The old one was moved to"
            + toast_path(self, moved),
            severity="error",
            timeout=30,
        )

    def _store_problem(self, problem: str) -> None:
        """Saving stopped (read-only file, full disk…): the app goes on, the user is told."""
        tell(self, problem[:1].upper() + problem[1:], severity="error", timeout=30)
        screen = self.screen_stack[0] if self.screen_stack else None
        if isinstance(screen, ChatScreen) and screen.is_mounted:
            screen.show_status()  # "not saved locally"

    def _store_problem_from_any_thread(self, problem: str) -> None:
        # the store reports from whichever thread wrote: a run's worker or a thread worker
        if self._thread_id == threading.get_ident():
            self._store_problem(problem)
        else:
            with suppress(RuntimeError):  # the app is closing: nobody left to tell
                self.call_from_thread(self._store_problem, problem)

    def _start_agent(self, *, open_settings: bool = False) -> None:
        """Check the agent, ask about a cleartext token first, or open the settings."""
        if self._unconfirmed is not None:
            confirm_cleartext(self, self._unconfirmed)
        elif self.agent_ready:
            self.call_after_refresh(self.check_agent)
        elif open_settings:
            self.action_settings()

    @work(exclusive=True, group="check-agent", exit_on_error=False)
    async def check_agent(self) -> None:
        client, agent = self.client, self.agent
        if client is None or agent is None:
            return
        try:
            info = await client.check_connection()
        except FleetError as exc:
            if client is not self.client:
                return
            set_connection(self, state_after_check(exc), str(exc))
            if self.connection_state != "authentication failed":  # that one has its own toast
                tell(self, str(exc), title="Cannot use the agent", severity="error", timeout=20)
            return
        if client is not self.client:
            return  # the user switched agents meanwhile
        self.agent_name = info.name
        self.store.rename_agent(agent.id, info.name)
        self.assistant_id = info.assistant_id
        set_connection(self, "connected")
        self.chat.agent_renamed()
        if self.store.count_conversations(agent.id) == 0:
            self.sync_from_server()  # first use of this agent: bring in its threads from the server

    @work(exclusive=True, group="sync-threads", exit_on_error=False)
    async def sync_from_server(self, *, asked: bool = False) -> None:
        """Add the agent's server threads (the web UI's, the SDK's) to the sidebar.

        The sync at an agent's first use says something only when it changed the list; one
        the user asked for always answers.
        """
        client, agent = self.client, self.agent
        if client is None or agent is None:
            return
        try:
            from fleet_tui.services.sync import sync_threads

            report = await sync_threads(
                client, self.store, agent, self.assistant_id or client.agent_id
            )
        except FleetError as exc:
            tell(self, f"Could not sync threads: {exc}", severity="error", timeout=10)
            return
        if client is not self.client:
            return
        self.chat.conversations_changed()
        if report.added or report.updated or asked:
            tell(self, report.summary(), timeout=4)

    def action_sync(self) -> None:
        if self.client is None:
            tell(self, "Set up the agent first (ctrl+o).", severity="warning")
            return
        self.sync_from_server(asked=True)

    def action_export(self) -> None:
        from fleet_tui.tui.screens.export import ExportScreen

        live = self.chat.current
        if live is None:
            tell(self, "Open a conversation to export it.", severity="warning")
            return
        conversation = self.store.get_conversation(live.conversation.id) or live.conversation
        messages = self.store.messages(conversation.id)
        url = self.profile.url if self.profile else ""

        def done(path: Path | None) -> None:
            if path is not None:
                tell(self, "Exported to" + toast_path(self, path), timeout=6)

        thread_state = self.store.thread_state(conversation.id)
        screen = ExportScreen(
            conversation, messages, self.agent_label, url, thread_state=thread_state
        )
        self.push_screen(screen, done)

    def action_snippets(self) -> None:
        from fleet_tui.tui.screens.snippets import SnippetsScreen

        if self.profile is None:
            tell(self, "Set up the agent first (ctrl+o).", severity="warning")
            return
        self.push_screen(SnippetsScreen(self.profile))

    # ----------------------------------------------------------------- actions
    def action_settings(self) -> None:
        from fleet_tui.tui.screens.settings import SettingsScreen

        env_sources = {}
        if self.resolved is not None:
            env_sources = {
                k: v
                for k, v in self.resolved.sources.items()
                if v in ("environment", ".env", "flag")
            }
        working = copy.deepcopy(self.settings)
        if self.resolved is not None and self.profile is self.resolved.profile:
            # show the values in use, env-provided ones included; the profile remembers which
            # came from outside the file, so saving never copies them into it
            working.replace_profile(self.resolved.profile, make_current=True)
        # a refused token is fixed in the token field: the screen opens there
        focus = "api_key" if self.connection_state == "authentication failed" else None
        self.push_screen(
            SettingsScreen(
                working,
                config_path=self.config_path,
                env_sources=env_sources,
                focus_field=focus,
                local_data=AgentData(self),
                labels={name: self.label_of(name) for name in working.profiles},
                demo=self.demo,
            ),
            self._settings_closed,
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        from fleet_tui.tui.screens.settings import SettingsScreen

        if action == "settings" and isinstance(self.screen, SettingsScreen | ModalScreen):
            return False
        return not (action == "help" and isinstance(self.screen, ModalScreen))

    def _settings_closed(self, result: Settings | None) -> None:
        if result is None:
            return
        self.settings = result
        self._use_profile(result.current_profile())
        self.chat.agent_changed()
        self._start_agent()
        self.inbox.settings_changed()

    def action_inbox(self) -> None:
        self.inbox.show()

    def action_search_all(self) -> None:
        self.inbox.search_all()

    def action_help(self) -> None:
        from fleet_tui.tui.screens.help import HelpScreen

        self.push_screen(HelpScreen())

    def open_conversation(self, conversation_id: int) -> None:
        self.chat.open_conversation(conversation_id)

    def switch_agent(self, name: str) -> None:
        try:
            profile = self.settings.switch(name)
        except ValueError:
            return
        self._save_settings("the chosen agent")  # a convenience: switching works regardless
        self._use_profile(profile)
        self.chat.agent_changed()
        self._start_agent()

    def rename_conversation(self, conversation_id: int) -> None:
        ask_rename(self, conversation_id)

    @work(group="server-edits", exit_on_error=False)
    async def rename_on_server(self, thread_id: str, title: str) -> None:
        if self.client is None:
            return
        try:
            await self.client.update_thread(thread_id, {"title": title})
        except FleetError as exc:
            tell(self, f"Renamed here, but not on the server: {exc}", severity="warning")

    def delete_conversation(self, conversation_id: int) -> None:
        ask_delete(self, conversation_id)

    @work(group="server-edits", exit_on_error=False)
    async def delete_on_server(self, thread_id: str) -> None:
        if self.client is None:
            return
        try:
            await self.client.delete_thread(thread_id)
        except FleetError as exc:
            tell(self, f"Deleted here, but not on the server: {exc}", severity="warning")
        else:
            tell(self, "Deleted on the server too.", timeout=3)

    def watch_theme(self, theme: str) -> None:
        if self.settings.theme != theme and self.is_running:
            self.settings.theme = theme
            self._save_settings("the theme")

    def _save_settings(self, what: str) -> None:
        save_app_settings(self, what)

    @work(thread=True, group="keyring-warmup", exit_on_error=False)
    def _find_keyring(self) -> None:
        """Finding the system keyring's backend takes ~0.25 s; done off the event loop once, so
        the first save (a theme change) does not pause the app."""
        from fleet_tui.settings import keyring_store

        keyring_store.backend()

    # ----------------------------------------------------------------- palette
    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield from app_commands(self)
