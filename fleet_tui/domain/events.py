"""The domain events of a run, and how to read the Agent Server's message dicts.

A run's stream becomes these values (`agent_server.normalizer` makes them); `fleet-tui ask`, the
store and the TUI all consume them. No Textual import, no I/O.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import Any, Literal

from fleet_tui.domain.attachments import is_attachment_block
from fleet_tui.domain.deep_state import StateFile, Todo
from fleet_tui.domain.interrupt_model import Interrupt
from fleet_tui.domain.usage import Usage

Role = Literal["human", "ai", "tool", "system"]
# how a run ended (not `RunStatus`: that is the status line's widget)
RunOutcome = Literal["success", "error", "interrupted", "cancelled"]


# Events are values: nothing changes one after it is made. They are not `frozen` dataclasses
# only because frozen ones take 3x as long to build (one per streamed token) and to define
# (at start-up).
@dataclass(slots=True)
class ToolCall:
    id: str
    name: str
    args: dict[str, Any]


@dataclass(slots=True)
class RunStarted:
    run_id: str
    thread_id: str | None = None
    kind: Literal["run_started"] = "run_started"


@dataclass(slots=True)
class TextDelta:
    message_id: str
    text: str
    node: str | None = None
    kind: Literal["text_delta"] = "text_delta"


@dataclass(slots=True)
class ReasoningDelta:
    message_id: str
    text: str
    kind: Literal["reasoning_delta"] = "reasoning_delta"


@dataclass(slots=True)
class MessageComplete:
    message_id: str
    role: Role
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None
    reasoning: str = ""
    # an AI message's cost, when its model reported it (see `usage`); set once per message
    usage: Usage | None = None
    kind: Literal["message_complete"] = "message_complete"


@dataclass(slots=True)
class ToolCallStarted:
    message_id: str
    call: ToolCall
    kind: Literal["tool_call"] = "tool_call"


@dataclass(slots=True)
class ToolResult:
    message_id: str
    tool_call_id: str | None
    name: str | None
    content: str
    status: Literal["success", "error"] = "success"
    kind: Literal["tool_result"] = "tool_result"


@dataclass(slots=True)
class InterruptRequest:
    """An `Interrupt` (see `interrupt_model`) reported by a run, or found pending on reopening."""

    id: str | None
    value: Any
    response_schema: Any = None
    namespace: tuple[str, ...] = ()
    kind: Literal["interrupt"] = "interrupt"

    @classmethod
    def of(cls, interrupt: Interrupt) -> InterruptRequest:
        return cls(interrupt.id, interrupt.value, interrupt.response_schema, interrupt.namespace)

    @property
    def interrupt(self) -> Interrupt:
        return Interrupt(self.id, self.value, self.response_schema, self.namespace)


@dataclass(slots=True)
class RunError:
    error: str
    message: str
    kind: Literal["run_error"] = "run_error"


@dataclass(slots=True)
class Reconnecting:
    """The stream broke; the client is rejoining the run (attempt n of at most `limit`)."""

    attempt: int
    limit: int
    kind: Literal["reconnecting"] = "reconnecting"


@dataclass(slots=True)
class StreamQuiet:
    """Nothing has arrived on the run's stream for `seconds`; it is still open and being read.

    Reported once the silence passes the client's `quiet_after`, then again every
    `quiet_after` while it lasts; `resumed` is set on the one reported when data comes again.
    """

    seconds: float
    resumed: bool = False
    kind: Literal["stream_quiet"] = "stream_quiet"


@dataclass(slots=True)
class RunEnded:
    run_id: str | None
    status: RunOutcome
    kind: Literal["run_ended"] = "run_ended"


@dataclass(slots=True)
class PlanUpdated:
    """The agent's plan was replaced (every `write_todos` call replaces it whole)."""

    todos: tuple[Todo, ...]
    kind: Literal["plan_updated"] = "plan_updated"


@dataclass(slots=True)
class FilesChanged:
    """Files of the agent's state changed: path → new file, or None when it was deleted."""

    files: dict[str, StateFile | None]
    kind: Literal["files_changed"] = "files_changed"


@dataclass(slots=True)
class SubagentEvent:
    """An event of a sub-agent's run (a `task` tool call run as a subgraph).

    `namespace` is the run's path of `tools:<task id>` segments, outermost first, joined with
    "|" (a sub-agent's own sub-agent has two). `event` is never itself a `SubagentEvent`.
    """

    namespace: str
    event: Event
    kind: Literal["subagent"] = "subagent"


