"""`fleet-tui ask`: one message (or one answer to a pending approval), the reply streamed to
stdout. No Textual import.

stdout carries only the main agent's reply text (or NDJSON with --json); everything else goes
to stderr, so the command composes in shell pipelines. The parts: `ask_answers` (the resume
value, checked before it is sent), `ask_session` (the thread and the conversation service),
`ask_printer` / `ask_json` (the output), `ask_interrupts` (what a stop for a human prints).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections.abc import Iterator
from typing import TextIO

from fleet_tui.agent_server.client import FleetClient
from fleet_tui.cli.ask_answers import AnswerRequest, Refused, resume_value
from fleet_tui.cli.ask_files import read_files, rules_of
from fleet_tui.cli.ask_interrupts import describe_pending
from fleet_tui.cli.ask_json import pending_json
from fleet_tui.cli.ask_printer import ReplyPrinter
from fleet_tui.cli.ask_session import AskSession, open_thread
from fleet_tui.cli.output import OutputClosed, json_text
from fleet_tui.common import lifetime
from fleet_tui.common.errors import FleetError, StreamBroken
from fleet_tui.common.exit_codes import ExitCode
from fleet_tui.common.redaction import redact
from fleet_tui.common.sanitize import print_err
from fleet_tui.domain.attachments import Attachment
from fleet_tui.domain.interrupt_model import Interrupt, pending_interrupts
from fleet_tui.services.launch import (
    SetupError,
    Target,
    confirm_cleartext,
    demo_target,
    resolve_target,
)


async def _ask(
    target: Target,
    message: str | None,
    thread: str | None,
    answer: AnswerRequest | None,
    out: TextIO,
    err: TextIO,
    as_json: bool,
    files: tuple[Attachment, ...] = (),
) -> int:
    printer = ReplyPrinter(out, err, as_json=as_json)
    try:
        client = target.client()
    except FleetError as exc:  # settings httpx refuses: said before anything is sent
        print_err(exc, err)
        return exc.exit_code
    client.on_wait = lambda wait: printer.note(wait.describe())
    session = AskSession(target, client, printer, err, rules_of(target))
    if thread:
        session.use_saved_store()
    thread_id: str | None = None
    pending: list[Interrupt] = []
    # SIGTERM and SIGHUP end the command as Ctrl-C does: the run is cancelled on the server
    main = asyncio.current_task()
    assert main is not None
    try:
        with lifetime.on_signal(lambda _signum: main.cancel()):
            last = session.last_thread_id() if thread == "last" else None
            thread_id, server_state = await open_thread(
                client, last, thread, resuming=answer is not None
            )
            # checked before anything is sent or saved
            resume = resume_value(answer, pending_interrupts(server_state)) if answer else None
            if thread_id:
                printer.note(f"thread: {thread_id}")
            if answer is not None:
                printer.ties.saw_state(server_state)
            # saved only now: a thread id the server does not know is never recorded
            cid = session.open(thread_id, server_state)
            if answer is not None:
                session.service.resume(cid, resume)
            else:
                assert message is not None
                session.service.send(cid, message, files)
            await session.run()
            if session.output_closed.is_set():
                assert printer.output_closed is not None
                raise printer.output_closed
            printer.close()
            failure = session.finished.failure if session.finished else None
            if failure is not None:
                print_err(failure, err)
                return failure.exit_code
            if printer.interrupts or (thread_id and answer is not None):
                pending = await _still_pending(client, thread_id, printer)
    except Refused as exc:
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
    if pending:
        for line in describe_pending(pending, thread_id, printer.ties):
            print_err(line, err, prefix="")
        if as_json:
            with contextlib.suppress(OutputClosed):
                printer.write(redact(json_text(pending_json(thread_id, pending, printer.ties))))
                printer.write("\n")
        return ExitCode.INTERRUPTED
    if printer.output_closed is not None:
        return printer.output_closed.exit_code
    if any(e.error == StreamBroken.__name__ for e in printer.errors):
        return StreamBroken.exit_code
    if printer.errors:
        return ExitCode.RUN_FAILED
    return ExitCode.OK


async def _still_pending(
    client: FleetClient, thread_id: str | None, printer: ReplyPrinter
) -> list[Interrupt]:
    """What the thread waits on once the run has stopped, from its `/state` (a resume that
    answered some interrupts leaves the others pending without the stream saying so), with the
    sub-agent each was raised in as the stream told it."""
    heard = [request.interrupt for request in printer.interrupts]
    if not thread_id:
        return heard
    try:
        state = await client.get_thread_state(thread_id)
    except FleetError as exc:
        printer.note(f"could not re-read the thread's pending interrupts: {exc}")
        return heard
    namespaces = {i.id: i.namespace for i in heard if i.id and i.namespace}
    return [
        Interrupt(i.id, i.value, i.response_schema, namespaces.get(i.id or "", i.namespace))
        for i in pending_interrupts(state)
    ]


@contextlib.contextmanager
def _target_for(args: argparse.Namespace, err: TextIO) -> Iterator[Target]:
    if args.demo:
        with demo_target(err) as target:
            yield target
    else:
        yield resolve_target(args)


def _answer_request(args: argparse.Namespace, err: TextIO) -> AnswerRequest | int | None:
    """What --resume / --approve / --reject ask for; an exit code for a usage error."""
    how = (
        "resume"
        if args.resume is not None
        else "approve"
        if args.approve
        else "reject"
        if args.reject is not None
        else None
    )
    if how is None:
        return None
    flag = f"--{how}"
    if not args.thread or args.thread == "new":
        print_err(f"{flag} needs --thread THREAD_ID (or last).", err)
        return ExitCode.USAGE
    if args.message is not None:
        print_err(f"{flag} answers the pending interrupts and takes no MESSAGE.", err)
        return ExitCode.USAGE
    if how == "approve":
        return AnswerRequest("approve")
    if how == "reject":
        return AnswerRequest("reject", reason=args.reject)
    try:
        return AnswerRequest("resume", value=json.loads(args.resume))
    except ValueError as exc:
        print_err(f"--resume is not valid JSON: {exc}", err)
        return ExitCode.USAGE


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
    answer = _answer_request(args, err)
    if isinstance(answer, int):
        return answer
    paths: list[str] = getattr(args, "attach", None) or []
    if answer is not None and paths:
        print_err("--attach goes with a MESSAGE, not with an answer.", err)
        return ExitCode.USAGE
    if answer is None and message == "-":
        message = stdin.read()
    if answer is None and not (message and message.strip()) and not paths:
        print_err("no message given: fleet-tui ask [options] MESSAGE", err)
        return ExitCode.USAGE
    with lifetime.orderly_exit():
        try:
            with _target_for(args, err) as target:
                for warning in target.warnings:
                    print_err(f"warning: {warning}", err)
                files = read_files(paths, rules_of(target), err)
                if isinstance(files, int):
                    return files
                if not confirm_cleartext(target, stdin=stdin, err=err):
                    return ExitCode.USAGE
                return asyncio.run(
                    _ask(
                        target, message or "", args.thread, answer, out, err, bool(args.json), files
                    )
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
