"""Approvals on the transcript: which tool calls an interrupt gates, what the user decided for
each, and the one resume value that answers every pending interrupt. No Textual import.

A per-call interrupt names its tool call (`tool_call_id`). A batched one lists action
requests in the order of the AI message's tool calls: each is matched to a call still waiting
for its result, by name and arguments, else by name. An interrupt raised inside a sub-agent is
matched among that sub-agent's calls (the cards' nested transcripts).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fleet_tui.domain.interrupt_model import Interrupt
from fleet_tui.domain.interrupts import HitlReview, InboxReview, classify, dumps_json
from fleet_tui.domain.transcript import InterruptItem, ToolItem, Transcript

AWAITING = "awaiting"
# the older agent-inbox answers, named as the tool block says them
INBOX_AS_DECISION = {"accept": "approve", "edit": "edit", "response": "respond", "ignore": "reject"}


@dataclass(frozen=True, slots=True)
class ToolDecision:
    """The user's answer for one gated tool call."""

    tool_call_id: str
    interrupt_id: str | None
    type: str  # approve, edit, reject, respond
    detail: str = ""  # the new arguments (edit), the reason (reject), the response (respond)


def resume_value(pending: Sequence[Interrupt], answers: Mapping[str | None, Any]) -> Any:
    """`command.resume` for `answers` (interrupt id → answer): always a map keyed by id, so the
    server can never apply an answer to another interrupt than the one it was given for. Only
    an interrupt without id (an old server, then alone) is answered with the bare value."""
    if None in answers:
        if len(answers) != 1 or any(i.id for i in pending):
            raise ValueError("an answer without an interrupt id, while others are pending")
        return answers[None]
    return dict(answers)


# --- finding the gated calls --------------------------------------------------------------


def _transcripts(transcript: Transcript) -> Iterator[Transcript]:
    yield transcript
    for tool in transcript.tools:
        if tool.subagent is not None:
            yield from _transcripts(tool.subagent)


def _find_call(transcript: Transcript, call_id: str) -> tuple[Transcript, int] | None:
    for run in _transcripts(transcript):
        for index, item in enumerate(run.items):
            if isinstance(item, ToolItem) and item.call_id == call_id:
                return run, index
    return None


def gated_calls(
    transcript: Transcript, interrupt: Interrupt
) -> list[tuple[Transcript, int] | None]:
    """For each action the interrupt asks about, the tool block it gates (in the transcript
    holding it) or None when no block matches."""
    review = classify(interrupt.value, interrupt.response_schema)
    if isinstance(review, HitlReview):
        requests = [(a.name, a.args) for a in review.actions]
        if review.per_call and review.tool_call_id:
            return [_find_call(transcript, review.tool_call_id)]
    elif isinstance(review, InboxReview):
        requests = [(i.action, i.args) for i in review.items]
    else:
        return []
    runs = list(_transcripts(transcript))
    runs = runs[1:] if interrupt.namespace else runs[:1]
    waiting = [(run, index) for run in runs for index in _last_calls(run)]
    found: list[tuple[Transcript, int] | None] = []
    for name, args in requests:
        match = _first(waiting, name, args) or _first(waiting, name, None)
        if match is not None:
            waiting.remove(match)
        found.append(match)
    return found


def _waiting(item: object) -> bool:
    return isinstance(item, ToolItem) and item.result is None and item.state == "running"


def _last_calls(run: Transcript) -> list[int]:
    """The calls of the latest AI message still waiting for a result: the block of tool items
    around the last waiting one."""
    items = run.items
    last = next((i for i in range(len(items) - 1, -1, -1) if _waiting(items[i])), None)
    if last is None:
        return []
    first = last
    while first > 0 and isinstance(items[first - 1], ToolItem):
        first -= 1
    return [i for i in range(first, last + 1) if _waiting(items[i])]


def _first(
    waiting: list[tuple[Transcript, int]], name: str, args: dict[str, Any] | None
) -> tuple[Transcript, int] | None:
    for run, index in waiting:
        item = run.items[index]
        assert isinstance(item, ToolItem)
        if item.name == name and (args is None or item.args == args):
            return run, index
    return None


# --- the decisions in an answer ------------------------------------------------------------


def _detail(kind: str, decision: dict[str, Any]) -> str:
    if kind == "edit":
        action = decision.get("edited_action")
        if isinstance(action, dict):
            return dumps_json(action.get("args"), indent=None)
        args = decision.get("args")  # agent-inbox: {"action", "args"}
        inner = args.get("args") if isinstance(args, dict) else None
        return dumps_json(inner, indent=None) if inner is not None else ""
    message = decision.get("message", decision.get("args"))
    return message if isinstance(message, str) else ""


