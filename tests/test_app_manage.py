"""Managing conversations and agents in the app: rename, delete, palette, test connection."""

from __future__ import annotations

from pathlib import Path

import httpx
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
from server_fixture import AgentServer
from textual.command import CommandPalette
from textual.widgets import Button, Checkbox, Input, Static

from fleet_tui.settings.config import Settings, save_settings
from fleet_tui.tui.screens.confirm import ConfirmScreen
from fleet_tui.tui.screens.rename import RenameScreen
from fleet_tui.tui.screens.settings import SettingsScreen

pytestmark = pytest.mark.server


async def one_turn(pilot, app, text: str = "hello") -> None:  # type: ignore[no-untyped-def]
    await type_and_send(pilot, text)
    await wait_until(pilot, lambda: idle(app) and assistant_texts(app.chat.pane.transcript.items))


async def test_rename_is_kept_locally_and_on_the_server(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    app = make_app(tmp_path, profile_for(agent_server, "scripted"))
    async with app.run_test(size=SIZE) as pilot:
        await one_turn(pilot, app, "original title")
        conversation = app.chat.current.conversation
        app.chat.sidebar.option_list.focus()
        app.chat.sidebar.highlight(conversation.id)
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, RenameScreen))
        app.screen.query_one(Input).value = "Renamed [b]plan[/b]"
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: app.store.get_conversation(conversation.id).title == "Renamed [b]plan[/b]",
        )
        assert app.chat.sidebar.conversations[0].title == "Renamed [b]plan[/b]"

        def server_title() -> object:
            thread = httpx.get(
                f"{agent_server.url}/threads/{conversation.thread_id}",
                headers=agent_server.headers(),
            ).json()
            return thread["metadata"].get("title")

        await wait_until(pilot, lambda: server_title() == "Renamed [b]plan[/b]")


@pytest.mark.parametrize("on_server", [False, True])
async def test_delete_asks_and_deletes_on_the_server_only_when_ticked(
    agent_server: AgentServer, tmp_path: Path, on_server: bool
) -> None:
    app = make_app(tmp_path, profile_for(agent_server, "scripted"))
    async with app.run_test(size=SIZE) as pilot:
        await one_turn(pilot, app, "delete me")
        conversation = app.chat.current.conversation
        app.chat.sidebar.option_list.focus()
        app.chat.sidebar.highlight(conversation.id)
        await pilot.press("delete")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert app.focused is app.screen.query_one("#confirm-no", Button)  # safe default
        if on_server:
            app.screen.query_one(Checkbox).value = True
        app.screen.query_one("#confirm-yes", Button).press()
        await wait_until(pilot, lambda: app.store.get_conversation(conversation.id) is None)
        assert app.chat.current is None
        url = f"{agent_server.url}/threads/{conversation.thread_id}"
        if on_server:
            await wait_until(
                pilot, lambda: httpx.get(url, headers=agent_server.headers()).status_code == 404
            )
        else:
            await pilot.pause(0.5)
            assert httpx.get(url, headers=agent_server.headers()).status_code == 200


async def test_palette_opens_a_conversation_by_title(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    app = make_app(tmp_path, profile_for(agent_server, "scripted"))
    agent = app.store.ensure_agent(agent_server.url, agent_server.assistant_id("scripted"))
    target = app.store.create_conversation(agent.id, title="Quarterly planning")
    app.store.add_message(target.id, "ai", "the plan")
    app.store.create_conversation(agent.id, title="Something else")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"Quarterly")
        await pilot.pause(0.5)
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: app.chat.current is not None)
        assert app.chat.current.conversation.id == target.id
        assert assistant_texts(app.chat.pane.transcript.items) == ["the plan"]


async def test_palette_switches_to_another_saved_agent(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    first = profile_for(agent_server, "scripted", name="first")
    second = profile_for(agent_server, "tools", name="second")
    settings = Settings(profiles={}, current=None, theme=None)
    settings.replace_profile(first, make_current=True)
    settings.replace_profile(second)
    save_settings(settings, tmp_path / "settings.json")
    app = make_app(tmp_path, first, settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.connection_state == "connected")
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"Switch agent: second")
        await pilot.pause(0.5)
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: app.profile is not None and app.profile.name == "second")
        await wait_until(pilot, lambda: app.connection_state == "connected")
        assert app.agent is not None and app.agent.agent_id == second.agent_id
        from fleet_tui.settings.config import load_settings

        saved, _ = load_settings(tmp_path / "settings.json")
        assert saved.current == "second"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ("ok", "Connected"),
        ("bad-key", "Authentication failed"),
        ("other-key", "not tied to the owner"),
        ("wrong-agent", "Not found"),
        ("closed-port", "Cannot reach"),
    ],
)
async def test_settings_test_connection_against_the_real_server(
    agent_server: AgentServer, tmp_path: Path, closed_url: str, change: str, words: str
) -> None:
    app = make_app(tmp_path, profile_for(agent_server, "scripted"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        await pilot.pause(0.2)
        screen = app.screen
        values = {
            "bad-key": ("api_key", "fake-pat-wrong-0000000000"),
            "other-key": ("api_key", agent_server.other_key),
            "wrong-agent": ("agent_id", "00000000-0000-4000-8000-000000000000"),
            "closed-port": ("url", closed_url),
        }
        if change in values:
            field, value = values[change]
            screen.query_one(f"#input-{field}", Input).value = value
        await pilot.press("ctrl+t")
        status = screen.query_one("#test-status", Static)
        await wait_until(pilot, lambda: words in str(status.content), timeout=20)
        assert agent_server.owner_key not in app.export_screenshot()


async def test_cleartext_token_needs_confirmation_and_nothing_is_sent(tmp_path: Path) -> None:
    from fleet_tui.settings.config import AgentProfile

    # a documentation-only address: the test answers "don't send", so nothing goes out
    profile = AgentProfile(
        name="remote", url="http://192.0.2.10:8123", agent_id="a", api_key="fake-pat-remote-0000000"
    )
    app = make_app(tmp_path, profile)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert app.client is None
        assert "192.0.2.10" in app.export_screenshot()
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert app.client is None
        assert app.connection_state == "needs your confirmation"


async def test_damaged_store_found_after_start_is_moved_aside(tmp_path: Path) -> None:
    from test_store import _damage_middle_pages, _store_with_pages

    from fleet_tui.storage.store import Store

    path = tmp_path / "store.db"
    _store_with_pages(path)
    _damage_middle_pages(path)
    app = make_app(tmp_path, None, store=Store.open(path, full_check=False))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.store.recovered_from is not None, timeout=10)
        await pilot.pause(0.1)
        assert app.store.recovered_from.exists()
        messages = [n.message for n in app._notifications]
        # the path is on its own line, shortened from the middle when long: its end stays
        stamp = app.store.recovered_from.name.rsplit("-", 2)[-2:]  # "corrupt-<date>-<time>"
        assert any("-".join(stamp) in m for m in messages), messages
