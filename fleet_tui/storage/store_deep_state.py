"""A deep agent's plan and state files, as last read for a conversation (table `thread_state`),
and the tie of a sub-agent's stored messages to their `task` call. No Textual import;
`Store` exposes these as thin methods.

The plan and the files are kept as JSON, one row per conversation: they are replaced whole
(the server sends the whole plan, and `/state` all the files), never queried inside.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from fleet_tui.common.redaction import redact_value
from fleet_tui.domain.deep_state import StateFile, Todo, parse_files, parse_todos

if TYPE_CHECKING:
    from fleet_tui.storage.store_connection import StoreConnection


@dataclass(frozen=True, slots=True)
class ThreadState:
    """What the store holds for a conversation: `todos` None when no plan was ever stored."""

    todos: tuple[Todo, ...] | None = None
    files: dict[str, StateFile] = field(default_factory=dict)


def _dump(value: Any) -> str:
    # secrets masked like every other text on its way to disk
    return orjson.dumps(redact_value(value)).decode("utf-8")


def _upsert(store: StoreConnection, conversation_id: int, column: str, text: str) -> None:
    store._apply(
        lambda db: db.execute(
            f"INSERT INTO thread_state (conversation_id, {column}, updated_at) VALUES (?, ?, ?)"
            f" ON CONFLICT (conversation_id) DO UPDATE SET {column} = excluded.{column},"
            " updated_at = excluded.updated_at",
            (conversation_id, text, time.time()),
        )
    )


def save_plan(store: StoreConnection, conversation_id: int, todos: Iterable[Todo]) -> None:
    _upsert(
        store,
        conversation_id,
        "todos",
        _dump([{"content": t.content, "status": t.status} for t in todos]),
    )


def save_files(
    store: StoreConnection, conversation_id: int, files: Mapping[str, StateFile]
) -> None:
    _upsert(store, conversation_id, "files", _dump({p: f.to_json() for p, f in files.items()}))


def load(store: StoreConnection, conversation_id: int) -> ThreadState:
    row = store._one(
        "SELECT todos, files FROM thread_state WHERE conversation_id = ?", [conversation_id]
    )
    if row is None:
        return ThreadState()
    todos = parse_todos(_load_json(row[0])) if row[0] is not None else None
    parsed = parse_files(_load_json(row[1])) or {}
    return ThreadState(todos, {p: f for p, f in parsed.items() if f is not None})


def _load_json(text: Any) -> Any:
    if not isinstance(text, str):
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return None


def move_to_call(store: StoreConnection, row_ids: Iterable[int], call_id: str) -> None:
    """Tie stored sub-agent messages to another `task` call (a guessed tie was corrected)."""
    rows = [(call_id, row_id) for row_id in row_ids]
    if rows:
        store._apply(
            lambda db: db.executemany("UPDATE messages SET parent_call_id = ? WHERE id = ?", rows)
        )
