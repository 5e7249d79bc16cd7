"""Text from the agent is data: a hostile graph's replies and tool results cannot inject
markup or terminal escapes, break the layout, or crash the app; the store keeps the text as
it was received."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from app_harness import (
    SIZE,
    assistant_texts,
    idle,
    make_app,
    profile_for,
    type_and_send,
    wait_until,
)
from server_fixture import AgentServer, replies

from fleet_tui.domain.transcript import ToolItem

pytestmark = pytest.mark.server

# Raw control characters must never reach the terminal; the SVG export keeps every character
# that would be drawn, so a live escape would show up in it.
RAW_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


async def test_hostile_output_is_shown_as_text(agent_server: AgentServer, tmp_path: Path) -> None:
    app = make_app(tmp_path, profile_for(agent_server, "hostile"))
    async with app.run_test(size=SIZE) as pilot:
        await type_and_send(pilot, "be nasty")
        await wait_until(
            pilot,
            lambda: idle(app) and len(assistant_texts(app.chat.pane.transcript.items)) >= 2,
            timeout=60,
        )
        pane = app.chat.pane
        await pilot.press("ctrl+t")  # expand the tool block: its arguments and result too
        pane.scroll_home(animate=False)
        await pilot.pause(0.2)
        lines = pane.line_texts()
        drawn = "\n".join(lines)
        assert not RAW_CONTROLS.search(drawn), "a control character reached the screen"
        assert "␛" in drawn and "␇" in drawn  # shown visibly instead
        assert "[bold red]x[/]" in drawn  # markup stays literal text
        assert "[link=https://example.invalid]click[/link]" in drawn
        width = pane.scrollable_content_region.width
        assert max(len(line) for line in lines) <= width  # the 100,000-char token is folded
        for screen_svg in (app.export_screenshot(),):
            assert not RAW_CONTROLS.search(screen_svg)
        pane.scroll_end(animate=False)
        await pilot.pause(0.2)
        assert not RAW_CONTROLS.search(app.export_screenshot())
        assert app.title == "fleet-tui"  # no OSC title change got through
        assert app.is_running
        tools = [i for i in pane.transcript.items if isinstance(i, ToolItem)]
        assert tools and tools[0].state == "done"
        # the store has the text exactly as the server sent it
        conversation = app.chat.current.conversation
        stored = [m.content for m in app.store.messages(conversation.id) if m.role == "ai"]
        assert replies.on_the_wire(replies.hostile_final()) in stored
        assert replies.on_the_wire(replies.hostile_reply()) in stored
        results = [m.content for m in app.store.messages(conversation.id) if m.role == "tool"]
        assert results == [replies.on_the_wire(replies.hostile_tool_result())]


async def test_hostile_titles_in_the_sidebar(agent_server: AgentServer, tmp_path: Path) -> None:
    app = make_app(tmp_path, profile_for(agent_server, "scripted"))
    agent = app.store.ensure_agent(agent_server.url, agent_server.assistant_id("scripted"))
    app.store.create_conversation(agent.id, title="[bold]x[/] \x1b]0;pwned\x07 title")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.2)
        svg = app.export_screenshot()
        assert not RAW_CONTROLS.search(svg)
        assert "[bold]x[/]" in svg.replace("&#160;", " ")
