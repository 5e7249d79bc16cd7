"""The local store: agents, conversations and messages in one SQLite file.

Stdlib `sqlite3` only, no Textual import: the TUI and `fleet-tui ask` share it, possibly at the
same time from two processes. WAL, a busy timeout and short `BEGIN IMMEDIATE` transactions make
that safe. Callers only ever see the frozen dataclasses below, never `sqlite3.Row`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Self

import platformdirs

MessageRole = Literal["human", "ai", "tool", "system", "error"]
ROLES: frozenset[str] = frozenset(("human", "ai", "tool", "system", "error"))

TITLE_MAX = 80
BUSY_TIMEOUT_MS = 5_000
FLUSH_INTERVAL = 1.0
# Search rows are keyed by conversation_id << 32 | seq (seq 0 is the title), so a hit names its
# conversation without a lookup in `messages`: that keeps frequent words cheap to filter on.
_KEY_SHIFT = 32
# The trigram tokenizer cannot match fewer than 3 characters; shorter queries match titles only.
MIN_TEXT_QUERY = 3

_CORRUPT_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB
_BUSY_CODES = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED


class StoreError(Exception):
    """The store cannot be used (for example, a newer fleet-tui wrote it)."""


def default_db_path() -> Path:
    return platformdirs.user_data_path("fleet-tui") / "fleet.db"


# -- records --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Agent:
    id: int
    url: str
    agent_id: str
    name: str
    created_at: float


@dataclass(frozen=True, slots=True)
class Conversation:
    id: int
    agent_pk: int
    thread_id: str | None
    title: str
    created_at: float
    updated_at: float
    status: str | None
    stateless: bool
    message_count: int


@dataclass(frozen=True, slots=True)
class StoredMessage:
    id: int
    conversation_id: int
    seq: int
    role: str
    content: str
    tool_calls: list[dict[str, Any]]
    tool_call_id: str | None
    name: str | None
    run_id: str | None
    server_id: str | None
    complete: bool
    reasoning: str
    created_at: float


# -- schema ---------------------------------------------------------------------------------
# Each step takes the database from version i to i + 1. Never edit a released step: append one.

_V1 = """
CREATE TABLE agents (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    UNIQUE (url, agent_id)
);
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY,
    agent_pk INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    thread_id TEXT,
    title TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    stateless INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX conversations_by_activity ON conversations (agent_pk, updated_at DESC, id DESC);
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    role TEXT NOT NULL,
    content TEXT NOT NULL DEFAULT '',
    tool_calls TEXT NOT NULL DEFAULT '[]',
    tool_call_id TEXT,
    name TEXT,
    run_id TEXT,
    server_id TEXT,
    complete INTEGER NOT NULL DEFAULT 1,
    created_at REAL NOT NULL,
    UNIQUE (conversation_id, seq)
);
"""

_V2 = """
ALTER TABLE conversations ADD COLUMN status TEXT;
ALTER TABLE messages ADD COLUMN reasoning TEXT NOT NULL DEFAULT '';
CREATE INDEX conversations_by_thread ON conversations (agent_pk, thread_id)
    WHERE thread_id IS NOT NULL;
CREATE INDEX messages_by_server_id ON messages (conversation_id, server_id)
    WHERE server_id IS NOT NULL;
"""

# Contentless trigram index over titles and message text (substring search, case-insensitive).
# Contentless keeps the file small; the triggers hand back the old text to delete it.
_V3 = f"""
CREATE VIRTUAL TABLE search USING fts5(text, content='', tokenize='trigram');
CREATE TRIGGER messages_search_insert AFTER INSERT ON messages BEGIN
    INSERT INTO search (rowid, text)
    VALUES ((new.conversation_id << {_KEY_SHIFT}) | new.seq, new.content);
END;
CREATE TRIGGER messages_search_delete AFTER DELETE ON messages BEGIN
    INSERT INTO search (search, rowid, text)
    VALUES ('delete', (old.conversation_id << {_KEY_SHIFT}) | old.seq, old.content);
END;
CREATE TRIGGER messages_search_update AFTER UPDATE OF content ON messages BEGIN
    INSERT INTO search (search, rowid, text)
    VALUES ('delete', (old.conversation_id << {_KEY_SHIFT}) | old.seq, old.content);
    INSERT INTO search (rowid, text)
    VALUES ((new.conversation_id << {_KEY_SHIFT}) | new.seq, new.content);
