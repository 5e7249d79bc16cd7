"""`fleet-tui paths` says where each thing is kept, following the platform's variables."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def _run(tmp_path: Path, *args: str) -> str:
    env = {
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [sys.executable, "-m", "fleet_tui", "paths", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def test_paths_follow_the_platform_folders(tmp_path: Path) -> None:
    found = json.loads(_run(tmp_path, "--json"))
    assert found == {
        "settings": str(tmp_path / "config" / "fleet-tui" / "settings.json"),
        "store": str(tmp_path / "data" / "fleet-tui" / "fleet.db"),
        "exports": str(tmp_path / "home" / "fleet-tui-exports"),
        "logs": str(tmp_path / "state" / "fleet-tui" / "log"),
    }


def test_paths_for_a_person_name_each_place_and_the_demo(tmp_path: Path) -> None:
    text = _run(tmp_path)
    for name in ("settings", "store", "exports", "logs"):
        assert any(line.startswith(name) for line in text.splitlines())
    assert "temporary folder" in text
