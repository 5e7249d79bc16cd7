"""Persist a run's domain events into the store as they arrive. Shared by `ask` and the TUI.

Streaming text goes through the store's StreamWriter (one UPDATE a second at most), so a crash
mid-reply loses at most the last second; the final `MessageComplete` then writes the
authoritative content. No Textual import.

Recording never stops a run: the store itself goes on in memory when its file refuses writes,
and any other storage error is caught here, stops this run's recording and is reported once
(through `Store.report`); the run keeps streaming and being shown.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Protocol, TypeVar

from fleet_tui.domain.attachments import Attachment
from fleet_tui.domain.events import (
    Event,
    InterruptRequest,
    MessageComplete,
    ReasoningDelta,
    RunEnded,
    RunError,
    RunStarted,
    SubagentBound,
    SubagentEvent,
    TextDelta,
)
from fleet_tui.domain.message_identity import same_message, server_id_of
from fleet_tui.storage.store import Store, StreamWriter
from fleet_tui.storage.store_files import is_unsavable, unsaved_problem

T = TypeVar("T")

STATUS_BY_END = {
    "success": "idle",
    "interrupted": "interrupted",
    "error": "error",
    "cancelled": "cancelled",
}


class RunRecorder:
    def __init__(self, store: Store, conversation_id: int, *, human_text: str | None = None):
        self.store = store
        self.conversation_id = conversation_id
        self.run_id: str | None = None
        self._rows: dict[str, int] = {}  # an event's message_id -> the local row id
        self._writers: dict[str, StreamWriter] = {}
        self._human_text = human_text
        self.failure: str | None = None  # why this run stopped being recorded
        # sub-agents, by namespace path: the `task` call each is tied to, the messages that
        # wait for a tie, and the rows stored (moved when a guessed tie is corrected)
        self._parent_call: dict[str, str] = {}
        self._unbound: dict[str, list[MessageComplete]] = {}
        self._subagent_rows: dict[str, list[int]] = {}
        # sub-agent messages still streaming, by (namespace path, message id): their text and
        # reasoning so far, stored as incomplete if the run stops before they are complete
        self._subagent_open: dict[tuple[str, str], tuple[list[str], list[str]]] = {}

    def attempt(self, action: Callable[[], T]) -> T | None:
        """Run one store operation of this run. The first failure stops the recording (the
        run goes on) and is reported once; later operations are skipped."""
        if self.failure is not None:
            return None
        try:
            return action()
        except sqlite3.Error as exc:
            if is_unsavable(exc):
                self.failure = unsaved_problem(exc, self.store.path)
            else:
                self.failure = (
                    f"not saved locally: {exc} — this reply is still shown, but it is not in "
                    "the local store"
                )
            self.store.report(self.failure)
            return None

    def add_human(
        self, text: str, attachments: Sequence[Attachment] = (), *, copy_max_bytes: int = 0
    ) -> None:
        """Store the user's message and its files (it is sent whether or not this works)."""
        row = self.attempt(lambda: self.store.add_message(self.conversation_id, "human", text))
        if row is not None and attachments:
            self.attempt(
                lambda: self.store.add_attachments(
                    row.id, attachments, copy_max_bytes=copy_max_bytes
                )
            )

    def _row_for(self, message_id: str) -> int:
        row = self._rows.get(message_id)
        if row is None:
            server_id = server_id_of(message_id)
            existing = server_id and self.store.find_message_by_server_id(
                self.conversation_id, server_id
            )
            if existing:
                row = existing.id
            else:
                row = self.store.add_message(
                    self.conversation_id,
                    "ai",
                    "",
                    run_id=self.run_id,
                    server_id=server_id,
                    complete=False,
                ).id
            self._rows[message_id] = row
        return row

    def _writer(self, message_id: str) -> StreamWriter:
        writer = self._writers.get(message_id)
        if writer is None:
            writer = self._writers[message_id] = self.store.stream_writer(self._row_for(message_id))
        return writer

    def handle(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.run_id = event.run_id
        self.attempt(lambda: self._record(event))

    def _record(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.store.set_status(self.conversation_id, "busy")
        elif isinstance(event, TextDelta):
            self._writer(event.message_id).append(event.text)
        elif isinstance(event, ReasoningDelta):
            self._writer(event.message_id).append_reasoning(event.text)
        elif isinstance(event, MessageComplete):
            self._complete(event)
        elif isinstance(event, SubagentEvent):
            inner = event.event
            if isinstance(inner, MessageComplete):
                self._subagent_open.pop((event.namespace, inner.message_id), None)
                self._subagent_message(event.namespace, inner)
            elif isinstance(inner, (TextDelta, ReasoningDelta)):
                key = (event.namespace, inner.message_id)
                parts = self._subagent_open.setdefault(key, ([], []))
                parts[isinstance(inner, ReasoningDelta)].append(inner.text)
        elif isinstance(event, SubagentBound):
            self._bind(event.namespace, event.tool_call_id)
        elif isinstance(event, RunError):
            self.store.add_message(
                self.conversation_id, "error", f"{event.error}: {event.message}", run_id=self.run_id
            )
        elif isinstance(event, InterruptRequest):
            self.store.set_status(self.conversation_id, "interrupted")
        elif isinstance(event, RunEnded):
            self.finish(STATUS_BY_END.get(event.status, "idle"))

    def _complete(self, event: MessageComplete) -> None:
        server_id = server_id_of(event.message_id)
        own = self._human_text
        if (
            event.role == "human"
            and own is not None
            and same_message(server_id, "human", event.content, None, "human", own)
        ):
            self._human_text = None  # our own input, already stored when it was sent
            return
        calls = [asdict(call) for call in event.tool_calls]
        if event.role == "ai":
            writer = self._writers.pop(event.message_id, None)
            row = self._row_for(event.message_id)
            if writer is not None:
                writer.close(complete=True)
            self.store.update_message(
                row,
                content=event.content,
                tool_calls=calls,
                reasoning=event.reasoning,
                complete=True,
                run_id=self.run_id,
                usage=event.usage,
            )
            return
        if server_id and self.store.find_message_by_server_id(self.conversation_id, server_id):
            return
        self.store.add_message(
            self.conversation_id,
            event.role,
            event.content,
            tool_calls=calls,
            tool_call_id=event.tool_call_id,
            name=event.name,
            run_id=self.run_id,
            server_id=server_id,
        )

    def _subagent_message(self, namespace: str, event: MessageComplete) -> None:
        if namespace not in self._parent_call:
            self._unbound.setdefault(namespace, []).append(event)
            return
        server_id = server_id_of(event.message_id)
        if server_id and self.store.find_message_by_server_id(self.conversation_id, server_id):
            return  # a rejoined stream replays what was stored
        row = self.store.add_message(
            self.conversation_id,
            event.role,
            event.content,
            tool_calls=[asdict(call) for call in event.tool_calls],
            tool_call_id=event.tool_call_id,
            name=event.name,
            run_id=self.run_id,
            server_id=server_id,
            reasoning=event.reasoning,
            parent_call_id=self._parent_call[namespace],
            usage=event.usage,
        )
        self._subagent_rows.setdefault(namespace, []).append(row.id)

    def _bind(self, namespace: str, call_id: str) -> None:
        previous = self._parent_call.get(namespace)
        self._parent_call[namespace] = call_id
        if previous is not None and previous != call_id:
            self.store.move_to_call(self._subagent_rows.get(namespace, ()), call_id)
        for event in self._unbound.pop(namespace, ()):
            self._subagent_message(namespace, event)

    def flush_due(self) -> None:
        self.attempt(self._flush_due)

    def _flush_due(self) -> None:
        for writer in self._writers.values():
            writer.flush_if_due()

    def finish(self, status: str | None = None) -> None:
        """Close every message still streaming; an unfinished one stays marked incomplete."""
        self.attempt(lambda: self._finish(status))

    def _finish(self, status: str | None) -> None:
        for writer in self._writers.values():
            writer.close(complete=False)
        self._writers.clear()
        if status in ("cancelled", "error"):
            self._store_open_subagent_messages()
        if status is not None:
            self.store.set_status(self.conversation_id, status)
        self.store.touch(self.conversation_id)

    def _store_open_subagent_messages(self) -> None:
        """A run that stopped leaves its sub-agents' unfinished replies: keep what they said,
        marked incomplete, in the card of their `task` call (as the main reply's part is)."""
        open_messages, self._subagent_open = self._subagent_open, {}
        for (namespace, message_id), (text_parts, reasoning_parts) in open_messages.items():
            text, reasoning = "".join(text_parts), "".join(reasoning_parts)
            parent = self._parent_call.get(namespace)
            if parent is None or not (text or reasoning):
                continue  # never tied to a call: there is no card to show it in
            server_id = server_id_of(message_id)
            if server_id and self.store.find_message_by_server_id(self.conversation_id, server_id):
                continue
            row = self.store.add_message(
                self.conversation_id,
                "ai",
                text,
                run_id=self.run_id,
                server_id=server_id,
                complete=False,
                reasoning=reasoning,
                parent_call_id=parent,
            )
            self._subagent_rows.setdefault(namespace, []).append(row.id)


class _Flushable(Protocol):
    def flush_due(self) -> None: ...


async def flush_periodically(recorder: _Flushable, interval: float = 0.5) -> None:
    """Text that arrived before a pause in the stream still reaches the store within a second."""
    while True:
        await asyncio.sleep(interval)
        recorder.flush_due()