END;
CREATE TRIGGER conversations_search_insert AFTER INSERT ON conversations BEGIN
    INSERT INTO search (rowid, text) VALUES (new.id << {_KEY_SHIFT}, new.title);
END;
CREATE TRIGGER conversations_search_delete AFTER DELETE ON conversations BEGIN
    INSERT INTO search (search, rowid, text) VALUES ('delete', old.id << {_KEY_SHIFT}, old.title);
END;
CREATE TRIGGER conversations_search_update AFTER UPDATE OF title ON conversations BEGIN
    INSERT INTO search (search, rowid, text) VALUES ('delete', old.id << {_KEY_SHIFT}, old.title);
    INSERT INTO search (rowid, text) VALUES (new.id << {_KEY_SHIFT}, new.title);
END;
INSERT INTO search (rowid, text) SELECT id << {_KEY_SHIFT}, title FROM conversations;
INSERT INTO search (rowid, text)
    SELECT (conversation_id << {_KEY_SHIFT}) | seq, content FROM messages;
"""

STEPS: tuple[str, ...] = (_V1, _V2, _V3)
SCHEMA_VERSION = len(STEPS)


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Bring `conn` (autocommit mode) up to version `target`; returns the version found."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        # read inside the write transaction so two processes never run the same step twice
        found = conn.execute("PRAGMA user_version").fetchone()[0]
        if found > SCHEMA_VERSION:
            raise StoreError(
                f"the store was written by a newer fleet-tui (schema {found}, "
                f"this version knows {SCHEMA_VERSION}); upgrade fleet-tui"
            )
        for version in range(found, target):
            for statement in _statements(STEPS[version]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version + 1}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return found


def _statements(script: str) -> Iterator[str]:
    """Split a script into statements (`executescript` would commit our transaction)."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending.strip()
            pending = ""
    if pending.strip():
        yield pending.strip()


