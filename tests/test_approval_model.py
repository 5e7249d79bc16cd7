"""The approval rules without a server: the resume value, which tool calls an interrupt
gates, the decisions an answer makes, and their round trip through the store."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleet_tui.domain.approvals import (
    ToolDecision,
    apply_decisions,
    decisions_for,
    mark_awaiting,
    raised_by,
    resume_value,
)
from fleet_tui.domain.events import (
    SubagentBound,
    SubagentEvent,
    ToolCall,
    ToolCallStarted,
    ToolResult,
)
from fleet_tui.domain.interrupt_model import Interrupt, waiting_status
from fleet_tui.domain.transcript import ToolItem, Transcript
from fleet_tui.storage.store import Store, StoredDecision

PER_CALL_SCHEMA = {"discriminator": {"mapping": {"approve": {}, "reject": {}}}}


def per_call(iid: str, call_id: str, to: str) -> Interrupt:
    value = {
        "type": "tool_approval",
        "tool_call_id": call_id,
        "name": "send_email",
        "args": {"to": to},
    }
    return Interrupt(iid, value, PER_CALL_SCHEMA)


def transcript_with_calls(*calls: tuple[str, str, dict[str, object]]) -> Transcript:
    transcript = Transcript()
    for call_id, name, args in calls:
        transcript.apply(ToolCallStarted("m1", ToolCall(call_id, name, args)))
    return transcript


def test_every_resume_is_keyed_by_id_even_with_one_pending() -> None:
    one = [per_call("a" * 32, "c1", "x")]
    assert resume_value(one, {"a" * 32: {"type": "approve"}}) == {"a" * 32: {"type": "approve"}}
    # only an interrupt without id (an old server) takes the bare value
    assert resume_value([Interrupt(None, "q?")], {None: "yes"}) == "yes"
    with pytest.raises(ValueError):
        resume_value(one, {None: "yes"})


def test_batched_requests_map_to_the_latest_calls_by_name_and_args() -> None:
    transcript = transcript_with_calls(
        ("old", "send_email", {"to": "a"}),
        ("c1", "lookup", {"q": 1}),
        ("c2", "send_email", {"to": "b"}),
        ("c3", "send_email", {"to": "a"}),
    )
    transcript.apply(ToolResult("m-old", "old", "send_email", "done"))
    value = {
        "action_requests": [
            {"name": "send_email", "args": {"to": "a"}},
            {"name": "send_email", "args": {"to": "b"}},
        ],
        "review_configs": [{"action_name": "send_email", "allowed_decisions": ["approve"]}],
    }
    interrupt = Interrupt("i" * 32, value)
    mark_awaiting(transcript, interrupt)
    marks = {t.call_id: t.decision for t in transcript.tools}
    assert marks == {"old": None, "c1": None, "c2": "awaiting", "c3": "awaiting"}
    answer = {"decisions": [{"type": "reject", "message": "no"}, {"type": "approve"}]}
    decided = decisions_for(transcript, interrupt, answer)
    assert decided == [
        ToolDecision("c3", "i" * 32, "reject", "no"),
        ToolDecision("c2", "i" * 32, "approve", ""),
    ]


def test_a_sub_agent_approval_marks_the_call_inside_its_card() -> None:
    transcript = transcript_with_calls(("task-1", "task", {"subagent_type": "mailer"}))
    transcript.apply(SubagentBound("tools:abc", "task-1", "mailer", True))
    inner = ToolCallStarted("m2", ToolCall("inner-1", "send_email", {"to": "x"}))
    transcript.apply(SubagentEvent("tools:abc", inner))
    interrupt = per_call("b" * 32, "inner-1", "x")
    interrupt = Interrupt(interrupt.id, interrupt.value, PER_CALL_SCHEMA, ("tools:abc",))
    mark_awaiting(transcript, interrupt)
    run = transcript.run_for("task-1")
    assert run is not None
    (inner_tool,) = [i for i in run.items if isinstance(i, ToolItem)]
    assert inner_tool.decision == "awaiting"
    assert raised_by(transcript, interrupt) == "sub-agent mailer"
    apply_decisions(transcript, [ToolDecision("inner-1", interrupt.id, "respond", "later")])
    assert (inner_tool.decision, inner_tool.decision_detail) == ("respond", "later")


def test_interrupted_without_an_interrupt_is_a_cancelled_thread() -> None:
    assert waiting_status("interrupted", []) == "cancelled"
    assert waiting_status("error", [Interrupt("x", 1)]) == "interrupted"
    assert waiting_status("idle", []) == "idle"


def test_decisions_round_trip_through_the_store(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.db")
    agent = store.ensure_agent("http://x", "a")
    conversation = store.create_conversation(agent.id)
    store.save_decisions(
        conversation.id,
        [
            StoredDecision("c1", "i1", "approve"),
            StoredDecision("c2", "i1", "edit", '{"to": "b"}'),
        ],
    )
    store.save_decisions(conversation.id, [StoredDecision("c1", "i2", "reject", "no")])
    assert store.decisions(conversation.id) == [
        StoredDecision("c2", "i1", "edit", '{"to": "b"}'),
        StoredDecision("c1", "i2", "reject", "no"),
    ]
    store.close()
