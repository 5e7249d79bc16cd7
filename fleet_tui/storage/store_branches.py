"""A thread's branches in the store (schema step 7). No Textual import; `Store` exposes these
as thin methods.

`messages` holds the branch shown, as ever, so every reader of it (the transcript, search,
export) needs to know nothing of branches. What is added: the branch chosen and its number
(on `conversations`), per message of that branch where an edit or regeneration of it starts
and its siblings (`branch_points`), and the rows of a branch switched away from
(`branch_messages`), moved back when the user switches to it again.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fleet_tui.storage.store_records import Writes

if TYPE_CHECKING:
    from fleet_tui.storage.store_connection import StoreConnection


@dataclass(frozen=True, slots=True)
class BranchPoint:
    """One message of the branch shown: the checkpoint to run from to edit or regenerate it,
    and its siblings (`options`, oldest first; `chosen` the one shown), if it has any."""

    server_id: str
    before: str | None = None
    options: tuple[str, ...] = ()
    chosen: int = 0

    @property
    def label(self) -> str | None:
        """ "2/3" when the message has siblings."""
        return f"{self.chosen + 1}/{len(self.options)}" if len(self.options) > 1 else None


def set_branch(
    store: StoreConnection, conversation_id: int, tip: str | None, number: int, count: int
) -> None:
    store._apply(
        lambda db: db.execute(
            "UPDATE conversations SET branch_tip = ?, branch_number = ?, branch_count = ?"
            " WHERE id = ?",
            (tip, number, count, conversation_id),
        )
    )


def save_points(
    store: StoreConnection, conversation_id: int, points: Iterable[BranchPoint]
) -> None:
    """Replace the conversation's branch points."""
    rows = [
        (
            conversation_id,
            p.server_id,
            p.before,
            json.dumps(list(p.options)) if len(p.options) > 1 else None,
            p.chosen,
        )
        for p in points
    ]

    def work(db: Writes) -> None:
        db.execute("DELETE FROM branch_points WHERE conversation_id = ?", (conversation_id,))
        db.executemany(
            "INSERT OR REPLACE INTO branch_points"
            " (conversation_id, server_id, checkpoint_before, options, chosen)"
            " VALUES (?, ?, ?, ?, ?)",
            rows,
        )

    store._apply(work)


def load_points(store: StoreConnection, conversation_id: int) -> dict[str, BranchPoint]:
    rows = store._all(
        "SELECT server_id, checkpoint_before, options, chosen FROM branch_points"
        " WHERE conversation_id = ?",
        (conversation_id,),
    )
    out: dict[str, BranchPoint] = {}
    for server_id, before, options, chosen in rows:
        try:
            parsed = json.loads(options) if options else []
        except ValueError:
            parsed = []
        names = tuple(o for o in parsed if isinstance(o, str)) if isinstance(parsed, list) else ()
        index = chosen if isinstance(chosen, int) and 0 <= chosen < len(names) else 0
        out[server_id] = BranchPoint(server_id, before, names, index)
    return out


# -- switching: the rows of the branch left wait in `branch_messages` ------------------------


def _columns(db: Writes) -> list[str]:
    return [row[1] for row in db.execute("PRAGMA table_info(messages)").fetchall()]


def set_aside(store: StoreConnection, conversation_id: int, from_seq: int) -> int:
    """Move the conversation's messages from `from_seq` on out of `messages` (kept whole, to
    come back with `bring_back`); how many went."""

    def work(db: Writes) -> int:
        names = _columns(db)
        rows = db.execute(
            "SELECT * FROM messages WHERE conversation_id = ? AND seq >= ? ORDER BY seq",
            (conversation_id, from_seq),
        ).fetchall()
        now = time.time()
        for row in rows:
            record = {n: v for n, v in zip(names, row, strict=True) if n not in ("id", "seq")}
            files = _attachments_of(db, row[names.index("id")])
            if files:
                # the rows of `attachments` go with their message when it is deleted below
                record[ATTACHMENTS_KEY] = files
            db.execute(
                "INSERT INTO branch_messages"
                " (conversation_id, server_id, parent_call_id, row, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    conversation_id,
                    record.get("server_id"),
                    record.get("parent_call_id"),
                    json.dumps(record, ensure_ascii=False),
                    now,
                ),
            )
        db.execute(
            "DELETE FROM messages WHERE conversation_id = ? AND seq >= ?",
            (conversation_id, from_seq),
        )
        return len(rows)

    return store._apply(work)


