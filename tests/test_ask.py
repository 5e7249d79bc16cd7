"""`fleet-tui ask` against the real Agent Server, run as a real subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from secret_guard import SECRETS
from server_fixture import AgentServer, replies

from fleet_tui.storage.store import Store

pytestmark = pytest.mark.server


def run_ask(
    home: Path,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    return run_cli(home, "ask", *args, env=env, timeout=timeout, cwd=cwd)


def run_cli(
    home: Path,
    *argv: str,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "fleet_tui", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=isolated_env(home, env),
        cwd=cwd or home,
        stdin=subprocess.DEVNULL,
    )
    # the secret-leak guard: no token on stdout or stderr, whatever happened
    leaked = [s for s in SECRETS if s in result.stdout or s in result.stderr]
    assert not leaked, f"a token leaked into the output of fleet-tui {argv[0]}"
    return result


def isolated_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FLEET_", "LANGGRAPH_", "LANGSMITH_", "XDG_"))
    }
    env.update(
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        NO_COLOR="1",
    )
    env.update(extra or {})
    return env


def agent_env(server: AgentServer, graph: str, key: str | None = None) -> dict[str, str]:
    return {
        "FLEET_API_URL": server.url,
        "FLEET_AGENT_ID": server.assistant_id(graph),
        "LANGGRAPH_API_KEY": key or server.owner_key,
    }


def test_stateless_ask_prints_reply_once(agent_server: AgentServer, tmp_path: Path) -> None:
    result = run_ask(tmp_path, "hello there", env=agent_env(agent_server, "scripted"))
    assert result.returncode == 0, result.stderr
    expected = replies.echo_reply("hello there", 1)
    assert result.stdout == expected.rstrip("\n") + "\n"
    assert result.stdout.count("You said") == 1


def test_thread_new_then_id_continues(agent_server: AgentServer, tmp_path: Path) -> None:
    env = agent_env(agent_server, "scripted")
    first = run_ask(tmp_path, "--thread", "new", "my name is Alice", env=env)
    assert first.returncode == 0, first.stderr
    thread_line = next(line for line in first.stderr.splitlines() if line.startswith("thread: "))
    thread_id = thread_line.split(": ", 1)[1]
    second = run_ask(tmp_path, "--thread", thread_id, "what is my name?", env=env)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == replies.echo_reply("what is my name?", 2).strip()


def test_thread_new_then_last_is_saved(agent_server: AgentServer, tmp_path: Path) -> None:
    env = agent_env(agent_server, "scripted")
    first = run_ask(tmp_path, "--thread", "new", "first turn", env=env)
    assert first.returncode == 0, first.stderr
    second = run_ask(tmp_path, "--thread", "last", "second turn", env=env)
    assert second.returncode == 0, second.stderr
    assert "human messages seen: 2" in second.stdout
    listing = subprocess.run(
        [sys.executable, "-m", "fleet_tui", "threads", "--json"],
        capture_output=True,
        text=True,
        env=isolated_env(tmp_path, env),
        cwd=tmp_path,
        timeout=30,
    )
    assert listing.returncode == 0, listing.stderr
    threads = json.loads(listing.stdout)
    assert len(threads) == 1
    assert threads[0]["title"] == "first turn"
    assert threads[0]["message_count"] == 4  # two human turns, two replies


def test_tool_call_goes_to_stderr(agent_server: AgentServer, tmp_path: Path) -> None:
    result = run_ask(tmp_path, "what is the answer", env=agent_env(agent_server, "tools"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == replies.tools_answer("what is the answer")
    assert replies.TOOL_NAME in result.stderr
    assert "→ tool call" in result.stderr


def test_interrupt_exits_6_with_thread_id(agent_server: AgentServer, tmp_path: Path) -> None:
    env = agent_env(agent_server, "hitl")
    result = run_ask(tmp_path, "--thread", "new", "please send the report", env=env)
    assert result.returncode == 6, result.stderr
    assert replies.HITL_TOOL in result.stderr
    thread_id = result.stderr.split("thread: ", 1)[1].split()[0]
    assert f"--thread {thread_id}" in result.stderr
    resumed = run_ask(
        tmp_path,
        "--thread",
        thread_id,
        "--resume",
        json.dumps({"decisions": [{"type": "approve"}]}),
        env=env,
    )
    assert resumed.returncode == 0, resumed.stderr
    args = replies.hitl_args("please send the report")
    assert resumed.stdout.strip().endswith(replies.hitl_final("approve", args))


def test_failing_graph_exits_1(agent_server: AgentServer, tmp_path: Path) -> None:
    result = run_ask(tmp_path, "anything", env=agent_env(agent_server, "fail"))
    assert result.returncode == 1
    assert replies.FAIL_MESSAGE in result.stderr
    assert result.stdout == ""


def test_bad_pat_exits_3(agent_server: AgentServer, tmp_path: Path) -> None:
    env = agent_env(agent_server, "scripted", key="fake-pat-wrong-9999999999")
    result = run_ask(tmp_path, "hi", env=env)
    assert result.returncode == 3
    assert "Authentication failed" in result.stderr
    assert "fake-pat-wrong" not in result.stderr


def test_missing_auth_scheme_is_rejected(agent_server: AgentServer, tmp_path: Path) -> None:
    env = agent_env(agent_server, "scripted") | {"FLEET_AUTH_SCHEME": "bearer"}
    result = run_ask(tmp_path, "hi", env=env)
    assert result.returncode == 3
    assert "langsmith-api-key" in result.stderr


def test_non_owner_pat_exits_4_with_owner_hint(agent_server: AgentServer, tmp_path: Path) -> None:
    env = agent_env(agent_server, "scripted", key=agent_server.other_key)
    result = run_ask(tmp_path, "hi", env=env)
    assert result.returncode == 4
    assert "not tied to the owner" in result.stderr


def test_wrong_agent_id_exits_4(agent_server: AgentServer, tmp_path: Path) -> None:
    env = agent_env(agent_server, "scripted") | {
        "FLEET_AGENT_ID": "00000000-0000-4000-8000-000000000000"
    }
    result = run_ask(tmp_path, "hi", env=env)
    assert result.returncode == 4
    assert "Not found" in result.stderr


def test_closed_port_exits_5(agent_server: AgentServer, tmp_path: Path, closed_url: str) -> None:
    env = agent_env(agent_server, "scripted") | {"FLEET_API_URL": closed_url}
    result = run_ask(tmp_path, "hi", env=env)
    assert result.returncode == 5
    assert "Cannot reach" in result.stderr


def test_missing_settings_exit_2_naming_them(tmp_path: Path) -> None:
    result = run_ask(tmp_path, "hi")
    assert result.returncode == 2
    assert "FLEET_API_URL" in result.stderr
    assert "LANGGRAPH_API_KEY" in result.stderr


def test_json_output_is_ndjson(agent_server: AgentServer, tmp_path: Path) -> None:
    result = run_ask(tmp_path, "--json", "structured", env=agent_env(agent_server, "scripted"))
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    kinds = [e["kind"] for e in events]
    assert kinds[0] == "run_started" and kinds[-1] == "run_ended"
    text = "".join(e["text"] for e in events if e["kind"] == "text_delta")
    assert text == replies.echo_reply("structured", 1)


def test_env_file_settings(agent_server: AgentServer, tmp_path: Path) -> None:
    env_file = tmp_path / "agent.env"
    values = agent_env(agent_server, "scripted")
    env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    result = run_ask(tmp_path, "--env-file", str(env_file), "from dotenv")
    assert result.returncode == 0, result.stderr
    assert "from dotenv" in result.stdout


def test_ctrl_c_cancels_on_server(agent_server: AgentServer, tmp_path: Path) -> None:
    env = isolated_env(tmp_path, agent_env(agent_server, "slow"))
    process = subprocess.Popen(
        [sys.executable, "-m", "fleet_tui", "ask", "--thread", "new", "tokens=200 delay=0.1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert process.stdout is not None
    first = process.stdout.read(2)  # the reply has started
    assert first
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "cancelled on the server" in err
    thread_id = err.split("thread: ", 1)[1].split()[0]
    deadline = time.monotonic() + 10
    status = None
    while time.monotonic() < deadline:
        runs = httpx.get(
            f"{agent_server.url}/threads/{thread_id}/runs", headers=agent_server.headers()
        ).json()
        status = runs[0]["status"]
        if status != "running":
            break
        time.sleep(0.2)
    assert status in ("interrupted", "error", "cancelled")


def test_demo_answers_without_settings(tmp_path: Path) -> None:
    # --demo before the command, where `fleet-tui --help` lists it
    result = run_cli(tmp_path, "--demo", "ask", "hello", timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def test_help_on_every_command(tmp_path: Path) -> None:
    for args in ([], ["ask"], ["threads"], ["config"], ["config", "set"]):
        result = subprocess.run(
            [sys.executable, "-m", "fleet_tui", *args, "--help"],
            capture_output=True,
            text=True,
            env=isolated_env(tmp_path),
            timeout=30,
        )
        assert result.returncode == 0, (args, result.stderr)
        assert "usage:" in result.stdout
    version = subprocess.run(
        [sys.executable, "-m", "fleet_tui", "--version"], capture_output=True, text=True
    )
    assert version.stdout.startswith("fleet-tui ")


def test_ask_does_not_import_textual(tmp_path: Path) -> None:
    code = (
        "import sys, fleet_tui.cli.ask, fleet_tui.main; "
        "print(any(m == 'textual' or m.startswith('textual.') for m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


@pytest.mark.parametrize("command", [["ask", "hello"], ["threads"], []])
def test_a_missing_env_file_is_a_usage_error_not_a_traceback(
    tmp_path: Path, command: list[str]
) -> None:
    missing = tmp_path / "missing.env"
    flags = ["--env-file", str(missing)]
    argv = [command[0], *flags, *command[1:]] if command else flags
    result = subprocess.run(
        [sys.executable, "-m", "fleet_tui", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        env=isolated_env(tmp_path),
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"the env file {missing} does not exist" in result.stderr


# --- flags before or after the command ------------------------------------------------------


def test_connection_flags_before_the_command_are_used(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    key_only = {"LANGGRAPH_API_KEY": agent_server.owner_key}
    url, agent = agent_server.url, agent_server.assistant_id("scripted")
    before = run_cli(tmp_path, "--url", url, "--agent-id", agent, "ask", "hi", env=key_only)
    assert before.returncode == 0, before.stderr
    assert before.stdout.strip() == replies.echo_reply("hi", 1).strip()


def test_a_flag_after_the_command_wins_over_one_before(
    agent_server: AgentServer, tmp_path: Path, closed_url: str
) -> None:
    env = agent_env(agent_server, "scripted")
    wrong_agent = "00000000-0000-4000-8000-000000000000"
    result = run_cli(
        tmp_path,
        *("--url", closed_url, "--agent-id", wrong_agent),
        "ask",
        *("--url", agent_server.url, "--agent-id", agent_server.assistant_id("tools")),
        "after wins",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == replies.tools_answer("after wins")


# --- thread ids the server does not know ---------------------------------------------------


def _saved_threads(home: Path, env: dict[str, str]) -> list[dict[str, object]]:
    listing = run_cli(home, "threads", "--json", env=env)
    assert listing.returncode == 0, listing.stderr
    return list(json.loads(listing.stdout))


@pytest.mark.parametrize("thread_id", ["garbage", "00000000-0000-4000-8000-000000000000"])
def test_an_unknown_thread_exits_4_and_is_not_saved(
    agent_server: AgentServer, tmp_path: Path, thread_id: str
) -> None:
    env = agent_env(agent_server, "scripted")
    result = run_ask(tmp_path, "--thread", thread_id, "hi", env=env)
    assert result.returncode == 4, result.stderr
    assert f"no such thread {thread_id} on this agent" in result.stderr
    assert "Traceback" not in result.stderr
    assert _saved_threads(tmp_path, env) == []
    # so `--thread last` has nothing to pick up
    last = run_ask(tmp_path, "--thread", "last", "again", env=env)
    assert last.returncode == 2, last.stderr
    assert "no earlier conversation" in last.stderr


def test_resume_with_nothing_pending_exits_2_before_sending(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    env = agent_env(agent_server, "hitl")
    first = run_ask(tmp_path, "--thread", "new", "please send it", env=env)
    assert first.returncode == 6, first.stderr
    thread_id = first.stderr.split("thread: ", 1)[1].split()[0]
    approve = json.dumps({"decisions": [{"type": "approve"}]})
    resumed = run_ask(tmp_path, "--thread", thread_id, "--resume", approve, env=env)
    assert resumed.returncode == 0, resumed.stderr
    runs_before = httpx.get(
        f"{agent_server.url}/threads/{thread_id}/runs", headers=agent_server.headers()
    ).json()

    again = run_ask(tmp_path, "--thread", thread_id, "--resume", approve, env=env)
    assert again.returncode == 2, again.stderr
    assert f"nothing is waiting for a decision on thread {thread_id}" in again.stderr
    assert again.stdout == ""
    runs_after = httpx.get(
        f"{agent_server.url}/threads/{thread_id}/runs", headers=agent_server.headers()
    ).json()
    assert len(runs_after) == len(runs_before)  # nothing was sent


# --- stdout closed early: `fleet-tui ask hi | head -1` --------------------------------------


def _store(home: Path) -> Store:
    return Store.open(home / "data" / "fleet-tui" / "fleet.db")


def _settled_run_statuses(server: AgentServer, thread_id: str) -> list[str]:
    """The thread's runs' statuses once none is `running` (or after 10 s)."""
    deadline = time.monotonic() + 10
    while True:
        runs = httpx.get(f"{server.url}/threads/{thread_id}/runs", headers=server.headers())
        statuses = [run["status"] for run in runs.json()]
        if "running" not in statuses or time.monotonic() > deadline:
            return statuses
        time.sleep(0.1)


def test_closed_stdout_cancels_the_run_quietly_and_keeps_the_partial_reply(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    env = isolated_env(tmp_path, agent_env(agent_server, "slow"))
    process = subprocess.Popen(
        [sys.executable, "-m", "fleet_tui", "ask", "--thread", "new", "tokens=300 delay=0.05"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=tmp_path,
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.read(2)  # the reply has started
    process.stdout.close()  # the reader leaves, as `head -c 2` does
    err = process.stderr.read().decode()
    assert process.wait(timeout=30) == 141, err
    assert "Traceback" not in err and "Broken pipe" not in err
    assert [line for line in err.splitlines() if not line.startswith("thread: ")] == []
    thread_id = err.split("thread: ", 1)[1].split()[0]
    # the server was told to stop (not left generating for nobody) ...
    assert _settled_run_statuses(agent_server, thread_id) == ["interrupted"]
    # ... and the store tells the truth: cancelled, with what had arrived
    with _store(tmp_path) as store:
        agent = store.ensure_agent(agent_server.url, agent_server.assistant_id("slow"))
        (conversation,) = store.list_conversations(agent.id)
        assert conversation.status == "cancelled"
        reply = [m for m in store.messages(conversation.id) if m.role == "ai"]
        assert reply and reply[0].content.startswith("w1")
        assert len(reply[0].content.split()) < 300


def test_json_output_escapes_c1_controls(agent_server: AgentServer, tmp_path: Path) -> None:
    result = run_ask(tmp_path, "--json", "anything", env=agent_env(agent_server, "hostile"))
    assert result.returncode == 0, result.stderr
    raw = result.stdout
    assert "\x9b" not in raw and "\x7f" not in raw  # the hostile reply has both
    assert not any(0x7F <= ord(c) <= 0x9F or c in "\u2028\u2029" for c in raw)
    # the same text once decoded: escaped, not dropped
    events = [json.loads(line) for line in raw.splitlines()]
    text = "".join(e["text"] for e in events if e["kind"] == "text_delta")
    assert "c1:\x9b31m" in text and "del:\x7f" in text


@pytest.mark.parametrize("saved_here", [True, False], ids=["stored-locally", "server-only"])
def test_resume_prints_only_the_new_text(
    agent_server: AgentServer, tmp_path: Path, saved_here: bool
) -> None:
    # The agent says something *and* asks for approval; on resume the middleware re-sends
    # that message, which must not be printed again — whether the thread is in the local
    # store (its stored ids) or only on the server (the ids in its /state).
    env = agent_env(agent_server, "agent")
    first = run_ask(tmp_path, "--thread", "new", "please send the email", env=env)
    assert first.returncode == 6, first.stderr
    assert "I drafted an email" in first.stdout
    thread_id = first.stderr.split("thread: ", 1)[1].split()[0]
    home = tmp_path if saved_here else tmp_path / "elsewhere"
    home.mkdir(exist_ok=True)
    approve = json.dumps({"decisions": [{"type": "approve"}]})
    resumed = run_ask(home, "--thread", thread_id, "--resume", approve, env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert "I drafted an email" not in resumed.stdout
    assert resumed.stdout.startswith("Done:"), resumed.stdout
    assert "tool call send_email" not in resumed.stderr  # not announced again
