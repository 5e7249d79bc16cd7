"""A stopped run reopened from the store, and approvals shown with what was decided.

What a cancelled sub-agent said is stored and shown again, no call reads as running in a
conversation opened while no run goes, a cancel says "stopped" where an error says "failed",
an edited call shows the arguments it ran with, and an answered approval says what was
decided, also after a restart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console

from fleet_tui.domain.approvals import ToolDecision, apply_decisions, restore_answered
from fleet_tui.domain.events import (
    MessageComplete,
    RunEnded,
    RunStarted,
    SubagentBound,
    SubagentEvent,
    TextDelta,
    ToolCall,
    ToolCallStarted,
    ToolResult,
)
from fleet_tui.domain.transcript import (
    AssistantItem,
    InterruptItem,
    ToolItem,
    Transcript,
    UserItem,
)
from fleet_tui.services.conversation_service import ConversationService
from fleet_tui.services.recorder import RunRecorder
from fleet_tui.storage.store import Store, StoredDecision
from fleet_tui.tui.widgets.item_render import ItemRenderer, PaneStyles
from fleet_tui.tui.widgets.lines import text_of

TASK = ToolCall("call-task", "task", {"subagent_type": "researcher", "description": "dig"})
PARTIAL = "The sources so far say"


def renderer(width: int = 100) -> ItemRenderer:
    console = Console(width=width, color_system=None, legacy_windows=False)
    return ItemRenderer(console, width, PaneStyles(), "monokai")


def lines(item: Any, width: int = 100) -> list[str]:
    return [text_of(line).rstrip() for line in renderer(width).render(item)]


def record_cancelled_research(store: Store, status: str) -> int:
    """A run whose sub-agent was cut mid-sentence by a cancel (or an error)."""
    agent = store.ensure_agent("http://127.0.0.1:1", "agent")
    conversation = store.create_conversation(agent.id)
    recorder = RunRecorder(store, conversation.id, human_text="research the report")
    recorder.add_human("research the report")
    for event in (
        RunStarted("run-1"),
        MessageComplete("lc_run--main", "ai", "", tool_calls=(TASK,)),
        SubagentBound("tools:t1", TASK.id, "researcher"),
        SubagentEvent("tools:t1", TextDelta("lc_run--sub", PARTIAL, "model")),
        RunEnded("run-1", status),
    ):
        recorder.handle(event)
    return conversation.id


def reopen(store: Store, conversation_id: int) -> Transcript:
    service = ConversationService(store, lambda *a: None, client=lambda _agent: None)  # type: ignore[arg-type]
    state = service.open(conversation_id, refresh=False)
    assert state is not None
    return state.transcript


def test_a_cancelled_sub_agent_keeps_its_words_and_reads_stopped_when_reopened(
    tmp_path: Path,
) -> None:
    with Store.open(tmp_path / "store.db") as store:
        conversation_id = record_cancelled_research(store, "cancelled")
        stored = [m for m in store.messages(conversation_id) if m.parent_call_id]
        assert [(m.content, m.complete, m.parent_call_id) for m in stored] == [
            (PARTIAL, False, TASK.id)
        ]
        transcript = reopen(store, conversation_id)
    card = next(i for i in transcript.items if isinstance(i, ToolItem))
    assert card.state == "stopped"
    assert card.subagent is not None
    (reply,) = [i for i in card.subagent.items if isinstance(i, AssistantItem)]
    assert reply.text == PARTIAL and reply.interrupted
    assert lines(card) == ["▸ ◆ researcher · dig — ⏹ stopped"]
    card.expanded = True
    drawn = lines(card)
    assert f"│ {PARTIAL}" in drawn
    assert "│ ⏹ (interrupted — the reply is incomplete)" in drawn


def test_an_error_reopened_reads_failed_and_a_thread_waiting_for_approval_keeps_its_calls(
    tmp_path: Path,
) -> None:
    with Store.open(tmp_path / "store.db") as store:
        failed = record_cancelled_research(store, "error")
        store.add_message(failed, "error", "ValueError: boom")
        waiting = record_cancelled_research(store, "interrupted")
        card = next(i for i in reopen(store, failed).items if isinstance(i, ToolItem))
        assert card.state == "failed"
        card = next(i for i in reopen(store, waiting).items if isinstance(i, ToolItem))
        assert card.state == "running"  # the approvals read from the server will mark it


def test_settling_a_stored_transcript_spares_calls_awaiting_approval() -> None:
    t = Transcript()
    t.add_user("send it")
    t.apply(MessageComplete("m1", "ai", "", tool_calls=(ToolCall("c1", "send_email", {}),)))
    t.apply(MessageComplete("m2", "ai", "", tool_calls=(ToolCall("c2", "lookup", {}),)))
    gated, other = t.tools
    gated.decision = "awaiting"
    t.settle_stored()
    assert (gated.state, other.state) == ("running", "stopped")
    assert lines(other)[0].endswith("⏹ stopped")


def test_live_cancel_and_error_name_the_card_state() -> None:
    for status, said in (("cancelled", "⏹ stopped"), ("error", "✗ failed")):
        t = Transcript()
        t.apply(MessageComplete("m1", "ai", "", tool_calls=(TASK,)))
        t.apply(SubagentBound("tools:t1", TASK.id, "researcher"))
        t.apply(SubagentEvent("tools:t1", TextDelta("s1", "half", "model")))
        assert lines(t.items[0]) == ["▸ ◆ researcher · dig — writing…"]
        t.apply(RunEnded("run-1", status))
        assert lines(t.items[0]) == [f"▸ ◆ researcher · dig — {said}"]


def test_an_edited_call_shows_the_arguments_it_ran_with_and_the_proposed_ones_expanded() -> None:
    item = ToolItem(call_id="c1", name="send_email", args={"subject": "Draft"})
    item.state = "done"
    item.decision, item.decision_detail = "edit", '{"subject": "Final"}'
    collapsed = lines(item)
    assert collapsed[0].startswith("▸ ⚙ send_email(subject='Final')")
    assert "Draft" not in "\n".join(collapsed)
    item.expanded = True
    expanded = "\n".join(lines(item))
    proposed, ran = expanded.split("  arguments\n")
    assert "✎ edited — as proposed:" in proposed and '"Draft"' in proposed
    assert '"Final"' in ran and "Draft" not in ran
    write = ToolItem(
        call_id="c2", name="write_file", args={"file_path": "/per_call.md", "content": "x"}
    )
    write.decision = "edit"
    write.decision_detail = '{"file_path": "/per_call_edited.md", "content": "x"}'
    assert lines(write)[0].startswith("▸ ⚙ write_file /per_call_edited.md")


def test_an_answered_approval_says_what_was_decided() -> None:
    def said(decisions: tuple[tuple[str, str], ...]) -> str:
        item = InterruptItem(id="i1", value=None, resolved=True, decisions=decisions)
        return lines(item)[0]

    assert said((("approve", "send_email"),)) == "✓ approved: send_email"
    assert said((("reject", "send_email"),)) == "✗ rejected: send_email"
    assert said((("edit", "send_email"),)) == "✎ edited: send_email"
    assert said((("respond", "send_email"),)) == "↩ answered: send_email"
    mixed = said((("approve", "send_email"), ("reject", "write_file")))
    assert mixed == "• 2 decisions: 1 approved, 1 rejected: send_email, write_file"
    assert said((("reject", "a"), ("reject", "b"))).startswith("✗ 2 decisions: 2 rejected")


def test_answered_approvals_come_back_after_a_restart_where_they_were_raised(
    tmp_path: Path,
) -> None:
    calls = (ToolCall("c1", "send_email", {}), ToolCall("c2", "write_file", {}))
    with Store.open(tmp_path / "store.db") as store:
        agent = store.ensure_agent("http://127.0.0.1:1", "agent")
        conversation = store.create_conversation(agent.id)
        store.add_message(conversation.id, "human", "go")
        store.add_message(
            conversation.id,
            "ai",
            "",
            tool_calls=[{"id": c.id, "name": c.name, "args": {}} for c in calls],
        )
        for call in calls:
            store.add_message(conversation.id, "tool", "ok", tool_call_id=call.id, name=call.name)
        store.add_message(conversation.id, "ai", "All done.")
        store.save_decisions(
            conversation.id,
            [StoredDecision("c1", "i1", "approve"), StoredDecision("c2", "i1", "reject", "no")],
        )
        transcript = reopen(store, conversation.id)
    kinds = [type(i).__name__ for i in transcript.items]
    assert kinds == ["UserItem", "ToolItem", "ToolItem", "InterruptItem", "AssistantItem"]
    answered = transcript.items[3]
    assert isinstance(answered, InterruptItem) and answered.resolved
    assert lines(answered) == ["• 2 decisions: 1 approved, 1 rejected: send_email, write_file"]
    # the indexes follow the moved items
    assert transcript.run_for("c1") is None
    assert isinstance(transcript.items[transcript._tools["c2"]], ToolItem)


def test_a_sub_agents_answered_approval_goes_after_its_card() -> None:
    t = Transcript()
    t.add_user("research")
    t.apply(MessageComplete("m1", "ai", "", tool_calls=(TASK,)))
    t.apply(SubagentBound("tools:t1", TASK.id, "researcher"))
    inner = ToolCall("c-inner", "write_file", {"file_path": "/a.md", "content": "x"})
    t.apply(SubagentEvent("tools:t1", MessageComplete("s1", "ai", "", tool_calls=(inner,))))
    t.apply(MessageComplete("m2", "ai", "Done."))
    decisions = [ToolDecision("c-inner", "i9", "approve")]
    apply_decisions(t, decisions)
    restore_answered(t, decisions)
    assert [type(i) for i in t.items][:3] == [UserItem, ToolItem, InterruptItem]
    assert lines(t.items[2]) == ["✓ approved: write_file"]


def test_a_narrow_card_header_keeps_name_state_and_a_cut_description_before_counts() -> None:
    task = ToolCall(
        "call-task",
        "task",
        {"subagent_type": "researcher", "description": "Research the history of terminals"},
    )
    t = Transcript()
    t.apply(MessageComplete("m1", "ai", "", tool_calls=(task,)))
    t.apply(SubagentBound("tools:t1", task.id, "researcher"))
    t.apply(SubagentEvent("tools:t1", ToolCallStarted("s1", ToolCall("c1", "look", {}))))
    t.apply(SubagentEvent("tools:t1", ToolResult("r1", "c1", "look", "ok")))
    t.apply(SubagentEvent("tools:t1", TextDelta("s2", "words", "model")))
    wide = lines(t.items[0], 100)[0]
    assert wide == "▸ ◆ researcher · Research the history of terminals — writing… · 1 tool call"
    narrow = lines(t.items[0], 56)[0]
    assert narrow.startswith("▸ ◆ researcher · Research the")
    assert narrow.endswith("… — writing…")  # the description cut, the count left out whole
    assert "tool ca" not in narrow
    card = t.items[0]
    card.expanded = True
    assert "│ Task: Research the history of terminals" in lines(card, 56)
