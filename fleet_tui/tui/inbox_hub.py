"""The app's side of the inbox: what changed (the badge's count, the inbox's version, both
reactives on the app), opening an entry in its agent, answering one from the list, and the
nudges.

Everything that changes the inbox calls `changed()`: a run of this app ending (the
conversation service's events), the background watch's looks, an answer, a conversation opened,
settings saved. Changes that come together are counted once, at the next idle moment; the app's
`waiting_count` and `inbox_version` then change, and whoever shows them (the header's badge, the
inbox screen) follows those reactives. Nothing polls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fleet_tui.common import gc_policy
from fleet_tui.domain.inbox import Nudge
from fleet_tui.tui.nudges import Nudger
from fleet_tui.tui.widgets.notices import tell

if TYPE_CHECKING:
    from fleet_tui.domain.inbox import InboxEntry, InboxKind
    from fleet_tui.services.service_events import RunFinished
    from fleet_tui.tui.app import FleetApp
    from fleet_tui.tui.inbox_watching import Watching

# what a run's end status means for the inbox (cancelled: the user stopped it, nothing to tell)
KIND_BY_STATUS: dict[str, InboxKind] = {
    "interrupted": "waiting",
    "error": "failed",
    "success": "finished",
}


class InboxHub:
    def __init__(self, app: FleetApp) -> None:
        self.app = app
        self.nudger = Nudger(
            app,
            terminal=app.settings.nudge_terminal,
            inbox_open=self.is_open,
        )
        self._pending = False
        # the entries last read, with the `inbox_version` they were read at
        self._cache: tuple[int, list[InboxEntry]] | None = None
        self.watching: Watching | None = None

    # ----------------------------------------------------------------- the screen
    def is_open(self) -> bool:
        from fleet_tui.tui.screens.inbox import InboxScreen

        return isinstance(self.app.screen, InboxScreen)

    def start(self) -> None:
        """After the first frame: the badge's first count, and the background watch."""
        from fleet_tui.tui.inbox_watching import Watching

        self.changed()
        if self.watching is None:
            self.watching = Watching(self.app)
            self.watching.start()

    async def stop(self) -> None:
        if self.watching is not None:
            await self.watching.stop()

    def show(self) -> None:
        """Open the inbox over the chat (or close it when it is open)."""
        from fleet_tui.tui.screens.chat import ChatScreen
        from fleet_tui.tui.screens.inbox import InboxScreen

        app = self.app
        if isinstance(app.screen, InboxScreen):
            app.screen.dismiss()
        elif isinstance(app.screen, ChatScreen):
            app.push_screen(InboxScreen())
        else:
            tell(app, "Close this screen first: the inbox opens from the chat (f4).", timeout=4)

    # ----------------------------------------------------------------- what changed
    def saved_agents(self) -> dict[int, str]:
        """Stored agent key → saved agent's name, for the saved agents."""
        from fleet_tui.services.inbox import saved_agents

        return saved_agents(self.app.store, self.app.settings.profiles.values())

    def entries(self) -> list[InboxEntry]:
        """The inbox now: read again after each change, off the event loop when it can be
        (reading 1,000 approvals takes 20-40 ms), so that opening the inbox costs nothing."""
        version = self.app.inbox_version
        if self._cache is not None and self._cache[0] == version:
            return self._cache[1]
        from fleet_tui.services.inbox import entries

        found = entries(self.app.store, self.app.settings.profiles.values())
        self._keep(version, found)
        return found

    def _prepare(self) -> None:
        """Read the entries of the current version in a thread, for the next opening."""
        from fleet_tui.services.inbox import entries

        app = self.app
        version = app.inbox_version
        profiles = list(app.settings.profiles.values())

        def read() -> None:
            found = entries(app.store, profiles)
            app.call_from_thread(self._prepared, version, found)

        app.run_worker(
            read,
            thread=True,
            group="inbox-entries",
            exclusive=True,
            description="read the inbox",
            exit_on_error=False,
        )

    def _prepared(self, version: int, found: list[InboxEntry]) -> None:
        if version == self.app.inbox_version:
            self._keep(version, found)

    def _keep(self, version: int, found: list[InboxEntry]) -> None:
        self._cache = (version, found)
        # thousands of objects that live until the next change, none in a cycle (they go by
        # their reference count then): out of the collector's reach, or its full passes walk
        # them again and again (35-110 ms each with 1,000 approvals)
        gc_policy.settle()

    def changed(self) -> None:
        """Something the inbox shows may have changed: count again once things settle."""
        if self._pending:
            return
        self._pending = True
        self.app.call_later(self._recount)

    def _recount(self) -> None:
        self._pending = False
        app = self.app
        app.waiting_count = app.store.count_waiting(self.saved_agents())
        app.inbox_version += 1
        if not self.is_open():  # an open inbox reads them itself
            self._prepare()

    def settings_changed(self) -> None:
        """Saved: a token fixed, an agent added or removed, the interval or nudges changed."""
        self.nudger.terminal = self.app.settings.nudge_terminal
        if self.watching is not None:
            self.watching.retry_now()
        self.changed()

    # ----------------------------------------------------------------- opening an entry
    def open_entry(self, entry: InboxEntry) -> None:
        """The entry's conversation in its agent, its review opening when it waits for an
        approval."""
        self.open_in_agent(entry.agent_pk, entry.agent, entry.conversation_id)
        if entry.kind == "waiting":
            self.app.chat.review_when_pending(entry.conversation_id)

    def open_in_agent(self, agent_pk: int, profile_name: str, conversation_id: int) -> None:
        """A conversation of any saved agent, switching agent when needed (the runs of the
        other agent go on: the pool keeps its client)."""
        app = self.app
        if app.agent is None or app.agent.id != agent_pk:
            if profile_name not in app.settings.profiles:
                tell(app, "That agent is no longer saved.", severity="warning")
                return
            app.switch_agent(profile_name)
        app.chat.open_conversation(conversation_id)

    def search_all(self) -> None:
        """The search across every saved agent's conversations (palette)."""
        from fleet_tui.tui.screens.chat import ChatScreen
        from fleet_tui.tui.screens.search_all import SearchAllScreen

        if isinstance(self.app.screen, ChatScreen):
            self.app.push_screen(SearchAllScreen())
        else:
            tell(self.app, "Close this screen first: the search opens from the chat.", timeout=4)

    # ----------------------------------------------------------------- answering from the list
    def answer(self, entry: InboxEntry, decision: str, reason: str = "") -> None:
        self.app.run_worker(
            self._answer(entry, decision, reason),
            group="inbox-answer",
            description="answer from the inbox",
            exit_on_error=False,
        )

    async def _answer(self, entry: InboxEntry, decision: str, reason: str) -> None:
        from fleet_tui.services.inbox import answer_waiting

        app = self.app
        problems = await answer_waiting(app.chat.service, entry, decision, reason)
        if problems:
            tell(app, "Not sent: " + "; ".join(problems), severity="warning", timeout=8)
        else:
            done = "Approved" if decision == "approve" else "Rejected"
            tell(app, f"{done}: {entry.agent} · {entry.title or 'New conversation'}", timeout=4)
        self.changed()

    # ----------------------------------------------------------------- nudges
    def run_finished(self, event: RunFinished, on_screen: int | None) -> None:
        """A run of this app ended: the inbox changed, and a conversation not on screen
        nudges."""
        self.changed()
        kind = KIND_BY_STATUS.get(event.status)
        if kind is None or event.busy or event.conversation_id == on_screen:
            return
        conversation = self.app.store.get_conversation(event.conversation_id)
        if conversation is None:
            return
        agent = self.saved_agents().get(conversation.agent_pk)
        if agent is None:
            return
        self.nudge(Nudge(kind, conversation.id, agent, conversation.title))

    def nudge(self, note: Nudge) -> None:
        self.nudger.nudge(note)
