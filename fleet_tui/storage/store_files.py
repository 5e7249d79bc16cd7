"""The store's file: connecting, checking, moving a damaged file aside, and the fallbacks used
when the file cannot be written (read-only, disk full, no permission).

No Textual import; `fleet_tui.storage.store` re-exports the public names.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import platformdirs

from fleet_tui.storage.store_schema import (
    SCHEMA_VERSION,
    StoreError,
    migrate,
    rollback,
    schema_version,
)

BUSY_TIMEOUT_MS = 5_000

# primary result codes (the low byte of an extended code)
SQLITE_PERM, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY = 3, 5, 6, 8
SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_NOTADB = 10, 11, 13, 14, 26
_CORRUPT_CODES = {SQLITE_CORRUPT, SQLITE_NOTADB}
_BUSY_CODES = {SQLITE_BUSY, SQLITE_LOCKED}
# The machine refuses the write (not our SQL): the store keeps working in memory instead.
_UNSAVABLE_CODES = {
    SQLITE_PERM, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL,
    SQLITE_CANTOPEN,
}  # fmt: skip
_READ_ONLY_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS}
_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


@dataclass(frozen=True, slots=True)
class Opened:
    """A store's connection as opened, and what the user must be told about it."""

    conn: sqlite3.Connection
    recovered_from: Path | None = None  # where a damaged file was moved
    problem: str | None = None  # why nothing is saved
    in_memory: bool = False


def default_db_path() -> Path:
    return platformdirs.user_data_path("fleet-tui") / "fleet.db"


def connect(path: Path) -> sqlite3.Connection:
    """A connection with the store's settings; does not check or migrate anything."""
    conn = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _code(exc: BaseException) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def is_corruption(exc: sqlite3.DatabaseError) -> bool:
    code = _code(exc)
    if code is not None:
        return code in _CORRUPT_CODES
    return not isinstance(exc, sqlite3.OperationalError)


def is_busy(exc: sqlite3.OperationalError) -> bool:
    code = _code(exc)
    return code in _BUSY_CODES if code is not None else "locked" in str(exc)


def is_unsavable(exc: BaseException) -> bool:
    """True when `exc` says the file cannot take writes (as opposed to a mistake in our SQL)."""
    if isinstance(exc, OSError):
        return True
    return isinstance(exc, sqlite3.Error) and _code(exc) in _UNSAVABLE_CODES


def unsaved_problem(exc: BaseException, path: Path) -> str:
    """What to tell the user when `exc` stopped the store from saving to `path`."""
    code, number = _code(exc), getattr(exc, "errno", None)
    # SQLite needs to create its -wal and -shm files beside the store: a folder it may not
    # write makes even a writable file read-only (or, to SQLite, one it "cannot open").
    folder_locked = not os.access(path.parent, os.W_OK)
    read_only = code in (SQLITE_READONLY, SQLITE_PERM) or number in _READ_ONLY_ERRNOS
    if read_only or (code == SQLITE_CANTOPEN and folder_locked):
        return (
            "the local store is read-only: conversations are shown but not saved — "
            f"check the permissions of {path.parent if folder_locked else path}"
        )
    after = "replies are still shown, but nothing more is saved until fleet-tui restarts"
    if code == SQLITE_FULL or number in _FULL_ERRNOS:
        return (
            "not saved locally: disk is full — free some space on the disk that holds "
            f"{path}; {after}"
        )
    if code in _BUSY_CODES:
        return (
            f"not saved locally: another program keeps the local store {path} locked — close "
            f"it; {after}"
        )
    if path.is_dir():
        return f"not saved locally: {path} is a folder, not a file — move it away; {after}"
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return f"not saved locally: {reason} ({path}) — check that file; {after}"


def quick_check(path: Path, *, full: bool = True) -> None:
    """Raise sqlite3.DatabaseError unless `path` passes `PRAGMA quick_check`.

    `full=False` only reads the schema: that rejects a file that is not a database at once,
    while the full check reads every page (~190 ms at 200 MB); the TUI runs it after its
    first frame (`Store.verify`). Read-only on purpose: the last read-write connection to
    close deletes the -wal file, and a -wal beside a damaged database may hold the user's
    latest messages.
    """
    conn = sqlite3.connect(
        f"{path.absolute().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000
    )
    try:
        if full:
            result = conn.execute("PRAGMA quick_check").fetchall()
        else:
            conn.execute("PRAGMA schema_version").fetchall()
            result = [("ok",)]
    finally:
        conn.close()
    if result != [("ok",)]:
        detail = "; ".join(str(row[0]) for row in result[:3])
        raise sqlite3.DatabaseError(f"quick_check failed: {detail}")


