"""The store's records, how rows become them, and what every text goes through on its way
in (made encodable, known secrets masked). No Textual import; `fleet_tui.storage.store` re-exports
the public names.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from fleet_tui.common.redaction import redact, redact_value
from fleet_tui.domain.attachments import AttachmentInfo
from fleet_tui.domain.usage import Usage

MessageRole = Literal["human", "ai", "tool", "system", "error"]
ROLES: frozenset[str] = frozenset(("human", "ai", "tool", "system", "error"))

# A conversation's status, as stored (the same strings as ever: no migration). The server's
# thread statuses (idle, busy, interrupted, error) are stored as they are; a run that ends
# adds cancelled (see `recorder.STATUS_BY_END`).
ConversationStatus = Literal["idle", "busy", "interrupted", "error", "cancelled"]
CONVERSATION_STATUSES: frozenset[str] = frozenset(
    ("idle", "busy", "interrupted", "error", "cancelled")
)

TITLE_MAX = 80
# The trigram tokenizer cannot match fewer than 3 characters; shorter queries match titles only.
MIN_TEXT_QUERY = 3

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
    status: ConversationStatus | None
    stateless: bool
    message_count: int
    # the branch shown of a thread with branches: its tip checkpoint (None: the server's
    # newest), its number (from 1) among the thread's branches, and how many there are
    branch_tip: str | None = None
    branch_number: int | None = None
    branch_count: int | None = None

    @property
    def branch_label(self) -> str | None:
        """ "2/3" for a thread with several branches; None with one."""
        if self.branch_count is None or self.branch_count < 2 or self.branch_number is None:
            return None
        return f"{self.branch_number}/{self.branch_count}"


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
    # a sub-agent's message: the `task` tool call whose run it belongs to (the innermost one,
    # for a sub-agent's own sub-agent); None for the conversation's own messages
    parent_call_id: str | None = None
    # an agent reply's cost, when its model reported it
    usage: Usage | None = None
    # the files attached to a human message: name, type, size (`store_attachments`)
    attachments: tuple[AttachmentInfo, ...] = ()


# -- text going in --------------------------------------------------------------------------

# A lone surrogate (e.g. `"\udc80"` in a server's JSON) has no UTF-8 form: SQLite's driver
# raises UnicodeEncodeError on it, which would lose the rest of a run.
_SURROGATE = re.compile("[\ud800-\udfff]")


def encodable(text: str) -> str:
    """`text` with a valid surrogate pair joined and every lone surrogate replaced by U+FFFD."""
    if _SURROGATE.search(text) is None:
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def bind(params: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(encodable(p) if isinstance(p, str) else p for p in params)


class Writes:
    """The connection as a write transaction sees it: every string bound is made encodable
    (ids and URLs too: a lookup must find what was written)."""

    __slots__ = ("_conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Cursor:
        return self._conn.execute(sql, bind(params))

    def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> sqlite3.Cursor:
        return self._conn.executemany(sql, (bind(row) for row in rows))


def free_text(value: str) -> str:
    """Free text on its way to disk (message text, titles, names): known secrets masked, the
    last line of defence for a server that echoes a token back."""
    return redact(value)


# -- rows -----------------------------------------------------------------------------------

CONVERSATION_COLUMNS = (
    "c.id, c.agent_pk, c.thread_id, c.title, c.created_at, c.updated_at, c.status, c.stateless,"
    " (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id),"
    " c.branch_tip, c.branch_number, c.branch_count"
)
CONVERSATION_WIDTH = 12  # how many values CONVERSATION_COLUMNS selects
MESSAGE_COLUMNS = (
    "id, conversation_id, seq, role, content, tool_calls, tool_call_id, name, run_id, server_id,"
    " complete, reasoning, created_at, parent_call_id, usage"
)
AGENT_COLUMNS = "id, url, agent_id, name, created_at"


def agent_row(row: tuple[Any, ...]) -> Agent:
    return Agent(*row)


def conversation_row(row: tuple[Any, ...]) -> Conversation:
    (cid, agent_pk, thread_id, title, created, updated, status, stateless, count,
     tip, number, branches) = row  # fmt: skip
    return Conversation(
        cid, agent_pk, thread_id, title, created, updated, status, bool(stateless), count,
        tip, number, branches,
    )  # fmt: skip


def message_row(row: tuple[Any, ...]) -> StoredMessage:
    (mid, cid, seq, role, content, calls, call_id, name, run_id, server_id, complete,
     reasoning, created, parent_call_id, usage) = row  # fmt: skip
    return StoredMessage(
        mid, cid, seq, role, content, json.loads(calls), call_id, name, run_id, server_id,
        bool(complete), reasoning, created, parent_call_id, Usage.from_json(usage),
    )  # fmt: skip


def calls_json(calls: Iterable[Any]) -> str:
    out = []
    for call in calls:
        if isinstance(call, Mapping):
            out.append({"id": call.get("id"), "name": call.get("name"), "args": call.get("args")})
        else:  # events.ToolCall or anything shaped like it
            out.append({"id": call.id, "name": call.name, "args": call.args})
    return json.dumps(redact_value(out), ensure_ascii=False, default=str)


def title_from(text: str) -> str:
    """The first non-blank line of `text`, whitespace collapsed, cut to TITLE_MAX characters."""
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    line = " ".join(line.split())
    return line if len(line) <= TITLE_MAX else line[: TITLE_MAX - 1].rstrip() + "…"


def like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
