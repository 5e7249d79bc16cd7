"""`fleet-tui ask`: one message, the reply streamed to stdout. No Textual import.

stdout carries only the agent's reply text (or NDJSON with --json); everything else goes to
stderr, so the command composes in shell pipelines.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from fleet_tui import cli
from fleet_tui.client import FleetClient, FleetError, RunStream
from fleet_tui.events import (
    Event,
    InterruptRequest,
    Reconnecting,
    RunEnded,
    RunError,
    TextDelta,
    ToolCallStarted,
    ToolResult,
    event_to_dict,
)
from fleet_tui.interrupts import HitlReview, InboxReview, classify, dumps_json
from fleet_tui.launch import SetupError, Target, confirm_cleartext, demo_target, resolve_target
from fleet_tui.recorder import flush_periodically
from fleet_tui.sanitize import clean_text

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
    """Prints text deltas once; AI messages separated by a blank line."""

    def __init__(self, out: TextIO, err: TextIO, *, as_json: bool):
        self.out = out
        self.err = err
        self.as_json = as_json
        self.current_message: str | None = None
        self.printed_any = False
        self.at_line_start = True
        self.interrupts: list[InterruptRequest] = []
        self.errors: list[RunError] = []

    def handle(self, event: Event) -> None:
        if isinstance(event, InterruptRequest):
            self.interrupts.append(event)
        elif isinstance(event, RunError):
            self.errors.append(event)
        if self.as_json:
            self.out.write(json.dumps(event_to_dict(event), ensure_ascii=False) + "\n")
            self.out.flush()
            return
        if isinstance(event, TextDelta):
            if event.message_id != self.current_message:
                if self.printed_any:
                    self.out.write("\n" if self.at_line_start else "\n\n")
                self.current_message = event.message_id
            text = clean_text(event.text)
            self.out.write(text)
            self.out.flush()
            self.printed_any = True
            self.at_line_start = text.endswith("\n")
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
        elif isinstance(event, RunError):
            self.note(f"error: {event.error}: {event.message}")

    def note(self, text: str) -> None:
        self.err.write(clean_text(text) + "\n")
        self.err.flush()

    def close(self) -> None:
        if self.printed_any and not self.as_json and not self.at_line_start:
            self.out.write("\n")
            self.out.flush()


async def _ask(
    target: Target,
    message: str | None,
    thread: str | None,
    resume: Any,
    out: TextIO,
    err: TextIO,
    as_json: bool,
) -> int:
    from fleet_tui.ask_store import AskRecorder

    printer = ReplyPrinter(out, err, as_json=as_json)
    client = target.client()
    recorder = AskRecorder.open(target, err) if thread else None
    stream: RunStream | None = None
    thread_id: str | None = None
    flusher: asyncio.Task[None] | None = None
    try:
        if thread == "new":
            created = await client.create_thread()
            thread_id = str(created["thread_id"])
        elif thread == "last":
            thread_id = recorder.last_thread_id() if recorder else None
            if not thread_id:
                print(
                    "fleet-tui: no earlier conversation with this agent to continue; "
                    "use --thread new.",
                    file=err,
                )
                return cli.EXIT_USAGE
        elif thread:
            thread_id = thread
        if thread_id:
            print(f"thread: {thread_id}", file=err, flush=True)
            if recorder:
                recorder.begin(thread_id, message if resume is None else None)
                flusher = asyncio.create_task(flush_periodically(recorder))
        if resume is not None:
            stream = client.stream_run(thread_id=thread_id, command={"resume": resume})
        else:
            payload = {"messages": [{"role": "user", "content": message}]}
            stream = client.stream_run(payload, thread_id=thread_id)
        async for event in stream:
            printer.handle(event)
            if recorder:
                recorder.handle(event)
            if isinstance(event, RunEnded):
                break
        printer.close()
        if recorder:
            recorder.finish()
    except FleetError as exc:
        printer.close()
        print(f"fleet-tui: {exc}", file=err)
        if recorder:
            recorder.fail(str(exc))
        return exc.exit_code
    except asyncio.CancelledError:
        printer.close()
        await _cancel_on_server(client, stream, err)
        if recorder:
            recorder.finish(cancelled=True)
        raise
    finally:
        if flusher:
            flusher.cancel()
        if recorder:
            recorder.close()
        await client.aclose()
    if printer.interrupts:
        print("The agent is waiting for a human decision:", file=err)
        for request in printer.interrupts:
            print(clean_text(describe_interrupt(request.value, request.response_schema)), file=err)
        if thread_id:
            print(
                f"thread: {thread_id}\nresume with: fleet-tui ask --thread {thread_id} "
                "--resume JSON",
                file=err,
            )
        else:
            print("(this was a stateless run: use --thread to be able to resume)", file=err)
        return cli.EXIT_INTERRUPTED
    if any(e.error == "StreamBroken" for e in printer.errors):
        return cli.EXIT_UNREACHABLE
    if printer.errors:
        return cli.EXIT_RUN_FAILED
    return cli.EXIT_OK


async def _cancel_on_server(client: FleetClient, stream: RunStream | None, err: TextIO) -> None:
    if stream is None or not stream.run_id or not stream.thread_id:
        return
    try:
        await asyncio.wait_for(client.cancel_run(stream.thread_id, stream.run_id), 10)
        print("fleet-tui: run cancelled on the server.", file=err)
    except (FleetError, TimeoutError) as exc:
        print(f"fleet-tui: could not confirm the cancel on the server: {exc}", file=err)


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
            print("fleet-tui: --resume needs --thread THREAD_ID (or last).", file=err)
            return cli.EXIT_USAGE
        try:
            resume = json.loads(args.resume)
        except ValueError as exc:
            print(f"fleet-tui: --resume is not valid JSON: {exc}", file=err)
            return cli.EXIT_USAGE
    elif message == "-":
        message = stdin.read()
    if resume is None and not (message and message.strip()):
        print("fleet-tui: no message given: fleet-tui ask [options] MESSAGE", file=err)
        return cli.EXIT_USAGE
    try:
        with _target_for(args, err) as target:
            for warning in target.warnings:
                print(f"fleet-tui: warning: {warning}", file=err)
            if not confirm_cleartext(target, stdin=stdin, err=err):
                return cli.EXIT_USAGE
            return asyncio.run(
                _ask(target, message, args.thread, resume, out, err, bool(args.json))
            )
    except SetupError as exc:
        print(f"fleet-tui: {exc}", file=err)
        return cli.EXIT_USAGE
    except KeyboardInterrupt:
        print("fleet-tui: interrupted.", file=err)
        return cli.EXIT_CTRL_C
