"""What `ask` knows about a deep agent's run while it streams: which sub-agent each namespace
is, the `task` calls that started them, and the plan's progress line. No Textual import.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fleet_tui.domain.deep_state import Todo, plan_summary
from fleet_tui.domain.events import SubagentBound, ToolCall, message_role, tool_calls_of
from fleet_tui.domain.interrupts import dumps_json, fold_value

# the tool a deep agent hands work to a sub-agent with
TASK_TOOL = "task"
ARG_VALUE_CHARS = 80
ARGS_LINE_CHARS = 400
DESCRIPTION_CHARS = 80


def compact_args(args: dict[str, Any]) -> str:
    """Arguments as one line of JSON, long values shortened (for a terminal, not to send)."""
    text = dumps_json(fold_value(args, max_chars=ARG_VALUE_CHARS), indent=None)
    if len(text) > ARGS_LINE_CHARS:
        text = text[:ARGS_LINE_CHARS] + "…"
    return text


def short_line(text: str, limit: int = DESCRIPTION_CHARS) -> str:
    """The first line of `text`, at most `limit` characters."""
    line = text.strip().split("\n", 1)[0].strip()
    return line if len(line) <= limit else line[: limit - 1] + "…"


def plan_line(todos: tuple[Todo, ...]) -> str:
    """`Plan: 2/4 done · Task 3 of 4 · Write the report`; `Plan: 4/4 done` at the end."""
    if not todos:
        return "Plan: empty"
    done = sum(1 for todo in todos if todo.done)
    head = f"Plan: {done}/{len(todos)} done"
    if done == len(todos):
        return head
    return f"{head} · {short_line(plan_summary(todos), 120)}"


@dataclass(slots=True)
class SubagentRun:
    """A sub-agent run (a namespace) and the `task` call it is tied to."""

    namespace: str
    tool_call_id: str
    agent: str | None


class SubagentTies:
    """The `task` calls seen (at any depth) and which namespace runs which of them.

    A tie is first guessed by the normaliser, then may move (`SubagentBound` again for the same
    namespace): the latest one is kept.
    """

    def __init__(self) -> None:
        self.calls: dict[str, ToolCall] = {}
        self.runs: dict[str, SubagentRun] = {}

    def saw_call(self, call: ToolCall) -> None:
        if call.name == TASK_TOOL:
            self.calls[call.id] = call

    def saw_state(self, state: Any) -> None:
        """The `task` calls of a thread's `/state`: a resumed run ends sub-agents that an
        earlier run started."""
        values = state.get("values") if isinstance(state, dict) else None
        messages = values.get("messages") if isinstance(values, dict) else None
        for message in messages if isinstance(messages, list) else ():
            if isinstance(message, dict) and message_role(message) == "ai":
                for call in tool_calls_of(message):
                    self.saw_call(call)

    def bound(self, event: SubagentBound) -> bool:
        """Record a tie; True when the namespace was not known before (a sub-agent started)."""
        new = event.namespace not in self.runs
        self.runs[event.namespace] = SubagentRun(event.namespace, event.tool_call_id, event.agent)
        return new

    def run_of(self, namespace: str) -> SubagentRun | None:
        return self.runs.get(namespace)

    def agent_of(self, namespace: tuple[str, ...] | str) -> str | None:
        """The sub-agent an interrupt or event came from: the innermost one known."""
        if isinstance(namespace, tuple):
            namespace = "|".join(namespace)
        while namespace:
            run = self.runs.get(namespace)
            if run is not None:
                return run.agent or self.agent_of_call(run.tool_call_id) or "sub-agent"
            namespace = namespace.rpartition("|")[0]
        return None

    def agent_of_call(self, call_id: str) -> str | None:
        call = self.calls.get(call_id)
        agent = call.args.get("subagent_type") if call else None
        return agent if isinstance(agent, str) and agent else None

    def description_of_call(self, call_id: str) -> str:
        call = self.calls.get(call_id)
        description = call.args.get("description") if call else None
        if isinstance(description, str):
            return short_line(description)
        return "" if description is None else short_line(json.dumps(description, default=str))
