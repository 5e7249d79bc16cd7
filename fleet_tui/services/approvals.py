"""Answering approvals so that a thread cannot get stuck: the conversation service's part
that checks answers, sends them as one resume keyed by interrupt id, and marks them answered
only once the server took them. No Textual import.

The rules (issue: approvals that cannot get stuck):
- the pending interrupts are what the thread's `/state` lists (`sync_pending`);
- every answer is checked against what its interrupt allows before anything is sent
  (`answer_problems`): with several pending, a refused resume may already have run the tools
  of the answers it took, and answering those again would run them twice;
- all answers go in one resume, a map `{interrupt id: answer}` (`resume_value`);
- an answer is marked answered (its tool blocks show the decision, the store keeps it) when
  the run it started ends well, or, after a refused run, when `/state` no longer lists it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from fleet_tui.common.errors import error_words
from fleet_tui.domain.events import Event, InterruptRequest, RunError
from fleet_tui.domain.interrupt_model import Interrupt
from fleet_tui.domain.transcript import InterruptItem
from fleet_tui.services.conversation_state import ConversationState
from fleet_tui.storage.store import Store, StoredDecision

if TYPE_CHECKING:
    from fleet_tui.domain.approvals import ToolDecision

# The interrupt shapes (`domain.interrupts`, through `domain.approvals` and `decision_check`)
# are imported where an interrupt is at hand: the first frame of the TUI does without them.

STATELESS_NOTICE = (
    "This conversation is stateless: the server keeps no thread for it, so this request "
    "cannot be answered. Start a normal conversation (ctrl+n) to use approvals."
)
RUNNING_PROBLEM = "A run is still going in this conversation."


def answers_from(state: ConversationState, value: Any, item: InterruptItem | None) -> dict:
    """A resume `value` as answers keyed by interrupt id: the answer to `item`; a map already
    keyed by pending ids as it is; else the answer to the one interrupt pending."""
    if item is not None:
        return {item.id: value}
    pending_ids = {i.id for i in state.pending()}
    if isinstance(value, dict) and value and set(value) <= pending_ids - {None}:
        return dict(value)
    if len(pending_ids) == 1:
        return {next(iter(pending_ids)): value}
    # nothing known to key it by (e.g. an `ask --resume` on a thread not read yet)
    return {None: value}


def answer_problems(state: ConversationState, answers: Mapping[str | None, Any]) -> list[str]:
    """Everything that stops `answers` from being sent; [] when they may go."""
    if not state.can_answer:
        return [STATELESS_NOTICE]
    if state.running:
        return [RUNNING_PROBLEM]
    if not answers:
        return ["Nothing to send: decide at least one request."]
    from fleet_tui.domain.decision_check import check_answer

    pending = {i.id: i for i in state.pending()}
    problems = []
    for interrupt_id, answer in answers.items():
        interrupt = pending.get(interrupt_id)
        if interrupt is None:
            if pending or interrupt_id is not None:
                problems.append(f"no approval with id {interrupt_id} is pending")
            continue
        problem = check_answer(interrupt, answer)
        if problem:
            problems.append(problem if len(answers) == 1 else f"{_label(interrupt)}: {problem}")
    if None in answers and len(answers) > 1:
        problems.append("an answer without an interrupt id cannot go with others")
    return problems


def _label(interrupt: Interrupt) -> str:
    return (interrupt.id or "the request")[:12]


def begin(state: ConversationState, answers: Mapping[str | None, Any]) -> Any:
    """Remember the answers as sent (not yet answered) and return the resume value."""
    from fleet_tui.domain.approvals import decisions_for, resume_value

    state.answering = dict(answers)
    state.answer_error = None
    pending = {i.id: i for i in state.pending()}
    state.deciding = {
        iid: decisions_for(state.transcript, pending[iid], answer) if iid in pending else []
        for iid, answer in answers.items()
    }
    return resume_value(state.pending(), answers)


def on_event(state: ConversationState, event: Event) -> bool:
    """A run's event, for the approvals: a new interrupt marks the calls it gates (True: the
    conversation now waits for the user); an error in a run that carries answers is what the
    server says about them."""
    if isinstance(event, InterruptRequest):
        if not state.can_answer:
            state.transcript.add_notice(STATELESS_NOTICE)
            return False
        from fleet_tui.domain.approvals import mark_awaiting

        state.interrupts[event.id] = event
        mark_awaiting(state.transcript, event.interrupt)
        return True
    if isinstance(event, RunError) and state.answering:
        title, text = error_words(event.error, event.message)
        state.answer_error = f"{title}: {text}"
    return False


def confirm(
    store: Store, state: ConversationState, ids: Iterable[str | None], *, run_failed: bool = False
) -> None:
    """The server took the answers to `ids`: mark them answered, on screen and in the store.
    `run_failed`: the run they started failed, and the items say so rather than "answered"."""
    from fleet_tui.domain.approvals import apply_decisions, decided

    decisions: list[ToolDecision] = []
    for interrupt_id in ids:
        state.interrupts.pop(interrupt_id, None)
        made = state.deciding.pop(interrupt_id, [])
        decisions += made
        # an answer that decides no tool call is a free response to the request
        said = decided(state.transcript, made) if made else (("respond", ""),)
        state.transcript.resolve_interrupt(interrupt_id, said, run_failed=run_failed)
    apply_decisions(state.transcript, decisions)
    store.save_decisions(
        state.id,
        [StoredDecision(d.tool_call_id, d.interrupt_id, d.type, d.detail) for d in decisions],
    )


def after_run(store: Store, state: ConversationState, status: str) -> tuple[str, bool]:
    """A run ended with `status`: the status to report, and True when the answers it carried
    must be checked against `/state` (refused or stopped: which ones the server took is not
    known). Answers of a run that ended well are confirmed here."""
    if state.conversation.stateless and status == "interrupted":
        # nothing there can be answered: it does not wait for the user
        store.set_status(state.id, "idle")
        return "success", False
    if not state.answering:
        return status, False
    if status in ("success", "interrupted"):
        confirm(store, state, list(state.answering))
        state.answering, state.deciding = {}, {}
        return status, False
    return status, True


def sync_pending(
    store: Store, state: ConversationState, pending: list[Interrupt], *, run_failed: bool = False
) -> None:
    """`/state`'s pending interrupts become the conversation's: new ones are shown, the ones
    it no longer lists were answered (those answered here are confirmed now). `run_failed`:
    the last run, the one that carried the answers, failed."""
    listed = {i.id for i in pending}
    taken = [i for i in state.answering if i not in listed]
    if taken:
        confirm(store, state, taken, run_failed=run_failed)
    for interrupt_id in [i for i in state.interrupts if i not in listed]:
        state.interrupts.pop(interrupt_id, None)
    for item in state.pending_items():
        if item.id not in listed:
            state.transcript.resolve_interrupt(item.id, run_failed=run_failed)


def restore(store: Store, state: ConversationState) -> None:
    """Show the stored decisions on a transcript rebuilt from the store."""
    stored = store.decisions(state.id)
    if stored:
        from fleet_tui.domain.approvals import ToolDecision, apply_decisions, restore_answered

        decisions = [ToolDecision(d.tool_call_id, d.interrupt_id, d.type, d.detail) for d in stored]
        apply_decisions(state.transcript, decisions)
        restore_answered(state.transcript, decisions)