@dataclass(slots=True)
class SubagentBound:
    """The sub-agent run `namespace` is the one the `task` call `tool_call_id` started.

    The server names a sub-agent's events by its graph task id, not by the tool call's id, so
    the tie is first guessed (the earliest `task` call of that sub-agent type not yet tied) and
    made sure when the call's result names its task (`exact`); a later binding of a namespace
    replaces an earlier one.
    """

    namespace: str
    tool_call_id: str
    agent: str | None = None
    exact: bool = False
    kind: Literal["subagent_bound"] = "subagent_bound"


Event = (
    RunStarted
    | TextDelta
    | ReasoningDelta
    | MessageComplete
    | ToolCallStarted
    | ToolResult
    | InterruptRequest
    | RunError
    | Reconnecting
    | StreamQuiet
    | RunEnded
    | PlanUpdated
    | FilesChanged
    | SubagentEvent
    | SubagentBound
)


@dataclass(slots=True)
class ServerWait:
    """The server asked (`Retry-After`) to wait `asked` seconds before `what` is tried again;
    the client waits `seconds` (capped), until `until` (a `time.time()` value).

    Not a run event: plain requests report it through the client's `on_wait` callback.
    """

    what: str
    asked: float
    seconds: float
    until: float
    kind: Literal["server_wait"] = "server_wait"

    def describe(self) -> str:
        """One line for a person, e.g. for a header or stderr."""
        at = time.strftime("%H:%M:%S", time.localtime(self.until))
        text = f"the server asked to wait {human_seconds(self.asked)}; retrying at {at}"
        if self.asked > self.seconds:
            text += f" (wait capped at {human_seconds(self.seconds)})"
        return text


def human_seconds(seconds: float) -> str:
    """`42 s`, `3 min 20 s`, `27 h 46 min`."""
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def event_to_dict(event: Event) -> dict[str, Any]:
    """A JSON-ready dict (used by `ask --json`)."""
    return asdict(event)  # a SubagentEvent nests its event's dict under "event"


_ROLE_BY_TYPE: dict[str, Role] = {
    "ai": "ai",
    "AIMessage": "ai",
    "AIMessageChunk": "ai",
    "assistant": "ai",
    "human": "human",
    "HumanMessage": "human",
    "HumanMessageChunk": "human",
    "user": "human",
    "tool": "tool",
    "ToolMessage": "tool",
    "ToolMessageChunk": "tool",
    "system": "system",
    "SystemMessage": "system",
}


def message_role(message: dict[str, Any]) -> Role | None:
    kind = message.get("type") or message.get("role")
    return _ROLE_BY_TYPE.get(kind) if isinstance(kind, str) else None


def split_content(content: Any) -> tuple[str, str]:
    """(text, reasoning) of a message `content`: a string or a list of content blocks."""
    if content is None:
        return "", ""
    if isinstance(content, str):
        return content, ""
    if isinstance(content, dict):
        content = [content]
    if not isinstance(content, list):
        return str(content), ""
    text: list[str] = []
    reasoning: list[str] = []
    for block in content:
        if isinstance(block, str):
            text.append(block)
        elif isinstance(block, dict):
            kind = block.get("type")
            if kind in ("reasoning", "thinking"):
                value = block.get("reasoning", block.get("thinking", block.get("text", "")))
                if isinstance(value, str):
                    reasoning.append(value)
                elif isinstance(value, list):
                    reasoning.extend(s.get("text", "") for s in value if isinstance(s, dict))
            elif (
                kind in (None, "text", "output_text")
                and isinstance(block.get("text"), str)
                # a text file attached to a human message is a file, not what was typed
                and not is_attachment_block(block)
            ):
                text.append(block["text"])
    return "".join(text), "".join(reasoning)


def parse_tool_args(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, str) and raw.strip():
        try:
            parsed = json.loads(raw)
        except ValueError:
            return {"__raw__": raw}
        return parsed if isinstance(parsed, dict) else {"__value__": parsed}
    return {}


def tool_calls_of(message: dict[str, Any]) -> tuple[ToolCall, ...]:
    calls = message.get("tool_calls")
    if not isinstance(calls, list):
        return ()
    out: list[ToolCall] = []
    for i, call in enumerate(calls):
        if not isinstance(call, dict):
            continue
        fn = call.get("function") if isinstance(call.get("function"), dict) else None
        name = call.get("name") or (fn or {}).get("name") or "tool"
        args = call.get("args", (fn or {}).get("arguments"))
        call_id = call.get("id") or f"{message.get('id', 'call')}-{i}"
        out.append(ToolCall(id=str(call_id), name=str(name), args=parse_tool_args(args)))
    return tuple(out)


def tool_result_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    text, _ = split_content(content)
    if text:
        return text
    try:
        return json.dumps(content, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(content)
