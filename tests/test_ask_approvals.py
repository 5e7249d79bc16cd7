"""`fleet-tui ask` answering approvals against the real Agent Server: --approve, --reject,
--resume maps and bare answers, and answers refused before anything is sent."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_fixture import AgentServer, replies
from test_ask import agent_env, run_ask
from test_deep_graphs import dr

pytestmark = pytest.mark.server


def start_waiting(home: Path, env: dict[str, str], message: str) -> tuple[str, str]:
    """A new thread whose run stopped for approval: (thread id, stderr)."""
    first = run_ask(home, "--thread", "new", message, env=env)
    assert first.returncode == 6, first.stderr
    thread_id = first.stderr.split("thread: ", 1)[1].split()[0]
    return thread_id, first.stderr


def server_view(server: AgentServer, thread_id: str) -> tuple[int, Any]:
    """How many runs the thread has had, and what its state waits on."""
    runs = httpx.get(f"{server.url}/threads/{thread_id}/runs", headers=server.headers()).json()
    state = httpx.get(f"{server.url}/threads/{thread_id}/state", headers=server.headers()).json()
    return len(runs), [(i["id"], i["value"]) for i in state.get("interrupts") or ()]


def pending_ids(server: AgentServer, thread_id: str) -> list[str]:
    return [iid for iid, _value in server_view(server, thread_id)[1]]


def test_approve_answers_the_pending_approval(agent_server: AgentServer, tmp_path: Path) -> None:
    env = agent_env(agent_server, "hitl")
    message = "please send the report"
    thread_id, stderr = start_waiting(tmp_path, env, message)
    (iid,) = pending_ids(agent_server, thread_id)
    args = replies.hitl_args(message)
    assert f"send_email({json.dumps(args, ensure_ascii=False)})" in stderr
    assert f"id: {iid}" in stderr
    assert "allowed: approve, edit, reject" in stderr
    assert replies.HITL_DESCRIPTION in stderr
    assert f"fleet-tui ask --thread {thread_id} --approve" in stderr
    resumed = run_ask(tmp_path, "--thread", thread_id, "--approve", env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.strip() == replies.hitl_final("approve", args)
    assert pending_ids(agent_server, thread_id) == []


def test_reject_sends_the_reason(agent_server: AgentServer, tmp_path: Path) -> None:
    env = agent_env(agent_server, "hitl")
    thread_id, _ = start_waiting(tmp_path, env, "send it")
    resumed = run_ask(tmp_path, "--thread", thread_id, "--reject", "too risky", env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.strip() == replies.hitl_final("reject", reason="too risky")


def test_the_printed_answer_command_works(agent_server: AgentServer, tmp_path: Path) -> None:
    env = agent_env(agent_server, "hitl_per_call")
    message = "mail the numbers"
    thread_id, stderr = start_waiting(tmp_path, env, message)
    command = next(line for line in stderr.splitlines() if line.strip().startswith("answer: "))
    argv = shlex.split(command.split("answer: ", 1)[1])
    assert argv[:4] == ["fleet-tui", "ask", "--thread", thread_id]
    resumed = run_ask(tmp_path, *argv[2:], env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.strip() == replies.hitl_final("approve", replies.hitl_args(message))


def test_a_bare_decision_with_one_pending_is_sent_keyed_by_its_id(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    env = agent_env(agent_server, "hitl")
    thread_id, _ = start_waiting(tmp_path, env, "one pending")
    bare = json.dumps({"type": "reject", "message": "later"})
    resumed = run_ask(tmp_path, "--thread", thread_id, "--resume", bare, env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.strip() == replies.hitl_final("reject", reason="later")


def test_a_disallowed_decision_is_refused_before_sending(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    env = agent_env(agent_server, "hitl_per_call")  # allows approve and reject only
    thread_id, _ = start_waiting(tmp_path, env, "no edits please")
    before = server_view(agent_server, thread_id)
    (iid,) = [iid for iid, _value in before[1]]
    edit = {"type": "edit", "edited_action": {"name": replies.HITL_TOOL, "args": {}}}
    refused = run_ask(tmp_path, "--thread", thread_id, "--resume", json.dumps({iid: edit}), env=env)
    assert refused.returncode == 2, refused.stderr
    assert "nothing was sent" in refused.stderr
    assert "'edit' is not allowed here; allowed: approve, reject" in refused.stderr
    assert refused.stdout == ""
    assert server_view(agent_server, thread_id) == before


def test_an_unknown_id_is_refused_before_sending(agent_server: AgentServer, tmp_path: Path) -> None:
    env = agent_env(agent_server, "hitl")
    thread_id, _ = start_waiting(tmp_path, env, "which one?")
    before = server_view(agent_server, thread_id)
    unknown = "0" * 32
    answer = json.dumps({unknown: {"type": "approve"}})
    refused = run_ask(tmp_path, "--thread", thread_id, "--resume", answer, env=env)
    assert refused.returncode == 2, refused.stderr
    assert f"no approval with id {unknown} is pending" in refused.stderr
    assert f"pending: {before[1][0][0]}" in refused.stderr
    assert server_view(agent_server, thread_id) == before


def test_approve_refuses_a_question_before_sending(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    env = agent_env(agent_server, "json_interrupt")
    thread_id, stderr = start_waiting(tmp_path, env, "ask me")
    assert "a question:" in stderr and "--approve" not in stderr
    before = server_view(agent_server, thread_id)
    refused = run_ask(tmp_path, "--thread", thread_id, "--approve", env=env)
    assert refused.returncode == 2, refused.stderr
    assert "not an approval" in refused.stderr
    assert server_view(agent_server, thread_id) == before


@pytest.mark.parametrize(
    "argv, said",
    [
        (["--approve"], "--approve needs --thread"),
        (["--thread", "new", "--reject"], "--reject needs --thread"),
        (["--thread", "last", "--approve", "hello"], "takes no MESSAGE"),
        (["--thread", "last", "--resume", "{nope"], "--resume is not valid JSON"),
    ],
)
def test_answer_flags_misused_are_usage_errors(tmp_path: Path, argv: list[str], said: str) -> None:
    result = run_ask(tmp_path, *argv)
    assert result.returncode == 2, result.stderr
    assert said in result.stderr


def test_answer_flags_exclude_each_other(tmp_path: Path) -> None:
    result = run_ask(tmp_path, "--thread", "last", "--approve", "--reject")
    assert result.returncode == 2
    assert "not allowed with argument" in result.stderr


# --- deep agents ------------------------------------------------------------------------


def _per_call_pending(server: AgentServer, thread_id: str) -> dict[str, str]:
    """tool name -> interrupt id of a deep_per_call thread."""
    return {value["name"]: iid for iid, value in server_view(server, thread_id)[1]}


def test_deep_per_call_pair_is_approved_in_one_resume(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    env = agent_env(agent_server, "deep_per_call")
    thread_id, stderr = start_waiting(tmp_path, env, "email and save")
    ids = _per_call_pending(agent_server, thread_id)
    assert set(ids) == {"send_email", "write_file"}
    assert "waiting for a human decision (2 pending)" in stderr
    for iid in ids.values():
        assert f"id: {iid}" in stderr
    assert "allowed: approve, reject" in stderr  # send_email
    assert "allowed: approve, edit, reject, respond" in stderr  # write_file
    assert f"fleet-tui ask --thread {thread_id} --approve" in stderr
    runs_before, _ = server_view(agent_server, thread_id)

    # a bare answer cannot say which of the two it is for: refused, listing both
    bare = run_ask(tmp_path, "--thread", thread_id, "--resume", '{"type": "approve"}', env=env)
    assert bare.returncode == 2, bare.stderr
    assert "2 interrupts are pending" in bare.stderr
    assert all(iid in bare.stderr for iid in ids.values())
    assert server_view(agent_server, thread_id)[0] == runs_before

    approved = run_ask(tmp_path, "--thread", thread_id, "--approve", env=env)
    assert approved.returncode == 0, approved.stderr
    assert server_view(agent_server, thread_id) == (runs_before + 1, [])  # one resume
    # only the new text: not the message that asked for the approvals
    assert dr.PER_CALL_TEXT not in approved.stdout
    email = dr.email_sent(dr.PER_CALL_EMAIL)
    assert approved.stdout.startswith("Outcome:\n"), approved.stdout
    assert dr.outcome_line("send_email", "approve", email) in approved.stdout
    assert "- write_file: ran: " in approved.stdout


def test_deep_per_call_reject_with_a_reason(agent_server: AgentServer, tmp_path: Path) -> None:
    env = agent_env(agent_server, "deep_per_call")
    thread_id, _ = start_waiting(tmp_path, env, "email and save")
    rejected = run_ask(tmp_path, "--thread", thread_id, "--reject", "not today", env=env)
    assert rejected.returncode == 0, rejected.stderr
    assert rejected.stdout.strip() == dr.outcomes_text(
        [
            dr.outcome_line("send_email", "reject", "not today"),
            dr.outcome_line("write_file", "reject", "not today"),
        ]
    )


def test_deep_per_call_map_with_a_disallowed_decision_sends_nothing(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    env = agent_env(agent_server, "deep_per_call")
    thread_id, _ = start_waiting(tmp_path, env, "email and save")
    before = server_view(agent_server, thread_id)
    ids = _per_call_pending(agent_server, thread_id)
    respond = {"type": "respond", "message": "I sent it myself"}
    answers = {ids["write_file"]: {"type": "approve"}, ids["send_email"]: respond}
    refused = run_ask(tmp_path, "--thread", thread_id, "--resume", json.dumps(answers), env=env)
    assert refused.returncode == 2, refused.stderr
    assert "nothing was sent" in refused.stderr
    assert (
        f"{ids['send_email']}: send_email: 'respond' is not allowed here; allowed: approve, reject"
        in refused.stderr
    )
    assert server_view(agent_server, thread_id) == before

    # one answered, one left: it stays pending, and is listed again
    partial = {ids["write_file"]: {"type": "approve"}}
    resumed = run_ask(tmp_path, "--thread", thread_id, "--resume", json.dumps(partial), env=env)
    assert resumed.returncode == 6, resumed.stderr
    assert "(1 pending)" in resumed.stderr and f"id: {ids['send_email']}" in resumed.stderr
    assert pending_ids(agent_server, thread_id) == [ids["send_email"]]


def test_deep_subagent_approval_names_the_subagent(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    env = agent_env(agent_server, "deep_sub_approval")
    thread_id, stderr = start_waiting(tmp_path, env, "send the summary")
    assert f"{dr.MAILER} started: {dr.SUB_DESCRIPTION}" in stderr
    assert f"raised by sub-agent: {dr.MAILER}" in stderr
    approved = run_ask(tmp_path, "--thread", thread_id, "--approve", env=env)
    assert approved.returncode == 0, approved.stderr
    line = dr.outcome_line("send_email", "approve", dr.email_sent(dr.SUB_EMAIL))
    result = dr.sub_done(line.removeprefix("- "))
    assert approved.stdout.strip() == dr.sub_final(result)
    assert dr.SUB_DRAFT_TEXT not in approved.stdout
    assert f"{dr.MAILER} finished: {dr.SUB_DESCRIPTION}" in approved.stderr


def test_deep_human_output_keeps_subagents_off_stdout(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    result = run_ask(tmp_path, "research it", env=agent_env(agent_server, "deep"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{dr.DEEP_PLAN_TEXT}\n\n{dr.DEEP_DELEGATE_TEXT}\n\n{dr.DEEP_FINAL}\n"
    lines = result.stderr.splitlines()
    for topic in dr.DEEP_TOPICS:
        description = dr.research_description(topic)
        assert f"{dr.RESEARCHER} started: {description}" in lines
        assert f"{dr.RESEARCHER} finished: {description}" in lines
    assert "Plan: 0/3 done · Task 1 of 3 · Research the history of terminals" in lines


def test_deep_json_subagent_events_carry_their_namespace(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    result = run_ask(tmp_path, "--json", "research it", env=agent_env(agent_server, "deep"))
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert all("namespace" in e for e in events)
    task_calls = {
        e["call"]["id"]: e["call"]["args"]["description"]
        for e in events
        if e["kind"] == "tool_call" and not e["namespace"] and e["call"]["name"] == "task"
    }
    assert len(task_calls) == 2
    # each researcher's text under its own namespace, tied to its own task call
    texts: dict[str, str] = {}
    for e in events:
        if e["kind"] == "text_delta" and e["namespace"]:
            assert e["namespace"].startswith("tools:") and e["agent"] == dr.RESEARCHER
            texts[e["parent_tool_call_id"]] = texts.get(e["parent_tool_call_id"], "") + e["text"]
    assert texts == {cid: dr.research_finding(d) for cid, d in task_calls.items()}
    main = "".join(e["text"] for e in events if e["kind"] == "text_delta" and not e["namespace"])
    assert main == dr.DEEP_PLAN_TEXT + dr.DEEP_DELEGATE_TEXT + dr.DEEP_FINAL
