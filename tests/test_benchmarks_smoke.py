"""Every benchmark runs at a tiny size, so the scripts cannot rot. No timing is asserted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from server_fixture import AgentServer

ROOT = Path(__file__).resolve().parent.parent
RUN_ALL = ROOT / "benchmarks" / "run_all.py"
OFFLINE = [
    "startup",
    "sidebar",
    "stream_render",
    "open_thread",
    "sse_decode",
    "large_reply",
    "deep_views",
    "inbox_open",
]
# what each server benchmark prints when the streamed replies arrived whole
WITH_SERVER = {
    "stream_e2e": "painted reply == the server's text: OK",
    "several_streams": "every reply complete in its own transcript: OK",
    "deep_stream": "each sub-agent's text in its own card, none in the main reply: MET",
    "inbox_watch": "requests per agent, nothing changed: 1 (<= 1: MET)",
}


def _smoke(names: list[str], cache: Path, *extra: str) -> str:
    env = {**os.environ, "FLEET_BENCH_CACHE": str(cache), "PYTHONUNBUFFERED": "1"}
    done = subprocess.run(
        [sys.executable, str(RUN_ALL), "--smoke", "--only", ",".join(names), *extra],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "=== summary" in done.stdout
    return done.stdout


@pytest.mark.parametrize("name", OFFLINE)
def test_benchmark_runs(name: str, tmp_path: Path) -> None:
    out = _smoke([name], tmp_path)
    assert f"=== {name}: " in out


@pytest.mark.server
@pytest.mark.parametrize("name", sorted(WITH_SERVER))
def test_server_benchmark_runs(name: str, tmp_path: Path, agent_server: AgentServer) -> None:
    out = _smoke([name], tmp_path, "--url", agent_server.url, "--key", agent_server.owner_key)
    assert WITH_SERVER[name] in out
