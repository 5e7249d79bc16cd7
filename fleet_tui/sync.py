"""Bring the local store in line with the server: a thread's messages and status, and the
agent's list of threads. No Textual import."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from fleet_tui.client import FleetClient
from fleet_tui.events import message_role, split_content, tool_calls_of, tool_result_text
from fleet_tui.store import Agent, Conversation, Store, title_from


@dataclass
class ThreadRefresh:
    added: int = 0
    updated: int = 0
    status: str | None = None
    interrupts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated)


def _text_of(message: dict[str, Any]) -> tuple[str, str]:
    if message_role(message) == "tool":
        return tool_result_text(message.get("content")), ""
    return split_content(message.get("content"))


def reconcile_messages(
    store: Store, conversation_id: int, server_messages: list[dict[str, Any]]
) -> ThreadRefresh:
    """Match the server's messages to the stored ones (by server id, else by role and text,
    in order) and append the ones that were added elsewhere (the web UI, `ask`)."""
    result = ThreadRefresh()
    stored = store.messages(conversation_id)
    by_server_id = {m.server_id: m for m in stored if m.server_id}
    unmatched = [m for m in stored if not m.server_id and m.role in ("human", "ai", "tool")]
    for message in server_messages:
        if not isinstance(message, dict):
            continue
        role = message_role(message)
        server_id = message.get("id")
        if role is None or not isinstance(server_id, str):
            continue
        text, reasoning = _text_of(message)
        calls = [asdict(c) for c in tool_calls_of(message)]
        known = by_server_id.get(server_id)
        if known is None:
            for candidate in unmatched:
                if candidate.role == role and candidate.content.strip() == text.strip():
                    known = candidate
                    unmatched.remove(candidate)
                    store.update_message(candidate.id, server_id=server_id)
                    break
        if known is not None:
            if not known.complete or (role == "ai" and known.content != text and text):
                store.update_message(
                    known.id,
                    content=text,
                    tool_calls=calls,
                    reasoning=reasoning or None,
                    complete=True,
                )
                result.updated += 1
            continue
        store.add_message(
            conversation_id,
            role,
            text,
            tool_calls=calls,
            tool_call_id=message.get("tool_call_id"),
            name=message.get("name") if isinstance(message.get("name"), str) else None,
            server_id=server_id,
            reasoning=reasoning,
        )
        result.added += 1
    return result


def pending_interrupts(thread: dict[str, Any]) -> list[dict[str, Any]]:
    """The interrupts a thread waits on, as `{"id", "value"}` dicts."""
    interrupts = thread.get("interrupts")
    out: list[dict[str, Any]] = []
    if isinstance(interrupts, dict):
        for items in interrupts.values():
            if isinstance(items, list):
                out.extend(i for i in items if isinstance(i, dict) and "value" in i)
    elif isinstance(interrupts, list):
        out.extend(i for i in interrupts if isinstance(i, dict) and "value" in i)
    return out


async def refresh_thread(
    client: FleetClient, store: Store, conversation: Conversation
) -> ThreadRefresh:
    """Fetch the thread's state and status from the server and reconcile the store."""
    assert conversation.thread_id
    state = await client.get_thread_state(conversation.thread_id)
    values = state.get("values") if isinstance(state, dict) else None
    messages = values.get("messages", []) if isinstance(values, dict) else []
    result = reconcile_messages(
        store, conversation.id, messages if isinstance(messages, list) else []
    )
    thread = await client.get_thread(conversation.thread_id)
    status = thread.get("status") if isinstance(thread, dict) else None
    result.interrupts = pending_interrupts(thread) if isinstance(thread, dict) else []
    if not result.interrupts and isinstance(state, dict):
        for task in state.get("tasks") or ():
            if isinstance(task, dict):
                result.interrupts.extend(
                    i for i in task.get("interrupts") or () if isinstance(i, dict) and "value" in i
                )
    if result.interrupts:
        status = "interrupted"
    if isinstance(status, str):
        result.status = status
        store.set_status(conversation.id, status)
    return result


def _first_human_text(thread: dict[str, Any]) -> str:
    values = thread.get("values")
    messages = values.get("messages") if isinstance(values, dict) else None
    for message in messages or ():
        if isinstance(message, dict) and message_role(message) == "human":
            return split_content(message.get("content"))[0]
    return ""


def _timestamp(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


@dataclass
class SyncReport:
    seen: int = 0
    added: int = 0
    updated: int = 0


async def sync_threads(
    client: FleetClient, store: Store, agent: Agent, assistant_id: str
) -> SyncReport:
    """Add the agent's server threads that the store lacks, and refresh statuses.

    Threads are found by the `assistant_id` the server writes into a thread's metadata when a
    run starts on it; the search is paginated to the end.
    """
    report = SyncReport()
    async for thread in client.search_threads({"assistant_id": assistant_id}):
        thread_id = thread.get("thread_id")
        if not isinstance(thread_id, str):
            continue
        report.seen += 1
        status = thread.get("status") if isinstance(thread.get("status"), str) else None
        if pending_interrupts(thread):
            status = "interrupted"
        metadata = thread.get("metadata") if isinstance(thread.get("metadata"), dict) else {}
        title = metadata.get("title") if isinstance(metadata.get("title"), str) else ""
        existing = store.find_conversation_by_thread(agent.id, thread_id)
        if existing is None:
            conversation = store.create_conversation(
                agent.id,
                thread_id=thread_id,
                title=title or title_from(_first_human_text(thread)) or "Untitled thread",
            )
            updated = _timestamp(thread.get("updated_at"))
            if updated is not None:
                store.set_updated_at(conversation.id, updated)
            if status:
                store.set_status(conversation.id, status)
            report.added += 1
        elif status and status != existing.status:
            store.set_status(existing.id, status)
            report.updated += 1
    return report
