"""`fleet-tui paths`: where fleet-tui keeps things on this machine. No Textual import."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO

from fleet_tui.common.crash import log_dir
from fleet_tui.common.sanitize import for_stderr
from fleet_tui.settings.config_file import default_config_path
from fleet_tui.storage.store_files import default_db_path

DEMO_NOTE = "The demo (--demo) keeps its conversations in a temporary folder, deleted on quit."


def known_paths() -> list[tuple[str, str, Path]]:
    """(name, what it holds, path) for each place fleet-tui writes to."""
    from fleet_tui.services.export import DEFAULT_DIRNAME

    return [
        ("settings", "saved agents and preferences (mode 0600)", default_config_path()),
        ("store", "conversations, plans, files, decisions (SQLite)", default_db_path()),
        ("exports", "default folder of exported conversations", Path.home() / DEFAULT_DIRNAME),
        ("logs", "crash reports and the debug log (tokens masked)", log_dir()),
    ]


def run_paths(out: IO[str], *, as_json: bool = False) -> int:
    rows = known_paths()
    if as_json:
        print(json.dumps({name: str(path) for name, _what, path in rows}), file=out)
        return 0
    width = max(len(name) for name, _what, _path in rows)
    room = max(len(str(path)) for _name, _what, path in rows)
    for name, what, path in rows:
        print(for_stderr(f"{name.ljust(width)}  {str(path).ljust(room)}  {what}"), file=out)
    print(
        "The demo (--demo) keeps its conversations in a temporary folder, deleted on quit.",
        file=out,
    )
    return 0
