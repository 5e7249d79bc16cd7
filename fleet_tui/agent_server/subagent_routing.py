"""The sub-agent side of the normaliser: a run's `tools:<task id>` namespaces, each read by a
normaliser of its own, and tied to the `task` call that started it (see `SubagentBound`).

The server names a sub-agent's events by its graph task, not by the tool call, so the tie is
first guessed (the earliest `task` call of that sub-agent type not yet tied), moved when the
sub-agent names its type, and made sure when the call's result arrives: its metadata names the
task it ran in. `EventNormalizer` takes these methods from `SubagentRouting`. No Textual import.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from fleet_tui.domain.events import (
    Event,
    InterruptRequest,
    SubagentBound,
    SubagentEvent,
    ToolCall,
)

if TYPE_CHECKING:
    from fleet_tui.agent_server.normalizer import EventNormalizer


class SubagentRouting:
    thread_id: str | None
    interrupted: bool
    agent_name: str | None
    _children: dict[str, EventNormalizer]
    _task_calls: list[ToolCall]
    _call_of: dict[str, str]
    _exact: set[str]
    _unbound: list[str]
    _known: dict[str, str]
    _interrupts: set[str]
    _announced_calls: set[str]

    def _new_child(self) -> EventNormalizer:
        raise NotImplementedError

    def expect_subagents(self, calls: Iterable[tuple[str | None, ToolCall]]) -> None:
        """`task` calls of earlier runs still waiting for their result (a run resumed after an
        approval raised inside a sub-agent goes on in the same sub-agent), with the namespace
        segment each was tied to when known."""
        for segment, call in calls:
            if call.name != "task" or any(c.id == call.id for c in self._task_calls):
                continue
            self._task_calls.append(call)
            self._announced_calls.add(call.id)
            if segment:
                self._known[segment] = call.id

    def _subagent(self, mode: str, payload: Any, namespace: str, out: list[Event]) -> None:
        segment, _, rest = namespace.partition("|")
        child = self._children.get(segment)
        if child is None:
            child = self._children[segment] = self._new_child()
            known = next((c for c in self._task_calls if c.id == self._known.get(segment)), None)
            if known is not None:
                self._bind(segment, known, out)
            else:
                self._guess(segment, out)
        named = child.agent_name
        inner: list[Event] = []
        child._route(mode, payload, rest, inner)
        if child.agent_name != named and segment not in self._exact:
            self._check_name(segment, child.agent_name, out)
        self._lift(segment, inner, out)

    def _lift(self, segment: str, inner: list[Event], out: list[Event]) -> None:
        """A child's events as this run's: wrapped, with the child's segment in front."""
        for event in inner:
            if isinstance(event, InterruptRequest):
                # interrupts are the run's: the caller answers them with the thread's resume
                event.namespace = (segment, *event.namespace)
                interrupt = event.interrupt
                if interrupt.key not in self._interrupts:
                    self._interrupts.add(interrupt.key)
                    self.interrupted = True
                    out.append(event)
            elif isinstance(event, SubagentEvent):
                out.append(SubagentEvent(f"{segment}|{event.namespace}", event.event))
            elif isinstance(event, SubagentBound):
                event.namespace = f"{segment}|{event.namespace}"
                out.append(event)
            else:
                out.append(SubagentEvent(segment, event))

    def _free_calls(self) -> list[ToolCall]:
        taken = set(self._call_of.values())
        free = [call for call in self._task_calls if call.id not in taken]
        # calls an earlier run tied to a namespace are kept for it, unless nothing else is free
        reserved = set(self._known.values())
        return [call for call in free if call.id not in reserved] or free

    def _bind(self, segment: str, call: ToolCall, out: list[Event], exact: bool = False) -> None:
        self._call_of[segment] = call.id
        if exact:
            self._exact.add(segment)
        agent = call.args.get("subagent_type")
        out.append(
            SubagentBound(segment, call.id, agent if isinstance(agent, str) else None, exact)
        )

    def _guess(self, segment: str, out: list[Event]) -> None:
        """A new sub-agent: tied for now to the earliest `task` call not yet tied."""
        free = self._free_calls()
        if free:
            self._bind(segment, free[0], out)
        else:
            self._unbound.append(segment)

    def _check_name(self, segment: str, name: str | None, out: list[Event]) -> None:
        """The sub-agent named itself: move it to a free call of its own type if its guess
        was a call of another type."""
        call_id = self._call_of.get(segment)
        current = next((c for c in self._task_calls if c.id == call_id), None)
        if name is None or (current is not None and current.args.get("subagent_type") == name):
            return
        same_type = [c for c in self._free_calls() if c.args.get("subagent_type") == name]
        if same_type:
            self._bind(segment, same_type[0], out)

    def _confirm(self, segment: str, call_id: str, out: list[Event]) -> None:
        """The server named the task of a call's result: tie that task to that call for sure
        (and give the call it was guessed for to whichever run had been guessed for this one)."""
        call = next((c for c in self._task_calls if c.id == call_id), None)
        if call is None or segment in self._exact:
            return
        previous = self._call_of.get(segment)
        other = next((s for s, c in self._call_of.items() if c == call_id and s != segment), None)
        self._bind(segment, call, out, exact=True)
        if other is not None and other not in self._exact:
            if previous is not None:
                swapped = next(c for c in self._task_calls if c.id == previous)
                self._bind(other, swapped, out)
            else:
                del self._call_of[other]

    def _task_call_announced(self, call: ToolCall, out: list[Event]) -> None:
        if call.name != "task":
            return
        self._task_calls.append(call)
        if self._unbound:
            self._bind(self._unbound.pop(0), call, out)

    def _confirm_from(
        self, message: dict[str, Any], meta: dict[str, Any], out: list[Event]
    ) -> None:
        """A tool's result carries the namespace of the task that ran the tool."""
        call_id = message.get("tool_call_id")
        namespace = meta.get("langgraph_checkpoint_ns")
        if isinstance(call_id, str) and isinstance(namespace, str):
            segment = namespace.partition("|")[0]
            if segment in self._children:
                self._confirm(segment, call_id, out)
