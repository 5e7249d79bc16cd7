"""Tool blocks of a deep agent's tools, approval decisions, and sub-agent cards, as plain text."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from fleet_tui.domain.events import (
    MessageComplete,
    SubagentBound,
    SubagentEvent,
    TextDelta,
    ToolCall,
    ToolCallStarted,
    ToolResult,
)
from fleet_tui.domain.transcript import ToolItem, Transcript
from fleet_tui.tui.widgets.item_render import ItemRenderer, PaneStyles
from fleet_tui.tui.widgets.lines import Line, text_of
from fleet_tui.tui.widgets.subagent_card import CardLines
from fleet_tui.tui.widgets.tool_blocks import diff_lines, lexer_for, listing

WIDTH = 80


@pytest.fixture
def renderer() -> ItemRenderer:
    console = Console(file=io.StringIO(), width=WIDTH + 10, force_terminal=True)
    return ItemRenderer(console, WIDTH, PaneStyles(), "monokai")


def plain(lines: list[Line]) -> list[str]:
    return [text_of(line).rstrip() for line in lines]


def tool(name: str, args: dict[str, object], result: str | None = None) -> ToolItem:
    item = ToolItem(call_id=f"call-{name}", name=name, args=args)
    if result is not None:
        item.set_result(result)
    return item


TODOS = [
    {"content": "Research A", "status": "completed"},
    {"content": "Research B", "status": "in_progress"},
    {"content": "Write [bold]report[/bold]", "status": "pending"},
]


# -- write_todos ------------------------------------------------------------------------------
def test_write_todos_is_a_checklist_not_json(renderer: ItemRenderer) -> None:
    item = tool("write_todos", {"todos": TODOS}, "Updated todo list to [...]")
    text = plain(renderer.render(item))
    assert text[0].startswith("▸ ⚙ write_todos plan: 3 tasks, 1 done")
    assert text[0].endswith("✓ done")
    assert text[1:] == ["  ✓ Research A", "  ▶ Research B", "  ○ Write [bold]report[/bold]"]
    assert not any("{" in line or '"content"' in line for line in text)


def test_a_long_plan_is_cut_when_collapsed_and_whole_when_expanded(
    renderer: ItemRenderer,
) -> None:
    todos = [{"content": f"step {n}", "status": "pending"} for n in range(20)]
    item = tool("write_todos", {"todos": todos})
    collapsed = plain(renderer.render(item))
    assert collapsed[-1] == "  … 12 more (enter shows all)"
    assert len(collapsed) == 1 + 8 + 1
    item.expanded = True
    expanded = plain(renderer.render(item))
    assert expanded[-1] == "  ○ step 19" and len(expanded) == 21


def test_odd_todos_fall_back_to_the_generic_block(renderer: ItemRenderer) -> None:
    item = tool("write_todos", {"todos": "not a list"})
    assert plain(renderer.render(item))[0].startswith("▸ ⚙ write_todos(todos='not a list')")


# -- edit_file ----------------------------------------------------------------------------
def test_edit_file_is_a_diff_with_its_path(renderer: ItemRenderer) -> None:
    item = tool(
        "edit_file",
        {"file_path": "/report.md", "old_string": "a\nold\nz", "new_string": "a\nnew\nnewer\nz"},
    )
    item.expanded = True
    text = plain(renderer.render(item))
    assert text[0].startswith("▾ ⚙ edit_file /report.md · -1 +2")
    assert text[1:] == ["    a", "  - old", "  + new", "  + newer", "    z"]


def test_edit_file_colours_removed_red_and_added_green(renderer: ItemRenderer) -> None:
    from fleet_tui.tui.widgets.lines import _styles

    item = tool("edit_file", {"file_path": "/f", "old_string": "x", "new_string": "y"})
    lines = renderer.render(item)
    minus, plus = lines[1], lines[2]
    assert text_of(minus).strip() == "- x" and text_of(plus).strip() == "+ y"
    colours = [
        {_styles[n].color.name for n in line[1::2] if _styles[n] and _styles[n].color}  # type: ignore[union-attr,index]
        for line in (minus, plus)
    ]
    assert colours == [{"red"}, {"green"}]


def test_edit_file_notes_replace_all(renderer: ItemRenderer) -> None:
    args = {"file_path": "/f.py", "old_string": "a", "new_string": "b", "replace_all": True}
    item = tool("edit_file", args)
    assert "every occurrence" in plain(renderer.render(item))[0]
    item.expanded = True
    assert any("replace_all" in line for line in plain(renderer.render(item)))


def test_a_long_diff_is_previewed_when_collapsed(renderer: ItemRenderer) -> None:
    old = "\n".join(f"old {n}" for n in range(10))
    item = tool("edit_file", {"file_path": "/f", "old_string": old, "new_string": "new"})
    text = plain(renderer.render(item))
    assert text[-1] == "  … 5 more diff lines (enter shows all)"


def test_diff_lines_keeps_what_both_share() -> None:
    assert diff_lines("a\nb", "a\nc") == [(" ", "a"), ("-", "b"), ("+", "c")]
    assert diff_lines("", "x") == [("+", "x")]


# -- write_file ---------------------------------------------------------------------------
def test_write_file_collapsed_shows_path_size_and_first_lines(renderer: ItemRenderer) -> None:
    content = "# Report\n\nline one\nline two\nline three\n"
    item = tool("write_file", {"file_path": "/report.md", "content": content}, "Updated file")
    text = plain(renderer.render(item))
    assert text[0].startswith("▸ ⚙ write_file /report.md · 39 B · 5 lines")
    assert text[1:] == ["  # Report", "", "  line one", "  … 2 more lines (enter shows the file)"]


def test_write_file_expanded_shows_the_whole_file_highlighted(renderer: ItemRenderer) -> None:
    content = "def f():\n    return '[red]x[/red]'\n"
    item = tool("write_file", {"file_path": "/a.py", "content": content})
    item.expanded = True
    lines = renderer.render(item)
    text = plain(lines)
    assert "  def f():" in text and "      return '[red]x[/red]'" in text
    styled = {n for line in lines for n in line[1::2]}
    assert len(styled) > 2  # highlighted: several styles, not one


def test_lexer_follows_the_extension() -> None:
    assert lexer_for("/x/a.py") == "python"
    assert lexer_for("/notes.MD") == "markdown"
    assert lexer_for("/Makefile") == "text"


# -- read_file, ls, glob, grep ------------------------------------------------------------------
def test_read_tools_are_one_line_and_show_the_result_when_expanded(
    renderer: ItemRenderer,
) -> None:
    item = tool("ls", {"path": "/"}, "['/a.md', '/b.py']")
    assert plain(renderer.render(item)) == [renderer_line(renderer, item)]
    assert plain(renderer.render(item))[0].startswith("▸ ⚙ ls / · 2 entries")
    item.expanded = True
    assert plain(renderer.render(item))[1:] == ["  /a.md", "  /b.py"]

    grep = tool("grep", {"pattern": "TODO", "path": "/src", "glob": "*.py"}, "a.py:1\nb.py:2")
    assert plain(renderer.render(grep))[0].startswith('▸ ⚙ grep "TODO" in /src (*.py) · 2 lines')
    read = tool("read_file", {"file_path": "/a.md", "offset": 10, "limit": 5}, "1\n2\n3\n4\n5")
    assert plain(renderer.render(read))[0].startswith("▸ ⚙ read_file /a.md (lines 11–15) · 5 lines")
    found = tool("glob", {"pattern": "**/*.md"}, "No files found")
    assert plain(renderer.render(found))[0].startswith("▸ ⚙ glob **/*.md in / · 0 files")


def renderer_line(renderer: ItemRenderer, item: ToolItem) -> str:
    return plain(renderer.render(item))[0]


def test_listing_reads_a_python_list_and_nothing_else() -> None:
    assert listing("['/a', '/b']\n\nNote: truncated") == ["/a", "/b"]
    assert listing("No files found") == []
    assert listing("__import__('os')") is None
    assert listing("[1, 2]") is None


# -- decisions ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("decision", "detail", "collapsed", "expanded"),
    [
        ("awaiting", "", "  ⏸ awaiting approval", ["  ⏸ awaiting approval"]),
        ("approve", "", "  ✓ approved", ["  ✓ approved"]),
        (
            "edit",
            '{"to": "bob@example.com"}',
            # the block shows the arguments the call ran with; these are the proposed ones
            "  ✎ edited: ran with your arguments (enter shows the proposed ones)",
            ["  ✎ edited — as proposed:", "    {", '      "to": "ada@example.com"', "    }"],
        ),
        ("reject", "not [b]now[/b]", "  ✗ rejected: not [b]now[/b]", None),
        ("respond", "Use the other list", "  ↩ answered: Use the other list", None),
    ],
)
def test_decision_states_show_on_tool_blocks(
    renderer: ItemRenderer,
    decision: str,
    detail: str,
    collapsed: str,
    expanded: list[str] | None,
) -> None:
    item = tool("send_email", {"to": "ada@example.com"})
    item.decision, item.decision_detail = decision, detail
    assert plain(renderer.render(item))[1] == collapsed
    item.expanded = True
    text = plain(renderer.render(item))
    want = expanded or [collapsed]
    assert text[1 : 1 + len(want)] == want
    assert text[1 + len(want)] == "  arguments"


def test_a_block_without_decision_has_no_decision_line(renderer: ItemRenderer) -> None:
    item = tool("send_email", {"to": "ada@example.com"})
    assert len(renderer.render(item)) == 1


# -- sub-agent cards ------------------------------------------------------------------------
def card_transcript(description: str = "research topic A") -> Transcript:
    transcript = Transcript()
    args = {"subagent_type": "researcher", "description": description}
    transcript.apply(ToolCallStarted("m0", ToolCall("call-a", "task", args)))
    transcript.apply(SubagentBound("tools:a", "call-a", "researcher"))
    return transcript


def sub(event: object, namespace: str = "tools:a") -> SubagentEvent:
    return SubagentEvent(namespace, event)  # type: ignore[arg-type]


def test_a_card_is_one_status_line_that_says_what_the_sub_agent_does(
    renderer: ItemRenderer,
) -> None:
    transcript = card_transcript()
    card = transcript.items[0]
    assert isinstance(card, ToolItem)

    def line() -> list[str]:
        return plain(renderer.render(card))

    assert line() == ["▸ ◆ researcher · research topic A — starting…"]
    transcript.apply(sub(TextDelta("s1", "Looking into it", "model")))
    assert line() == ["▸ ◆ researcher · research topic A — writing…"]
    transcript.apply(sub(MessageComplete("s1", "ai", "Looking into it")))
    transcript.apply(sub(ToolCallStarted("s1", ToolCall("c1", "ls", {"path": "/"}))))
    assert line() == ["▸ ◆ researcher · research topic A — calling ls · 1 tool call"]
    transcript.apply(sub(ToolResult("t1", "c1", "ls", "No files found")))
    transcript.apply(sub(ToolCallStarted("s2", ToolCall("c2", "read_file", {"file_path": "/a"}))))
    card.waiting = True
    assert line() == ["▸ ◆ researcher · research topic A — waiting for approval ⚑ · 2 tool calls"]
    card.waiting = False
    transcript.apply(ToolResult("t2", "call-a", "task", "All good"))
    assert line() == ["▸ ◆ researcher · research topic A — ✓ done · 2 tool calls"]
    card.state = "failed"
    assert line()[0].endswith("— ✗ failed · 2 tool calls")


def test_the_description_is_cut_to_the_width_by_cells(renderer: ItemRenderer) -> None:
    transcript = card_transcript("调查 " * 60)
    text = plain(renderer.render(transcript.items[0]))
    assert len(text) == 1
    from rich.cells import cell_len

    assert cell_len(text[0]) <= WIDTH
    assert "…" in text[0] and text[0].endswith("— starting…")


def test_an_expanded_card_nests_the_sub_agents_run_and_ends_with_its_result(
    renderer: ItemRenderer,
) -> None:
    transcript = card_transcript()
    card = transcript.items[0]
    assert isinstance(card, ToolItem)
    transcript.apply(sub(TextDelta("s1", "Researching **A**\n\n- one\n- two", "model")))
    transcript.apply(sub(MessageComplete("s1", "ai", "Researching **A**\n\n- one\n- two")))
    transcript.apply(sub(ToolCallStarted("s1", ToolCall("c1", "ls", {"path": "/"}))))
    transcript.apply(sub(ToolResult("t1", "c1", "ls", "['/a.md']")))
    transcript.apply(ToolResult("t2", "call-a", "task", "## Findings\n\nAll **good**."))
    card.expanded = True
    text = plain(renderer.render(card))
    assert text[0] == "▾ ◆ researcher · research topic A — ✓ done · 1 tool call"
    assert text[1] == "│ Task: research topic A"  # the whole description, never cut
    assert text[2:8] == [
        "│ Researching A",
        "│",
        "│  • one",
        "│  • two",
        "│",
        "│ ▸ ⚙ ls / · 1 entry  ✓ done",
    ]
    assert text[8] == "╰ result"
    assert "Findings" in text[9] and "**" not in "".join(text)
    assert text[-1] == "  All good."
    assert "Researching" not in transcript_main_text(transcript)


def transcript_main_text(transcript: Transcript) -> str:
    from fleet_tui.domain.transcript import AssistantItem

    return "".join(i.text for i in transcript.items if isinstance(i, AssistantItem))


def test_nested_sub_agents_are_cards_inside_the_card(renderer: ItemRenderer) -> None:
    transcript = card_transcript()
    card = transcript.items[0]
    assert isinstance(card, ToolItem)
    args = {"subagent_type": "critic", "description": "check it"}
    transcript.apply(sub(ToolCallStarted("s1", ToolCall("call-b", "task", args))))
    transcript.apply(SubagentBound("tools:a|tools:b", "call-b", "critic"))
    transcript.apply(sub(TextDelta("s2", "Checking", "model"), "tools:a|tools:b"))
    card.expanded = True
    text = plain(renderer.render(card))
    assert text[2] == "│ ▾ ◆ critic · check it — writing…"
    assert text[3:5] == ["│ │ Task: check it", "│ │ Checking"]
    assert plain(renderer.render(card))[0].endswith("calling sub-agent critic · 1 tool call")


def test_a_card_shows_agent_text_as_text_never_markup(renderer: ItemRenderer) -> None:
    transcript = Transcript()
    args = {"subagent_type": "[red]evil[/red]", "description": "[link=x]click[/link]"}
    transcript.apply(ToolCallStarted("m0", ToolCall("call-x", "task", args)))
    text = plain(renderer.render(transcript.items[0]))
    assert text == ["▸ ◆ [red]evil[/red] · [link=x]click[/link] — starting…"]


def test_a_token_re_renders_only_the_nested_item_it_belongs_to(renderer: ItemRenderer) -> None:
    transcript = card_transcript()
    card = transcript.items[0]
    assert isinstance(card, ToolItem)
    card.expanded = True
    transcript.apply(sub(TextDelta("s1", "First reply.\n\nDone.", "model")))
    transcript.apply(sub(MessageComplete("s1", "ai", "First reply.\n\nDone.")))
    transcript.apply(sub(ToolCallStarted("s1", ToolCall("c1", "ls", {"path": "/"}))))
    transcript.apply(sub(TextDelta("s2", "Second para.\n\nGrowing", "model")))
    cache = CardLines(renderer)
    before = cache.render(card)
    for word in [" more", " and", " more"]:
        transcript.apply(sub(TextDelta("s2", word, "model")))
        after = cache.render(card)
        # the settled lines above the growing block are the very same objects
        assert all(a is b for a, b in zip(before[1:-1], after[1:-1], strict=False))
        assert plain(after)[-1].endswith(word.strip())
        before = after


@pytest.mark.parametrize(
    ("decision", "failed", "state"),
    [
        ("reject", True, "⊘ not run"),
        ("respond", False, "⊘ not run"),
        ("approve", False, "✓ done"),
        ("awaiting", None, "⏸ waiting"),
    ],
)
def test_a_call_turned_down_or_answered_by_the_user_did_not_fail(
    renderer: ItemRenderer, decision: str, failed: bool | None, state: str
) -> None:
    item = tool("send_email", {"to": "ada@example.com"})
    item.decision = decision
    if failed is not None:
        item.set_result("User rejected the tool call", failed=failed)
    head = plain(renderer.render(item))[0]
    assert head.endswith(state)
    assert "failed" not in head
