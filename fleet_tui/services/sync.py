"""Bring the local store in line with the server: a thread's messages and status, and the
agent's list of threads. No Textual import."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any, cast

from fleet_tui.agent_server.client import FleetClient
from fleet_tui.domain.attachments import attachments_in
from fleet_tui.domain.branches import BranchPath
from fleet_tui.domain.deep_state import StateFile, Todo, parse_files, parse_todos
from fleet_tui.domain.events import message_role, split_content, tool_calls_of, tool_result_text
from fleet_tui.domain.interrupt_model import Interrupt, pending_interrupts, waiting_status
from fleet_tui.domain.message_identity import MessageIndex
from fleet_tui.domain.usage import usage_of
from fleet_tui.services import branching
from fleet_tui.storage.store import Agent, Conversation, Store, StoredMessage, title_from
from fleet_tui.storage.store_records import CONVERSATION_STATUSES, ConversationStatus

__all__ = [
    "FIRST_MESSAGE",
    "UNTITLED",
    "SyncReport",
    "ThreadRefresh",
    "known_status",
    "reconcile_messages",
    "refresh_thread",
    "server_time",
    "sync_threads",
    "thread_title",
]

# The alias under which a thread search's `extract` returns a thread's first message, so a
# title can be made without fetching the thread's whole `values` (files, every message).
FIRST_MESSAGE = "first_message"
# the title of a thread with neither a title in its metadata nor a first human message
UNTITLED = "Untitled thread"


@dataclass
class ThreadRefresh:
    added: int = 0
    updated: int = 0
    status: ConversationStatus | None = None
    # what the thread waits on, schemas included (read from `/state`)
    interrupts: list[Interrupt] = field(default_factory=list)
    # a deep agent's plan and files as `/state` holds them; None when it holds none
    todos: tuple[Todo, ...] | None = None
    files: dict[str, StateFile] | None = None
    # the branch shown, when the thread's tree was read (see `branching.follow`)
    path: BranchPath | None = None


def _text_of(message: dict[str, Any]) -> tuple[str, str]:
    if message_role(message) == "tool":
        return tool_result_text(message.get("content")), ""
    return split_content(message.get("content"))


def reconcile_messages(
    store: Store, conversation_id: int, server_messages: list[dict[str, Any]]
) -> ThreadRefresh:
    """Match the server's messages to the stored ones (by the identity rule of
    `message_identity`: a stored message without a server id takes the id of the first
    server message it matches) and append the ones that were added elsewhere (the web UI,
    `ask`)."""
    result = ThreadRefresh()
    known: MessageIndex[StoredMessage] = MessageIndex()
    for stored in store.messages(conversation_id):
        if stored.parent_call_id:
            continue  # a sub-agent's message: never in the thread's own `values.messages`
        if stored.server_id or stored.role in ("human", "ai", "tool"):
            known.add(stored, stored.server_id, stored.role, stored.content)
    for message in server_messages:
        if not isinstance(message, dict):
            continue
        role = message_role(message)
        server_id = message.get("id")
        if role is None or not isinstance(server_id, str):
            continue
        text, reasoning = _text_of(message)
        calls = [asdict(c) for c in tool_calls_of(message)]
        # a reply's cost as the server keeps it (no wall time: it was not timed here)
        usage = usage_of(message) if role == "ai" else None
        row = known.find(server_id, role, text)
        if row is not None:
            if row.server_id != server_id:  # it was matched by its text: it takes the id
                store.update_message(row.id, server_id=server_id)
            if not row.complete or (role == "ai" and row.content != text and text):
                store.update_message(
                    row.id,
                    content=text,
                    tool_calls=calls,
                    reasoning=reasoning or None,
                    complete=True,
                    usage=usage if row.usage is None else None,
                )
                result.updated += 1
            elif usage is not None and row.usage is None:
                # stored before its cost was known (the stream broke before its last chunk)
                store.update_message(row.id, usage=usage)
                result.updated += 1
            continue
        added = store.add_message(
            conversation_id,
            role,
            text,
            tool_calls=calls,
            tool_call_id=message.get("tool_call_id"),
            name=message.get("name") if isinstance(message.get("name"), str) else None,
            server_id=server_id,
            reasoning=reasoning,
            usage=usage,
        )
        if role == "human" and (files := attachments_in(message.get("content"))):
            # sent from elsewhere: what they are is known, their bytes stay on the server
            store.add_attachments(added.id, files, copy_max_bytes=0)
        result.added += 1
    return result


async def refresh_thread(
    client: FleetClient, store: Store, conversation: Conversation, *, keep_choice: bool = False
) -> ThreadRefresh:
    """Fetch the thread's state and status from the server and reconcile the store.

    The store follows the branch shown: the server's head, or with `keep_choice` the branch
    the user chose (its messages, plan and files, from the thread's history)."""
    assert conversation.thread_id
    state = await client.get_thread_state(conversation.thread_id)
    values = state.get("values") if isinstance(state, dict) else None
    messages = values.get("messages", []) if isinstance(values, dict) else []
    messages = messages if isinstance(messages, list) else []
    followed = await branching.follow(client, store, conversation, messages, choice=keep_choice)
    on_head = followed is None or followed.at_head
    if followed is not None and not followed.at_head:
        messages, values = list(followed.path.messages), dict(followed.path.values)
    result = reconcile_messages(store, conversation.id, messages)
    if followed is not None:
        result.path = followed.path
        result.updated += int(followed.changed)  # rows moved: the transcript is rebuilt
    thread = await client.get_thread(conversation.thread_id)
    # `/state` is the one source: the thread's own list can be incomplete after a failed
    # resume. What it waits on is the head's: a branch that is not the head waits on nothing.
    result.interrupts = pending_interrupts(state) if on_head else []
    store.set_waiting(conversation.id, result.interrupts)
    thread_status = thread.get("status") if isinstance(thread, dict) else None
    status = known_status(waiting_status(thread_status, result.interrupts))
    if status is not None:
        result.status = status
        store.set_status(conversation.id, status)
    if isinstance(values, dict):
        _read_deep_state(store, conversation.id, values, result)
    return result


def _read_deep_state(
    store: Store, conversation_id: int, values: dict[str, Any], result: ThreadRefresh
) -> None:
    """A deep agent's plan and files from `/state`'s values, stored when they changed."""
    result.todos = parse_todos(values.get("todos"))
    files = parse_files(values.get("files"))
    if files is not None:
        result.files = {path: file for path, file in files.items() if file is not None}
    if result.todos is None and result.files is None:
        return
    stored = store.thread_state(conversation_id)
    if result.todos is not None and result.todos != stored.todos:
        store.save_plan(conversation_id, result.todos)
    if result.files is not None and result.files != stored.files:
        store.save_files(conversation_id, result.files)


def known_status(value: Any) -> ConversationStatus | None:
    """A thread status the store knows; a status this app does not know is not stored."""
    if isinstance(value, str) and value in CONVERSATION_STATUSES:
        return cast(ConversationStatus, value)
    return None


def _first_human_text(thread: dict[str, Any]) -> str:
    values = thread.get("values")
    messages = values.get("messages") if isinstance(values, dict) else None
    extracted = thread.get("extracted")
    if not isinstance(messages, list) and isinstance(extracted, dict):
        messages = [extracted.get(FIRST_MESSAGE)]
    for message in messages if isinstance(messages, list) else ():
        if isinstance(message, dict) and message_role(message) == "human":
            return split_content(message.get("content"))[0]
    return ""


def thread_title(thread: dict[str, Any]) -> str:
    """A server thread's title: its metadata's, else its first human message's first line
    (from `values`, or from what a search extracted as `FIRST_MESSAGE`)."""
    metadata = thread.get("metadata")
    title = metadata.get("title") if isinstance(metadata, dict) else None
    if isinstance(title, str) and title.strip():
        return title
    return title_from(_first_human_text(thread)) or UNTITLED


def server_time(value: Any) -> float | None:
    """A server timestamp (ISO 8601 text) as unix seconds; None when it is not one."""
    return _timestamp(value)


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

    def summary(self) -> str:
        """What the sync changed, in words ("Synced: 2 new threads from the server.")."""
        parts = []
        if self.added:
            parts.append(f"{self.added} new thread{'s' if self.added != 1 else ''} from the server")
        if self.updated:
            n = self.updated
            parts.append(f"{n} thread{'s' if n != 1 else ''} updated from the server")
        if not parts:
            return "Already up to date: no new or changed threads on the server."
        return "Synced: " + ", ".join(parts) + "."


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
        status = known_status(waiting_status(thread.get("status"), pending_interrupts(thread)))
        existing = store.find_conversation_by_thread(agent.id, thread_id)
        if existing is None:
            conversation = store.create_conversation(
                agent.id, thread_id=thread_id, title=thread_title(thread)
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
