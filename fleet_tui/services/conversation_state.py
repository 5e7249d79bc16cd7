"""What the conversation service knows about one conversation. No Textual import."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from fleet_tui.domain.attachments import Attachment
from fleet_tui.domain.deep_state import StateFile, Todo
from fleet_tui.domain.events import (
    Event,
    InterruptRequest,
    Reconnecting,
    RunEnded,
    RunStarted,
    TextDelta,
    ToolCallStarted,
    ToolResult,
)
from fleet_tui.domain.interrupt_model import Interrupt
from fleet_tui.domain.transcript import InterruptItem, Transcript
from fleet_tui.services.deep_tracking import SubagentWork
from fleet_tui.services.service_events import Activity, activity_label
from fleet_tui.storage.store import Conversation

if TYPE_CHECKING:
    from fleet_tui.domain.approvals import ToolDecision
    from fleet_tui.services.runner import TurnRunner


class Cancellable(Protocol):
    """What `spawn` returns: an asyncio task, a Textual worker."""

    def cancel(self) -> object: ...


@dataclass
class QueuedMessage:
    text: str
    # already on screen and in the store (a message put back after a 409 "join")
    shown: bool = False
    attachments: tuple[Attachment, ...] = ()


@dataclass
class ConversationState:
    conversation: Conversation
    transcript: Transcript
    runner: TurnRunner | None = None
    handle: Cancellable | None = None
    activity: Activity = Activity.IDLE
    activity_detail: str = ""
    reconnecting: str = ""
    # when the run's stream last sent data, while it says it has been silent
    quiet_since: float | None = None
    last_text: str | None = None
    # the files sent with `last_text`: sent again with it (a retry, a 409 answered)
    last_attachments: tuple[Attachment, ...] = ()
    queued: list[QueuedMessage] = field(default_factory=list)
    # pending interrupts by id, each with the response schema the server sent with it
    interrupts: dict[str | None, InterruptRequest] = field(default_factory=dict)
    last_error: str | None = None
    # the last run ended in an error: answers it carried are not shown as answered
    last_run_failed: bool = False
    # answers sent in the run going on (interrupt id -> answer): not answered until it is known
    # that the server took them
    answering: dict[str | None, Any] = field(default_factory=dict)
    # what those answers decide for each gated tool call (found while the calls still wait)
    deciding: dict[str | None, list[ToolDecision]] = field(default_factory=dict)
    # what the server said when it refused the run of those answers
    answer_error: str | None = None
    # server ids of messages shown that the store may not hold (a thread read from the server)
    known_ids: set[str] = field(default_factory=set)
    # a deep agent's plan and state files, as last read from a run, the store or `/state`
    plan: tuple[Todo, ...] = ()
    files: dict[str, StateFile] = field(default_factory=dict)
    # the sub-agents of the run going on, and what each does (for the status line)
    subagents: SubagentWork = field(default_factory=SubagentWork)

    @property
    def id(self) -> int:
        return self.conversation.id

    @property
    def running(self) -> bool:
        return self.runner is not None

    @property
    def run_id(self) -> str | None:
        stream = self.runner.stream if self.runner else None
        return stream.run_id if stream else None

    @property
    def started_at(self) -> float | None:
        return self.runner.started_at if self.runner else None

    def elapsed(self) -> float:
        started = self.started_at
        return 0.0 if started is None else time.monotonic() - started

    def note_activity(self, event: Event) -> None:
        """What the run is doing, as far as this event of its stream tells."""
        if isinstance(event, RunStarted):
            self.activity, self.activity_detail = Activity.WAITING, ""
        elif isinstance(event, TextDelta):
            self.activity, self.activity_detail = Activity.WRITING, event.node or ""
            self.reconnecting = ""
        elif isinstance(event, ToolCallStarted):
            self.activity, self.activity_detail = Activity.TOOL, event.call.name
        elif isinstance(event, ToolResult):
            self.activity, self.activity_detail = Activity.THINKING, ""
        elif isinstance(event, Reconnecting):
            self.reconnecting = f"reconnecting ({event.attempt}/{event.limit})"
        elif isinstance(event, RunEnded):
            self.reconnecting = ""

    @property
    def activity_text(self) -> str:
        return activity_label(self.activity, self.activity_detail)

    def pending_items(self) -> list[InterruptItem]:
        """The approvals shown in the transcript that are not answered yet."""
        return [i for i in self.transcript.items if isinstance(i, InterruptItem) and not i.resolved]

    def pending(self) -> list[Interrupt]:
        """What the thread waits on, with schemas and namespaces, in the order it was raised."""
        return [request.interrupt for request in self.interrupts.values()]

    @property
    def can_answer(self) -> bool:
        """A stateless conversation has no thread on the server to resume."""
        return not self.conversation.stateless

    def schema_for(self, interrupt_id: str | None) -> object:
        request = self.interrupts.get(interrupt_id)
        return request.response_schema if request else None