def connect(path: Path) -> sqlite3.Connection:
    """A connection with the store's settings; does not check or migrate anything."""
    conn = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _is_corruption(exc: sqlite3.DatabaseError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _CORRUPT_CODES
    return not isinstance(exc, sqlite3.OperationalError)


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF in _BUSY_CODES if code is not None else "locked" in str(exc)


def _quick_check(path: Path, *, full: bool = True) -> None:
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


def _open_checked(path: Path, *, full_check: bool = True) -> sqlite3.Connection:
    _quick_check(path, full=full_check)
    conn = connect(path)
    try:
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


def _move_aside(path: Path) -> Path:
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


def _create_private(path: Path) -> None:
    """Create the file 0600 up front: SQLite gives the -wal/-shm files the same mode."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


# -- the store ------------------------------------------------------------------------------

_CONVERSATION_COLUMNS = (
    "c.id, c.agent_pk, c.thread_id, c.title, c.created_at, c.updated_at, c.status, c.stateless,"
    " (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id)"
)
_MESSAGE_COLUMNS = (
    "id, conversation_id, seq, role, content, tool_calls, tool_call_id, name, run_id, server_id,"
    " complete, reasoning, created_at"
)


def _agent(row: tuple[Any, ...]) -> Agent:
    return Agent(*row)


def _conversation(row: tuple[Any, ...]) -> Conversation:
    cid, agent_pk, thread_id, title, created, updated, status, stateless, count = row
    return Conversation(
        cid, agent_pk, thread_id, title, created, updated, status, bool(stateless), count
    )


def _message(row: tuple[Any, ...]) -> StoredMessage:
    (mid, cid, seq, role, content, calls, call_id, name, run_id, server_id, complete,
     reasoning, created) = row  # fmt: skip
    return StoredMessage(
        mid, cid, seq, role, content, json.loads(calls), call_id, name, run_id, server_id,
        bool(complete), reasoning, created,
    )  # fmt: skip


def _calls_json(calls: Iterable[Any]) -> str:
    out = []
    for call in calls:
        if isinstance(call, Mapping):
            out.append({"id": call.get("id"), "name": call.get("name"), "args": call.get("args")})
        else:  # events.ToolCall or anything shaped like it
            out.append({"id": call.id, "name": call.name, "args": call.args})
    return json.dumps(out, ensure_ascii=False, default=str)


def title_from(text: str) -> str:
    """The first non-blank line of `text`, whitespace collapsed, cut to TITLE_MAX characters."""
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    line = " ".join(line.split())
    return line if len(line) <= TITLE_MAX else line[: TITLE_MAX - 1].rstrip() + "…"


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class Store:
    """One connection, guarded by a lock so worker threads may share it."""

    def __init__(
        self, conn: sqlite3.Connection, path: Path, recovered_from: Path | None = None
    ) -> None:
        self._conn = conn
        self._lock = threading.RLock()
        self.path = path
        # where a corrupt file was moved to when this store was opened, for the UI to show
        self.recovered_from = recovered_from

    @classmethod
    def open(cls, path: Path | None = None, *, full_check: bool = True) -> Self:
        """Open (or create) the store; a damaged file is moved aside and a fresh one started.

        `full_check=False` defers the page-by-page check to `verify()` (for a fast start).
        """
        path = Path(path) if path is not None else default_db_path()
        _create_private(path)
        recovered: Path | None = None
        try:
            conn = _open_checked(path, full_check=full_check)
        except sqlite3.DatabaseError as exc:
            if not _is_corruption(exc):
                raise
            recovered = _move_aside(path)
            _create_private(path)
            conn = _open_checked(path)
        return cls(conn, path, recovered)

    def verify(self) -> str | None:
        """The full `PRAGMA quick_check`; the problem found, or None. Safe in a thread."""
        try:
            _quick_check(self.path)
        except sqlite3.DatabaseError as exc:
            return str(exc)
        return None

    def recover(self) -> Path:
        """Move a damaged store aside (kept, never deleted) and start a fresh one."""
        with self._lock:
            self._conn.close()
            moved = _move_aside(self.path)
            _create_private(self.path)
            self._conn = _open_checked(self.path)
            self.recovered_from = moved
        return moved

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing -------------------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A short write transaction. IMMEDIATE takes the write lock up front, so the busy
        timeout applies (a deferred transaction that upgrades fails at once instead)."""
        with self._lock:
            for attempt in range(5):
                try:
                    self._conn.execute("BEGIN IMMEDIATE")
                    break
                except sqlite3.OperationalError as exc:
                    if not _is_busy(exc) or attempt == 4:
                        raise
                    time.sleep(0.05 * (attempt + 1))
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def _one(self, sql: str, args: Iterable[Any] = ()) -> tuple[Any, ...] | None:
        with self._lock:
            return self._conn.execute(sql, tuple(args)).fetchone()

    def _all(self, sql: str, args: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, tuple(args)).fetchall()

    # -- agents ---------------------------------------------------------------------------
    def ensure_agent(self, url: str, agent_id: str, name: str | None = None) -> Agent:
        url = url.rstrip("/")
        with self._write() as db:
            db.execute(
                "INSERT INTO agents (url, agent_id, name, created_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (url, agent_id) DO NOTHING",
                (url, agent_id, name or "", time.time()),
            )
            if name is not None:
                db.execute(
                    "UPDATE agents SET name = ? WHERE url = ? AND agent_id = ?",
                    (name, url, agent_id),
                )
            row = db.execute(
                "SELECT id, url, agent_id, name, created_at FROM agents"
                " WHERE url = ? AND agent_id = ?",
                (url, agent_id),
            ).fetchone()
        return _agent(row)

    def list_agents(self) -> list[Agent]:
        rows = self._all("SELECT id, url, agent_id, name, created_at FROM agents ORDER BY id")
        return [_agent(row) for row in rows]

    def get_agent(self, pk: int) -> Agent | None:
        row = self._one("SELECT id, url, agent_id, name, created_at FROM agents WHERE id = ?", [pk])
        return _agent(row) if row else None

    def rename_agent(self, pk: int, name: str) -> None:
        with self._write() as db:
            db.execute("UPDATE agents SET name = ? WHERE id = ?", (name, pk))

    # -- conversations --------------------------------------------------------------------
    def create_conversation(
        self,
        agent_pk: int,
        *,
        thread_id: str | None = None,
        title: str = "",
        stateless: bool = False,
    ) -> Conversation:
        now = time.time()
        with self._write() as db:
            cur = db.execute(
                "INSERT INTO conversations"
                " (agent_pk, thread_id, title, created_at, updated_at, stateless)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (agent_pk, thread_id, title_from(title), now, now, int(stateless)),
            )
        conversation = self.get_conversation(cur.lastrowid or 0)
        assert conversation is not None
        return conversation

    def get_conversation(self, id: int) -> Conversation | None:
        row = self._one(f"SELECT {_CONVERSATION_COLUMNS} FROM conversations c WHERE c.id = ?", [id])
        return _conversation(row) if row else None

    def find_conversation_by_thread(self, agent_pk: int, thread_id: str) -> Conversation | None:
        row = self._one(
            f"SELECT {_CONVERSATION_COLUMNS} FROM conversations c"
            " WHERE c.agent_pk = ? AND c.thread_id = ? ORDER BY c.id LIMIT 1",
            (agent_pk, thread_id),
        )
        return _conversation(row) if row else None

    def latest_conversation(self, agent_pk: int) -> Conversation | None:
        page = self.list_conversations(agent_pk, limit=1)
        return page[0] if page else None

    def _filter(self, query: str | None) -> tuple[str, list[Any]]:
        """The WHERE clause (after agent_pk) for a sidebar filter."""
        text = (query or "").strip()
        if not text:
            return "", []
        if len(text) < MIN_TEXT_QUERY:
            return " AND c.title LIKE ? ESCAPE '\\'", [_like_pattern(text)]
        phrase = '"' + text.replace('"', '""') + '"'
        return (
            f" AND c.id IN (SELECT rowid >> {_KEY_SHIFT} FROM search WHERE search MATCH ?)",
            [phrase],
        )

    def list_conversations(
        self, agent_pk: int, *, query: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[Conversation]:
        """A page of the agent's conversations, latest activity first. `query` matches a
        substring of the title or of any message (case-insensitive; from 3 characters on;
        shorter queries match titles only)."""
        where, args = self._filter(query)
        rows = self._all(
            f"SELECT {_CONVERSATION_COLUMNS} FROM conversations c WHERE c.agent_pk = ?{where}"
            " ORDER BY c.updated_at DESC, c.id DESC LIMIT ? OFFSET ?",
            [agent_pk, *args, limit, offset],
        )
        return [_conversation(row) for row in rows]

    def count_conversations(self, agent_pk: int, query: str | None = None) -> int:
        where, args = self._filter(query)
        row = self._one(
            f"SELECT COUNT(*) FROM conversations c WHERE c.agent_pk = ?{where}", [agent_pk, *args]
        )
        return row[0] if row else 0

    def rename_conversation(self, id: int, title: str) -> None:
        with self._write() as db:
            db.execute("UPDATE conversations SET title = ? WHERE id = ?", (title_from(title), id))

    def set_status(self, id: int, status: str | None) -> None:
        with self._write() as db:
            db.execute("UPDATE conversations SET status = ? WHERE id = ?", (status, id))

    def set_thread_id(self, id: int, thread_id: str | None) -> None:
        with self._write() as db:
            db.execute("UPDATE conversations SET thread_id = ? WHERE id = ?", (thread_id, id))

    def delete_conversation(self, id: int) -> None:
        with self._write() as db:
            db.execute("DELETE FROM conversations WHERE id = ?", (id,))

    def touch(self, id: int) -> None:
        self.set_updated_at(id, time.time())

    def set_updated_at(self, id: int, updated_at: float) -> None:
        """Set the last activity time (unix seconds), e.g. a synced thread's server time."""
        with self._write() as db:
            db.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (updated_at, id))

    # -- messages -------------------------------------------------------------------------
    def add_message(
        self,
        conversation_id: int,
        role: MessageRole | str,
        content: str = "",
        *,
        tool_calls: Iterable[Any] = (),
        tool_call_id: str | None = None,
        name: str | None = None,
        run_id: str | None = None,
        server_id: str | None = None,
        complete: bool = True,
        reasoning: str = "",
    ) -> StoredMessage:
        if role not in ROLES:
            raise ValueError(f"unknown message role {role!r}")
        now = time.time()
        calls = _calls_json(tool_calls)
        with self._write() as db:
            cur = db.execute(
                "INSERT INTO messages (conversation_id, seq, role, content, tool_calls,"
                " tool_call_id, name, run_id, server_id, complete, reasoning, created_at)"
                " SELECT ?, COALESCE(MAX(seq), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"
                " FROM messages WHERE conversation_id = ?",
                (conversation_id, role, content, calls, tool_call_id, name, run_id, server_id,
                 int(complete), reasoning, now, conversation_id),
            )  # fmt: skip
            db.execute(
                "UPDATE conversations SET updated_at = ? WHERE id = ?", (now, conversation_id)
            )
            if role == "human" and (title := title_from(content)):
                db.execute(
                    "UPDATE conversations SET title = ? WHERE id = ? AND title = ''",
                    (title, conversation_id),
                )
            row = db.execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE id = ?", (cur.lastrowid,)
            ).fetchone()
        return _message(row)

    def update_message(
        self,
        message_id: int,
        *,
        content: str | None = None,
        tool_calls: Iterable[Any] | None = None,
        complete: bool | None = None,
        server_id: str | None = None,
        reasoning: str | None = None,
        run_id: str | None = None,
    ) -> None:
        """Set the given fields; `None` leaves a field as it is."""
        changes: dict[str, Any] = {
            "content": content,
            "tool_calls": None if tool_calls is None else _calls_json(tool_calls),
            "complete": None if complete is None else int(complete),
            "server_id": server_id,
            "reasoning": reasoning,
            "run_id": run_id,
        }
        changes = {k: v for k, v in changes.items() if v is not None}
        if not changes:
            return
        assignments = ", ".join(f"{column} = ?" for column in changes)
        with self._write() as db:
            db.execute(
                f"UPDATE messages SET {assignments} WHERE id = ?", [*changes.values(), message_id]
            )

    def get_message(self, message_id: int) -> StoredMessage | None:
        row = self._one(f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE id = ?", [message_id])
        return _message(row) if row else None

    def messages(
        self, conversation_id: int, *, limit: int | None = None, before_seq: int | None = None
    ) -> list[StoredMessage]:
        """Messages in seq order; with `limit`, the latest `limit` before `before_seq`."""
        where = "conversation_id = ?"
        args: list[Any] = [conversation_id]
        if before_seq is not None:
            where += " AND seq < ?"
            args.append(before_seq)
        if limit is None:
            sql = f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE {where} ORDER BY seq"
            return [_message(row) for row in self._all(sql, args)]
        sql = f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE {where} ORDER BY seq DESC LIMIT ?"
        return [_message(row) for row in reversed(self._all(sql, [*args, limit]))]

    def message_count(self, conversation_id: int) -> int:
        row = self._one(
            "SELECT COUNT(*) FROM messages WHERE conversation_id = ?", [conversation_id]
        )
        return row[0] if row else 0

    def find_message_by_server_id(
        self, conversation_id: int, server_id: str
    ) -> StoredMessage | None:
        row = self._one(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages"
            " WHERE conversation_id = ? AND server_id = ? ORDER BY seq DESC LIMIT 1",
            (conversation_id, server_id),
        )
        return _message(row) if row else None

    def stream_writer(self, message_id: int, *, interval: float = FLUSH_INTERVAL) -> StreamWriter:
        return StreamWriter(self, message_id, interval=interval)

    def _append_text(self, message_id: int, text: str, reasoning: str) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE messages SET content = content || ?, reasoning = reasoning || ?"
                " WHERE id = ?",
                (text, reasoning, message_id),
            )


