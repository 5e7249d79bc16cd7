"""The inbox's rows: one line per entry, laid out in terminal cells.

`⚑ agent  title  what it waits for  age`: the agent and title columns are as wide as the
list's longest (up to a share of the row), what it waits for takes the rest, the age sits at
the right edge. Titles, agent names and what an agent waits for are untrusted: every part goes
through `for_row` and is drawn as `Content`, never markup.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from rich.cells import cell_len
from textual.content import Content

from fleet_tui.common.sanitize import for_row
from fleet_tui.domain.inbox import InboxEntry, InboxKind, age_words
from fleet_tui.tui.widgets.cells import fit, pad

# the mark in front of each kind, and its style
KIND_MARKS: dict[InboxKind, tuple[str, str]] = {
    "waiting": ("⚑", "bold $warning"),
    "failed": ("✗", "bold $error"),
    "finished": ("●", "bold $accent"),
}
KIND_WORDS: dict[InboxKind, str] = {
    "waiting": "waiting",
    "failed": "failed",
    "finished": "finished",
}
AGE_CELLS = 6  # "59 min"
# the agent's column never takes more than this share of the row, nor more than AGENT_MAX
AGENT_SHARE = 0.25
AGENT_MAX = 18
# the title's share of what is left after the agent's column
TITLE_SHARE = 0.45
UNTITLED = "New conversation"


def columns(entries: Sequence[InboxEntry], width: int) -> tuple[int, int]:
    """The agent's and the title's column widths for `entries` in a row `width` cells wide."""
    room = max(10, width - 2 - AGE_CELLS - 3)
    longest = max((cell_len(for_row(e.agent)) for e in entries), default=0)
    agent = min(longest, AGENT_MAX, max(4, int(room * AGENT_SHARE)))
    longest_title = max((cell_len(for_row(e.title) or UNTITLED) for e in entries), default=0)
    title = min(longest_title, max(8, int((room - agent) * TITLE_SHARE)))
    return agent, title


def inbox_prompt(
    entry: InboxEntry, width: int, agent_cells: int, title_cells: int, now: float | None = None
) -> Content:
    """One row of the inbox, exactly `width` cells or fewer, never two lines."""
    mark, style = KIND_MARKS[entry.kind]
    age = age_words((now if now is not None else time.time()) - entry.changed_at)
    agent = pad(fit(for_row(entry.agent), agent_cells), agent_cells)
    title = pad(fit(for_row(entry.title) or UNTITLED, title_cells), title_cells)
    used = 2 + agent_cells + 1 + title_cells + 1
    what_cells = max(0, width - used - 1 - AGE_CELLS)
    what = fit(for_row(entry.what), what_cells)
    gap = " " * max(1, width - used - cell_len(what) - cell_len(age))
    return Content.assemble(
        (f"{mark} ", style),
        (agent, "$text-muted"),
        " ",
        (title, "bold"),
        " ",
        (what, "$error" if entry.kind == "failed" else ""),
        gap,
        (age, "$text-muted"),
    )


def counts_line(entries: Sequence[InboxEntry]) -> str:
    """ "3 waiting · 1 failed · 2 finished" (kinds with none left out); "" for none."""
    counts: dict[InboxKind, int] = {}
    for entry in entries:
        counts[entry.kind] = counts.get(entry.kind, 0) + 1
    return " · ".join(f"{counts[k]} {KIND_WORDS[k]}" for k in KIND_WORDS if counts.get(k))
