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
    own_description,
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


_Call = tuple[str, dict[str, Any], str | None, list[str]]


def _calls(review: HitlReview | InboxReview) -> list[_Call]:
    """(tool, arguments, description, allowed answers) of each call a review asks about."""
    if isinstance(review, HitlReview):
        return [
            (a.name, a.args, a.description, [str(d) for d in a.allowed]) for a in review.actions
        ]
    return [(i.action, i.args, i.description, [str(d) for d in i.allowed]) for i in review.items]


def _describe_one(number: int, interrupt: Interrupt, ties: SubagentTies) -> list[str]:
    review = classify(interrupt.value, interrupt.response_schema)
    agent = ties.agent_of(interrupt.namespace)
    where = f"     id: {interrupt.id or '(none)'}"
    if agent:
        where += f" · raised by sub-agent: {agent}"
    lead = f"  {number}. "
    if isinstance(review, HitlReview | InboxReview):
        calls = _calls(review)
        if len(calls) == 1:
            name, args, description, allowed = calls[0]
            head = f"{lead}{name}({compact_args(args)})"
            return [head, where, *_details("     ", name, description, allowed)]
        lines = [f"{lead}{len(calls)} tool calls, answered together", where]
        for index, (name, args, description, allowed) in enumerate(calls):
            lines.append(f"     {chr(ord('a') + index % 26)}) {name}({compact_args(args)})")
            lines += _details("        ", name, description, allowed)
        return lines
    value = dumps_json(fold_value(review.value, max_chars=200), indent=None)
    return [
        f"{lead}a question: {value}",
        where,
        "     answer with any JSON value (text as a JSON string)",
    ]


def _details(indent: str, tool: str, description: str | None, allowed: list[str]) -> list[str]:
    lines = []
    own = own_description(description, tool)
    if own:
        lines.append(f"{indent}{short_line(own, 120)}")
    lines.append(f"{indent}allowed: {', '.join(allowed)}")
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
