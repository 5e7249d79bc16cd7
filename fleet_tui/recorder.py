"""Persist a run's domain events into the store as they arrive. Shared by `ask` and the TUI.

Streaming text goes through the store's StreamWriter (one UPDATE a second at most), so a crash
mid-reply loses at most the last second; the final `MessageComplete` then writes the
authoritative content. No Textual import.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import Protocol

from fleet_tui.events import (
    Event,
    InterruptRequest,
    MessageComplete,
    ReasoningDelta,
    RunEnded,
    RunError,
    RunStarted,
    TextDelta,
)
from fleet_tui.store import Store, StreamWriter

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
        self._rows: dict[str, int] = {}  # server message id -> local row id
        self._writers: dict[str, StreamWriter] = {}
        self._human_text = human_text

    def _row_for(self, message_id: str) -> int:
        row = self._rows.get(message_id)
        if row is None:
            existing = self.store.find_message_by_server_id(self.conversation_id, message_id)
            if existing is not None:
                row = existing.id
            else:
                row = self.store.add_message(
                    self.conversation_id,
                    "ai",
                    "",
                    run_id=self.run_id,
                    server_id=message_id,
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
            self.store.set_status(self.conversation_id, "busy")
        elif isinstance(event, TextDelta):
            self._writer(event.message_id).append(event.text)
        elif isinstance(event, ReasoningDelta):
            self._writer(event.message_id).append_reasoning(event.text)
        elif isinstance(event, MessageComplete):
            self._complete(event)
        elif isinstance(event, RunError):
            self.store.add_message(
                self.conversation_id, "error", f"{event.error}: {event.message}", run_id=self.run_id
            )
        elif isinstance(event, InterruptRequest):
            self.store.set_status(self.conversation_id, "interrupted")
        elif isinstance(event, RunEnded):
            self.finish(STATUS_BY_END.get(event.status, "idle"))

    def _complete(self, event: MessageComplete) -> None:
        if event.role == "human":
            if self._human_text is not None and event.content == self._human_text:
                self._human_text = None  # our own input, already stored when it was sent
                return
            if self.store.find_message_by_server_id(self.conversation_id, event.message_id):
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
            )
            return
        if self.store.find_message_by_server_id(self.conversation_id, event.message_id):
            return
        self.store.add_message(
            self.conversation_id,
            event.role,
            event.content,
            tool_calls=calls,
            tool_call_id=event.tool_call_id,
            name=event.name,
            run_id=self.run_id,
            server_id=event.message_id,
        )

    def flush_due(self) -> None:
        for writer in self._writers.values():
            writer.flush_if_due()

    def finish(self, status: str | None = None) -> None:
        """Close every message still streaming; an unfinished one stays marked incomplete."""
        for writer in self._writers.values():
            writer.close(complete=False)
        self._writers.clear()
        if status is not None:
            self.store.set_status(self.conversation_id, status)
        self.store.touch(self.conversation_id)


class _Flushable(Protocol):
    def flush_due(self) -> None: ...


async def flush_periodically(recorder: _Flushable, interval: float = 0.5) -> None:
    """Text that arrived before a pause in the stream still reaches the store within a second."""
    while True:
        await asyncio.sleep(interval)
        recorder.flush_due()
