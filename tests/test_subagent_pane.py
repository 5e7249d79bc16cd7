"""Sub-agent cards in the message pane: collapsed, expanded by enter and by "all tools", live."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from app_harness import assistant_texts, idle, make_app, profile_for, type_and_send, wait_until
from server_fixture import AgentServer
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
        assert pane.line_texts(2)[:3] == [
            "▾ ◆ researcher · research topic B — working…",
            "│ Task: research topic B",
            "│ Findings for B",
        ]
        assert len(pane.line_texts(1)) == 3  # the other card stays collapsed

        await pilot.press("t")  # every tool block, cards included
        await settle(pilot, pane)
        assert pane.line_texts(1)[4] == "│ Findings for A"
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
        assert text[3:7] == [
            "│ Task: research topic A",
            "│ Intro.",
            "│",
            "│ ▸ ⚙ ls / · 1 entry  ✓ done",
        ]
        assert text[-1] == "│ the sub agent writes its own words"
        pane.apply_event(ToolResult("t2", "call-a", "task", "**Done**: all good"))
        await settle(pilot, pane)
        text = pane.line_texts(1)
        assert text[2].endswith("— ✓ done · 1 tool call")
        assert text[-2:] == ["╰ result", "  Done: all good"]


# -- against the real Agent Server ---------------------------------------------------------


def _deep_replies() -> ModuleType:
    path = Path(__file__).resolve().parent / "server" / "deep_replies.py"
    spec = importlib.util.spec_from_file_location("fleet_tui_test_deep_replies", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.server
async def test_a_deep_run_shows_two_cards_with_their_own_text(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    dr = _deep_replies()
    app = make_app(tmp_path, profile_for(agent_server, "deep"))
    async with app.run_test(size=SIZE) as pilot:
        await type_and_send(pilot, "Research terminals")
        pane = app.chat.pane
        await wait_until(
            pilot,
            lambda: idle(app) and dr.DEEP_FINAL in "".join(assistant_texts(pane.transcript.items)),
            timeout=60,
        )
        items = pane.transcript.items
        cards = [i for i in items if isinstance(i, ToolItem) and i.is_subagent]
        assert len(cards) == 2
        main_text = "\n".join(assistant_texts(items))
        for card, topic in zip(cards, dr.DEEP_TOPICS, strict=True):
            description = dr.research_description(topic)
            index = items.index(card)
            line = pane.line_texts(index)[-1]
            assert line.startswith(f"▸ ◆ {dr.RESEARCHER} · {description} — ✓ done")
            assert line.endswith("1 tool call")
            finding = dr.research_finding(description).replace("*", "")
            assert finding not in "\n".join(pane.line_texts(index))  # collapsed: one line
            assert dr.research_finding(description) not in main_text
        await pilot.press("ctrl+t")
        await pilot.pause(0.2)
        for card, topic in zip(cards, dr.DEEP_TOPICS, strict=True):
            description = dr.research_description(topic)
            other = dr.research_description(next(t for t in dr.DEEP_TOPICS if t != topic))
            lines = pane.line_texts(items.index(card))
            drawn = "\n".join(lines)
            # the sub-agent's own call, nested, expanded too by ctrl+t: its result shows
            assert f"│ ▾ ⚙ {dr.RESEARCH_TOOL}  ✓ done" in drawn
            assert f"│ Task: {description}" in drawn
            # its final words are the card's result, drawn once, as markdown
            result = " ".join(line.strip() for line in lines[lines.index("╰ result") + 1 :])
            assert result == dr.research_finding(description).replace("*", "")
            assert drawn.count("the sources agree") == 1
            assert dr.research_finding(other).replace("*", "") not in " ".join(lines)
        # the plan and the file tools are drawn as their blocks, not as JSON
        drawn = "\n".join(pane.line_texts())
        assert "▾ ⚙ write_todos plan:" in drawn and '"content"' not in drawn
        assert "- Status: draft" in drawn and "+ Status: final" in drawn
