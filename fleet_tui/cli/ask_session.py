"""The conversation `ask` runs: the thread it is on, and the conversation service it drives.

No Textual import.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Coroutine
from typing import Any, TextIO

from fleet_tui.agent_server.client import FleetClient
from fleet_tui.cli.ask_answers import Refused
from fleet_tui.cli.ask_printer import ReplyPrinter
from fleet_tui.cli.output import OutputClosed
from fleet_tui.cli.store_access import open_for_cli
from fleet_tui.common.errors import NotFoundError, RequestRejected
from fleet_tui.common.exit_codes import ExitCode
from fleet_tui.common.sanitize import print_err
from fleet_tui.domain.attachments import AttachmentRules
from fleet_tui.domain.interrupt_model import pending_interrupts
from fleet_tui.services.conversation_service import ConversationService, memory_store
from fleet_tui.services.launch import Target
from fleet_tui.services.service_events import RunEventFor, RunFinished, ServiceEvent
from fleet_tui.storage.store import Store, StoreError


async def open_thread(
    client: FleetClient, last_thread: str | None, thread: str | None, *, resuming: bool
) -> tuple[str | None, Any]:
    """The thread to run on, checked with the server before anything is sent or saved, and
    its `/state` (None for a new thread)."""
    if not thread:
        return None, None
    if thread == "new":
        created = await client.create_thread()
        return str(created["thread_id"]), None
    thread_id = last_thread if thread == "last" else thread
    if not thread_id:
        raise Refused(
            ExitCode.USAGE,
            "no earlier conversation with this agent to continue; use --thread new.",
        )
    try:
        state = await client.get_thread_state(thread_id)
    except (NotFoundError, RequestRejected) as exc:
        # an unknown id is 404; one the server cannot parse is 422 (400 on a run)
        if exc.status not in (400, 404, 422):
            raise
        raise Refused(
            ExitCode.NOT_FOUND,
            f"no such thread {thread_id} on this agent (the server answered {exc.status}). "
            "Check the id (`fleet-tui threads` lists the saved conversations) or start one "
            "with --thread new. Fleet also answers 404 to a token that is not tied to the "
            "agent's owner.",
        ) from None
    # `/state` is read, not `GET /threads/{id}`, whose list can be incomplete after a failed
    # resume
    if resuming and not pending_interrupts(state):
        raise Refused(
            ExitCode.USAGE,
            f"nothing is waiting for a decision on thread {thread_id}, so there is nothing to "
            f"resume; send a message instead: fleet-tui ask --thread {thread_id} MESSAGE",
        )
    return thread_id, state


class AskSession:
    """The conversation service `ask` drives, and what it heard from it."""

    def __init__(
        self,
        target: Target,
        client: FleetClient,
        printer: ReplyPrinter,
        err: TextIO,
        attachment_rules: AttachmentRules | None = None,
    ):
        self.printer = printer
        self.attachment_rules = attachment_rules or AttachmentRules()
        self.err = err
        self.client = client
        self.target = target
        self.finished: RunFinished | None = None
        self.output_closed = asyncio.Event()
        self.conversation_id: int | None = None
        self.task: asyncio.Task[Any] | None = None
        self.service = self._service(memory_store())

    def _service(self, store: Store) -> ConversationService:
        service = ConversationService(
            store,
            self._spawn,
            client=lambda _agent: self.client,
            attachment_rules=lambda: self.attachment_rules,
        )
        service.subscribe(self._heard)
        return service

    @property
    def store(self) -> Store:
        return self.service.store

    def use_saved_store(self) -> None:
        """Save the conversation in the local store (not the demo's: its server forgets)."""
        if self.target.demo:
            return
        try:
            store = open_for_cli(self.err)
        except (OSError, sqlite3.Error, StoreError) as exc:
            print_err(f"the conversation will not be saved locally: {exc}", self.err)
            return
        self.service.store.close()
        self.service = self._service(store)

    def _agent_pk(self) -> int:
        profile = self.target.profile
        return self.store.ensure_agent(profile.url, profile.agent_id).id

    def last_thread_id(self) -> str | None:
        try:
            pk = self._agent_pk()
            for conversation in self.store.list_conversations(pk, limit=50):
                if conversation.thread_id:
                    return conversation.thread_id
        except sqlite3.Error as exc:
            print_err(f"the saved conversations cannot be read: {exc}", self.err)
        return None

    def open(self, thread_id: str | None, server_state: Any) -> int:
        """The conversation to run in; in memory when the store cannot take it."""
        try:
            pk = self._agent_pk()
            if thread_id is None:
                state = self.service.create(pk, stateless=True)
            else:
                state = self.service.attach_thread(pk, thread_id, server_state=server_state)
        except sqlite3.Error as exc:
            print_err(f"the conversation will not be saved locally: {exc}", self.err)
            self.service.store.close()
            self.service = self._service(memory_store())
            return self.open(thread_id, server_state)
        self.conversation_id = state.id
        return state.id

    def _spawn(self, work: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(work, name=name)
        if name.startswith("run-"):
            self.task = task
        return task

    def _heard(self, event: ServiceEvent) -> None:
        if isinstance(event, RunEventFor):
            # recorded before it is printed: an event whose printing fails is kept
            if self.printer.output_closed is not None:
                return
            try:
                self.printer.handle(event.event)
            except OutputClosed:
                self.output_closed.set()
        elif isinstance(event, RunFinished):
            self.finished = event

    async def run(self) -> None:
        """Until the run ends, or stdout's reader goes away."""
        assert self.task is not None
        closed = asyncio.create_task(self.output_closed.wait())
        try:
            await asyncio.wait([self.task, closed], return_when=asyncio.FIRST_COMPLETED)
        finally:
            closed.cancel()

    async def cancel(self, *, quiet: bool = False) -> None:
        """Stop the run on the server (a stateless run stops when its stream is closed) and
        wait until its partial reply is saved, marked cancelled."""
        state = self.service.get(self.conversation_id) if self.conversation_id else None
        runner = state.runner if state else None
        if state is None or runner is None:
            return
        problem = await self.service.cancel(state.id)
        if self.task is not None:
            await asyncio.wait([self.task])
        if problem:
            print_err(f"could not confirm the cancel on the server: {problem}", self.err)
        elif runner.cancel_confirmed and not quiet:
            print_err("run cancelled on the server.", self.err)
