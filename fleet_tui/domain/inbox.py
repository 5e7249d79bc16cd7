"""The inbox's values: what a conversation needs from its user, across every saved agent.

An entry is one of three kinds:
- `waiting`: the thread waits for a human (status interrupted with a pending interrupt); it
  leaves when answered, here or elsewhere;
- `failed`: its last run ended with an error after the user last looked at it;
- `finished`: a run finished after the user last looked at it (unread).
Failed and finished entries leave when the conversation is opened. No Textual import.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from fleet_tui.domain.interrupt_model import Interrupt

InboxKind = Literal["waiting", "failed", "finished"]

# the decisions a single action must allow to be answered from the list without a review
QUICK_DECISIONS = ("approve", "reject")


@dataclass(frozen=True, slots=True)
class WaitingAction:
    """One tool call (or other request) a pending interrupt waits on."""

    interrupt_id: str | None
    tool: str
    # the arguments on one line, already cleaned ("to='alice@…', subject='Report'")
    summary: str
    # the decisions its interrupt allows ("approve", "edit", "reject", "respond"; or the
    # agent-inbox shape's "accept", "edit", "response", "ignore"); () for a free answer
    allowed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class InboxEntry:
    kind: InboxKind
    agent_pk: int
    # the saved agent's name as the app shows it ("" when no saved agent matches)
    agent: str
    conversation_id: int
    thread_id: str | None
    title: str
    # this machine's clock: when the thread last changed (for the age and the order)
    changed_at: float
    actions: tuple[WaitingAction, ...] = ()
    # the interrupts it waits on, as stored (answering from the list needs their ids)
    interrupts: tuple[Interrupt, ...] = ()
    failure: str = ""

    @property
    def quick_action(self) -> WaitingAction | None:
        """The one action that approve/reject from the list answers: exactly one interrupt
        pending, asking about exactly one call, and allowing both approve and reject."""
        if self.kind != "waiting" or len(self.interrupts) != 1 or len(self.actions) != 1:
            return None
        action = self.actions[0]
        return action if all(d in action.allowed for d in QUICK_DECISIONS) else None

    @property
    def what(self) -> str:
        """One line: what it waits for, how it failed, or that it finished."""
        if self.kind == "waiting":
            if not self.actions:
                return "waiting for your answer"
            first = self.actions[0]
            call = f"{first.tool}({first.summary})" if first.tool else first.summary
            more = len(self.actions) - 1
            return call if not more else f"{call} +{more} more"
        if self.kind == "failed":
            return f"failed: {self.failure}" if self.failure else "the run failed"
        return "finished"


@dataclass(frozen=True, slots=True)
class Nudge:
    """A conversation not on screen started waiting, finished or failed."""

    kind: InboxKind
    conversation_id: int
    agent: str
    title: str  # untrusted text: for_row()/tell() before showing


def waiting_actions(interrupts: Iterable[Interrupt]) -> tuple[WaitingAction, ...]:
    """What each pending interrupt asks about, one action per tool call it gates."""
    from fleet_tui.common.sanitize import for_row
    from fleet_tui.domain.interrupts import (
        HitlReview,
        InboxReview,
        args_preview,
        classify,
        summary,
    )

    out: list[WaitingAction] = []
    for interrupt in interrupts:
        review = classify(interrupt.value, interrupt.response_schema)
        if isinstance(review, HitlReview):
            out.extend(
                WaitingAction(
                    interrupt.id,
                    for_row(a.name),
                    args_preview(a.args),
                    tuple(a.allowed),
                )
                for a in review.actions
            )
        elif isinstance(review, InboxReview):
            out.extend(
                WaitingAction(
                    interrupt.id, for_row(i.action), args_preview(i.args), tuple(i.allowed)
                )
                for i in review.items
            )
        else:
            out.append(
                WaitingAction(interrupt.id, "", summary(interrupt.value, interrupt.response_schema))
            )
    return tuple(out)


def newest_first(entries: Sequence[InboxEntry]) -> list[InboxEntry]:
    return sorted(entries, key=lambda e: (e.changed_at, e.conversation_id), reverse=True)


def age_words(seconds: float) -> str:
    """How long ago, in the fewest characters that still read: "now", "5 min", "3 h", "2 d"."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} d"


def quick_answer(interrupt: Interrupt, decision: str, reason: str = "") -> object | None:
    """The resume value that approves (or rejects, with `reason`) every call `interrupt`
    gates; None when it is not an approval that allows that decision."""
    from fleet_tui.domain.interrupts import HitlDecision, HitlReview, classify, hitl_resume

    review = classify(interrupt.value, interrupt.response_schema)
    if not isinstance(review, HitlReview) or decision not in QUICK_DECISIONS:
        return None
    if any(decision not in action.allowed for action in review.actions):
        return None
    made = HitlDecision.approve() if decision == "approve" else HitlDecision.reject(reason)
    return hitl_resume([made] * len(review.actions), per_call=review.per_call)
