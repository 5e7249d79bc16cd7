"""`fleet-tui inbox` as a user runs it, against the real Agent Server: saved agents on the
`hitl` and `scripted` assistants and one whose token is not the owner's (404)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_fixture import AgentServer
from test_ask import isolated_env

from fleet_tui.common.exit_codes import ExitCode

MAIL = ("mail", "hitl", False)
CHAT = ("chat", "scripted", False)
STRANGER = ("stranger", "inbox", True)


def save_agents(home: Path, server: AgentServer, *agents: tuple[str, str, bool]) -> None:
    profiles = {
        name: {
            "url": server.url,
            "agent_id": server.assistant_id(graph),
            "api_key": server.other_key if other else server.owner_key,
        }
        for name, graph, other in agents
    }
    path = home / "config" / "fleet-tui" / "settings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"version": 1, "current": agents[0][0], "profiles": profiles}
    path.write_text(json.dumps(document))
    path.chmod(0o600)


def inbox(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fleet_tui", "inbox", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=isolated_env(home),
        cwd=home,
        stdin=subprocess.DEVNULL,
    )


def elsewhere(server: AgentServer, graph: str, text: str, title: str | None = None) -> str:
    """A thread made and run to its end by another client."""
    with httpx.Client(base_url=server.url, headers=server.headers(), timeout=60) as http:
        metadata: dict[str, Any] = {"title": title} if title else {}
        thread_id: str = http.post("/threads", json={"metadata": metadata}).json()["thread_id"]
        http.post(
            f"/threads/{thread_id}/runs/wait",
            json={
                "assistant_id": server.assistant_id(graph),
                "input": {"messages": [{"role": "human", "content": text}]},
            },
        ).raise_for_status()
    return thread_id


def test_something_waits_exit_6_with_json_and_the_unchecked_agent_named(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    save_agents(tmp_path, agent_server, MAIL, CHAT, STRANGER)
    thread_id = elsewhere(agent_server, "hitl", "email erin about the inbox command")

    result = inbox(tmp_path, "--json")

    assert result.returncode == ExitCode.INTERRUPTED, result.stderr
    document = json.loads(result.stdout)
    assert document["unchecked"] == [
        {"agent": "stranger", "problem": document["unchecked"][0]["problem"]}
    ]
    assert document["unchecked"][0]["problem"]
    assert agent_server.other_key not in result.stdout + result.stderr
    assert "could not check 'stranger'" in result.stderr
    mine = [item for item in document["items"] if item["thread_id"] == thread_id]
    assert len(mine) == 1
    item = mine[0]
    assert item["kind"] == "waiting" and item["agent"] == "mail"
    assert item["title"] == "email erin about the inbox command"
    assert item["actions"][0]["tool"] == "send_email"
    assert set(item["actions"][0]["allowed"]) >= {"approve", "reject"}
    assert item["what"].startswith("send_email(")

    text = inbox(tmp_path)
    assert text.returncode == ExitCode.INTERRUPTED
    line = next(ln for ln in text.stdout.splitlines() if "email erin" in ln)
    assert "waiting" in line and "mail" in line and "send_email(" in line


def test_nothing_waits_exit_0(agent_server: AgentServer, tmp_path: Path) -> None:
    save_agents(tmp_path, agent_server, CHAT)
    elsewhere(agent_server, "scripted", "hello before the first look")

    first = inbox(tmp_path, "--json")

    assert first.returncode == ExitCode.OK, first.stderr
    assert json.loads(first.stdout) == {"items": [], "unchecked": []}

    # a run finishing elsewhere is an unread item, but nothing waits: still 0
    thread_id = elsewhere(agent_server, "scripted", "hello \x1b]0;owned\x07 after", "T\x1b[2Jitle")
    second = inbox(tmp_path)
    assert second.returncode == ExitCode.OK, second.stderr
    line = next(ln for ln in second.stdout.splitlines() if "finished" in ln)
    assert "chat" in line and "itle" in line
    assert "\x1b" not in second.stdout + second.stderr and "\x07" not in second.stdout
    again = json.loads(inbox(tmp_path, "--json").stdout)
    assert [i["thread_id"] for i in again["items"]] == [thread_id]


def test_no_agent_could_be_checked_exit_5(agent_server: AgentServer, tmp_path: Path) -> None:
    save_agents(tmp_path, agent_server, STRANGER)

    result = inbox(tmp_path, "--json")

    assert result.returncode == ExitCode.UNREACHABLE
    assert json.loads(result.stdout)["unchecked"][0]["agent"] == "stranger"
    assert "could not check 'stranger'" in result.stderr


def test_no_saved_agent_is_a_usage_error(tmp_path: Path) -> None:
    result = inbox(tmp_path)
    assert result.returncode == ExitCode.USAGE
    assert "no saved agents" in result.stderr


def test_watch_prints_one_line_per_new_item_until_ctrl_c(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    save_agents(tmp_path, agent_server, MAIL)
    watcher = subprocess.Popen(
        [sys.executable, "-m", "fleet_tui", "inbox", "--watch", "--json", "--interval", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=isolated_env(tmp_path),
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
    )
    try:
        # the first look is made (what is already there is printed first)
        store = tmp_path / "data" / "fleet-tui" / "fleet.db"
        deadline = time.monotonic() + 60
        while not (tmp_path / "data" / "fleet-tui" / "watch.lock").exists() or not store.exists():
            assert time.monotonic() < deadline and watcher.poll() is None
            time.sleep(0.1)
        time.sleep(2)
        thread_id = elsewhere(agent_server, "hitl", "email frank while watching")
        assert watcher.stdout is not None
        lines = []
        while True:
            line = watcher.stdout.readline()
            assert line, watcher.stderr.read() if watcher.stderr else ""
            lines.append(json.loads(line))
            if lines[-1]["thread_id"] == thread_id:
                break
        assert lines[-1]["kind"] == "waiting" and lines[-1]["agent"] == "mail"
        assert sum(item["thread_id"] == thread_id for item in lines) == 1

        # a second process on the same store does not watch: it reads what the first stores
        second = inbox_watch_briefly(tmp_path)
        assert "another fleet-tui watches this store" in second
    finally:
        watcher.send_signal(signal.SIGINT)
        try:
            watcher.wait(20)
        finally:
            watcher.kill()
    assert watcher.returncode == ExitCode.CTRL_C
    assert watcher.stderr is not None and "Traceback" not in watcher.stderr.read()


def inbox_watch_briefly(home: Path) -> str:
    other = subprocess.Popen(
        [sys.executable, "-m", "fleet_tui", "inbox", "--watch", "--interval", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=isolated_env(home),
        cwd=home,
        stdin=subprocess.DEVNULL,
    )
    time.sleep(4)
    os.kill(other.pid, signal.SIGINT)
    _, err = other.communicate(timeout=20)
    assert other.returncode == ExitCode.CTRL_C, err
    return err


@pytest.mark.parametrize(("value", "shown"), [("30", "every 30 s"), ("0", "off")])
def test_config_sets_and_shows_the_watch_settings(tmp_path: Path, value: str, shown: str) -> None:
    env = isolated_env(tmp_path)
    run = [sys.executable, "-m", "fleet_tui", "config"]
    done = subprocess.run(
        [*run, "set", "watch_interval", value], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "saved watch_interval = " + value in done.stdout
    refused = subprocess.run(
        [*run, "set", "watch_interval", "2"], env=env, capture_output=True, text=True
    )
    assert refused.returncode == 2 and "nothing saved" in refused.stderr
    done = subprocess.run([*run, "set", "nudge_terminal", "true"], env=env, capture_output=True)
    assert done.returncode == 0
    full = subprocess.run([*run, "show"], env=env, capture_output=True, text=True)
    assert "(nudge_terminal): on" in full.stdout
    assert f"(watch_interval): {shown}" in full.stdout
