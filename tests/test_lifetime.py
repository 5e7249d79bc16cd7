"""The process's lifetime, seen from outside: SIGTERM and a closed terminal stop the demo's
Agent Server and remove its folders; input that is not UTF-8 does not end the app."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pty_harness import PtyProcess
from test_ask import isolated_env

FLEET_TUI = [sys.executable, "-m", "fleet_tui"]


# --- finding what the demo left behind ------------------------------------------------------


def _proc_stat(pid: str) -> list[str] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses
    return stat.rsplit(")", 1)[1].split()


def _pids() -> Iterator[str]:
    return (entry for entry in os.listdir("/proc") if entry.isdigit())


def _sessions_mentioning(marker: str) -> set[int]:
    """Session ids of the running processes whose command line contains `marker`."""
    found = set()
    for pid in _pids():
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        stat = _proc_stat(pid)
        if marker in cmdline and stat is not None and stat[0] != "Z":
            found.add(int(stat[3]))
    return found


def _alive_in(sessions: set[int]) -> list[int]:
    alive = []
    for pid in _pids():
        stat = _proc_stat(pid)
        if stat is not None and stat[0] != "Z" and int(stat[3]) in sessions:
            alive.append(int(pid))
    return alive


def _settled_alive_in(sessions: set[int], timeout: float = 10) -> list[int]:
    deadline = time.monotonic() + timeout
    while (alive := _alive_in(sessions)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive


def _kill_sessions(sessions: set[int]) -> None:
    for pid in _alive_in(sessions):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _demo_env(home: Path, **extra: str) -> tuple[dict[str, str], Path]:
    temp = home / "tmp"
    temp.mkdir()
    env = isolated_env(home, {"TMPDIR": str(temp), "XDG_STATE_HOME": str(home / "state"), **extra})
    return env, temp


def _wait_for_server(marker: str, timeout: float = 120) -> set[int]:
    deadline = time.monotonic() + timeout
    while not (sessions := _sessions_mentioning(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return sessions


# --- SIGTERM and SIGHUP stop the demo's server ----------------------------------------------


@pytest.mark.parametrize("how", ["SIGTERM", "terminal closed"])
def test_stopping_the_demo_tui_stops_its_server(tmp_path: Path, how: str) -> None:
    env, temp = _demo_env(tmp_path)
    app = PtyProcess([*FLEET_TUI, "--demo"], env=env, cwd=tmp_path)
    sessions: set[int] = set()
    try:
        assert app.wait_for("connected", timeout=120), app.text[-2000:]
        sessions = _sessions_mentioning(str(temp))
        assert sessions, "the demo's Agent Server is not running"
        assert app.pid not in sessions  # its own session: the hang-up does not reach it
        if how == "SIGTERM":
            os.kill(app.pid, signal.SIGTERM)
        else:
            app.hang_up()
        expected = signal.SIGTERM if how == "SIGTERM" else signal.SIGHUP
        assert app.wait(timeout=30) == 128 + expected
        assert _settled_alive_in(sessions) == []
        assert list(temp.iterdir()) == []
    finally:
        app.close()
        _kill_sessions(sessions)


def test_sigterm_while_the_demo_server_starts(tmp_path: Path) -> None:
    env, temp = _demo_env(tmp_path)
    app = PtyProcess([*FLEET_TUI, "--demo"], env=env, cwd=tmp_path)
    sessions: set[int] = set()
    try:
        sessions = _wait_for_server(str(temp))
        assert sessions, app.text[-2000:]
        os.kill(app.pid, signal.SIGTERM)  # the server is starting; the app is not up yet
        assert app.wait(timeout=30) == 128 + signal.SIGTERM
        assert _settled_alive_in(sessions) == []
        assert list(temp.iterdir()) == []
    finally:
        app.close()
        _kill_sessions(sessions)


def test_sigterm_during_ask_demo_stops_the_run_and_the_server(tmp_path: Path) -> None:
    env, temp = _demo_env(tmp_path, FLEET_DEMO_TOKEN_DELAY="0.3")
    process = subprocess.Popen(
        [*FLEET_TUI, "ask", "--demo", "hello"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=tmp_path,
    )
    sessions: set[int] = set()
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 120)
        assert ready and process.stdout.read(1), "the reply did not start"
        sessions = _sessions_mentioning(str(temp))
        assert sessions
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=30)
        assert process.returncode == 128 + signal.SIGTERM, err
        assert "stopped by SIGTERM" in err.decode()
        assert "Traceback" not in err.decode()
        assert _settled_alive_in(sessions) == []
        assert list(temp.iterdir()) == []
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        _kill_sessions(sessions)


# --- input that is not UTF-8 ----------------------------------------------------------------


@pytest.mark.parametrize(
    "data", [b"\xff\xfe", b"\x1b[200~\xff\xfe\x1b[201~"], ids=["typed", "pasted"]
)
def test_input_that_is_not_utf8_is_replaced_and_the_app_goes_on(
    tmp_path: Path, data: bytes
) -> None:
    env = isolated_env(tmp_path, {"XDG_STATE_HOME": str(tmp_path / "state")})
    app = PtyProcess(FLEET_TUI, env=env, cwd=tmp_path)  # first run: the settings screen
    try:
        assert app.wait_for("Paste snippet", timeout=60), app.text[-2000:]
        app.write(data)
        app.write(b"zq")
        # a paste may land after the keys typed behind it: each shows up, in whichever order
        assert app.wait_for("zq", timeout=30), app.text[-2000:]
        assert app.wait_for("\ufffd\ufffd", timeout=30), app.text[-2000:]
        app.write(b"\x11")  # ctrl+q
        assert app.wait(timeout=30) == 0
    finally:
        app.close()


def test_sigterm_stops_the_standalone_demo_server(tmp_path: Path) -> None:
    env, temp = _demo_env(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "fleet_tui.demo.server"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=tmp_path,
        text=True,
    )
    sessions: set[int] = set()
    try:
        assert process.stdout is not None
        for line in process.stdout:  # ends if the process dies
            if line.startswith("Press Ctrl-C"):
                break
        sessions = _sessions_mentioning(str(temp))
        assert sessions
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 128 + signal.SIGTERM
        assert _settled_alive_in(sessions) == []
        assert list(temp.iterdir()) == []
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        _kill_sessions(sessions)
