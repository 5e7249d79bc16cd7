"""One turn of a conversation: create the thread if needed, stream the run, record it.

The one run orchestrator: the conversation service drives it for the TUI (inside a worker,
one per running conversation) and for `ask` (inside an asyncio task). No Textual import:
every event goes to a callback, so the same code is testable without a screen.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

from fleet_tui.agent_server.client import FleetClient, RunStream
from fleet_tui.common.errors import FleetError, ThreadBusyError
from fleet_tui.domain.attachments import Attachment, AttachmentRules, human_content, limit_bytes
from fleet_tui.domain.events import Event, RunEnded, RunError, RunStarted, ToolCall
from fleet_tui.services.recorder import RunRecorder, flush_periodically
from fleet_tui.storage.store import Conversation, Store

EventSink = Callable[[Event], None]


def human_input(text: str, attachments: Sequence[Attachment] = ()) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": human_content(text, attachments)}]}


class TurnRunner:
    """Runs one turn; `cancel()` stops it on the server and keeps the partial reply."""

    def __init__(
        self,
        client: FleetClient,
        store: Store,
        conversation: Conversation,
        sink: EventSink,
        *,
        stream_modes: Sequence[str] | None = None,
        known_message_ids: Iterable[str] = (),
        open_subagents: Iterable[tuple[str | None, ToolCall]] = (),
        attachment_rules: AttachmentRules | None = None,
    ):
        self.client = client
        self.store = store
        self.conversation = conversation
        self.sink = sink
        self.stream_modes = stream_modes
        self.stream: RunStream | None = None
        self.started_at = time.monotonic()
        self.cancelled = False
        self.busy = False  # the server answered 409: another run holds the thread
        self.status: str | None = None
        # ids of messages already shown that the store may not hold (a thread not saved
        # locally): a resumed run re-sends them, and they must not be shown again
        self.known_message_ids = list(known_message_ids)
        # `task` calls of earlier runs still waiting: a resumed run goes on in their sub-agents
        self.open_subagents = list(open_subagents)
        # the request failed (no stream, or a broken one); what `ask` exits with
        self.failure: FleetError | None = None
        # True while the runner reports an end of its own (an error or a cancel), not the
        # stream's: the service records it but does not pass it on as a stream event
        self.ending = False
        self.cancel_confirmed = False
        # the checkpoint this run started from (an edit, a regeneration, a branch's tip)
        self.forked_from: str | None = None
        self.attachment_rules = attachment_rules or AttachmentRules()

    @property
    def thread_id(self) -> str | None:
        return self.conversation.thread_id

    async def ensure_thread(self, recorder: RunRecorder) -> str | None:
        if self.conversation.stateless or self.conversation.thread_id:
            return self.conversation.thread_id
        created = await self.client.create_thread(metadata={"created_by": "fleet-tui"})
        thread_id = str(created["thread_id"])
        recorder.attempt(lambda: self.store.set_thread_id(self.conversation.id, thread_id))
        # the conversation goes on with its thread even when the store could not take it
        self.conversation = replace(self.conversation, thread_id=thread_id)
        return thread_id

    async def send(
        self,
        text: str,
        *,
        multitask_strategy: str | None = None,
        store_human: bool = True,
        checkpoint: str | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> str:
        """Send a human message (already shown by the caller), with the files attached to
        it as content blocks, and stream the reply.

        `multitask_strategy` says what to do when the thread is busy with another run:
        "enqueue" waits for it, "interrupt" stops it. By default the run is refused (409) so
        that the user chooses, instead of the server queueing it silently. With `checkpoint`
        the run starts from that checkpoint (an edit, or a branch that is not the newest).
        """
        return await self._run(
            lambda thread_id, seen: self.client.stream_run(
                human_input(text, attachments),
                thread_id=thread_id,
                stream_modes=self.stream_modes,
                multitask_strategy=multitask_strategy or "reject",
                seen_message_ids=seen,
                checkpoint=checkpoint,
            ),
            human_text=text,
            store_human=store_human,
            attachments=attachments,
        )

    async def regenerate(self, checkpoint: str) -> str:
        """Run again from `checkpoint` (the one before a reply) with no new input."""
        return await self._run(
            lambda thread_id, seen: self.client.stream_run(
                None,
                thread_id=thread_id,
                stream_modes=self.stream_modes,
                multitask_strategy="reject",
                seen_message_ids=seen,
                checkpoint=checkpoint,
            ),
            human_text=None,
        )

    async def resume(self, value: Any) -> str:
        """Answer the interrupt the thread waits on."""
        return await self._run(
            lambda thread_id, seen: self.client.stream_run(
                thread_id=thread_id,
                command={"resume": value},
                stream_modes=self.stream_modes,
                seen_message_ids=seen,
            ),
            human_text=None,
        )

    async def join(self, run_id: str) -> str:
        """Follow a run that is already going on the thread (started elsewhere)."""
        assert self.conversation.thread_id
        thread_id = self.conversation.thread_id
        return await self._run(
            lambda _thread_id, _seen: self.client.join_stream(thread_id, run_id),
            human_text=None,
        )

    async def _run(
        self,
        open_stream: Callable[[str | None, list[str]], RunStream],
        *,
        human_text: str | None,
        store_human: bool = False,
        attachments: Sequence[Attachment] = (),
    ) -> str:
        recorder = RunRecorder(self.store, self.conversation.id, human_text=human_text)
        if store_human and human_text is not None:
            copy_max = limit_bytes(self.attachment_rules.copy_max_mb)
            recorder.add_human(human_text, attachments, copy_max_bytes=copy_max)
        flusher = asyncio.create_task(flush_periodically(recorder))
        try:
            thread_id = await self.ensure_thread(recorder)
            stored = recorder.attempt(lambda: self.store.messages(self.conversation.id)) or []
            seen = [m.server_id for m in stored if m.server_id]
            seen += [i for i in self.known_message_ids if i not in seen]
            self.stream = open_stream(thread_id, seen)
            self.stream.normalizer.expect_subagents(self.open_subagents)
            async for event in self.stream:
                recorder.handle(event)
                if isinstance(event, RunStarted) and self.cancelled:
                    await self._cancel_on_server()
                self.sink(event)
                if isinstance(event, RunEnded):
                    self.status = event.status
                    break
        except FleetError as exc:
            self.failure = exc
            self.ending = True
            error = RunError(type(exc).__name__, str(exc))
            self.busy = isinstance(exc, ThreadBusyError)
            if not self.busy:  # a busy thread is a question for the user, not a failure
                recorder.handle(error)
            recorder.finish("error" if not self.busy else None)
            self.sink(error)
            self.sink(RunEnded(self.stream.run_id if self.stream else None, "error"))
            self.status = "error"
        except asyncio.CancelledError:
            recorder.finish("cancelled")
            self.status = "cancelled"
            self.ending = True
            self.sink(RunEnded(self.stream.run_id if self.stream else None, "cancelled"))
            raise
        finally:
            flusher.cancel()
            recorder.finish()
        return self.status or "success"

    async def cancel(self) -> str | None:
        """Ask the server to stop the run. Returns a problem to show, or None."""
        self.cancelled = True
        if self.stream is not None:
            self.stream.cancelled = True
        return await self._cancel_on_server()

    async def _cancel_on_server(self) -> str | None:
        stream = self.stream
        if stream is None or not stream.run_id:
            return None  # not started yet: cancelled as soon as its run id is known
        if not stream.thread_id:
            return None  # stateless: closing the stream cancels it
        try:
            await asyncio.wait_for(self.client.cancel_run(stream.thread_id, stream.run_id), 10)
        except TimeoutError:
            return "The server did not confirm the cancel within 10 s; the run may still be going."
        except FleetError as exc:
            return f"The server did not confirm the cancel: {exc}"
        self.cancel_confirmed = True
        return None
