"""The user's answers to approvals, one per tool call, kept so that a tool block still says
"approved", "edited", "rejected" or "answered" after a restart. No Textual import.

A row is `(conversation, tool call id) → decision`, the decision stored as JSON
`{"type", "detail"}`; `detail` is the new arguments (edit), the reason (reject) or the
response (respond), free text that goes through the same masking as message text.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from fleet_tui.storage.store_records import Writes, free_text

DECISION_TYPES = frozenset({"approve", "edit", "reject", "respond"})


@dataclass(frozen=True, slots=True)
class StoredDecision:
    tool_call_id: str
    interrupt_id: str | None
    type: str
    detail: str = ""


def decision_json(decision: StoredDecision) -> str:
    return json.dumps({"type": decision.type, "detail": free_text(decision.detail)})


def decision_row(row: tuple[Any, ...]) -> StoredDecision | None:
    """A stored row as a decision; None for a row this version cannot read."""
    tool_call_id, interrupt_id, raw = row
    try:
        data = json.loads(raw)
    except (TypeError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("type") not in DECISION_TYPES:
        return None
    detail = data.get("detail")
    return StoredDecision(
        str(tool_call_id),
        interrupt_id if isinstance(interrupt_id, str) else None,
        data["type"],
        detail if isinstance(detail, str) else "",
    )


def save_decisions(db: Writes, conversation_id: int, decisions: list[StoredDecision]) -> None:
    now = time.time()
    db.executemany(
        "INSERT INTO decisions (conversation_id, tool_call_id, interrupt_id, decision, created_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (conversation_id, tool_call_id) DO UPDATE SET"
        " interrupt_id = excluded.interrupt_id, decision = excluded.decision,"
        " created_at = excluded.created_at",
        [
            (conversation_id, d.tool_call_id, d.interrupt_id, decision_json(d), now)
            for d in decisions
        ],
    )


DECISIONS_SQL = (
    "SELECT tool_call_id, interrupt_id, decision FROM decisions"
    " WHERE conversation_id = ? ORDER BY created_at, rowid"
)
