"""Saving `fleet-tui ask --thread …` exchanges in the local store, so they show in the TUI."""

from __future__ import annotations

import sqlite3
from typing import TextIO

from fleet_tui.events import Event
from fleet_tui.launch import Target
from fleet_tui.recorder import RunRecorder
from fleet_tui.store import Agent, Store


class AskRecorder:
    def __init__(self, store: Store, agent: Agent, err: TextIO):
        self.store = store
        self.agent = agent
        self.err = err
        self.run: RunRecorder | None = None

    @classmethod
    def open(cls, target: Target, err: TextIO) -> AskRecorder | None:
        """None (with a note) when the store cannot be used: the ask itself still runs."""
        if target.demo:
            return None  # the demo server forgets its threads when the command ends
        try:
            store = Store.open()
        except (OSError, sqlite3.Error) as exc:
            print(f"fleet-tui: the conversation will not be saved locally: {exc}", file=err)
            return None
        if store.recovered_from:
            print(
                f"fleet-tui: the local store was damaged; it was moved to {store.recovered_from} "
                "and a fresh one was started.",
                file=err,
            )
        agent = store.ensure_agent(target.profile.url, target.profile.agent_id)
        return cls(store, agent, err)

    def last_thread_id(self) -> str | None:
        for conversation in self.store.list_conversations(self.agent.id, limit=50):
            if conversation.thread_id:
                return conversation.thread_id
        return None

    def begin(self, thread_id: str | None, human_text: str | None) -> None:
        conversation = None
        if thread_id:
            conversation = self.store.find_conversation_by_thread(self.agent.id, thread_id)
        if conversation is None:
            conversation = self.store.create_conversation(self.agent.id, thread_id=thread_id)
        if human_text is not None:
            self.store.add_message(conversation.id, "human", human_text)
        self.run = RunRecorder(self.store, conversation.id, human_text=human_text)

    def handle(self, event: Event) -> None:
        if self.run:
            self.run.handle(event)

    def flush_due(self) -> None:
        if self.run:
            self.run.flush_due()

    def fail(self, message: str) -> None:
        if self.run:
            self.store.add_message(self.run.conversation_id, "error", message)
            self.run.finish("error")

    def finish(self, *, cancelled: bool = False) -> None:
        if self.run:
            self.run.finish("cancelled" if cancelled else None)

    def close(self) -> None:
        self.store.close()
