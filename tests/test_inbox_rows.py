"""The inbox's rows and the nudges' words and escape sequences, without an app."""

from __future__ import annotations

import re
import time

from rich.cells import cell_len

from fleet_tui.domain.inbox import InboxEntry, Nudge, WaitingAction
from fleet_tui.domain.interrupt_model import Interrupt
from fleet_tui.tui.nudges import terminal_sequence, toast_text, words_of
from fleet_tui.tui.widgets.inbox_rows import columns, counts_line, inbox_prompt

NOW = 1_800_000_000.0


def entry(
    kind: str = "waiting",
    *,
    agent: str = "mail",
    title: str = "Quarterly report",
    age: float = 300,
    summary: str = "to='alice@example.com', subject='Quarterly report'",
    failure: str = "",
) -> InboxEntry:
    actions = (WaitingAction("i1", "send_email", summary, ("approve", "edit", "reject")),)
    waiting = kind == "waiting"
    return InboxEntry(
        kind,  # type: ignore[arg-type]
        1,
        agent,
        7,
        "thread-7",
        title,
        NOW - age,
        actions if waiting else (),
        (Interrupt("i1", {}, None, ()),) if waiting else (),
        failure,
    )


def test_a_row_is_one_line_of_exactly_its_width_whatever_the_text() -> None:
    hostile = entry(
        agent="研究エージェント\x1b[31m",
        title="報告書 🚀\nsecond line\x07 [bold]not markup[/]",
        summary="x" * 500,
    )
    for width in (30, 60, 78, 118):
        agent_cells, title_cells = columns([hostile], width)
        row = inbox_prompt(hostile, width, agent_cells, title_cells, NOW)
        assert "\n" not in row.plain
        assert cell_len(row.plain) <= width
        assert cell_len(row.plain) >= width - 1  # a wide character may leave one cell
        assert not re.search("[\x00-\x1f\x7f]", row.plain)
    assert "[bold]" in row.plain  # at the widest: shown as text, never read as markup


def test_a_row_says_kind_agent_title_what_and_age() -> None:
    waiting = entry()
    agent_cells, title_cells = columns([waiting], 100)
    row = inbox_prompt(waiting, 100, agent_cells, title_cells, NOW).plain
    assert row.startswith("⚑ mail Quarterly report send_email(to='alice@example.com'")
    assert row.rstrip().endswith("5 min")
    failed = entry("failed", failure="ValueError: the model refused", age=7200)
    row = inbox_prompt(failed, 100, agent_cells, title_cells, NOW).plain
    assert row.startswith("✗ mail") and "failed: ValueError: the model refused" in row
    assert row.rstrip().endswith("2 h")
    finished = entry("finished", title="", age=10)
    row = inbox_prompt(finished, 100, agent_cells, title_cells, NOW).plain
    assert row.startswith("● mail New conversation") and row.rstrip().endswith("now")


def test_columns_line_up_across_rows_and_leave_room_for_what_it_waits_for() -> None:
    rows = [entry(agent="a"), entry(agent="research-agent", title="t" * 80)]
    agent_cells, title_cells = columns(rows, 78)
    assert agent_cells == len("research-agent")
    texts = [inbox_prompt(e, 78, agent_cells, title_cells, NOW).plain for e in rows]
    starts = {t.index("send_email") for t in texts}
    assert len(starts) == 1  # the "what" column starts at the same cell on every row
    assert 78 - starts.pop() >= 25


def test_counts_line() -> None:
    assert counts_line([]) == ""
    assert counts_line([entry(), entry(), entry("finished")]) == "2 waiting · 1 finished"


def test_nudge_words_and_toast_name_agent_title_and_the_way_to_the_inbox() -> None:
    note = Nudge("waiting", 1, "mail", "Quarterly\x1b]0;pwned\x07 report")
    assert words_of(note) == "mail · Quarterly␛]0;pwned␇ report: waiting for approval"
    assert toast_text([note]).endswith("— f4 to open the inbox")
    many = [Nudge("finished", n, "notes", f"chat {n}") for n in range(5)]
    text = toast_text(many)
    assert text.startswith("5 conversations need you") and "and 2 more" in text


def test_terminal_sequence_carries_no_control_character_of_the_agents_text() -> None:
    hostile = "x\x1b]52;c;ZXZpbA==\x07y\x9b31m\u2028z;w" + "long " * 100
    sequence = terminal_sequence("fleet-tui;title", hostile)
    assert sequence.startswith("\a\x1b]9;")
    osc9, osc777 = sequence[1:].split("\a")[:2]
    for part in (osc9, osc777):
        body = part[part.index(";") + 1 :]
        assert not re.search("[\x00-\x1f\x7f-\x9f\u2028]", body.replace("\x1b]", "", 1) or "")
        assert "52;c;" in body  # the text stays, harmless: its ESC and BEL are gone
    assert osc777.startswith("\x1b]777;notify;fleet-tui,title;")
    assert len(osc9) < 300
    assert sequence.count("\a") == 3 and sequence.count("\x1b") == 2


def test_age_in_rows_follows_the_clock() -> None:
    e = entry(age=0)
    agent_cells, title_cells = columns([e], 60)
    later = NOW + 3 * 86400
    assert inbox_prompt(e, 60, agent_cells, title_cells, later).plain.rstrip().endswith("3 d")
    assert time.time() > 0
