"""What the conversation service keeps of a deep agent (the `deepagents` harness) besides its
messages: the plan, the state files, and which sub-agent is doing what. No Textual import.

The plan and files come from a run's events, from the store when a conversation is opened,
and from `/state` when it is refreshed; each change is kept in `ConversationState`, saved to
the store and reported (`PlanChanged`, `FilesUpdated`). A plan is small and saved at once.
Files can be megabytes and a run may rewrite one many times: during a run they are saved once,
when it ends (a run cut short loses nothing: the next refresh reads them from `/state`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fleet_tui.domain.deep_state import merge_files
from fleet_tui.domain.events import (
    Event,
    FilesChanged,
    PlanUpdated,
    ReasoningDelta,
    RunStarted,
    SubagentBound,
    SubagentEvent,
    TextDelta,
    ToolCallStarted,
    ToolResult,
)
from fleet_tui.services.service_events import (
    Activity,
    FilesUpdated,
    PlanChanged,
    ServiceEvent,
    subagents_detail,
)

if TYPE_CHECKING:
    from fleet_tui.services.conversation_state import ConversationState
    from fleet_tui.services.sync import ThreadRefresh
    from fleet_tui.storage.store import Store

UNNAMED = "sub-agent"


@dataclass
class SubagentWork:
    """The sub-agents of the run going on, by namespace segment (`tools:<task id>`)."""

    calls: dict[str, str] = field(default_factory=dict)  # segment -> its `task` call id
    agents: dict[str, str] = field(default_factory=dict)  # segment -> sub-agent type
    doing: dict[str, str] = field(default_factory=dict)  # segment -> what it does now
    finished: set[str] = field(default_factory=set)  # `task` calls that have their result

    def working(self) -> list[tuple[str, str]]:
        """(agent, doing) of each sub-agent still at work, in the order they started."""
        return [
            (self.agents.get(segment, UNNAMED), doing)
            for segment, doing in self.doing.items()
            if self.calls.get(segment) not in self.finished
        ]


def _doing(event: Event) -> str | None:
    """What a sub-agent's event says it does (the innermost run's, for a nested one)."""
    while isinstance(event, SubagentEvent):
        event = event.event
    if isinstance(event, TextDelta):
        return "writing"
    if isinstance(event, ToolCallStarted):
        return f"calling {event.call.name}"
    if isinstance(event, ReasoningDelta | ToolResult):
        return "thinking"
    return None


class DeepTracking:
    def __init__(self, store: Store, emit: Callable[[ServiceEvent], None]) -> None:
        self.store = store
        self._emit = emit
        # conversations whose files changed during a run and are not saved yet
        self._unsaved_files: set[int] = set()

    # -- opening and refreshing ---------------------------------------------------------
    def restore(self, state: ConversationState, *, from_store: bool) -> None:
        """Report the conversation's plan and files; read them from the store first when the
        conversation was not in memory."""
        if from_store:
            stored = self.store.thread_state(state.id)
            state.plan = stored.todos or ()
            state.files = stored.files
        self._emit(PlanChanged(state.id, state.plan))
        self._emit(FilesUpdated(state.id, dict(state.files)))

    def refreshed(self, state: ConversationState, result: ThreadRefresh) -> None:
        """The plan and files `/state` holds (already stored by the refresh)."""
        if result.todos is not None and result.todos != state.plan:
            state.plan = result.todos
            self._emit(PlanChanged(state.id, state.plan))
        if result.files is not None and result.files != state.files:
            state.files = result.files
            self._unsaved_files.discard(state.id)
            self._emit(FilesUpdated(state.id, dict(state.files)))

    # -- a run's events -----------------------------------------------------------------
    def deliver(self, state: ConversationState, event: Event, *, running: bool) -> None:
        """One event (its activity already set for the agent itself): plan, files and the
        sub-agents' activity."""
        if isinstance(event, PlanUpdated):
            state.plan = event.todos
            self._save(lambda: self.store.save_plan(state.id, event.todos))
            self._emit(PlanChanged(state.id, event.todos))
        elif isinstance(event, FilesChanged):
            state.files = merge_files(state.files, event.files)
            if running:
                self._unsaved_files.add(state.id)
            else:
                self._save(lambda: self.store.save_files(state.id, state.files))
            self._emit(FilesUpdated(state.id, dict(state.files)))
        elif isinstance(event, RunStarted):
            state.subagents = SubagentWork()
        else:
            self._subagent_activity(state, event)

    def _subagent_activity(self, state: ConversationState, event: Event) -> None:
        work = state.subagents
        if isinstance(event, SubagentEvent):
            segment = event.namespace.partition("|")[0]
            doing = _doing(event.event)
            if doing is not None or segment not in work.doing:
                work.doing[segment] = doing or "starting"
        elif isinstance(event, SubagentBound):
            if "|" in event.namespace:
                return  # a nested sub-agent: its parent is the one the status line names
            work.calls[event.namespace] = event.tool_call_id
            if event.agent:
                work.agents[event.namespace] = event.agent
            work.doing.setdefault(event.namespace, "starting")
        elif isinstance(event, ToolResult) and event.tool_call_id:
            work.finished.add(event.tool_call_id)
        else:
            return
        working = work.working()
        if working and state.activity is not Activity.WRITING:
            state.activity, state.activity_detail = Activity.SUBAGENT, subagents_detail(working)
        elif not working and state.activity is Activity.SUBAGENT:
            state.activity, state.activity_detail = Activity.THINKING, ""

    def run_finished(self, state: ConversationState) -> None:
        """Save the files a run changed, once."""
        state.subagents = SubagentWork()
        if state.id in self._unsaved_files:
            self._unsaved_files.discard(state.id)
            self._save(lambda: self.store.save_files(state.id, state.files))

    def _save(self, action: Callable[[], None]) -> None:
        """A store write that must not stop the run (the store reports why it failed)."""
        try:
            action()
        except sqlite3.Error as exc:
            self.store.report(f"the agent's plan or files were not saved locally: {exc}")
