"""What the inbox reads from the store, and what the background watch keeps there: each
conversation's pending interrupts (`waiting`), when it last changed and when the user last had
it on screen (`changed_at`, `seen_at`: this machine's clock), the words of its last failure,
and per agent the watch's cursor. No Textual import; `Store` has these as methods (`InboxStore`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from fleet_tui.common.redaction import redact_value
from fleet_tui.domain.interrupt_model import Interrupt
from fleet_tui.storage.store_connection import StoreConnection
from fleet_tui.storage.store_records import (
    CONVERSATION_COLUMNS,
    CONVERSATION_WIDTH,
    Conversation,
    conversation_row,
    free_text,
)

# An interrupt's value is kept whole up to this size; a bigger one is kept as its summary's
# source only (tool names and arguments cut), so one hostile thread cannot bloat the store.
MAX_WAITING_BYTES = 64_000


@dataclass(frozen=True, slots=True)
class InboxRow:
    """A conversation that needs its user, with what the inbox shows of it."""

    conversation: Conversation
    waiting: tuple[Interrupt, ...]
    changed_at: float | None
    seen_at: float | None
    failure: str


def waiting_json(interrupts: Sequence[Interrupt]) -> str | None:
    if not interrupts:
        return None
    from fleet_tui.domain.interrupts import fold_value

    items = [
        {
            "id": i.id,
            "value": i.value,
            "response_schema": i.response_schema,
            "namespace": list(i.namespace),
        }
        for i in interrupts
    ]
    text = orjson.dumps(redact_value(items), default=str).decode("utf-8")
    if len(text) > MAX_WAITING_BYTES:
        for item in items:
            item["value"] = fold_value(item["value"])
        text = orjson.dumps(redact_value(items), default=str).decode("utf-8")
    return text


def parse_waiting(text: Any) -> tuple[Interrupt, ...]:
    if not isinstance(text, str):
        return ()
    try:
        items = orjson.loads(text)
    except orjson.JSONDecodeError:
        return ()
    out = []
    for item in items if isinstance(items, list) else ():
        if not isinstance(item, dict) or "value" not in item:
            continue
        iid = item.get("id") if isinstance(item.get("id"), str) else None
        ns = item.get("namespace")
        namespace = tuple(n for n in ns if isinstance(n, str)) if isinstance(ns, list) else ()
        out.append(Interrupt(iid, item["value"], item.get("response_schema"), namespace))
    return tuple(out)


def set_waiting(
    store: StoreConnection, conversation_id: int, interrupts: Sequence[Interrupt]
) -> None:
    """What the conversation waits on now ([] when nothing: it leaves the inbox)."""
    text = waiting_json(interrupts)
    store._apply(
        lambda db: db.execute(
            "UPDATE conversations SET waiting = ? WHERE id = ?", (text, conversation_id)
        )
    )


def mark_changed(
    store: StoreConnection, conversation_id: int, at: float, *, failure: str | None = None
) -> None:
    """A run ended or the thread changed elsewhere at `at`; `failure` the error's words
    (None keeps no failure)."""
    words = free_text(failure) if failure else None
    store._apply(
        lambda db: db.execute(
            "UPDATE conversations SET changed_at = ?, failure = ? WHERE id = ?",
            (at, words, conversation_id),
        )
    )


def mark_seen(store: StoreConnection, conversation_id: int, at: float) -> None:
    """The user had the conversation on screen at `at`: a change before then is read."""
    store._apply(
        lambda db: db.execute(
            "UPDATE conversations SET seen_at = ? WHERE id = ?", (at, conversation_id)
        )
    )


_INBOX_WHERE = (
    "(c.status = 'interrupted' AND c.waiting IS NOT NULL)"
    " OR (c.status IN ('error', 'idle') AND c.changed_at IS NOT NULL"
    " AND c.changed_at > COALESCE(c.seen_at, 0))"
)


def inbox_rows(
    store: StoreConnection, agent_pks: Iterable[int] | None = None, *, limit: int = 5000
) -> list[InboxRow]:
    """Every conversation that waits, failed or finished unread, newest change first."""
    where, args = _INBOX_WHERE, []
    if agent_pks is not None:
        pks = list(agent_pks)
        if not pks:
            return []
        where = f"({where}) AND c.agent_pk IN ({','.join('?' * len(pks))})"
        args = pks
    rows = store._all(
        f"SELECT {CONVERSATION_COLUMNS}, c.waiting, c.changed_at, c.seen_at, c.failure"
        f" FROM conversations c WHERE {where}"
        " ORDER BY COALESCE(c.changed_at, c.updated_at) DESC, c.id DESC LIMIT ?",
        [*args, limit],
    )
    n = CONVERSATION_WIDTH
    return [
        InboxRow(
            conversation_row(row[:n]),
            parse_waiting(row[n]),
            row[n + 1],
            row[n + 2],
            row[n + 3] or "",
        )
        for row in rows
    ]


def count_waiting(store: StoreConnection, agent_pks: Iterable[int]) -> int:
    """How many conversations of these agents wait for a human (the header's badge): a count,
    without reading what each waits on."""
    pks = list(agent_pks)
    if not pks:
        return 0
    row = store._one(
        "SELECT COUNT(*) FROM conversations c WHERE c.status = 'interrupted'"
        f" AND c.waiting IS NOT NULL AND c.agent_pk IN ({','.join('?' * len(pks))})",
        pks,
    )
    return int(row[0]) if row else 0


def unread_ids(store: StoreConnection, conversation_ids: Iterable[int]) -> set[int]:
    """Those of `conversation_ids` whose last run finished or failed after the user last had
    them on screen (the sidebar marks them)."""
    ids = list(conversation_ids)
    if not ids:
        return set()
    rows = store._all(
        "SELECT c.id FROM conversations c WHERE c.status IN ('error', 'idle')"
        " AND c.changed_at IS NOT NULL AND c.changed_at > COALESCE(c.seen_at, 0)"
        f" AND c.id IN ({','.join('?' * len(ids))})",
        ids,
    )
    return {int(row[0]) for row in rows}


def watch_cursor(store: StoreConnection, agent_pk: int) -> str | None:
    row = store._one("SELECT watch_cursor FROM agents WHERE id = ?", [agent_pk])
    return row[0] if row and isinstance(row[0], str) else None


def set_watch_cursor(store: StoreConnection, agent_pk: int, cursor: str | None) -> None:
    store._apply(
        lambda db: db.execute("UPDATE agents SET watch_cursor = ? WHERE id = ?", (cursor, agent_pk))
    )


class InboxStore(StoreConnection):
    """The store's inbox methods (`Store` is one)."""

    def set_waiting(self, conversation_id: int, interrupts: Sequence[Interrupt]) -> None:
        set_waiting(self, conversation_id, interrupts)

    def mark_changed(
        self, conversation_id: int, at: float | None = None, *, failure: str | None = None
    ) -> None:
        mark_changed(self, conversation_id, time.time() if at is None else at, failure=failure)

    def mark_seen(self, conversation_id: int, at: float | None = None) -> None:
        mark_seen(self, conversation_id, time.time() if at is None else at)

    def inbox_rows(
        self, agent_pks: Iterable[int] | None = None, *, limit: int = 5000
    ) -> list[InboxRow]:
        return inbox_rows(self, agent_pks, limit=limit)

    def count_waiting(self, agent_pks: Iterable[int]) -> int:
        return count_waiting(self, agent_pks)

    def unread_ids(self, conversation_ids: Iterable[int]) -> set[int]:
        return unread_ids(self, conversation_ids)

    def watch_cursor(self, agent_pk: int) -> str | None:
        return watch_cursor(self, agent_pk)

    def set_watch_cursor(self, agent_pk: int, cursor: str | None) -> None:
        set_watch_cursor(self, agent_pk, cursor)
