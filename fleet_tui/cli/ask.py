"""`fleet-tui ask`: one message, the reply streamed to stdout. No Textual import.

stdout carries only the agent's reply text (or NDJSON with --json); everything else goes to
stderr, so the command composes in shell pipelines.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sqlite3
import sys
from collections.abc import Coroutine, Iterator
from typing import Any, TextIO

from fleet_tui.agent_server.client import FleetClient
from fleet_tui.cli.output import OutputClosed, json_text, write_out
from fleet_tui.cli.store_access import open_for_cli
from fleet_tui.common import lifetime
from fleet_tui.common.errors import FleetError, NotFoundError, RequestRejected, StreamBroken
from fleet_tui.common.exit_codes import ExitCode
from fleet_tui.common.redaction import StreamRedactor, redact
from fleet_tui.common.sanitize import clean_text, print_err
from fleet_tui.domain.events import (
    Event,
    InterruptRequest,
    Reconnecting,
    RunError,
    StreamQuiet,
    TextDelta,
    ToolCallStarted,
    ToolResult,
    event_to_dict,
    human_seconds,
)
from fleet_tui.domain.interrupt_model import pending_interrupts
from fleet_tui.domain.interrupts import HitlReview, InboxReview, classify, dumps_json
from fleet_tui.services.conversation_service import ConversationService, memory_store
from fleet_tui.services.launch import (
    SetupError,
    Target,
    confirm_cleartext,
    demo_target,
    resolve_target,
)
from fleet_tui.services.service_events import RunEventFor, RunFinished, ServiceEvent
from fleet_tui.storage.store import Store, StoreError

TOOL_RESULT_PREVIEW = 300


def describe_interrupt(value: Any, response_schema: Any = None) -> str:
    """What an interrupt asks, in a few lines for a terminal."""
    review = classify(value, response_schema)
    lines: list[str] = []
    if isinstance(review, HitlReview):
        for action in review.actions:
            args = json.dumps(action.args, ensure_ascii=False)
            lines.append(f"  {action.name}({args}) — allowed: {', '.join(action.allowed)}")
            if action.description:
                lines.append(f"    {action.description}")
    elif isinstance(review, InboxReview):
        for item in review.items:
            args = json.dumps(item.args, ensure_ascii=False)
            lines.append(f"  {item.action}({args}) — allowed: {', '.join(item.allowed)}")
            if item.description:
                lines.append(f"    {item.description}")
    else:
        lines.append("  " + dumps_json(review.value).replace("\n", "\n  "))
    return "\n".join(lines)


class ReplyPrinter:
    """Prints text deltas once; AI messages separated by a blank line.

    stdout gets the reply (or NDJSON); every other line goes to stderr through `print_err`,
    cleaned and with known secrets masked. When stdout's reader goes away, `handle` raises
    `OutputClosed` once and the printer writes nothing more to it.
    """

    def __init__(self, out: TextIO, err: TextIO, *, as_json: bool):
        self.out = out
        self.err = err
        self.as_json = as_json
        self.current_message: str | None = None
        self.printed_any = False
        self.at_line_start = True
        self.interrupts: list[InterruptRequest] = []
        self.errors: list[RunError] = []
        self.output_closed: OutputClosed | None = None
        # a token the agent echoes may arrive split across two deltas
        self._redactor = StreamRedactor()

    def handle(self, event: Event) -> None:
        if isinstance(event, InterruptRequest):
            self.interrupts.append(event)
        elif isinstance(event, RunError):
            self.errors.append(event)
        if self.as_json:
            self.write(redact(json_text(event_to_dict(event))) + "\n")
            return
        if isinstance(event, TextDelta):
            if event.message_id != self.current_message:
                self._write_reply(self._redactor.flush())
                if self.printed_any:
                    self._write_reply("\n" if self.at_line_start else "\n\n")
                self.current_message = event.message_id
            self._write_reply(self._redactor.feed(clean_text(event.text)))
            self.printed_any = True
        elif isinstance(event, ToolCallStarted):
            args = json.dumps(event.call.args, ensure_ascii=False)
            self.note(f"→ tool call {event.call.name}({args})")
        elif isinstance(event, ToolResult):
            text = event.content
            if len(text) > TOOL_RESULT_PREVIEW:
                text = text[:TOOL_RESULT_PREVIEW] + "…"
            marker = "✗" if event.status == "error" else "←"
            self.note(f"{marker} {event.name or 'tool'}: {text}")
        elif isinstance(event, Reconnecting):
            self.note(f"reconnecting ({event.attempt}/{event.limit})…")
        elif isinstance(event, StreamQuiet):
            seconds = human_seconds(event.seconds)
            if event.resumed:
                self.note(f"data again after {seconds} of silence")
            else:
                self.note(f"no data for {seconds}; the run may still be working (Ctrl-C cancels)")
        elif isinstance(event, RunError):
            self.note(f"error: {event.error}: {event.message}")

    def write(self, text: str) -> None:
        if self.output_closed is not None:
            return
        try:
            write_out(self.out, text)
        except OutputClosed as exc:
            self.output_closed = exc
            raise

    def _write_reply(self, text: str) -> None:
        if text:
            self.write(text)
            self.at_line_start = text.endswith("\n")

    def note(self, text: str) -> None:
        print_err(text, self.err, prefix="")

    def close(self) -> None:
        """End the reply's last line. Never raises: the run is over, nothing is left to stop."""
        with contextlib.suppress(OutputClosed):
            self._write_reply(self._redactor.flush())
            if self.printed_any and not self.as_json and not self.at_line_start:
                self.write("\n")


