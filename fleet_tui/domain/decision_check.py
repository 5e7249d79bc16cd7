"""Checks an answer to an approval before it is sent.

With several interrupts pending, a resume the server rejects may already have run the tools of
the answers it accepted: answering them again would run them twice. So every answer is checked
here against what its interrupt allows (`review_configs[].allowed_decisions`, or the per-call
`response_schema`) and nothing is sent unless every one passes. No Textual import.
"""

from __future__ import annotations

from typing import Any

from fleet_tui.domain.interrupt_model import Interrupt
from fleet_tui.domain.interrupts import HitlReview, classify


def allowed_decisions(interrupt: Interrupt) -> list[list[str]] | None:
    """The decisions each action of a HITL interrupt allows, in order; None for another kind
    of interrupt (answered with free text or JSON, nothing to check)."""
    review = classify(interrupt.value, interrupt.response_schema)
    if not isinstance(review, HitlReview):
        return None
    return [list(action.allowed) for action in review.actions]


def check_decision(decision: Any, allowed: list[str], tool: str = "") -> str | None:
    """What is wrong with one decision (`{"type": …}`), or None when it may be sent."""
    if not isinstance(decision, dict) or not isinstance(decision.get("type"), str):
        return 'a decision is an object with a "type", e.g. {"type": "approve"}'
    kind = decision["type"]
    subject = f"{tool}: " if tool else ""
    if kind not in allowed:
        return f"{subject}{kind!r} is not allowed here; allowed: {', '.join(allowed)}"
    if kind == "edit":
        action = decision.get("edited_action")
        if not isinstance(action, dict) or not isinstance(action.get("args"), dict):
            return f'{subject}an edit needs "edited_action": {{"name": …, "args": {{…}}}}'
        if tool and action.get("name") not in (None, tool):
            return f"{subject}an edit cannot change the tool (it names {action.get('name')!r})"
    if kind == "respond" and not isinstance(decision.get("message"), str):
        return f'{subject}a response needs a "message" (the text the agent gets as the result)'
    if kind == "reject" and not isinstance(decision.get("message", ""), str):
        return f'{subject}a rejection\'s "message" is text'
    return None


def check_answer(interrupt: Interrupt, answer: Any) -> str | None:
    """What is wrong with `answer` as the resume value of `interrupt`, or None."""
    review = classify(interrupt.value, interrupt.response_schema)
    if not isinstance(review, HitlReview):
        return None
    if review.per_call:
        action = review.actions[0]
        return check_decision(answer, list(action.allowed), action.name)
    decisions = answer.get("decisions") if isinstance(answer, dict) else None
    if not isinstance(decisions, list):
        return 'this approval is answered with {"decisions": [one per action]}'
    if len(decisions) != len(review.actions):
        return (
            f"this approval has {len(review.actions)} action(s) and got "
            f"{len(decisions)} decision(s)"
        )
    for action, decision in zip(review.actions, decisions, strict=True):
        problem = check_decision(decision, list(action.allowed), action.name)
        if problem:
            return problem
    return None


def check_answers(pending: list[Interrupt], answers: dict[str, Any]) -> list[str]:
    """Every problem with a resume map `{interrupt id: answer}` against what is pending."""
    by_id = {i.id: i for i in pending if i.id}
    problems = []
    for interrupt_id, answer in answers.items():
        interrupt = by_id.get(interrupt_id)
        if interrupt is None:
            problems.append(f"no approval with id {interrupt_id} is pending")
            continue
        problem = check_answer(interrupt, answer)
        if problem:
            problems.append(f"{interrupt_id}: {problem}")
    return problems
