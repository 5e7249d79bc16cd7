"""The store's schema and its upgrade steps (`PRAGMA user_version` counts the steps applied).

No Textual import; `fleet_tui.storage.store` re-exports the public names.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import suppress

# Search rows are keyed by conversation_id << 32 | seq (seq 0 is the title), so a hit names its
# conversation without a lookup in `messages`: that keeps frequent words cheap to filter on.
KEY_SHIFT = 32


class StoreError(Exception):
    """The store cannot be used (for example, a newer fleet-tui wrote it)."""


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
    VALUES ((new.conversation_id << {KEY_SHIFT}) | new.seq, new.content);
END;
CREATE TRIGGER messages_search_delete AFTER DELETE ON messages BEGIN
    INSERT INTO search (search, rowid, text)
    VALUES ('delete', (old.conversation_id << {KEY_SHIFT}) | old.seq, old.content);
END;
CREATE TRIGGER messages_search_update AFTER UPDATE OF content ON messages BEGIN
    INSERT INTO search (search, rowid, text)
    VALUES ('delete', (old.conversation_id << {KEY_SHIFT}) | old.seq, old.content);
    INSERT INTO search (rowid, text)
    VALUES ((new.conversation_id << {KEY_SHIFT}) | new.seq, new.content);
END;
CREATE TRIGGER conversations_search_insert AFTER INSERT ON conversations BEGIN
    INSERT INTO search (rowid, text) VALUES (new.id << {KEY_SHIFT}, new.title);
END;
CREATE TRIGGER conversations_search_delete AFTER DELETE ON conversations BEGIN
    INSERT INTO search (search, rowid, text) VALUES ('delete', old.id << {KEY_SHIFT}, old.title);
END;
CREATE TRIGGER conversations_search_update AFTER UPDATE OF title ON conversations BEGIN
    INSERT INTO search (search, rowid, text) VALUES ('delete', old.id << {KEY_SHIFT}, old.title);
    INSERT INTO search (rowid, text) VALUES (new.id << {KEY_SHIFT}, new.title);
END;
INSERT INTO search (rowid, text) SELECT id << {KEY_SHIFT}, title FROM conversations;
INSERT INTO search (rowid, text)
    SELECT (conversation_id << {KEY_SHIFT}) | seq, content FROM messages;
"""

# Deep agents: a sub-agent's messages belong to the card of the `task` call that started it
# (`parent_call_id`); the plan and files last read for a thread; the user's answer to each
# approval, per tool call, so it is shown after a restart.
_V4 = """
ALTER TABLE messages ADD COLUMN parent_call_id TEXT;
CREATE TABLE thread_state (
    conversation_id INTEGER PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
    todos TEXT,
    files TEXT,
    updated_at REAL NOT NULL
);
CREATE TABLE decisions (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    tool_call_id TEXT NOT NULL,
    interrupt_id TEXT,
    decision TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (conversation_id, tool_call_id)
);
"""

# The inbox: what each conversation waits on (its pending interrupts, as `/state` listed them),
# when it last changed and when the user last had it on screen (both this machine's clock: a
# change after the last look makes it unread, or a failure to look at), the words of its last
# failure, and per agent how far the background watch has read the server's thread list (the
# newest `updated_at` it saw, in the server's own text).
_V5 = """
ALTER TABLE conversations ADD COLUMN waiting TEXT;
ALTER TABLE conversations ADD COLUMN changed_at REAL;
ALTER TABLE conversations ADD COLUMN seen_at REAL;
ALTER TABLE conversations ADD COLUMN failure TEXT;
ALTER TABLE agents ADD COLUMN watch_cursor TEXT;
CREATE INDEX conversations_for_inbox ON conversations (changed_at DESC)
    WHERE waiting IS NOT NULL OR changed_at IS NOT NULL;
"""

# What a reply cost (model, tokens in and out, wall time: JSON), and the files attached to a
# message: their bytes when kept, else the path they were read from (the user's choice).
_V6 = """
ALTER TABLE messages ADD COLUMN usage TEXT;
CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    mime_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    data BLOB,
    path TEXT,
    created_at REAL NOT NULL,
    UNIQUE (message_id, position)
);
"""

# Branches (edits, regenerations, forks made elsewhere). `messages` keeps holding the branch
# shown, as before. A conversation keeps the tip checkpoint of the branch the user chose (NULL:
# the server's newest), its number among the thread's branches and how many there are. Per
# message of the branch shown (by server id): the checkpoint an edit or a regeneration of it
# runs from, and its siblings (the first checkpoint of each, oldest first; the one shown).
# Messages of a branch switched away from wait in `branch_messages` (the whole row as JSON,
# so what only this machine knows — usage, reasoning, a sub-agent's messages — comes back).
_V7 = """
ALTER TABLE conversations ADD COLUMN branch_tip TEXT;
ALTER TABLE conversations ADD COLUMN branch_number INTEGER;
ALTER TABLE conversations ADD COLUMN branch_count INTEGER;
CREATE TABLE branch_points (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    server_id TEXT NOT NULL,
    checkpoint_before TEXT,
    options TEXT,
    chosen INTEGER,
    PRIMARY KEY (conversation_id, server_id)
);
CREATE TABLE branch_messages (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    server_id TEXT,
    parent_call_id TEXT,
    row TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX branch_messages_by_server_id ON branch_messages (conversation_id, server_id);
"""

# Many conversations stored at once (the inbox's first import of an agent's threads) index their
# titles with one statement: while `search_deferred` holds a row, inside that one transaction,
# the per-row trigger stands aside. One statement indexes a page about three times faster.
_V8 = f"""
CREATE TABLE search_deferred (one INTEGER);
DROP TRIGGER conversations_search_insert;
CREATE TRIGGER conversations_search_insert AFTER INSERT ON conversations
WHEN NOT EXISTS (SELECT 1 FROM search_deferred) BEGIN
    INSERT INTO search (rowid, text) VALUES (new.id << {KEY_SHIFT}, new.title);
END;
"""

STEPS: tuple[str, ...] = (_V1, _V2, _V3, _V4, _V5, _V6, _V7, _V8)
SCHEMA_VERSION = len(STEPS)


def schema_version(conn: sqlite3.Connection) -> int:
    """The version `conn` holds; StoreError when a newer fleet-tui wrote it."""
    found: int = conn.execute("PRAGMA user_version").fetchone()[0]
    if found > SCHEMA_VERSION:
        raise StoreError(
            f"the store was written by a newer fleet-tui (schema {found}, "
            f"this version knows {SCHEMA_VERSION}); upgrade fleet-tui"
        )
    return found


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Bring `conn` (autocommit mode) up to version `target`; returns the version found."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        # read inside the write transaction so two processes never run the same step twice
        found = schema_version(conn)
        for version in range(found, target):
            for statement in _statements(STEPS[version]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version + 1}")
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise
    return found


def rollback(conn: sqlite3.Connection) -> None:
    """End a failed transaction. SQLite itself rolls back after some errors (a full disk, an
    I/O error): a second ROLLBACK would then fail and hide the error that matters."""
    if conn.in_transaction:
        with suppress(sqlite3.Error):
            conn.execute("ROLLBACK")


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
