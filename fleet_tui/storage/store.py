"""The local store: agents, conversations and messages in one SQLite file.

Stdlib `sqlite3` only, no Textual import: the TUI and `fleet-tui ask` share it, possibly at the
same time from two processes. WAL, a busy timeout and short `BEGIN IMMEDIATE` transactions make
that safe. Callers only ever see frozen dataclasses (`store_records`), never `sqlite3.Row`.

When the file cannot take writes (read-only, disk full, no permission), the store says why in
`problem` and goes on in an in-memory copy of itself: everything keeps working, nothing more
reaches the disk. Every text written is made encodable and has known secrets masked first.
Opening and writing live in `store_connection`, records and text handling in `store_records`,
schema and upgrades in `store_schema`, file handling in `store_files`, streaming in
`store_writer`; their public names are importable here.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from fleet_tui.common import redaction
from fleet_tui.common.redaction import mask_secret
from fleet_tui.domain.attachments import Attachment, AttachmentInfo
from fleet_tui.domain.deep_state import StateFile, Todo
from fleet_tui.domain.usage import Usage
from fleet_tui.storage import store_attachments, store_branches, store_deep_state
from fleet_tui.storage.store_attachments import StoredAttachment
from fleet_tui.storage.store_branches import BranchPoint
from fleet_tui.storage.store_connection import StoreConnection
from fleet_tui.storage.store_decisions import (
    DECISIONS_SQL,
    StoredDecision,
    decision_row,
    save_decisions,
)
from fleet_tui.storage.store_deep_state import ThreadState
from fleet_tui.storage.store_files import (
    BUSY_TIMEOUT_MS,
    connect,
    default_db_path,
    fresh_memory,
)
from fleet_tui.storage.store_inbox import InboxRow, InboxStore
from fleet_tui.storage.store_records import (
    AGENT_COLUMNS,
    CONVERSATION_COLUMNS,
    MESSAGE_COLUMNS,
    MIN_TEXT_QUERY,
    ROLES,
    TITLE_MAX,
    Agent,
    Conversation,
    MessageRole,
    StoredMessage,
    Writes,
    agent_row,
    calls_json,
    conversation_row,
    encodable,
    free_text,
    like_pattern,
    message_row,
    title_from,
)
from fleet_tui.storage.store_schema import KEY_SHIFT, SCHEMA_VERSION, STEPS, StoreError, migrate
from fleet_tui.storage.store_writer import FLUSH_INTERVAL, StreamWriter

__all__ = [
    "BUSY_TIMEOUT_MS",
    "FLUSH_INTERVAL",
    "MIN_TEXT_QUERY",
    "ROLES",
    "SCHEMA_VERSION",
    "STEPS",
    "TITLE_MAX",
    "Agent",
    "BranchPoint",
    "Conversation",
    "InboxRow",
    "MessageRole",
    "Store",
    "StoreConnection",
    "StoreError",
    "StoredAttachment",
    "StoredDecision",
    "StoredMessage",
    "StreamWriter",
    "ThreadState",
    "connect",
    "default_db_path",
    "encodable",
    "memory_store",
    "migrate",
    "title_from",
]

_like_pattern = like_pattern  # the search benchmark compares the index with a LIKE scan


# -- the store ------------------------------------------------------------------------------


class Store(InboxStore):
    """Agents, conversations and messages; see `StoreConnection` for opening and writing."""

    # -- agents ---------------------------------------------------------------------------
    def ensure_agent(self, url: str, agent_id: str, name: str | None = None) -> Agent:
        url = url.rstrip("/")
        sql = f"SELECT {AGENT_COLUMNS} FROM agents WHERE url = ? AND agent_id = ?"
        # read first: opening a conversation list must not need a write (read-only store)
        row = self._one(sql, (url, agent_id))
        if row is not None and (name is None or row[3] == free_text(encodable(name))):
            return agent_row(row)

        def work(db: Writes) -> tuple[Any, ...]:
            db.execute(
                "INSERT INTO agents (url, agent_id, name, created_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (url, agent_id) DO NOTHING",
                (url, agent_id, free_text(name or ""), time.time()),
            )
            if name is not None:
                db.execute(
                    "UPDATE agents SET name = ? WHERE url = ? AND agent_id = ?",
                    (free_text(name), url, agent_id),
                )
            return db.execute(sql, (url, agent_id)).fetchone()

        return agent_row(self._apply(work))

    def find_agent(self, url: str, agent_id: str) -> Agent | None:
        """The agent saved for this deployment and id, without making one."""
        sql = f"SELECT {AGENT_COLUMNS} FROM agents WHERE url = ? AND agent_id = ?"
        row = self._one(sql, (url.rstrip("/"), agent_id))
        return agent_row(row) if row is not None else None

    def delete_agent_data(self, agent_pk: int, *, forget_agent: bool = False) -> int:
        """Delete every conversation of an agent, with its messages, plan, files and decisions
        (the tables cascade); `forget_agent` drops the agent's row too. Returns how many
        conversations went. Local only: the server's threads are not touched."""

        def work(db: Writes) -> int:
            count = db.execute(
                "SELECT COUNT(*) FROM conversations WHERE agent_pk = ?", (agent_pk,)
            ).fetchone()[0]
            db.execute("DELETE FROM conversations WHERE agent_pk = ?", (agent_pk,))
            if forget_agent:
                db.execute("DELETE FROM agents WHERE id = ?", (agent_pk,))
            return int(count)

        return self._apply(work)

    def list_agents(self) -> list[Agent]:
        return [
            agent_row(row) for row in self._all(f"SELECT {AGENT_COLUMNS} FROM agents ORDER BY id")
        ]

    def get_agent(self, pk: int) -> Agent | None:
        row = self._one(f"SELECT {AGENT_COLUMNS} FROM agents WHERE id = ?", [pk])
        return agent_row(row) if row else None

    def rename_agent(self, pk: int, name: str) -> None:
        name = free_text(encodable(name))
        row = self._one("SELECT name FROM agents WHERE id = ?", [pk])
        if row is None or row[0] == name:
            return  # the TUI renames on every start: no write, so a read-only store stays read
        self._apply(lambda db: db.execute("UPDATE agents SET name = ? WHERE id = ?", (name, pk)))

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
        cur = self._apply(
            lambda db: db.execute(
                "INSERT INTO conversations"
                " (agent_pk, thread_id, title, created_at, updated_at, stateless)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (agent_pk, thread_id, free_text(title_from(title)), now, now, int(stateless)),
            )
        )
        conversation = self.get_conversation(cur.lastrowid or 0)
        assert conversation is not None
        return conversation

    def get_conversation(self, id: int) -> Conversation | None:
        row = self._one(f"SELECT {CONVERSATION_COLUMNS} FROM conversations c WHERE c.id = ?", [id])
        return conversation_row(row) if row else None

    def find_conversation_by_thread(self, agent_pk: int, thread_id: str) -> Conversation | None:
        row = self._one(
            f"SELECT {CONVERSATION_COLUMNS} FROM conversations c"
            " WHERE c.agent_pk = ? AND c.thread_id = ? ORDER BY c.id LIMIT 1",
            (agent_pk, thread_id),
        )
        return conversation_row(row) if row else None

    def latest_conversation(self, agent_pk: int) -> Conversation | None:
        page = self.list_conversations(agent_pk, limit=1)
        return page[0] if page else None

    def _filter(self, query: str | None) -> tuple[str, list[Any]]:
        """The WHERE clause (after agent_pk) for a sidebar filter."""
        text = (query or "").strip()
        if not text:
            return "", []
        if len(text) < MIN_TEXT_QUERY:
            return " AND c.title LIKE ? ESCAPE '\\'", [like_pattern(text)]
        phrase = '"' + text.replace('"', '""') + '"'
        return (
            f" AND c.id IN (SELECT rowid >> {KEY_SHIFT} FROM search WHERE search MATCH ?)",
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
            f"SELECT {CONVERSATION_COLUMNS} FROM conversations c WHERE c.agent_pk = ?{where}"
            " ORDER BY c.updated_at DESC, c.id DESC LIMIT ? OFFSET ?",
            [agent_pk, *args, limit, offset],
        )
        return [conversation_row(row) for row in rows]

    def search_all_agents(self, query: str, *, limit: int = 200) -> list[Conversation]:
        """Conversations of every agent matching `query` (as the sidebar filter matches),
        latest activity first."""
        where, args = self._filter(query)
        if not where:
            return []
        rows = self._all(
            f"SELECT {CONVERSATION_COLUMNS} FROM conversations c WHERE 1{where}"
            " ORDER BY c.updated_at DESC, c.id DESC LIMIT ?",
            [*args, limit],
        )
        return [conversation_row(row) for row in rows]

    def count_conversations(self, agent_pk: int, query: str | None = None) -> int:
        where, args = self._filter(query)
        row = self._one(
            f"SELECT COUNT(*) FROM conversations c WHERE c.agent_pk = ?{where}", [agent_pk, *args]
        )
        return row[0] if row else 0

    def _set(self, column: str, id: int, value: Any) -> None:
        self._apply(
            lambda db: db.execute(
                f"UPDATE conversations SET {column} = ? WHERE id = ?", (value, id)
            )
        )

    def rename_conversation(self, id: int, title: str) -> None:
        self._set("title", id, free_text(title_from(title)))

    def set_status(self, id: int, status: str | None) -> None:
        self._set("status", id, status)

    def set_thread_id(self, id: int, thread_id: str | None) -> None:
        self._set("thread_id", id, thread_id)

    def delete_conversation(self, id: int) -> None:
        self._apply(lambda db: db.execute("DELETE FROM conversations WHERE id = ?", (id,)))

    def touch(self, id: int) -> None:
        self.set_updated_at(id, time.time())

    def set_updated_at(self, id: int, updated_at: float) -> None:
        """Set the last activity time (unix seconds), e.g. a synced thread's server time."""
        self._set("updated_at", id, updated_at)

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
        parent_call_id: str | None = None,
        usage: Usage | None = None,
    ) -> StoredMessage:
        """Append a message; `parent_call_id` makes it a sub-agent's (see `StoredMessage`)."""
        if role not in ROLES:
            raise ValueError(f"unknown message role {role!r}")
        now = time.time()
        calls = calls_json(tool_calls)
        content, reasoning = free_text(content), free_text(reasoning)
        name = None if name is None else free_text(name)
        # a sub-agent's task description is not what the user asked: it never names the thread
        own = parent_call_id is None
        title = free_text(title_from(content)) if role == "human" and own else ""

        cost = None if usage is None else free_text(usage.to_json())

        def work(db: Writes) -> tuple[Any, ...]:
            cur = db.execute(
                "INSERT INTO messages (conversation_id, seq, role, content, tool_calls,"
                " tool_call_id, name, run_id, server_id, complete, reasoning, created_at,"
                " parent_call_id, usage)"
                " SELECT ?, COALESCE(MAX(seq), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"
                " FROM messages WHERE conversation_id = ?",
                (conversation_id, role, content, calls, tool_call_id, name, run_id, server_id,
                 int(complete), reasoning, now, parent_call_id, cost,
                 conversation_id),
            )  # fmt: skip
            db.execute(
                "UPDATE conversations SET updated_at = ? WHERE id = ?", (now, conversation_id)
            )
            if title:
                db.execute(
                    "UPDATE conversations SET title = ? WHERE id = ? AND title = ''",
                    (title, conversation_id),
                )
            return db.execute(
                f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = ?", (cur.lastrowid,)
            ).fetchone()

        return message_row(self._apply(work))

    def update_message(
        self,
        row_id: int,
        *,
        content: str | None = None,
        tool_calls: Iterable[Any] | None = None,
        complete: bool | None = None,
        server_id: str | None = None,
        reasoning: str | None = None,
        run_id: str | None = None,
        usage: Usage | None = None,
    ) -> None:
        """Set the given fields; `None` leaves a field as it is."""
        changes: dict[str, Any] = {
            "content": None if content is None else free_text(content),
            "tool_calls": None if tool_calls is None else calls_json(tool_calls),
            "complete": None if complete is None else int(complete),
            "server_id": server_id,
            "reasoning": None if reasoning is None else free_text(reasoning),
            "run_id": run_id,
            "usage": None if usage is None else free_text(usage.to_json()),
        }
        changes = {k: v for k, v in changes.items() if v is not None}
        if not changes:
            return
        assignments = ", ".join(f"{column} = ?" for column in changes)
        self._apply(
            lambda db: db.execute(
                f"UPDATE messages SET {assignments} WHERE id = ?", [*changes.values(), row_id]
            )
        )

    def get_message(self, row_id: int) -> StoredMessage | None:
        row = self._one(f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = ?", [row_id])
        return message_row(row) if row else None

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
            sql = f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE {where} ORDER BY seq"
            rows = [message_row(row) for row in self._all(sql, args)]
        else:
            sql = f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE {where} ORDER BY seq DESC LIMIT ?"
            rows = [message_row(row) for row in reversed(self._all(sql, [*args, limit]))]
        return store_attachments.with_attachments(self, rows)

    def add_attachments(
        self,
        message_id: int,
        files: Sequence[Attachment | AttachmentInfo],
        *,
        copy_max_bytes: int,
    ) -> None:
        """Keep the files of a message: bytes up to `copy_max_bytes`, else their path."""
        store_attachments.add(self, message_id, files, copy_max_bytes=copy_max_bytes)

    def attachments(self, message_id: int) -> list[StoredAttachment]:
        """The files of one message as kept (bytes, or the path they were read from)."""
        return store_attachments.stored(self, message_id)

    def message_count(self, conversation_id: int) -> int:
        row = self._one(
            "SELECT COUNT(*) FROM messages WHERE conversation_id = ?", [conversation_id]
        )
        return row[0] if row else 0

    def find_message_by_server_id(
        self, conversation_id: int, server_id: str
    ) -> StoredMessage | None:
        row = self._one(
            f"SELECT {MESSAGE_COLUMNS} FROM messages"
            " WHERE conversation_id = ? AND server_id = ? ORDER BY seq DESC LIMIT 1",
            (conversation_id, server_id),
        )
        return message_row(row) if row else None

    def stream_writer(self, row_id: int, *, interval: float = FLUSH_INTERVAL) -> StreamWriter:
        return StreamWriter(self, row_id, interval=interval)

    def _append_text(self, row_id: int, text: str, reasoning: str) -> None:
        # Masked in SQL on the whole text: a secret may arrive split across two deltas.
        secrets = redaction.known()
        pairs = [value for secret in secrets for value in (secret, mask_secret(secret))]

        def masked(column: str) -> str:
            expression = f"{column} || ?"
            for _ in secrets:
                expression = f"replace({expression}, ?, ?)"
            return expression

        self._apply(
            lambda db: db.execute(
                f"UPDATE messages SET content = {masked('content')},"
                f" reasoning = {masked('reasoning')} WHERE id = ?",
                (text, *pairs, reasoning, *pairs, row_id),
            )
        )

    def close_message(self, row_id: int, *, complete: bool, content: str | None = None) -> None:
        """Mark a streamed message (in)complete; a `content` replaces its text."""
        args: tuple[object, ...]
        if content is None:
            sql, args = "UPDATE messages SET complete = ? WHERE id = ?", (int(complete), row_id)
        else:
            sql = "UPDATE messages SET content = ?, complete = ? WHERE id = ?"
            args = (free_text(content), int(complete), row_id)
        self._apply(lambda db: db.execute(sql, args))

    # -- a deep agent's thread state (see `store_deep_state`) ------------------------------
    def save_plan(self, conversation_id: int, todos: Iterable[Todo]) -> None:
        store_deep_state.save_plan(self, conversation_id, todos)

    def save_files(self, conversation_id: int, files: Mapping[str, StateFile]) -> None:
        store_deep_state.save_files(self, conversation_id, files)

    def thread_state(self, conversation_id: int) -> ThreadState:
        """The plan and files last stored for the conversation."""
        return store_deep_state.load(self, conversation_id)

    def move_to_call(self, row_ids: Iterable[int], call_id: str) -> None:
        store_deep_state.move_to_call(self, row_ids, call_id)

    # -- branches (store_branches) ----------------------------------------------------------
    def set_branch(self, conversation_id: int, tip: str | None, number: int, count: int) -> None:
        store_branches.set_branch(self, conversation_id, tip, number, count)

    def save_branch_points(self, conversation_id: int, points: Iterable[BranchPoint]) -> None:
        store_branches.save_points(self, conversation_id, points)

    def branch_points(self, conversation_id: int) -> dict[str, BranchPoint]:
        return store_branches.load_points(self, conversation_id)

    def set_aside(self, conversation_id: int, from_seq: int) -> int:
        return store_branches.set_aside(self, conversation_id, from_seq)

    def bring_back(self, conversation_id: int, server_id: str) -> bool:
        return store_branches.bring_back(self, conversation_id, server_id)

    # -- approvals ------------------------------------------------------------------------
    def save_decisions(self, conversation_id: int, decisions: list[StoredDecision]) -> None:
        """Keep the user's answers to approvals, one per tool call (a later one replaces)."""
        if decisions:
            self._apply(lambda db: save_decisions(db, conversation_id, decisions))

    def decisions(self, conversation_id: int) -> list[StoredDecision]:
        rows = self._all(DECISIONS_SQL, (conversation_id,))
        return [d for d in map(decision_row, rows) if d is not None]


def memory_store() -> Store:
    """A store that lives only as long as the process (a stateless `ask`, the demo)."""
    return Store(fresh_memory(), Path(":memory:"), in_memory=True)
