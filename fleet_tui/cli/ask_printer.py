"""How `ask` prints a run's events: the main agent's reply on stdout, progress on stderr.

No Textual import.
"""

from __future__ import annotations

import contextlib
import functools
from typing import TextIO

from fleet_tui.cli.ask_json import json_event, usage_json
from fleet_tui.cli.ask_progress import TASK_TOOL, SubagentTies, compact_args, plan_line
from fleet_tui.cli.output import OutputClosed, json_text, write_out
from fleet_tui.common.errors import error_words
from fleet_tui.common.redaction import StreamRedactor, redact
from fleet_tui.common.sanitize import clean_text, print_err
from fleet_tui.domain.events import (
    Event,
    InterruptRequest,
    MessageComplete,
    PlanUpdated,
    Reconnecting,
    RunError,
    StreamQuiet,
    SubagentBound,
    SubagentEvent,
    TextDelta,
    ToolCallStarted,
    ToolResult,
    human_seconds,
)
from fleet_tui.domain.usage import UsageTotals

TOOL_RESULT_PREVIEW = 300
# tools whose effect `ask` reports in its own words (the plan line, sub-agent progress)
QUIET_TOOLS = frozenset({TASK_TOOL, "write_todos"})


class ReplyPrinter:
    """Prints text deltas once; AI messages separated by a blank line.

    stdout gets the main agent's reply (or NDJSON); a sub-agent's text is never printed there.
    Every other line goes to stderr through `print_err`, cleaned and with known secrets
    masked. When stdout's reader goes away, `handle` raises `OutputClosed` once and the printer
    writes nothing more to it.
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
        self.ties = SubagentTies()
        # what the run's replies cost (sub-agents' too): the last JSON line says it
        self.usage = UsageTotals()
        self._usage_said = False
        self._plan = ""
        self._screen_mid_line = False
        # a token the agent echoes may arrive split across two deltas
        self._redactor = StreamRedactor()

    def handle(self, event: Event) -> None:
        self._track(event)
        if self.as_json:
            self.write(redact(json_text(json_event(event, self.ties))) + "\n")
            return
        if isinstance(event, SubagentEvent):
            self._subagent(event)
        elif isinstance(event, SubagentBound):
            pass  # said by `_track`
        elif isinstance(event, TextDelta):
            self._text(event)
        elif isinstance(event, ToolCallStarted):
            if event.call.name not in QUIET_TOOLS:
                self.note(f"→ tool call {event.call.name}({compact_args(event.call.args)})")
        elif isinstance(event, ToolResult):
            self._tool_result(event)
        elif isinstance(event, PlanUpdated):
            self._plan_changed(event)
        elif isinstance(event, Reconnecting):
            self.note(f"reconnecting ({event.attempt}/{event.limit})…")
        elif isinstance(event, StreamQuiet):
            seconds = human_seconds(event.seconds)
            if event.resumed:
                self.note(f"data again after {seconds} of silence")
            else:
                self.note(f"no data for {seconds}; the run may still be working (Ctrl-C cancels)")
        elif isinstance(event, RunError):
            self.note("✗ {}: {}".format(*error_words(event.error, event.message)))

    def _track(self, event: Event) -> None:
        """What the run's outcome and the sub-agent lines need, whatever the output mode."""
        inner = event.event if isinstance(event, SubagentEvent) else event
        if isinstance(inner, MessageComplete):
            self.usage.add(inner.usage)
        if isinstance(event, InterruptRequest):
            self.interrupts.append(event)
        elif isinstance(event, RunError):
            self.errors.append(event)
        elif isinstance(event, ToolCallStarted):
            self.ties.saw_call(event.call)
        elif isinstance(event, SubagentEvent) and isinstance(event.event, ToolCallStarted):
            self.ties.saw_call(event.event.call)
        elif isinstance(event, SubagentBound) and self.ties.bound(event) and not self.as_json:
            agent = event.agent or self.ties.agent_of_call(event.tool_call_id) or "sub-agent"
            description = self.ties.description_of_call(event.tool_call_id)
            self.note(f"{agent} started" + (f": {description}" if description else ""))

    def _text(self, event: TextDelta) -> None:
        if event.message_id != self.current_message:
            self._write_reply(self._redactor.flush())
            if self.printed_any:
                self._write_reply("\n" if self.at_line_start else "\n\n")
            self.current_message = event.message_id
        self._write_reply(self._redactor.feed(clean_text(event.text)))
        self.printed_any = True

    def _tool_result(self, event: ToolResult) -> None:
        if event.name == "write_todos":
            return
        call_id = event.tool_call_id
        if call_id is not None and call_id in self.ties.calls:
            self._subagent_finished(event, call_id)
            return
        text = event.content
        if len(text) > TOOL_RESULT_PREVIEW:
            text = text[:TOOL_RESULT_PREVIEW] + "…"
        marker = "✗" if event.status == "error" else "←"
        self.note(f"{marker} {event.name or 'tool'}: {text}")

    def _subagent(self, event: SubagentEvent) -> None:
        """A sub-agent's own events: only its end and its errors are said, on stderr."""
        inner = event.event
        if isinstance(inner, ToolResult) and inner.tool_call_id in self.ties.calls:
            self._subagent_finished(inner, inner.tool_call_id)
        elif isinstance(inner, RunError):
            agent = self.ties.agent_of(event.namespace) or "sub-agent"
            self.note("{}: ✗ {}: {}".format(agent, *error_words(inner.error, inner.message)))

    def _subagent_finished(self, event: ToolResult, call_id: str) -> None:
        agent = self.ties.agent_of_call(call_id) or "sub-agent"
        description = self.ties.description_of_call(call_id)
        said = "failed" if event.status == "error" else "finished"
        self.note(f"{agent} {said}" + (f": {description}" if description else ""))

    def _plan_changed(self, event: PlanUpdated) -> None:
        line = plan_line(event.todos)
        if line != self._plan:
            self._plan = line
            self.note(line)

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
            self._screen_mid_line = not self.at_line_start

    def note(self, text: str) -> None:
        if self._shared_terminal and self._screen_mid_line:
            # the reply is mid-line on the same screen: start the note on a line of its own
            # (on stderr, so stdout's text stays exactly the reply)
            text = "\n" + text
        self._screen_mid_line = False
        print_err(text, self.err, prefix="")

    @functools.cached_property
    def _shared_terminal(self) -> bool:
        """stdout and stderr both go to a terminal, where their lines interleave."""
        if self.as_json:
            return False
        try:
            return self.out.isatty() and self.err.isatty()
        except (OSError, ValueError):
            return False

    def close(self) -> None:
        """End the reply's last line. Never raises: the run is over, nothing is left to stop."""
        with contextlib.suppress(OutputClosed):
            self._write_reply(self._redactor.flush())
            if self.printed_any and not self.as_json and not self.at_line_start:
                self.write("\n")
            if self.as_json and self.usage and not self._usage_said:
                self._usage_said = True
                self.write(redact(json_text(usage_json(self.usage))) + "\n")
