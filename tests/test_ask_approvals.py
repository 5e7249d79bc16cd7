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
