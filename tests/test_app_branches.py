"""Branches in the app, against the real server: `e` edits a message of yours in the composer
(enter forks, escape leaves), `r` regenerates a reply, `[` / `]` switch where a message shows
‹ 1/2 ›, the sidebar row shows ⑂ 1/2."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_harness import SIZE, idle, make_app, profile_for, type_and_send, wait_until
from server_fixture import AgentServer, replies
from test_message_pane import screen_text

from fleet_tui.domain.transcript import AssistantItem, UserItem
from fleet_tui.tui.app import FleetApp

pytestmark = pytest.mark.server

echo = replies.echo_reply


def said(app: FleetApp) -> list[tuple[str, str | None]]:
    items = app.chat.pane.transcript.items
    return [(i.text, i.branch) for i in items if isinstance(i, (UserItem, AssistantItem))]


def footer_has(app: FleetApp, key: str) -> bool:
    return any(active.binding.key == key for active in app.screen.active_bindings.values())


async def test_edit_regenerate_and_switch_with_keys(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    app = make_app(tmp_path, profile_for(agent_server, "echo"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.agent_ready)
        for text in ("one", "two"):
            await type_and_send(pilot, text)
            await wait_until(pilot, lambda: idle(app) and len(said(app)) % 2 == 0)
        await wait_until(pilot, lambda: len(said(app)) == 4, what="two turns")
        pane = app.chat.pane

        # `e` is offered on a message of yours only
        pane.focus()
        pane.highlight(3)
        await pilot.pause()
        assert not footer_has(app, "e") and footer_has(app, "r")
        pane.highlight(0)
        await pilot.pause()
        assert footer_has(app, "e")

        # escape leaves the edit and gives the draft back
        app.chat.composer.insert("a draft")
        pane.focus()
        await pilot.press("e")
        assert app.chat.composer.text == "one" and app.chat.composer.editing is not None
        await pilot.press("escape")
        assert app.chat.composer.text == "a draft" and app.chat.composer.editing is None

        pane.focus()
        await pilot.press("e")
        app.chat.composer.clear()
        app.chat.composer.insert("uno")
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: idle(app) and said(app)[0] == ("uno", "2/2"), what="the edit's branch"
        )
        assert said(app) == [("uno", "2/2"), (echo("uno", 1), None)]
        assert app.chat.composer.text == "a draft"
        await wait_until(pilot, lambda: "⑂ 2/2" in screen_text(app), what="the sidebar's mark")
        assert "‹ 2/2 ›" in screen_text(app)

        # `[` goes back to the first branch; the transcript below follows
        pane.focus()
        pane.highlight(0)
        await pilot.press("[")
        await wait_until(pilot, lambda: said(app)[0] == ("one", "1/2"), what="branch 1")
        assert [t for t, _ in said(app)] == ["one", echo("one", 1), "two", echo("two", 2)]

        # `r` on the last reply runs it again: a sibling of that reply
        pane.highlight(len(pane.transcript.items) - 1)
        await pilot.press("r")
        await wait_until(
            pilot, lambda: idle(app) and said(app)[-1][1] == "2/2", what="the regenerated reply"
        )
        assert said(app)[-1] == (echo("two", 2), "2/2")
        await wait_until(pilot, lambda: "⑂ 2/3" in screen_text(app), what="three branches")
