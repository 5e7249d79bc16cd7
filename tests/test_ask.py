"""`fleet-tui ask` against the real Agent Server, run as a real subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from secret_guard import SECRETS
from server_fixture import AgentServer, replies

pytestmark = pytest.mark.server


def run_ask(
    home: Path,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "fleet_tui", "ask", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=isolated_env(home, env),
        cwd=cwd or home,
        stdin=subprocess.DEVNULL,
    )
    # the secret-leak guard: no token on stdout or stderr, whatever happened
    leaked = [s for s in SECRETS if s in result.stdout or s in result.stderr]
    assert not leaked, "a token leaked into the output of fleet-tui ask"
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
    import httpx

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
    result = run_ask(tmp_path, "--demo", "hello", timeout=120)
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
        "import sys, fleet_tui.ask, fleet_tui.cli; "
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
