"""The resume value `ask --resume / --approve / --reject` sends, checked before anything is.

Every answer is keyed by its interrupt's id. With several interrupts pending, a resume the
server rejects may already have run the tools of the answers it accepted, so each answer is
checked against what its interrupt allows (`decision_check`) and nothing is sent unless every
one passes. No Textual import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from fleet_tui.common.exit_codes import ExitCode
from fleet_tui.domain.decision_check import check_answers
from fleet_tui.domain.interrupt_model import Interrupt
from fleet_tui.domain.interrupts import (
    HitlDecision,
    HitlReview,
    InboxResponse,
    InboxReview,
    classify,
    hitl_resume,
    inbox_resume,
    summary,
)

# what the Agent Server's interrupt ids look like (a hash in hex)
_ID_SHAPE = re.compile(r"[0-9a-f]{32}")


class Refused(Exception):
    """The command stops before sending anything; `str()` says why and what to do."""

    def __init__(self, exit_code: int, message: str):
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True, slots=True)
class AnswerRequest:
    """What the user asked for on the command line."""

    how: Literal["resume", "approve", "reject"]
    value: Any = None  # the parsed --resume JSON
    reason: str = ""  # --reject's reason


def resume_value(request: AnswerRequest, pending: list[Interrupt]) -> Any:
    """The `command.resume` to send for `request`: `{interrupt id: answer}` (a bare answer only
    for a single interrupt the server gave no id). Raises `Refused` when an answer would not
    be accepted."""
    if request.how == "resume":
        answers = _answers_from_json(request.value, pending)
    else:
        answers = {
            _key(interrupt): _answer_all(interrupt, request.how, request.reason)
            for interrupt in pending
        }
    problems = check_answers(pending, {k: v for k, v in answers.items() if k})
    if problems:
        raise Refused(ExitCode.USAGE, _refusal(problems, pending))
    if "" in answers:  # an interrupt without id (an older server): the only one pending
        return answers[""]
    return answers


def _key(interrupt: Interrupt) -> str:
    return interrupt.id or ""


def _is_map(value: Any, pending: list[Interrupt]) -> bool:
    """Whether a --resume object is `{interrupt id: answer}` rather than one bare answer."""
    if not isinstance(value, dict) or not value:
        return False
    ids = {i.id for i in pending if i.id}
    return any(key in ids for key in value) or all(_ID_SHAPE.fullmatch(key) for key in value)


def _answers_from_json(value: Any, pending: list[Interrupt]) -> dict[str, Any]:
    if _is_map(value, pending):
        by_id = {i.id: i for i in pending if i.id}
        return {key: _fit(by_id.get(key), answer) for key, answer in value.items()}
    if len(pending) != 1:
        listing = "\n".join(
            f"  {_key(i) or '(no id)'}  {summary(i.value, i.response_schema)}" for i in pending
        )
        raise Refused(
            ExitCode.USAGE,
            f"{len(pending)} interrupts are pending, so a bare answer cannot say which it is "
            "for; key each answer by its id: --resume '{\"<id>\": <answer>, …}' "
            f"(or --approve / --reject for all). Pending:\n{listing}",
        )
    (interrupt,) = pending
    return {_key(interrupt): _fit(interrupt, value)}


def _fit(interrupt: Interrupt | None, answer: Any) -> Any:
    """A single decision given for a one-action batched approval, as the list it expects."""
    if interrupt is None or not isinstance(answer, dict) or "type" not in answer:
        return answer
    review = classify(interrupt.value, interrupt.response_schema)
    if isinstance(review, HitlReview) and not review.per_call and len(review.actions) == 1:
        return {"decisions": [answer]}
    return answer


def _answer_all(
    interrupt: Interrupt, how: Literal["resume", "approve", "reject"], reason: str
) -> Any:
    """--approve / --reject for one interrupt: the same decision for each of its actions."""
    review = classify(interrupt.value, interrupt.response_schema)
    name = interrupt.id or "the pending interrupt"
    if isinstance(review, HitlReview):
        decision = HitlDecision.approve() if how == "approve" else HitlDecision.reject(reason)
        for action in review.actions:
            if decision.type not in action.allowed:
                raise Refused(
                    ExitCode.USAGE,
                    f"nothing was sent: {name}: {action.name} does not allow {decision.type!r}; "
                    f"allowed: {', '.join(action.allowed)}. Answer it with --resume "
                    '\'{"<id>": {"type": "…"}}\'.',
                )
        return hitl_resume([decision] * len(review.actions), per_call=review.per_call)
    if isinstance(review, InboxReview) and how == "approve":
        refusing = [item for item in review.items if not item.allow_accept]
        if refusing:
            raise Refused(
                ExitCode.USAGE,
                f"nothing was sent: {name}: {refusing[0].action} cannot be accepted; "
                f"allowed: {', '.join(refusing[0].allowed)}. Answer it with --resume.",
            )
        responses = [InboxResponse("accept")] * len(review.items)
        return inbox_resume(responses, single=review.single)
    kind = "an agent-inbox request" if isinstance(review, InboxReview) else "a question"
    raise Refused(
        ExitCode.USAGE,
        f"nothing was sent: {name} is {kind}, not an approval that can be {how}d "
        f"({summary(interrupt.value, interrupt.response_schema)}). "
        "Answer it with --resume JSON.",
    )


def _refusal(problems: list[str], pending: list[Interrupt]) -> str:
    ids = ", ".join(i.id for i in pending if i.id) or "(none with an id)"
    lines = [
        f"nothing was sent; {'this answer is' if len(problems) == 1 else 'these answers are'}"
        " not accepted:"
    ]
    lines += [f"  {problem}" for problem in problems]
    lines.append(f"pending: {ids}")
    return "\n".join(lines)
