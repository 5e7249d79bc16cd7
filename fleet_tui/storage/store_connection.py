"""The store's connection: opening, the write transaction, and going on in memory when the
file refuses writes. `Store` (fleet_tui.storage.store) adds the queries. No Textual import."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self, TypeVar

from fleet_tui.storage.store_files import (
    Opened,
    copy_to_memory,
    default_db_path,
    is_busy,
    is_unsavable,
    open_store_file,
    quick_check,
    start_over,
    unsaved_problem,
)
from fleet_tui.storage.store_records import Writes, bind
from fleet_tui.storage.store_schema import rollback

T = TypeVar("T")


class StoreConnection:
    """One connection, guarded by a lock so worker threads may share it.

    `problem` says, in a sentence for the user, why nothing is being saved (None while the
    file takes writes); `on_problem` is called with it once, when saving stops after opening.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        recovered_from: Path | None = None,
        *,
        problem: str | None = None,
        in_memory: bool = False,
    ) -> None:
        self._conn = conn
        self._lock = threading.RLock()
        self.path = path
        # where a corrupt file was moved to when this store was opened, for the UI to show
        self.recovered_from = recovered_from
        self.problem = problem
        self.on_problem: Callable[[str], None] | None = None
        self._in_memory = in_memory

    @classmethod
    def open(cls, path: Path | None = None, *, full_check: bool = True) -> Self:
        """Open (or create) the store; a damaged file is moved aside and a fresh one started.

        `full_check=False` defers the page-by-page check to `verify()` (for a fast start).
        A file that cannot be written is read, and the store says so in `problem`.
        """
        path = Path(path) if path is not None else default_db_path()
        return cls._of(open_store_file(path, full_check=full_check), path)

    @classmethod
    def _of(cls, opened: Opened, path: Path) -> Self:
        return cls(
            opened.conn,
            path,
            opened.recovered_from,
            problem=opened.problem,
            in_memory=opened.in_memory,
        )

    def verify(self) -> str | None:
        """The full `PRAGMA quick_check`; the problem found, or None. Safe in a thread."""
        try:
            quick_check(self.path)
        except sqlite3.DatabaseError as exc:
            return str(exc)
        return None

    def recover(self) -> Path | None:
        """Move a damaged store aside (kept, never deleted) and start a fresh one. None when
        the file could not be moved: the store then goes on in memory and says why in
        `problem`."""
        with self._lock:
            self._conn.close()
            fresh = start_over(self.path)
            self._conn, self._in_memory = fresh.conn, fresh.in_memory
            if fresh.problem is not None:
                self.problem = fresh.problem
                return None
            self.recovered_from = fresh.recovered_from
        return self.recovered_from

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing -------------------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[Writes]:
        """A short write transaction. IMMEDIATE takes the write lock up front, so the busy
        timeout applies (a deferred transaction that upgrades fails at once instead).

        Bulk loads only: a failure here is raised, while `_apply` saves the store."""
        with self._lock:
            self._begin()
            try:
                yield Writes(self._conn)
                self._conn.execute("COMMIT")
            except BaseException:
                rollback(self._conn)
                raise

    def _begin(self) -> None:
        for attempt in range(5):
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not is_busy(exc) or attempt == 4:
                    raise
                time.sleep(0.05 * (attempt + 1))

    def _apply(self, work: Callable[[Writes], T]) -> T:
        """Run `work` in one write transaction. When the file refuses it (read-only, disk
        full, I/O error), the store moves into memory, says why once, and runs it there."""
        with self._lock:
            try:
                return self._transaction(work)
            except sqlite3.Error as exc:
                if self._in_memory or not is_unsavable(exc):
                    raise
                first = self._to_memory(exc)
            result = self._transaction(work)
        if first is not None and self.on_problem is not None:
            self.on_problem(first)
        return result

    def _transaction(self, work: Callable[[Writes], T]) -> T:
        self._begin()
        try:
            result = work(Writes(self._conn))
            self._conn.execute("COMMIT")
        except BaseException:
            rollback(self._conn)
            raise
        return result

    def _to_memory(self, exc: sqlite3.Error) -> str | None:
        """Go on in an in-memory copy; the problem to announce, None if already known."""
        memory = copy_to_memory(self._conn)
        self._conn.close()
        self._conn, self._in_memory = memory, True
        if self.problem is not None:
            return None
        self.problem = unsaved_problem(exc, self.path)
        return self.problem

    def report(self, problem: str) -> None:
        """Pass a storage problem found by a caller (e.g. a run's recorder) to `on_problem`."""
        if self.on_problem is not None:
            self.on_problem(problem)

    def _one(self, sql: str, args: Iterable[Any] = ()) -> tuple[Any, ...] | None:
        with self._lock:
            return self._conn.execute(sql, bind(args)).fetchone()

    def _all(self, sql: str, args: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, bind(args)).fetchall()
