"""Approvals that cannot get stuck, against the real Agent Server: answers checked before
they are sent, one resume keyed by id, a refused answer re-read from `/state`, decisions kept
after a restart, a cancelled run not taken for a waiting one, no review when stateless."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from server_fixture import AgentServer, replies
from test_conversation_service import Harness, texts

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
    thread = await h.client.get_thread(state.conversation.thread_id or "")
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
