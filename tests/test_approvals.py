"""Approvals that cannot get stuck, against the real Agent Server: answers checked before
they are sent, one resume keyed by id, a refused answer re-read from `/state`, decisions kept
after a restart, a cancelled run not taken for a waiting one, no review when stateless."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest
from server_fixture import AgentServer, replies
from test_conversation_service import Harness, texts
from test_deep_graphs import dr

from fleet_tui.domain.transcript import InterruptItem, NoticeItem, ToolItem
from fleet_tui.services.approvals import STATELESS_NOTICE
from fleet_tui.services.service_events import AnswerRejected, InterruptsPending, RunFinished

pytestmark = pytest.mark.server

TEXT = "please send the report"
ARGS = replies.hitl_args(TEXT)


def tool(state_transcript: object) -> ToolItem:
    (item,) = [i for i in state_transcript.items if isinstance(i, ToolItem)]  # type: ignore[attr-defined]
    return item


async def test_a_bad_answer_is_refused_before_anything_is_sent(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    h = Harness(agent_server, "hitl_per_call", tmp_path / "s.db")
    state = h.service.create(h.agent.id)
    h.service.send(state.id, TEXT)
    await h.settle()
    (request,) = state.interrupts.values()
    assert tool(state.transcript).decision == "awaiting"
    runs = len(h.of(RunFinished))
    problems = h.service.answer(state.id, {request.id: {"type": "edit"}})
    assert problems and "'edit' is not allowed" in problems[0]
    assert not state.running and len(h.of(RunFinished)) == runs
    await h.close()


async def test_a_refused_answer_stays_pending_and_the_review_comes_back(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    h = Harness(agent_server, "hitl_per_call", tmp_path / "s.db")
    state = h.service.create(h.agent.id)
    h.service.send(state.id, TEXT)
    await h.settle()
    ((iid, request),) = state.interrupts.items()
    # a stale schema that claims "edit" is allowed: the check lets it through, the server not
    stale = {"discriminator": {"mapping": {"approve": {}, "edit": {}, "reject": {}}}}
    state.interrupts[iid] = replace(request, response_schema=stale)
    edit = {"type": "edit", "edited_action": {"name": "send_email", "args": ARGS}}
    assert h.service.answer(state.id, {iid: edit}) == []
    await h.settle()
    assert h.of(RunFinished)[-1].status == "error"
    (rejected,) = h.of(AnswerRejected)
    assert rejected.message and [r.id for r in rejected.interrupts] == [iid]
    # read again from /state: the server's schema (approve, reject), not the stale one
    assert "edit" not in str(rejected.interrupts[0].response_schema)
    (item,) = [i for i in state.transcript.items if isinstance(i, InterruptItem)]
    assert not item.resolved and tool(state.transcript).decision == "awaiting"
    assert h.store.decisions(state.id) == []
    assert h.service.answer(state.id, {iid: {"type": "approve"}}) == []
    await h.settle()
    assert h.of(RunFinished)[-1].status == "success"
    assert texts(state.transcript.items)[-1] == replies.hitl_final("approve", ARGS)
    assert item.resolved and tool(state.transcript).decision == "approve"
    await h.close()


async def test_the_decision_is_shown_after_a_restart(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    path = tmp_path / "s.db"
    h = Harness(agent_server, "hitl", path)
    state = h.service.create(h.agent.id)
    h.service.send(state.id, TEXT)
    await h.settle()
    (iid,) = state.interrupts
    edited = {**ARGS, "subject": "Edited"}
    decision = {"type": "edit", "edited_action": {"name": "send_email", "args": edited}}
    assert h.service.answer(state.id, {iid: {"decisions": [decision]}}) == []
    await h.settle()
    assert texts(state.transcript.items)[-1] == replies.hitl_final("edit", edited)
    assert tool(state.transcript).decision == "edit"
    cid = state.id
    await h.close()

    again = Harness(agent_server, "hitl", path)
    reopened = again.service.open(cid, refresh=False)
    assert reopened is not None
    shown = tool(reopened.transcript)
    assert shown.decision == "edit" and '"subject": "Edited"' in shown.decision_detail
    await again.close()


async def test_a_cancelled_run_is_not_waiting_for_the_user(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    h = Harness(agent_server, "slow", tmp_path / "s.db")
    state = h.service.create(h.agent.id)
    h.service.send(state.id, "tokens=300 delay=0.05")
    await h.until(lambda: texts(state.transcript.items))
    assert await h.service.cancel(state.id) is None
    await h.settle()
    thread_id = state.conversation.thread_id or ""
    thread = await h.client.get_thread(thread_id)
    for _ in range(100):  # the server settles the cancel on its own time (a busy machine)
        if thread["status"] != "busy":
            break
        await asyncio.sleep(0.1)
        thread = await h.client.get_thread(thread_id)
    assert thread["status"] == "interrupted" and not thread.get("interrupts")
    h.service.refresh(state.id)
    await h.settle()
    saved = h.store.get_conversation(state.id)
    assert saved is not None and saved.status == "cancelled"
    assert not state.interrupts and not h.of(InterruptsPending)
    await h.close()


async def test_a_stateless_conversation_is_never_offered_a_review(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    h = Harness(agent_server, "hitl", tmp_path / "s.db")
    state = h.service.create(h.agent.id, stateless=True)
    h.service.send(state.id, TEXT)
    await h.settle()
    assert h.of(RunFinished)[-1].status == "success"
    assert not state.interrupts and not h.of(InterruptsPending)
    notices = [i.text for i in state.transcript.items if isinstance(i, NoticeItem)]
    assert STATELESS_NOTICE in notices
    assert h.service.answer(state.id, {"x": {"type": "approve"}}) == [STATELESS_NOTICE]
    saved = h.store.get_conversation(state.id)
    assert saved is not None and saved.status != "interrupted"
    await h.close()


async def test_two_per_call_approvals_are_answered_in_one_review_and_one_resume(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    h = Harness(agent_server, "deep_per_call", tmp_path / "s.db")
    state = h.service.create(h.agent.id)
    h.service.send(state.id, "do both")
    await h.settle()
    pending = state.pending()
    names = {i.value["name"]: i for i in pending}
    assert set(names) == {"send_email", "write_file"} and all(i.id for i in pending)
    gated = {t.name: t for t in state.transcript.tools if t.name in names}
    assert {t.decision for t in gated.values()} == {"awaiting"}
    email, write = names["send_email"], names["write_file"]
    answers = {
        email.id: {"type": "reject", "message": "too soon"},
        write.id: {"type": "respond", "message": "saved it myself"},
    }
    assert h.service.answer(state.id, answers) == []
    await h.settle()
    assert h.of(RunFinished)[-1].status == "success"
    thread_id = state.conversation.thread_id or ""
    assert len(await h.client.list_runs(thread_id)) == 2  # the message, then one resume
    final = texts(state.transcript.items)[-1]
    assert dr.outcome_line("send_email", "reject", "too soon") in final
    assert dr.outcome_line("write_file", "respond", "saved it myself") in final
    decided = {t.name: (t.decision, t.decision_detail) for t in gated.values()}
    assert decided == {
        "send_email": ("reject", "too soon"),
        "write_file": ("respond", "saved it myself"),
    }
    assert not state.interrupts and not state.pending_items()
    stored = {d.tool_call_id: d.type for d in h.store.decisions(state.id)}
    assert stored == {gated["send_email"].call_id: "reject", gated["write_file"].call_id: "respond"}
    await h.close()


async def test_an_approval_inside_a_sub_agent_marks_its_card(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    h = Harness(agent_server, "deep_sub_approval", tmp_path / "s.db")
    state = h.service.create(h.agent.id)
    h.service.send(state.id, "email the summary")
    await h.settle()
    (interrupt,) = state.pending()
    assert interrupt.namespace and interrupt.namespace[0].startswith("tools:")
    (card,) = [t for t in state.transcript.tools if t.name == "task"]
    assert card.waiting and card.subagent is not None
    (inner,) = [t for t in card.subagent.tools if t.name == "send_email"]
    assert inner.decision == "awaiting" and not [
        t for t in state.transcript.tools if t.name == "send_email"
    ]
    assert h.service.answer(state.id, {interrupt.id: {"decisions": [{"type": "approve"}]}}) == []
    await h.settle()
    assert h.of(RunFinished)[-1].status == "success"
    assert not card.waiting and inner.decision == "approve"
    await h.close()


async def test_after_a_refused_pair_only_what_is_still_pending_is_offered(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    h = Harness(agent_server, "deep_per_call", tmp_path / "s.db")
    state = h.service.create(h.agent.id)
    h.service.send(state.id, "do both")
    await h.settle()
    names = {i.value["name"]: i for i in state.pending()}
    email, write = names["send_email"], names["write_file"]
    # a stale schema for the email that claims "edit": the check passes it, the server not
    stale = {"discriminator": {"mapping": {"approve": {}, "edit": {}, "reject": {}}}}
    state.interrupts[email.id] = replace(state.interrupts[email.id], response_schema=stale)
    edit = {
        "type": "edit",
        "edited_action": {"name": "send_email", "args": dict(dr.PER_CALL_EMAIL)},
    }
    answers = {write.id: {"type": "approve"}, email.id: edit}
    assert h.service.answer(state.id, answers) == []
    await h.settle()
    assert h.of(RunFinished)[-1].status == "error"
    (rejected,) = h.of(AnswerRejected)
    assert [r.id for r in rejected.interrupts] == [email.id]
    assert list(state.interrupts) == [email.id]
    gated = {t.name: t for t in state.transcript.tools if t.name in names}
    # the file was written before the refusal: answered, and not offered again
    assert gated["write_file"].decision == "approve"
    assert gated["send_email"].decision == "awaiting"
    (still,) = state.pending_items()
    assert still.id == email.id
    assert h.service.answer(state.id, {email.id: {"type": "approve"}}) == []
    await h.settle()
    assert h.of(RunFinished)[-1].status == "success"
    assert gated["send_email"].decision == "approve" and not state.pending_items()
    await h.close()