def bring_back(store: StoreConnection, conversation_id: int, server_id: str) -> bool:
    """Append the message set aside under `server_id` (and its sub-agents' messages) to the
    conversation again; False when none was set aside."""

    def work(db: Writes) -> bool:
        found = db.execute(
            "SELECT id, row FROM branch_messages WHERE conversation_id = ? AND server_id = ?"
            " ORDER BY id DESC LIMIT 1",
            (conversation_id, server_id),
        ).fetchone()
        if found is None:
            return False
        names = set(_columns(db))
        db.execute(
            "DELETE FROM branch_messages WHERE conversation_id = ? AND server_id = ?",
            (conversation_id, server_id),
        )
        records = [json.loads(found[1])]
        calls = _call_ids(records[0])
        while calls:  # a sub-agent's messages, and its own sub-agents'
            marks = ",".join("?" * len(calls))
            rows = db.execute(
                f"SELECT id, row FROM branch_messages WHERE conversation_id = ?"
                f" AND parent_call_id IN ({marks}) ORDER BY id",
                (conversation_id, *calls),
            ).fetchall()
            db.execute(
                f"DELETE FROM branch_messages WHERE id IN ({','.join('?' * len(rows))})",
                [r[0] for r in rows],
            )
            nested = [json.loads(r[1]) for r in rows]
            records.extend(nested)
            calls = [c for record in nested for c in _call_ids(record)]
        for record in records:
            row_id = _insert(db, conversation_id, {k: v for k, v in record.items() if k in names})
            _restore_attachments(db, row_id, record.get(ATTACHMENTS_KEY))
        return True

    return store._apply(work)


def _call_ids(record: Mapping[str, Any]) -> list[str]:
    try:
        calls = json.loads(record.get("tool_calls") or "[]")
    except ValueError:
        return []
    return [c["id"] for c in calls if isinstance(c, dict) and isinstance(c.get("id"), str)]


# A set-aside message's attached files, kept in its record (bytes as base64).
ATTACHMENTS_KEY = "__attachments__"
_ATTACHMENT_FIELDS = ("position", "name", "mime_type", "size", "data", "path", "created_at")


def _attachments_of(db: Writes, message_id: int) -> list[dict[str, Any]]:
    rows = db.execute(
        f"SELECT {', '.join(_ATTACHMENT_FIELDS)} FROM attachments WHERE message_id = ?"
        " ORDER BY position",
        (message_id,),
    ).fetchall()
    out = []
    for row in rows:
        item = dict(zip(_ATTACHMENT_FIELDS, row, strict=True))
        data = item["data"]
        item["data"] = base64.b64encode(data).decode("ascii") if data is not None else None
        out.append(item)
    return out


def _restore_attachments(db: Writes, message_id: int, files: Any) -> None:
    for item in files if isinstance(files, list) else ():
        if not isinstance(item, dict):
            continue
        data = item.get("data")
        values = {**item, "data": base64.b64decode(data) if isinstance(data, str) else None}
        db.execute(
            f"INSERT INTO attachments (message_id, {', '.join(_ATTACHMENT_FIELDS)})"
            f" VALUES (?, {', '.join('?' * len(_ATTACHMENT_FIELDS))})",
            (message_id, *(values.get(f) for f in _ATTACHMENT_FIELDS)),
        )


def _insert(db: Writes, conversation_id: int, record: dict[str, Any]) -> int:
    record["conversation_id"] = conversation_id
    names = list(record)
    cursor = db.execute(
        f"INSERT INTO messages ({', '.join(names)}, seq)"
        f" SELECT {', '.join('?' * len(names))}, COALESCE(MAX(seq), 0) + 1"
        " FROM messages WHERE conversation_id = ?",
        [*record.values(), conversation_id],
    )
    return int(cursor.lastrowid or 0)
