"""The local store for the command line: opening it with one note per problem on stderr, and
saving `fleet-tui ask --thread …` exchanges so they show in the TUI."""

from __future__ import annotations

import sqlite3
from typing import TextIO

from fleet_tui.events import Event
from fleet_tui.launch import Target
from fleet_tui.recorder import RunRecorder
from fleet_tui.sanitize import print_err
from fleet_tui.store import Agent, Store, StoreError


def open_for_cli(err: TextIO) -> Store:
    """Open the default store, saying on `err` where a damaged file went and why nothing will
    be saved (once, at open, or later when saving stops). Raises what `Store.open` raises
    when the store cannot even be read (OSError, sqlite3.Error, StoreError)."""
    store = Store.open()
    if store.recovered_from:
        print_err(
            f"the local store was damaged; it was moved to {store.recovered_from} and a fresh "
            "one was started.",
            err,
        )
    if store.problem:
        print_err(store.problem, err)
    store.on_problem = lambda problem: print_err(problem, err)
    return store


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
            store = open_for_cli(err)
        except (OSError, sqlite3.Error, StoreError) as exc:
            print_err(f"the conversation will not be saved locally: {exc}", err)
            return None
        try:
            agent = store.ensure_agent(target.profile.url, target.profile.agent_id)
        except sqlite3.Error as exc:
            print_err(f"the conversation will not be saved locally: {exc}", err)
            store.close()
            return None
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
            try:
                conversation = self.store.create_conversation(self.agent.id, thread_id=thread_id)
            except sqlite3.Error as exc:
                print_err(f"the conversation will not be saved locally: {exc}", self.err)
                return
        self.run = RunRecorder(self.store, conversation.id, human_text=human_text)
        if human_text is not None:
            self.run.add_human(human_text)

    def handle(self, event: Event) -> None:
        if self.run:
            self.run.handle(event)

    def flush_due(self) -> None:
        if self.run:
            self.run.flush_due()

    def fail(self, message: str) -> None:
        if self.run:
            run = self.run
            run.attempt(lambda: self.store.add_message(run.conversation_id, "error", message))
            run.finish("error")

    def finish(self, *, cancelled: bool = False) -> None:
        if self.run:
            self.run.finish("cancelled" if cancelled else None)

    def close(self) -> None:
        self.store.close()
