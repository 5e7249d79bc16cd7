"""Words on screen: what the demo keeps, a sync that has nothing to say, one name for the
agent, human error titles, and the greeting of an empty conversation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from app_harness import SIZE, idle, make_app, profile_for, type_and_send, wait_until
from langgraph_sdk import get_client
from server_fixture import AgentServer
from test_message_pane import screen_text
from textual.widgets import Input

from fleet_tui.common.errors import ERROR_TITLES, error_title, error_words, split_stored_error
from fleet_tui.domain.agent_names import agent_label
from fleet_tui.domain.transcript import ErrorItem, NoticeItem
from fleet_tui.settings.config import AgentProfile, Settings, load_settings, save_settings
from fleet_tui.storage.store import Store
from fleet_tui.tui.app import FleetApp
from fleet_tui.tui.commands import app_commands
from fleet_tui.tui.screens.settings import SettingsScreen

CLASS_NAMES = [name for name in ERROR_TITLES if name[0].isupper()]


def toasts(app: FleetApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


# --------------------------------------------------------------------------- demo
def demo_app(tmp_path: Path, server: AgentServer) -> tuple[FleetApp, Path]:
    """The app as `fleet-tui --demo` builds it: the user's own settings plus a session-only
    agent, the store in a scratch folder."""
    config_path = tmp_path / "config" / "settings.json"
    mine = AgentProfile(name="work", url="https://example.invalid", agent_id="a" * 8)
    save_settings(Settings(profiles={"work": mine}, current="work", theme="nord"), config_path)
    settings, _ = load_settings(config_path)
    demo = profile_for(server, "echo", name="demo")
    demo._session_only = True
    settings.replace_profile(demo, make_current=True)
    app = FleetApp(
        store=Store.open(tmp_path / "scratch" / "demo.db"),
        settings=settings,
        profile=demo,
        config_path=config_path,
        demo=True,
    )
    return app, config_path


async def test_demo_saves_a_new_agent_to_the_real_settings_and_keeps_it_after_quit(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    app, config_path = demo_app(tmp_path, agent_server)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.connection_state == "connected")
        app.theme = "textual-light"  # the demo's theme is the demo's to try
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        assert "Demo: agents you add or change here are saved to your settings" in screen_text(app)
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        screen.action_new_agent()
        await pilot.pause()
        screen.query_one("#input-name", Input).value = "mine"
        screen.query_one("#input-url", Input).value = agent_server.url
        screen.query_one("#input-agent_id", Input).value = agent_server.assistant_id("echo")
        screen.query_one("#input-api_key", Input).value = agent_server.owner_key
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, SettingsScreen))
        said = " ".join(toasts(app))
        assert "'mine' saved to your settings" in said and "stays after the demo" in said
        await pilot.press("ctrl+q")
    data = json.loads(config_path.read_text())
    # the user's agents, the new one current; not the demo's agent, not the demo's theme
    assert set(data["profiles"]) == {"work", "mine"}
    assert data["current"] == "mine" and data["theme"] == "nord"
    assert config_path.stat().st_mode & 0o777 == 0o600
    kept, _ = load_settings(config_path)
    assert kept.profiles["mine"].api_key == agent_server.owner_key
    assert kept.profiles["mine"].url == agent_server.url


async def test_demo_edits_of_the_demo_agent_and_theme_are_not_written(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    app, config_path = demo_app(tmp_path, agent_server)
    before = config_path.read_bytes()
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.connection_state == "connected")
        app.theme = "textual-light"
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        await pilot.press("ctrl+s")  # the demo agent, unchanged
        await wait_until(pilot, lambda: not isinstance(app.screen, SettingsScreen))
        assert any("until you quit" in t for t in toasts(app))
    assert config_path.read_bytes() == before


# --------------------------------------------------------------------------- sync, names
async def fresh_assistant(server: AgentServer, name: str) -> str:
    """An assistant no test has run a thread on: its first sync finds nothing."""
    sdk = get_client(url=server.url, headers=server.headers())
    made = await sdk.assistants.create(graph_id="echo", name=name)
    return str(made["assistant_id"])


async def test_a_first_sync_with_nothing_to_bring_says_nothing(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    profile = profile_for(agent_server, "echo", name="mine")
    profile.agent_id = await fresh_assistant(agent_server, "words-sync")
    app = make_app(tmp_path, profile)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.connection_state == "connected")
        await pilot.pause(0.5)
        await app.workers.wait_for_complete()
        assert not any("Synced" in t or "server thread" in t for t in toasts(app))
        app.action_sync()  # asked for: it answers
        await wait_until(pilot, lambda: any("Already up to date" in t for t in toasts(app)))


async def test_one_name_for_the_agent_everywhere(agent_server: AgentServer, tmp_path: Path) -> None:
    profile = profile_for(agent_server, "echo", name="mine")
    profile.agent_id = await fresh_assistant(agent_server, "Research helper")
    other = profile_for(agent_server, "scripted", name="other")
    settings = Settings(profiles={"mine": profile, "other": other}, current="mine")
    save_settings(settings, tmp_path / "settings.json")
    app = make_app(tmp_path, profile, settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.connection_state == "connected")
        await pilot.pause(0.2)
        name = "mine (Research helper)"
        assert app.agent_label == name == agent_label("mine", "Research helper")
        shot = screen_text(app)
        assert shot.splitlines()[0].count(name) == 1  # the header
        assert f"New conversation with {name}" in shot  # the empty conversation
        titles = [c.title for c in app_commands(app)]
        assert "Switch agent: other" in titles
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        assert name in screen_text(app)  # the saved agents list


def test_agent_label_rules() -> None:
    assert agent_label("demo", "fleet-demo") == "demo (fleet-demo)"
    assert agent_label("demo", "demo") == "demo"
    assert agent_label("demo", "") == "demo"
    assert agent_label("", "fleet-demo") == "fleet-demo"


# --------------------------------------------------------------------------- error titles
def test_every_error_kind_has_a_human_title() -> None:
    for name in CLASS_NAMES:
        title = error_title(name)
        assert title and " " in title and name not in title
    assert error_words("ValueError", "boom") == ("The agent's run failed", "ValueError: boom")
    assert split_stored_error("UnreachableError: Cannot reach x") == (
        "Can't reach the server",
        "Cannot reach x",
    )


@pytest.mark.parametrize(
    ("case", "title"),
    [
        ("unreachable", "Can't reach the server"),
        ("401", "Authentication failed"),
        ("404", "Not found"),
        ("422", "The server refused the request"),
    ],
)
async def test_error_items_have_human_titles(
    agent_server: AgentServer, tmp_path: Path, closed_url: str, case: str, title: str
) -> None:
    key = {"401": "fake-pat-wrong-0000000000", "404": agent_server.other_key}.get(case)
    profile = profile_for(agent_server, "scripted", key=key)
    if case == "unreachable":
        profile.url = closed_url
    if case == "422":
        profile.stream_modes = ["updates", "no-such-mode"]
    app = make_app(tmp_path, profile)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.connection_state != "checking", what="the check")
        await type_and_send(pilot, "hi")

        await wait_until(
            pilot,
            lambda: (
                idle(app) and any(isinstance(i, ErrorItem) for i in app.chat.pane.transcript.items)
            ),
        )
        errors = [i for i in app.chat.pane.transcript.items if isinstance(i, ErrorItem)]
        assert errors[0].title == title
        await pilot.pause(0.2)
        shot = screen_text(app) + " ".join(toasts(app))
        assert f"✗ {title}" in shot
        leaked = [name for name in CLASS_NAMES if name in shot]
        assert leaked == []


# --------------------------------------------------------------------------- greeting
async def test_the_greeting_shows_only_in_an_empty_new_conversation(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    app = make_app(tmp_path, profile_for(agent_server, "echo"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.connection_state == "connected")

        def greetings() -> list[NoticeItem]:
            return [
                i
                for i in app.chat.pane.transcript.items
                if isinstance(i, NoticeItem) and i.text.startswith("New conversation with")
            ]

        assert len(greetings()) == 1
        await type_and_send(pilot, "hello")
        await wait_until(pilot, lambda: idle(app))
        assert greetings() == []
        # the conversation shows what was said: the greeting went, nothing else did
        assert app.chat.pane.transcript is app.chat.current.transcript
        assert "hello" in screen_text(app)
        assert "New conversation with" not in screen_text(app)
        first = app.chat.current
        assert first is not None
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert len(greetings()) == 1  # a new, empty one greets again
        app.open_conversation(first.id)  # an old one does not
        await pilot.pause(0.2)
        assert greetings() == []
        assert "New conversation with" not in screen_text(app)
