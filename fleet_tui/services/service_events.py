"""What the conversation service reports: typed events, and the activity of a running turn.

The TUI turns these into Textual messages; `ask` prints them. No Textual import.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fleet_tui.domain.deep_state import StateFile, Todo
from fleet_tui.domain.events import Event, InterruptRequest

if TYPE_CHECKING:
    from fleet_tui.common.errors import FleetError
    from fleet_tui.domain.transcript import Transcript
    from fleet_tui.storage.store import Conversation


class Activity(enum.Enum):
    """What a conversation's run is doing, as far as its stream tells."""

    IDLE = "idle"
    STARTING = "starting"
    WAITING = "waiting for the agent"
    WRITING = "writing"
    TOOL = "tool"
    THINKING = "thinking"
    SUBAGENT = "sub-agent"
    CANCELLING = "cancelling"


def activity_label(activity: Activity, detail: str = "") -> str:
    """The words the status line shows for an activity."""
    if activity is Activity.IDLE:
        return ""
    if activity is Activity.WRITING and detail:
        return f"node {detail}"
    if activity is Activity.TOOL:
        return f"tool {detail}"
    if activity is Activity.SUBAGENT and detail:
        return detail
    return activity.value


def subagents_detail(working: Sequence[tuple[str, str]]) -> str:
    """What the sub-agents at work do, as (agent, doing) pairs: "researcher: calling ls" for
    one, "3 sub-agents: researcher ×2, critic" for several."""
    if not working:
        return ""
    if len(working) == 1:
        agent, doing = working[0]
        return f"{agent}: {doing}" if doing else agent
    counts = Counter(agent for agent, _ in working)
    names = ", ".join(f"{agent} ×{n}" if n > 1 else agent for agent, n in counts.items())
    return f"{len(working)} sub-agents: {names}"


class BusyChoice(enum.Enum):
    """What to do with a message the server refused because another run holds the thread."""

    ENQUEUE = "enqueue"  # the server runs it after the other run
    INTERRUPT = "interrupt"  # the other run is stopped
    JOIN = "join"  # follow the other run here, then send


@dataclass(frozen=True, slots=True)
class RunEventFor:
    """One event of a conversation's run stream (already applied to its transcript)."""

    conversation_id: int
    event: Event


@dataclass(frozen=True, slots=True)
class RunBegan:
    conversation_id: int
    started_at: float  # time.monotonic()


@dataclass(frozen=True, slots=True)
class ActivityChanged:
    conversation_id: int
    activity: Activity
    detail: str = ""
    reconnecting: str = ""
    # monotonic time the stream last sent data, while it says it has been silent
    quiet_since: float | None = None

    @property
    def label(self) -> str:
        return activity_label(self.activity, self.detail)


@dataclass(frozen=True, slots=True)
class RunFinished:
    """A turn ended. `busy`: the server refused it (409), see `ThreadBusy`. `failure`: the
    request failed (no stream, or a broken one) — its `exit_code` is what `ask` exits with."""

    conversation_id: int
    status: str
    busy: bool = False
    failure: FleetError | None = None


@dataclass(frozen=True, slots=True)
class ConversationChanged:
    """The stored record changed (status, thread id, title, updated time)."""

    conversation: Conversation


@dataclass(frozen=True, slots=True)
class InterruptsPending:
    """The interrupts the conversation waits on, each with its id and response schema."""

    conversation_id: int
    interrupts: tuple[InterruptRequest, ...]


@dataclass(frozen=True, slots=True)
class ThreadBusy:
    """The server answered 409 to `text`: ask the user, then call `answer_busy`."""

    conversation_id: int
    text: str


@dataclass(frozen=True, slots=True)
class TranscriptReplaced:
    """The conversation's transcript was rebuilt from the store (a refresh changed history)."""

    conversation_id: int
    transcript: Transcript


@dataclass(frozen=True, slots=True)
class Problem:
    """Something to show in the conversation that is not part of a run's stream."""

    conversation_id: int
    title: str
    message: str
    retryable: bool = False


@dataclass(frozen=True, slots=True)
class Queued:
    conversation_id: int
    text: str


@dataclass(frozen=True, slots=True)
class PlanChanged:
    """The agent's plan for the conversation (from a run, the store or `/state`)."""

    conversation_id: int
    todos: tuple[Todo, ...]


@dataclass(frozen=True, slots=True)
class FilesUpdated:
    """The agent's state files for the conversation, all of them, by path."""

    conversation_id: int
    files: dict[str, StateFile]


ServiceEvent = (
    RunEventFor
    | RunBegan
    | ActivityChanged
    | RunFinished
    | ConversationChanged
    | InterruptsPending
    | ThreadBusy
    | TranscriptReplaced
    | Problem
    | Queued
    | PlanChanged
    | FilesUpdated
)


def event_summary(event: ServiceEvent) -> tuple[Any, ...]:
    """The shape of an event without ids and times: what two consumers of the same stream
    must agree on."""
    if isinstance(event, RunEventFor):
        inner = event.event
        text = getattr(inner, "text", None) or getattr(inner, "content", None)
        return ("run", inner.kind, text if isinstance(text, str) else None)
    if isinstance(event, ActivityChanged):
        return ("activity", event.activity, event.detail, event.reconnecting)
    if isinstance(event, RunFinished):
        return ("finished", event.status, event.busy, type(event.failure).__name__)
    if isinstance(event, ConversationChanged):
        return ("conversation", event.conversation.status)
    if isinstance(event, InterruptsPending):
        return ("interrupts", len(event.interrupts))
    return (type(event).__name__,)
