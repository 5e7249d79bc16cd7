"""A conversation's cost: the usage of every agent message of a transcript, summed.

Sub-agents count: a `task` call's run is paid for like the agent's own replies, so the
totals add what every sub-agent's messages (and theirs, nested) reported. Each message counts
once: the transcript keeps usage by message id, set when the message completes (or is read
from the store), and a sub-agent's run is one transcript, reached once however it is held.
No Textual import.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from fleet_tui.domain.transcript_items import ToolItem
from fleet_tui.domain.usage import Usage, UsageTotals, totals_of

if TYPE_CHECKING:
    from fleet_tui.domain.transcript import Transcript


def _runs(transcript: Transcript) -> Iterator[Transcript]:
    """The transcript and every sub-agent run inside it, each once."""
    seen: set[int] = set()
    pending = [transcript]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend(current._runs.values())  # live runs, bound to a card or not yet
        pending.extend(
            item.subagent
            for item in current.items
            if isinstance(item, ToolItem) and item.subagent is not None
        )


def usages(transcript: Transcript, *, subagents: bool = True) -> list[Usage]:
    """The usage of each message that reported one (the agent's, then its sub-agents')."""
    if not subagents:
        return list(transcript.usage.values())
    return [usage for run in _runs(transcript) for usage in run.usage.values()]


def conversation_usage(transcript: Transcript, *, subagents: bool = True) -> UsageTotals:
    """What the conversation's replies cost, sub-agents' included unless told otherwise."""
    return totals_of(usages(transcript, subagents=subagents))
