"""The JSON lines of `ask --json`: one object per run event. No Textual import.

Every line has `kind` and `namespace`: "" for the main agent, else the sub-agent run's path of
`tools:<task id>` segments joined with "|" (see `SubagentEvent`). A sub-agent's events are the
same objects as the main agent's, flattened (not nested), plus `agent` and `parent_tool_call_id`:
the sub-agent and the `task` call it is tied to, as known when the line was written (null before;
a `subagent_bound` line says when a tie is made or moved). A sub-agent's own `tool_call_id`
(on its tool results) stays what it is. The README's ask section documents
the shapes.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fleet_tui.cli.ask_progress import SubagentTies
from fleet_tui.domain.events import (
    Event,
    InterruptRequest,
    MessageComplete,
    SubagentBound,
    SubagentEvent,
)
from fleet_tui.domain.interrupt_model import Interrupt
from fleet_tui.domain.interrupts import HitlReview, InboxReview, classify
from fleet_tui.domain.usage import UsageTotals


def _ordered(kind: str, namespace: str, fields: dict[str, Any]) -> dict[str, Any]:
    fields.pop("kind", None)
    fields.pop("namespace", None)
    return {"kind": kind, "namespace": namespace, **fields}


def _fields(event: Event) -> dict[str, Any]:
    fields = asdict(event)
    if isinstance(event, MessageComplete):
        # only what the model reported (as the store and exports keep it), or null
        fields["usage"] = event.usage.to_dict() if event.usage is not None else None
    return fields


def usage_json(totals: UsageTotals) -> dict[str, Any]:
    """The line after a run's events: what its replies that reported usage cost, in all
    (sub-agents' included)."""
    return {"kind": "usage", "namespace": "", **totals.to_dict()}


def json_event(event: Event, ties: SubagentTies) -> dict[str, Any]:
    """One `ask --json` line for `event`, namespaced."""
    if isinstance(event, SubagentEvent):
        inner = event.event
        out = _ordered(inner.kind, event.namespace, _fields(inner))
        run = ties.run_of(event.namespace)
        out["agent"] = ties.agent_of(event.namespace) if run else None
        out["parent_tool_call_id"] = run.tool_call_id if run else None
        return out
    if isinstance(event, SubagentBound):
        return _ordered(event.kind, event.namespace, asdict(event))
    if isinstance(event, InterruptRequest):
        namespace = "|".join(event.namespace)
        out = _ordered(event.kind, namespace, asdict(event))
        out["agent"] = ties.agent_of(event.namespace)
        return out
    return _ordered(event.kind, "", _fields(event))


def pending_json(
    thread_id: str | None, pending: list[Interrupt], ties: SubagentTies
) -> dict[str, Any]:
    """The last line of a run that stopped for a human: what is pending, and what each allows."""
    return {
        "kind": "pending_interrupts",
        "namespace": "",
        "thread_id": thread_id,
        "interrupts": [_interrupt_json(interrupt, ties) for interrupt in pending],
    }


def _interrupt_json(interrupt: Interrupt, ties: SubagentTies) -> dict[str, Any]:
    review = classify(interrupt.value, interrupt.response_schema)
    actions: list[dict[str, Any]] = []
    if isinstance(review, HitlReview):
        actions = [
            {"name": a.name, "args": a.args, "allowed": list(a.allowed)} for a in review.actions
        ]
    elif isinstance(review, InboxReview):
        actions = [{"name": i.action, "args": i.args, "allowed": i.allowed} for i in review.items]
    return {
        "id": interrupt.id,
        "namespace": "|".join(interrupt.namespace),
        "agent": ties.agent_of(interrupt.namespace),
        "actions": actions,
        "value": interrupt.value,
    }
