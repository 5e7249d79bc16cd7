"""Broken machines for store tests: a file or folder that cannot be written, a full disk.

Read-only is real: `chattr +i` when running as root (root ignores permission bits), the
permission bits otherwise. A full disk is SQLite's own SQLITE_FULL ("database or disk is
full"), raised by `PRAGMA max_page_count` exactly where a real full disk raises it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from fleet_tui.storage.store import Store

READ_ONLY = (
    "the local store is read-only: conversations are shown but not saved — "
    "check the permissions of {path}"
)


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """`path` (a file or a folder) cannot be written for the duration."""
    if os.geteuid() == 0:
        result = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
        if result.returncode != 0:
            pytest.skip(f"root without chattr +i here: {result.stderr.strip()}")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        return
    mode = path.stat().st_mode
    path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        yield
    finally:
        path.chmod(mode)


def fill_disk(store: Store) -> None:
    """From now on the store's file cannot grow: the next write that needs a page fails."""
    conn = store._conn
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