class _Refused(Exception):
    """The command stops before sending anything; `str()` says why and what to do."""

    def __init__(self, exit_code: int, message: str):
        super().__init__(message)
        self.exit_code = exit_code


async def _open_thread(
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
        raise _Refused(
            ExitCode.USAGE,
            "no earlier conversation with this agent to continue; use --thread new.",
        )
    try:
        state = await client.get_thread_state(thread_id)
    except (NotFoundError, RequestRejected) as exc:
        # an unknown id is 404; one the server cannot parse is 422 (400 on a run)
        if exc.status not in (400, 404, 422):
            raise
        raise _Refused(
            ExitCode.NOT_FOUND,
            f"no such thread {thread_id} on this agent (the server answered {exc.status}). "
            "Check the id (`fleet-tui threads` lists the saved conversations) or start one "
            "with --thread new. Fleet also answers 404 to a token that is not tied to the "
            "agent's owner.",
        ) from None
    # `/state` is read, not `GET /threads/{id}`, whose list can be incomplete after a failed
    # resume
    if resuming and not pending_interrupts(state):
        raise _Refused(
            ExitCode.USAGE,
            f"nothing is waiting for a decision on thread {thread_id}, so there is nothing to "
            f"resume; send a message instead: fleet-tui ask --thread {thread_id} MESSAGE",
        )
    return thread_id, state


class _Session:
    """The conversation service `ask` drives, and what it heard from it."""

    def __init__(self, target: Target, client: FleetClient, printer: ReplyPrinter, err: TextIO):
        self.printer = printer
        self.err = err
        self.client = client
        self.target = target
        self.finished: RunFinished | None = None
        self.output_closed = asyncio.Event()
        self.conversation_id: int | None = None
        self.task: asyncio.Task[Any] | None = None
        self.service = self._service(memory_store())

    def _service(self, store: Store) -> ConversationService:
        service = ConversationService(store, self._spawn, client=lambda: self.client)
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


async def _ask(
    target: Target,
    message: str | None,
    thread: str | None,
    resume: Any,
    out: TextIO,
    err: TextIO,
    as_json: bool,
) -> int:
    printer = ReplyPrinter(out, err, as_json=as_json)
    try:
        client = target.client()
    except FleetError as exc:  # settings httpx refuses: said before anything is sent
        print_err(exc, err)
        return exc.exit_code
    client.on_wait = lambda wait: printer.note(wait.describe())
    session = _Session(target, client, printer, err)
    if thread:
        session.use_saved_store()
    thread_id: str | None = None
    # SIGTERM and SIGHUP end the command as Ctrl-C does: the run is cancelled on the server
    main = asyncio.current_task()
    assert main is not None
    try:
        with lifetime.on_signal(lambda _signum: main.cancel()):
            last = session.last_thread_id() if thread == "last" else None
            thread_id, server_state = await _open_thread(
                client, last, thread, resuming=resume is not None
            )
            if thread_id:
                printer.note(f"thread: {thread_id}")
            # saved only now: a thread id the server does not know is never recorded
            cid = session.open(thread_id, server_state)
            if resume is not None:
                session.service.resume(cid, resume)
            else:
                assert message is not None
                session.service.send(cid, message)
            await session.run()
            if session.output_closed.is_set():
                assert printer.output_closed is not None
                raise printer.output_closed
            printer.close()
            failure = session.finished.failure if session.finished else None
            if failure is not None:
                print_err(failure, err)
                return failure.exit_code
    except _Refused as exc:
        print_err(exc, err)
        return exc.exit_code
    except FleetError as exc:
        printer.close()
        print_err(exc, err)
        return exc.exit_code
    except OutputClosed as exc:
        # The reader left (`| head -1`): stop the run instead of letting it go on unread, and
        # keep the reply so far, marked cancelled. A broken pipe is the reader's choice and
        # needs no words; another write error does.
        await session.cancel(quiet=exc.quiet)
        if not exc.quiet:
            print_err(f"{exc} The run was stopped.", err)
        return exc.exit_code
    except asyncio.CancelledError:
        printer.close()
        await session.cancel()
        raise
    finally:
        session.store.close()
        await client.aclose()
    if printer.interrupts:
        print_err("The agent is waiting for a human decision:", err, prefix="")
        for request in printer.interrupts:
            print_err(describe_interrupt(request.value, request.response_schema), err, prefix="")
        if thread_id:
            print_err(
                f"thread: {thread_id}\nresume with: fleet-tui ask --thread {thread_id} "
                "--resume JSON",
                err,
                prefix="",
            )
        else:
            print_err(
                "(this was a stateless run: use --thread to be able to resume)", err, prefix=""
            )
        return ExitCode.INTERRUPTED
    if printer.output_closed is not None:
        return printer.output_closed.exit_code
    if any(e.error == StreamBroken.__name__ for e in printer.errors):
        return StreamBroken.exit_code
    if printer.errors:
        return ExitCode.RUN_FAILED
    return ExitCode.OK


@contextlib.contextmanager
def _target_for(args: argparse.Namespace, err: TextIO) -> Iterator[Target]:
    if args.demo:
        with demo_target(err) as target:
            yield target
    else:
        yield resolve_target(args)


def run_ask(
    args: argparse.Namespace,
    *,
    stdin: TextIO | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    err = err or sys.stderr
    message = args.message
    resume: Any = None
    if args.resume is not None:
        if not args.thread or args.thread == "new":
            print_err("--resume needs --thread THREAD_ID (or last).", err)
            return ExitCode.USAGE
        try:
            resume = json.loads(args.resume)
        except ValueError as exc:
            print_err(f"--resume is not valid JSON: {exc}", err)
            return ExitCode.USAGE
    elif message == "-":
        message = stdin.read()
    if resume is None and not (message and message.strip()):
        print_err("no message given: fleet-tui ask [options] MESSAGE", err)
        return ExitCode.USAGE
    with lifetime.orderly_exit():
        try:
            with _target_for(args, err) as target:
                for warning in target.warnings:
                    print_err(f"warning: {warning}", err)
                if not confirm_cleartext(target, stdin=stdin, err=err):
                    return ExitCode.USAGE
                return asyncio.run(
                    _ask(target, message, args.thread, resume, out, err, bool(args.json))
                )
        except SetupError as exc:
            print_err(exc, err)
            return ExitCode.USAGE
        except KeyboardInterrupt:
            print_err("interrupted.", err)
            return ExitCode.CTRL_C
        except (lifetime.Terminated, asyncio.CancelledError) as exc:
            # a signal: raised directly, or the run's task cancelled by `on_signal`
            signum = exc.signum if isinstance(exc, lifetime.Terminated) else lifetime.received()
            if signum is None:
                raise
            print_err(f"stopped by {lifetime.signal_name(signum)}.", err)
            return lifetime.exit_code_for(signum)
