"""Sub-agent cards in the message pane: collapsed, expanded by enter and by "all tools", live."""

from __future__ import annotations

from test_message_pane import SIZE, Host, settle

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
from fleet_tui.tui.widgets.message_pane import MessagePane


def deep_transcript() -> Transcript:
    transcript = Transcript()
    transcript.add_user("Research A and B")
    for name in ("a", "b"):
        args = {"subagent_type": "researcher", "description": f"research topic {name.upper()}"}
        transcript.apply(ToolCallStarted("m0", ToolCall(f"call-{name}", "task", args)))
        transcript.apply(SubagentBound(f"tools:{name}", f"call-{name}", "researcher"))
    return transcript


def sub(name: str, event: object) -> SubagentEvent:
    return SubagentEvent(f"tools:{name}", event)  # type: ignore[arg-type]


async def test_parallel_cards_are_one_line_each_and_expand_with_enter_and_all_tools() -> None:
    transcript = deep_transcript()
    app = Host(transcript)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(MessagePane)
        for name in ("a", "b"):
            text = f"Findings for {name.upper()}"
            pane.apply_event(sub(name, TextDelta(f"s-{name}", text, "model")))
            pane.apply_event(sub(name, MessageComplete(f"s-{name}", "ai", text)))
        await settle(pilot, pane)
        assert pane.line_texts(1) == ["", "Agent", "▸ ◆ researcher · research topic A — working…"]
        assert pane.line_texts(2) == ["▸ ◆ researcher · research topic B — working…"]
        assert "Findings" not in "\n".join(pane.line_texts())

        pane.focus()
        pane._move_cursor(2)
        await pilot.press("enter")
        await settle(pilot, pane)
        assert pane.line_texts(2)[:2] == [
            "▾ ◆ researcher · research topic B — working…",
            "│ Findings for B",
        ]
        assert len(pane.line_texts(1)) == 3  # the other card stays collapsed

        await pilot.press("t")  # every tool block, cards included
        await settle(pilot, pane)
        assert pane.line_texts(1)[3] == "│ Findings for A"
        await pilot.press("t")
        await settle(pilot, pane)
        assert len(pane.line_texts(1)) == 3 and len(pane.line_texts(2)) == 1


async def test_an_expanded_card_streams_and_repaints_only_its_tail() -> None:
    transcript = deep_transcript()
    card = transcript.items[1]
    assert isinstance(card, ToolItem)
    card.expanded = True
    app = Host(transcript)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(MessagePane)
        pane.apply_event(sub("a", TextDelta("s1", "Intro.\n\n", "model")))
        pane.apply_event(sub("a", ToolCallStarted("s1", ToolCall("c1", "ls", {"path": "/"}))))
        pane.apply_event(sub("a", ToolResult("t1", "c1", "ls", "['/a.md']")))
        await settle(pilot, pane)
        pane.apply_event(sub("a", TextDelta("s2", "the ", "model")))
        await settle(pilot, pane)
        entry = pane._view.entries[1]
        before = list(entry.body)
        for word in ["sub", "agent", "writes", "its", "own", "words"]:
            pane.apply_event(sub("a", TextDelta("s2", word + " ", "model")))
            await settle(pilot, pane)
            after = list(entry.body)
            # the header and the nested items above the growing reply are the same lines:
            # the pane repaints from the growing reply on
            assert all(a is b for a, b in zip(before[:-1], after[:-1], strict=False))
            assert entry.changed_from >= len(after) - 1 > 4
            assert pane.line_texts(1)[-1].endswith(word)
            before = after
        text = pane.line_texts(1)
        assert text[3:6] == ["│ Intro.", "│", "│ ▸ ⚙ ls / · 1 entry  ✓ done"]
        assert text[-1] == "│ the sub agent writes its own words"
        pane.apply_event(ToolResult("t2", "call-a", "task", "**Done**: all good"))
        await settle(pilot, pane)
        text = pane.line_texts(1)
        assert text[2].endswith("— ✓ done · 1 tool call")
        assert text[-2:] == ["╰ result", "  Done: all good"]
