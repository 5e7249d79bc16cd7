"""What the background watch reads and writes in bulk: the stored conversations of a page of
server threads, new threads imported in one transaction, and statuses brought up to date in
one transaction. One transaction per page keeps a 5,000-thread import fast and each write
short (another process may be writing too). No Textual import.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fleet_tui.storage.store_inbox import parse_waiting, waiting_json
from fleet_tui.storage.store_records import Writes, free_text, title_from
from fleet_tui.storage.store_schema import KEY_SHIFT

if TYPE_CHECKING:
    from fleet_tui.domain.interrupt_model import Interrupt
    from fleet_tui.storage.store_connection import StoreConnection

# SQLite binds at most 32,766 values per statement; a page is far below that, but a caller
# may pass more.
_CHUNK = 500
_WRITE_CHUNK = 250


@dataclass(frozen=True, slots=True)
class KnownThread:
    """A stored conversation of a server thread, as the watch compares it with the server."""

    conversation_id: int
    thread_id: str
    title: str
    status: str | None
    # the ids of the interrupts it waits on (None for an interrupt without an id)
    waiting: tuple[str | None, ...]
    changed_at: float | None
    seen_at: float | None


@dataclass(frozen=True, slots=True)
class NewThread:
    """A server thread the store lacks."""

    thread_id: str
    title: str
    updated_at: float | None
    status: str | None


def known_threads(
    store: StoreConnection, agent_pk: int, thread_ids: Iterable[str]
) -> dict[str, KnownThread]:
    """The stored conversations of these threads of an agent (the oldest one per thread)."""
    ids = list(dict.fromkeys(thread_ids))
    found: dict[str, KnownThread] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        rows = store._all(
            "SELECT id, thread_id, title, status, waiting, changed_at, seen_at FROM conversations"
            f" WHERE agent_pk = ? AND thread_id IN ({','.join('?' * len(chunk))}) ORDER BY id",
            [agent_pk, *chunk],
        )
        for row in rows:
            if row[1] in found:
                continue
            waiting = tuple(i.id for i in parse_waiting(row[4]))
            found[row[1]] = KnownThread(row[0], row[1], row[2], row[3], waiting, row[5], row[6])
    return found


def add_threads(
    store: StoreConnection, agent_pk: int, threads: Sequence[NewThread], now: float
) -> dict[str, int]:
    """Store new conversations for these threads in one transaction (a thread stored in the
    meantime, by another process, is not stored twice); thread id → conversation id."""
    out: dict[str, int] = {}
    # transactions of a few hundred rows: each index insert costs ~40 µs, and the app's own
    # reads wait for the store while one is going on
    for start in range(0, len(threads), _WRITE_CHUNK):
        out.update(_add(store, agent_pk, threads[start : start + _WRITE_CHUNK], now))
    return out


def _add(
    store: StoreConnection, agent_pk: int, threads: Sequence[NewThread], now: float
) -> dict[str, int]:
    def work(db: Writes) -> dict[str, int]:
        out = _conversation_ids(db, agent_pk, [t.thread_id for t in threads])
        fresh = list({t.thread_id: t for t in threads if t.thread_id not in out}.values())
        # the titles go into the search index in one statement below, not row by row
        db.execute("INSERT INTO search_deferred VALUES (1)")
        db.executemany(
            "INSERT INTO conversations"
            " (agent_pk, thread_id, title, created_at, updated_at, stateless, status)"
            " VALUES (?, ?, ?, ?, ?, 0, ?)",
            (
                (
                    agent_pk,
                    t.thread_id,
                    free_text(title_from(t.title)),
                    now,
                    t.updated_at if t.updated_at is not None else now,
                    t.status,
                )
                for t in fresh
            ),
        )
        added = list(_conversation_ids(db, agent_pk, [t.thread_id for t in fresh]).items())
        out.update(added)
        for start in range(0, len(added), _CHUNK):
            chunk = [cid for _, cid in added[start : start + _CHUNK]]
            db.execute(
                f"INSERT INTO search (rowid, text) SELECT id << {KEY_SHIFT}, title"
                f" FROM conversations WHERE id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
        db.execute("DELETE FROM search_deferred")
        return out

    return store._apply(work)


def _conversation_ids(db: Writes, agent_pk: int, thread_ids: Sequence[str]) -> dict[str, int]:
    """Thread id → the (first) conversation stored for it, for the threads that have one."""
    out: dict[str, int] = {}
    for start in range(0, len(thread_ids), _CHUNK):
        chunk = thread_ids[start : start + _CHUNK]
        rows = db.execute(
            "SELECT thread_id, MIN(id) FROM conversations WHERE agent_pk = ?"
            f" AND thread_id IN ({','.join('?' * len(chunk))}) GROUP BY thread_id",
            [agent_pk, *chunk],
        ).fetchall()
        out.update({row[0]: row[1] for row in rows})
    return out


@dataclass(frozen=True, slots=True)
class ThreadUpdate:
    """What the watch learnt of a stored conversation's thread. None leaves a field as is."""

    conversation_id: int
    status: str | None = None
    updated_at: float | None = None
    # the interrupts it waits on now (() when none: it leaves the inbox); None: not read
    waiting: Sequence[Interrupt] | None = None
    # when it changed (this machine's clock) and the failure's words; None: not a change
    changed_at: float | None = None
    failure: str | None = None
    seen_at: float | None = None
    # a title for a conversation that had none
    title: str | None = None


def update_threads(store: StoreConnection, updates: Sequence[ThreadUpdate]) -> None:
    """Apply every update in one transaction."""
    if not updates:
        return
    statements: list[tuple[str, tuple[Any, ...]]] = []
    for u in updates:
        cid = u.conversation_id
        if u.status is not None:
            statements.append(("UPDATE conversations SET status = ? WHERE id = ?", (u.status, cid)))
        if u.updated_at is not None:
            statements.append(
                ("UPDATE conversations SET updated_at = ? WHERE id = ?", (u.updated_at, cid))
            )
        if u.waiting is not None:
            text = waiting_json(u.waiting)
            statements.append(("UPDATE conversations SET waiting = ? WHERE id = ?", (text, cid)))
        if u.changed_at is not None:
            words = free_text(u.failure) if u.failure else None
            statements.append(
                (
                    "UPDATE conversations SET changed_at = ?, failure = ? WHERE id = ?",
                    (u.changed_at, words, cid),
                )
            )
        if u.title is not None:
            title = free_text(title_from(u.title))
            statements.append(("UPDATE conversations SET title = ? WHERE id = ?", (title, cid)))
        if u.seen_at is not None:
            statements.append(
                ("UPDATE conversations SET seen_at = ? WHERE id = ?", (u.seen_at, cid))
            )
    if not statements:
        return

    def work(db: Writes) -> None:
        for sql, args in statements:
            db.execute(sql, args)

    store._apply(work)