def _probe_write(conn: sqlite3.Connection) -> None:
    """Raise the error a write would meet (read-only file or folder, full disk), writing
    nothing: SQLite opens a file it may not write read-only without a word, and only
    says so at the first write, which would then be a user's message."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        conn.execute(f"PRAGMA user_version = {int(version)}")
    finally:
        rollback(conn)


def open_checked(path: Path, *, full_check: bool = True) -> sqlite3.Connection:
    quick_check(path, full=full_check)
    conn = connect(path)
    try:
        _probe_write(conn)
        # journal_mode=WAL is persistent, so this is a no-op after the first open
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode != "wal":
            raise StoreError(f"cannot use WAL journaling for {path} (got {mode!r})")
        # NORMAL is durable against a killed process in WAL mode; only power loss can cost
        # the last transactions, and it saves an fsync per write
        conn.execute("PRAGMA synchronous = NORMAL")
        migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def open_read_only(path: Path) -> tuple[sqlite3.Connection, bool]:
    """A connection that only reads `path`, at the current schema, and whether it is an
    in-memory copy (made when the file holds an older schema, to upgrade it there).

    `immutable` is the last resort: a WAL file in a folder we may not write has no -shm to
    coordinate through, so other writers are not seen."""
    uri = path.absolute().as_uri()
    conn: sqlite3.Connection | None = None
    for mode in ("mode=ro", "immutable=1"):
        try:
            conn = sqlite3.connect(
                f"{uri}?{mode}",
                uri=True,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
            found = schema_version(conn)
            break
        except sqlite3.OperationalError:
            if conn is not None:
                conn.close()
            if mode == "immutable=1":
                raise
    assert conn is not None
    conn.execute("PRAGMA foreign_keys = ON")
    if found < SCHEMA_VERSION:
        memory = copy_to_memory(conn)
        conn.close()
        return memory, True
    return conn, False


def copy_to_memory(conn: sqlite3.Connection) -> sqlite3.Connection:
    """An in-memory copy of what `conn` sees, at the current schema: the store goes on there
    when its file cannot take writes any more (lost when the process ends, by design)."""
    memory = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    try:
        conn.backup(memory)
        memory.execute("PRAGMA foreign_keys = ON")
        migrate(memory)
    except BaseException:
        memory.close()
        raise
    return memory


def fresh_memory() -> sqlite3.Connection:
    """An empty store in memory, for when no file can be opened at all."""
    memory = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    memory.execute("PRAGMA foreign_keys = ON")
    migrate(memory)
    return memory


def move_aside(path: Path) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    # the sidecars go first: a -wal left beside a fresh database would be replayed into it
    for suffix in ("-wal", "-shm", "-journal"):
        sidecar = path.with_name(path.name + suffix)
        if sidecar.exists():
            sidecar.rename(target.with_name(target.name + suffix))
    path.rename(target)
    return target


def create_private(path: Path) -> None:
    """Create the file 0600 up front: SQLite gives the -wal/-shm files the same mode."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def open_store_file(path: Path, *, full_check: bool = True) -> Opened:
    """Open `path` for writing; read it when it cannot be written; start over in a fresh
    file (or, failing that, in memory) when it is damaged."""
    try:
        create_private(path)
        return Opened(open_checked(path, full_check=full_check))
    except sqlite3.DatabaseError as exc:
        if is_corruption(exc):
            return start_over(path)
        if not is_unsavable(exc):
            raise
        problem = unsaved_problem(exc, path)
    except OSError as exc:
        problem = unsaved_problem(exc, path)
    try:
        conn, in_memory = open_read_only(path)
    except sqlite3.DatabaseError as exc:
        if is_corruption(exc):
            return start_over(path)
        if not is_unsavable(exc):
            raise
        return Opened(fresh_memory(), problem=problem, in_memory=True)
    return Opened(conn, problem=problem, in_memory=in_memory)


def start_over(path: Path) -> Opened:
    """Move a damaged file aside (kept, never deleted) and start a fresh one."""
    try:
        moved = move_aside(path)
        create_private(path)
        return Opened(open_checked(path), recovered_from=moved)
    except (OSError, sqlite3.Error) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        problem = (
            f"the local store {path} is damaged and could not be moved aside ({reason}): "
            "conversations are shown but not saved — move the file away and restart fleet-tui"
        )
        return Opened(fresh_memory(), problem=problem, in_memory=True)