def answer_decisions(interrupt: Interrupt, answer: Any) -> list[tuple[str, str] | None]:
    """(decision type, detail) for each action of the interrupt, None where the answer does
    not say (a free answer to a question: no tool call to mark)."""
    review = classify(interrupt.value, interrupt.response_schema)
    if isinstance(review, HitlReview):
        raw = [answer] if review.per_call else (answer or {}).get("decisions")
    elif isinstance(review, InboxReview):
        raw = [answer] if review.single else answer
    else:
        return []
    out: list[tuple[str, str] | None] = []
    for decision in raw if isinstance(raw, list) else ():
        kind = decision.get("type") if isinstance(decision, dict) else None
        kind = INBOX_AS_DECISION.get(kind, kind) if isinstance(kind, str) else None
        out.append((kind, _detail(kind, decision)) if isinstance(decision, dict) and kind else None)
    return out


def decisions_for(transcript: Transcript, interrupt: Interrupt, answer: Any) -> list[ToolDecision]:
    """The decisions `answer` makes for the tool calls `interrupt` gates."""
    out = []
    calls = gated_calls(transcript, interrupt)
    for place, decided in zip(calls, answer_decisions(interrupt, answer), strict=False):
        if place is None or decided is None:
            continue
        run, index = place
        item = run.items[index]
        assert isinstance(item, ToolItem)
        out.append(ToolDecision(item.call_id, interrupt.id, decided[0], decided[1]))
    return out


def raised_by(transcript: Transcript, interrupt: Interrupt) -> str | None:
    """ "sub-agent researcher" when a sub-agent raised the interrupt (its card's agent)."""
    if not interrupt.namespace:
        return None
    for place in gated_calls(transcript, interrupt):
        card = _card_of(transcript, place[0]) if place is not None else None
        item = transcript.items[card] if card is not None else None
        if isinstance(item, ToolItem):
            agent = item.agent or item.args.get("subagent_type")
            return f"sub-agent {agent}" if isinstance(agent, str) and agent else "a sub-agent"
    return "a sub-agent"


# --- marking the tool blocks ------------------------------------------------------------


def _card_of(transcript: Transcript, run: Transcript) -> int | None:
    """The index of the root item that shows `run` (itself, or the card nesting it)."""
    for index, item in enumerate(transcript.items):
        nested = item.subagent if isinstance(item, ToolItem) else None
        if nested is not None and any(r is run for r in _transcripts(nested)):
            return index
    return None


def _set(transcript: Transcript, run: Transcript, index: int, kind: str, detail: str) -> bool:
    item = run.items[index]
    if not isinstance(item, ToolItem) or (item.decision, item.decision_detail) == (kind, detail):
        return False
    item.decision, item.decision_detail = kind, detail
    run.changed(index)
    if run is not transcript:
        card = _card_of(transcript, run)
        if card is not None:
            transcript.changed(card)
    return True


def mark_awaiting(transcript: Transcript, interrupt: Interrupt) -> None:
    """Tool blocks gated by a pending interrupt say they await approval."""
    for place in gated_calls(transcript, interrupt):
        if place is not None:
            run, index = place
            item = run.items[index]
            if isinstance(item, ToolItem) and item.decision in (None, AWAITING):
                _set(transcript, run, index, AWAITING, "")


def apply_decisions(transcript: Transcript, decisions: Iterable[ToolDecision]) -> None:
    """Show each decision on its tool block (wherever it is nested)."""
    for decision in decisions:
        place = _find_call(transcript, decision.tool_call_id)
        if place is not None:
            _set(transcript, place[0], place[1], decision.type, decision.detail)


# --- the answered interrupt ---------------------------------------------------------------


def decided(
    transcript: Transcript, decisions: Iterable[ToolDecision]
) -> tuple[tuple[str, str], ...]:
    """(decision type, tool name) for each decision: what an answered interrupt says."""
    out = []
    for decision in decisions:
        place = _find_call(transcript, decision.tool_call_id)
        item = place[0].items[place[1]] if place is not None else None
        out.append((decision.type, item.name if isinstance(item, ToolItem) else "tool"))
    return tuple(out)


def restore_answered(transcript: Transcript, decisions: Iterable[ToolDecision]) -> None:
    """A transcript rebuilt from the store: each answered interrupt again, with what was
    decided, after the block of calls it gated (a sub-agent's: after its card)."""
    by_interrupt: dict[str, list[ToolDecision]] = {}
    for decision in decisions:
        if decision.interrupt_id and decision.type != AWAITING:
            by_interrupt.setdefault(decision.interrupt_id, []).append(decision)
    shown = {i.id for i in transcript.items if isinstance(i, InterruptItem)}
    for interrupt_id, group in by_interrupt.items():
        if interrupt_id in shown:
            continue
        roots = []
        for decision in group:
            place = _find_call(transcript, decision.tool_call_id)
            if place is not None:
                run, index = place
                root = index if run is transcript else _card_of(transcript, run)
                if root is not None:
                    roots.append(root)
        if not roots:
            continue
        position = max(roots) + 1
        while position < len(transcript.items) and isinstance(transcript.items[position], ToolItem):
            position += 1
        item = InterruptItem(id=interrupt_id, resolved=True, decisions=decided(transcript, group))
        transcript.insert_answered(position, item)
