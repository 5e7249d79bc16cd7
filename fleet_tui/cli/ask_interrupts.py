"""What `ask` prints when a run stops for a human: each pending interrupt (id, tool, arguments,
allowed decisions, the sub-agent that raised it) and commands that answer it. No Textual import.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

from fleet_tui.cli.ask_progress import SubagentTies, compact_args, short_line
from fleet_tui.domain.interrupt_model import Interrupt
from fleet_tui.domain.interrupts import (
    HitlAction,
    HitlReview,
    InboxReview,
    classify,
    dumps_json,
    fold_value,
)

ASK = "fleet-tui ask"


def example_decision(action: HitlAction) -> dict[str, Any]:
    """A decision `action` allows, as simple as can be: approve, else reject, else respond."""
    if "approve" in action.allowed:
        return {"type": "approve"}
    if "reject" in action.allowed:
        return {"type": "reject", "message": "REASON"}
    if "respond" in action.allowed:
        return {"type": "respond", "message": "YOUR ANSWER"}
    return {"type": "edit", "edited_action": {"name": action.name, "args": action.args}}


def example_answer(interrupt: Interrupt) -> Any:
    """An answer that `interrupt` accepts (what `--resume` takes for it, under its id)."""
    review = classify(interrupt.value, interrupt.response_schema)
    if isinstance(review, HitlReview):
        decisions = [example_decision(action) for action in review.actions]
        # a lone decision is enough: `ask` wraps it for a one-action batched approval
        return decisions[0] if len(decisions) == 1 else {"decisions": decisions}
    if isinstance(review, InboxReview):
        response = {"type": review.items[0].allowed[0], "args": None}
        return response if review.single else [response] * len(review.items)
    return "YOUR ANSWER"


def _command(thread_id: str, *flags: str) -> str:
    return " ".join([ASK, "--thread", shlex.quote(thread_id), *flags])


def _resume_flag(answers: dict[str, Any]) -> str:
    return "--resume " + shlex.quote(json.dumps(answers, ensure_ascii=False))


def describe_pending(
    pending: list[Interrupt], thread_id: str | None, ties: SubagentTies
) -> list[str]:
    """Lines for stderr; a `thread_id` of None is a stateless run, which cannot be resumed."""
    count = len(pending)
    lines = [f"The agent is waiting for a human decision ({count} pending):"]
    for number, interrupt in enumerate(pending, 1):
        lines += _describe_one(number, interrupt, ties)
        if thread_id and interrupt.id:
            answer = {interrupt.id: example_answer(interrupt)}
            lines.append(f"     answer: {_command(thread_id, _resume_flag(answer))}")
    if not thread_id:
        lines.append("(this was a stateless run: use --thread to be able to resume)")
        return lines
    lines.append(f"thread: {thread_id}")
    together = _all_at_once(pending, thread_id)
    if together:
        lines.append("answer all at once:" if count > 1 else "or:")
        lines += [f"  {command}" for command in together]
    return lines


def _describe_one(number: int, interrupt: Interrupt, ties: SubagentTies) -> list[str]:
    review = classify(interrupt.value, interrupt.response_schema)
    agent = ties.agent_of(interrupt.namespace)
    origin = f"  (raised by sub-agent {agent})" if agent else ""
    head = f"  {number}. id {interrupt.id or '(none)'}{origin}"
    lines: list[str] = []
    if isinstance(review, HitlReview):
        several = len(review.actions) > 1
        if several:
            lines.append(f"{head}: {len(review.actions)} tool calls, answered together")
        for index, action in enumerate(review.actions):
            label = f"     {chr(ord('a') + index % 26)}) " if several else f"{head}: "
            lines.append(f"{label}{action.name}({compact_args(action.args)})")
            if action.description:
                lines.append(f"        {short_line(action.description, 120)}")
            lines.append(f"        allowed: {', '.join(action.allowed)}")
    elif isinstance(review, InboxReview):
        for item in review.items:
            lines.append(f"{head}: {item.action}({compact_args(item.args)})")
            if item.description:
                lines.append(f"        {short_line(item.description, 120)}")
            lines.append(f"        allowed: {', '.join(item.allowed)}")
    else:
        value = dumps_json(fold_value(review.value, max_chars=200), indent=None)
        lines.append(f"{head}: asks {value}")
        lines.append("        answer with any JSON value (text as a JSON string)")
    return lines


def _all_at_once(pending: list[Interrupt], thread_id: str) -> list[str]:
    """--approve / --reject when every pending interrupt allows it, and a --resume map."""
    reviews = [classify(i.value, i.response_schema) for i in pending]
    actions = [a for r in reviews if isinstance(r, HitlReview) for a in r.actions]
    only_approvals = all(isinstance(r, HitlReview) for r in reviews)
    commands = []
    if only_approvals and all("approve" in a.allowed for a in actions):
        commands.append(_command(thread_id, "--approve"))
    if only_approvals and all("reject" in a.allowed for a in actions):
        commands.append(_command(thread_id, "--reject", "'REASON'"))
    keyed = [i for i in pending if i.id]
    if len(keyed) > 1:
        answers = {i.id: example_answer(i) for i in keyed if i.id}
        commands.append(_command(thread_id, _resume_flag(answers)))
    return commands