class StreamWriter:
    """Buffers the deltas of a streaming message and appends them with one UPDATE at most once
    per `interval` (checked on each append), so a killed process loses at most that much text.

    Call `flush_if_due()` from a timer if the stream can pause with text still buffered.
    As a context manager it closes the message complete, or incomplete when an error escapes.
    """

    def __init__(
        self,
        store: Store,
        message_id: int,
        *,
        interval: float = FLUSH_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.message_id = message_id
        self.interval = interval
        self._clock = clock
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._last_flush = clock()
        self.flushes = 0
        self.closed = False

    def append(self, text: str) -> None:
        if text:
            self._text.append(text)
        self.flush_if_due()

    def append_reasoning(self, text: str) -> None:
        if text:
            self._reasoning.append(text)
        self.flush_if_due()

    def flush_if_due(self) -> bool:
        if self._clock() - self._last_flush >= self.interval:
            return self.flush()
        return False

    def flush(self) -> bool:
        """Write what is buffered; returns whether anything was written."""
        self._last_flush = self._clock()
        if not self._text and not self._reasoning:
            return False
        text, reasoning = "".join(self._text), "".join(self._reasoning)
        self.store._append_text(self.message_id, text, reasoning)
        self._text.clear()
        self._reasoning.clear()
        self.flushes += 1
        return True

    def close(self, complete: bool = True, *, content: str | None = None) -> None:
        """Write the rest and mark the message (in)complete. A final `content` (the server's
        whole message) replaces what was streamed, in the same single write."""
        if self.closed:
            return
        if content is None:
            self.flush()
        else:
            self._text.clear()
        self.store.update_message(self.message_id, complete=complete, content=content)
        self.closed = True

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        self.close(complete=exc_type is None)
