"""The inbox in the app, against the real Agent Server: three saved agents (`mail` on the
`hitl` graph, `notes` on `scripted`, `stranger` whose token gets 404), runs that end off
screen, answering from the list, opening in another agent, nudges and the search across
agents."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_harness import SIZE, make_app, profile_for, type_and_send, wait_until
from server_fixture import AgentServer, replies
from textual.pilot import Pilot
from textual.widgets import Input

from fleet_tui.settings.config import Settings, save_settings
from fleet_tui.tui.app import FleetApp
from fleet_tui.tui.screens.inbox import InboxScreen
from fleet_tui.tui.screens.inbox_reason import ReasonScreen
from fleet_tui.tui.screens.review import ReviewScreen
from fleet_tui.tui.screens.search_all import SearchAllScreen
from fleet_tui.tui.widgets.status import AgentBar

pytestmark = [pytest.mark.server, pytest.mark.watch]


def agents_app(
    server: AgentServer,
    tmp_path: Path,
    *,
    current: str = "mail",
    nudge_terminal: bool = False,
    watch_interval: float = 0,
) -> FleetApp:
    settings = Settings(profiles={}, current=None, theme=None)
    settings.replace_profile(profile_for(server, "hitl", name="mail"))
    settings.replace_profile(profile_for(server, "scripted", name="notes"))
    settings.replace_profile(profile_for(server, "echo", name="stranger", key=server.other_key))
    settings.current = current
    settings.nudge_terminal = nudge_terminal
    settings.watch_interval = watch_interval
    save_settings(settings, tmp_path / "settings.json")
    return make_app(tmp_path, settings.profiles[current], settings=settings)


async def connected(pilot: Pilot[object]) -> None:
    app = pilot.app
    assert isinstance(app, FleetApp)
    await wait_until(pilot, lambda: app.connection_state == "connected", what="connected")


def toasts(app: FleetApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


def header(app: FleetApp) -> str:
    return str(app.chat.query_one(AgentBar).render())


async def hidden_run(pilot: Pilot[object], text: str) -> int:
    """Send `text` in a new conversation, then go to another one: it runs off screen."""
    app = pilot.app
    assert isinstance(app, FleetApp)
    await type_and_send(pilot, text)
    current = app.chat.current
    assert current is not None
    await pilot.press("ctrl+n")
    return current.id


async def open_inbox(pilot: Pilot[object]) -> InboxScreen:
    await pilot.press("f4")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, InboxScreen), what="the inbox")
    screen = pilot.app.screen
    assert isinstance(screen, InboxScreen)
    return screen


def final_text(app: FleetApp, conversation_id: int) -> str:
    messages = [m for m in app.store.messages(conversation_id) if m.role == "ai" and m.content]
    return messages[-1].content if messages else ""


async def test_a_hidden_run_that_waits_nudges_counts_and_is_approved_from_the_inbox(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    app = agents_app(agent_server, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await connected(pilot)
        driver_writes: list[str] = []
        assert app._driver is not None
        app._driver.write = driver_writes.append  # type: ignore[method-assign]
        cid = await hidden_run(pilot, "quarterly numbers")
        await wait_until(pilot, lambda: app.waiting_count == 1, what="the badge's count")
        await wait_until(pilot, lambda: any("waiting for approval" in t for t in toasts(app)))
        assert any(
            t.startswith("mail · quarterly numbers: waiting for approval — f4") for t in toasts(app)
        )
        assert "⚑ 1" in header(app)
        # the nudge setting is off: nothing but frames went to the terminal
        assert not any("\x1b]9;" in w or w == "\a" for w in driver_writes)

        screen = await open_inbox(pilot)
        assert [(e.kind, e.conversation_id, e.agent) for e in screen.entries] == [
            ("waiting", cid, "mail")
        ]
        assert screen.entries[0].what.startswith("send_email(")
        await pilot.press("a")
        # answered: it leaves at once; the run it started ends off screen and comes back as
        # a finished (unread) one
        await wait_until(
            pilot,
            lambda: (
                final_text(app, cid)
                == replies.hitl_final("approve", replies.hitl_args("quarterly numbers"))
            ),
            what="the approval to reach the graph",
        )
        await wait_until(pilot, lambda: [e.kind for e in screen.entries] == ["finished"])
        assert app.waiting_count == 0 and "⚑" not in header(app)
        assert any(t.startswith("Approved: mail · quarterly numbers") for t in toasts(app))
        # opened from the inbox, a finished one is read: it leaves
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, InboxScreen))
        assert app.chat.current is not None and app.chat.current.id == cid
        screen = await open_inbox(pilot)
        assert screen.entries == []
        assert "Nothing needs you" in str(screen.query_one("#inbox-empty").render())


async def test_reject_from_the_inbox_asks_for_a_reason(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    app = agents_app(agent_server, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await connected(pilot)
        cid = await hidden_run(pilot, "the draft")
        await wait_until(pilot, lambda: app.waiting_count == 1)
        await open_inbox(pilot)
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ReasonScreen))
        app.screen.query_one(Input).insert_text_at_cursor("not before Monday")
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: (
                final_text(app, cid) == replies.hitl_final("reject", reason="not before Monday")
            ),
            what="the rejection to reach the graph",
        )
        await wait_until(pilot, lambda: app.waiting_count == 0)


async def test_enter_opens_a_waiting_one_in_its_agent_with_the_review(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    """The approval waits in `mail` while `notes` is on screen: enter switches agent and opens
    the review; the run started under `mail` went on while `notes` was shown."""
    app = agents_app(agent_server, tmp_path, current="mail")
    async with app.run_test(size=SIZE) as pilot:
        await connected(pilot)
        cid = await hidden_run(pilot, "board minutes")
        app.switch_agent("notes")
        await wait_until(pilot, lambda: app.settings.current == "notes")
        await wait_until(pilot, lambda: app.waiting_count == 1, what="the run under mail to wait")
        await wait_until(
            pilot, lambda: any(t.startswith("mail · board minutes: waiting") for t in toasts(app))
        )
        screen = await open_inbox(pilot)
        assert [e.agent for e in screen.entries] == ["mail"]
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ReviewScreen), what="the review")
        assert app.settings.current == "mail"
        assert app.chat.current is not None and app.chat.current.id == cid
        await pilot.press("a")
        await pilot.press("ctrl+s")
        await wait_until(
            pilot,
            lambda: (
                final_text(app, cid)
                == replies.hitl_final("approve", replies.hitl_args("board minutes"))
            ),
        )
        assert app.waiting_count == 0


async def test_nudges_ring_and_notify_through_the_terminal_only_when_asked(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    app = agents_app(agent_server, tmp_path, current="notes", nudge_terminal=True)
    async with app.run_test(size=SIZE) as pilot:
        await connected(pilot)
        writes: list[str] = []
        assert app._driver is not None
        app._driver.write = writes.append  # type: ignore[method-assign]
        cid = await hidden_run(pilot, "hello\x1b]0;title\x07 there")
        await wait_until(pilot, lambda: any("\x1b]9;" in w for w in writes), what="OSC 9")
        sequence = next(w for w in writes if "\x1b]9;" in w)
        assert sequence.startswith("\a\x1b]9;fleet-tui: notes · hello")
        assert "finished" in sequence and "\x1b]777;notify;fleet-tui;" in sequence
        # the title's own ESC and BEL never reach the terminal
        assert sequence.count("\x1b") == 2 and sequence.count("\a") == 3
        assert any(t.startswith("notes · hello") and "finished" in t for t in toasts(app))
        screen = await open_inbox(pilot)
        assert [(e.kind, e.conversation_id) for e in screen.entries] == [("finished", cid)]

        # turned off in the settings: a toast only
        app.settings.nudge_terminal = False
        app.inbox.settings_changed()
        await pilot.press("escape")
        writes.clear()
        await hidden_run(pilot, "second one")
        await wait_until(pilot, lambda: any("second one" in t for t in toasts(app)))
        assert not any("\x1b]9;" in w or "\a" in w for w in writes)


async def test_the_run_on_screen_does_not_nudge(agent_server: AgentServer, tmp_path: Path) -> None:
    app = agents_app(agent_server, tmp_path, current="notes")
    async with app.run_test(size=SIZE) as pilot:
        await connected(pilot)
        await type_and_send(pilot, "on screen")
        cid = app.chat.current.id if app.chat.current else None
        await wait_until(pilot, lambda: final_text(app, cid or 0) != "")
        await pilot.pause(0.5)
        assert app.inbox.nudger.told == []
        assert app.inbox.entries() == []  # seen as it ended


async def test_search_all_agents_opens_a_conversation_in_its_agent(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    app = agents_app(agent_server, tmp_path, current="notes")
    async with app.run_test(size=SIZE) as pilot:
        await connected(pilot)
        mail_profile = app.settings.profiles["mail"]
        mail = app.store.ensure_agent(mail_profile.url, mail_profile.agent_id)
        found = app.store.create_conversation(mail.id, title="Invoice for Globex")
        app.store.add_message(found.id, "human", "Please chase the Globex invoice")
        elsewhere = app.store.ensure_agent("http://127.0.0.1:9", "not-saved")
        app.store.create_conversation(elsewhere.id, title="Globex too, but not saved")
        app.action_search_all()
        await wait_until(
            pilot, lambda: isinstance(app.screen, SearchAllScreen) and app.screen.query(Input)
        )
        screen = app.screen
        assert isinstance(screen, SearchAllScreen)
        screen.query_one(Input).insert_text_at_cursor("globex")
        await wait_until(pilot, lambda: len(screen.results) == 1)
        assert screen.results[0][1] == "mail"
        await pilot.press("enter")  # to the results
        await pilot.press("enter")  # open
        await wait_until(pilot, lambda: app.settings.current == "mail")
        assert app.chat.current is not None and app.chat.current.id == found.id


async def test_settings_save_the_watch_interval_and_the_nudge_toggle(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    from fleet_tui.settings.config import load_settings
    from fleet_tui.tui.screens.settings import SettingsScreen
    from fleet_tui.tui.widgets.toggles import ClearCheckbox

    app = agents_app(agent_server, tmp_path, current="notes", watch_interval=60)
    async with app.run_test(size=SIZE) as pilot:
        await connected(pilot)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        screen = app.screen
        field = screen.query_one("#input-watch_interval", Input)
        assert field.value == "60"
        field.value = "2"  # below the least allowed
        await pilot.press("ctrl+s")
        await pilot.pause(0.1)
        assert isinstance(app.screen, SettingsScreen)
        assert "0 (off) or 5 to 86400" in str(screen.query_one("#msg-watch_interval").render())
        field.value = "15"
        screen.query_one("#nudge-terminal", ClearCheckbox).value = True
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, SettingsScreen))
        assert app.settings.watch_interval == 15 and app.settings.nudge_terminal
        assert app.inbox.nudger.terminal
        saved, _ = load_settings(tmp_path / "settings.json")
        assert saved.watch_interval == 15 and saved.nudge_terminal
