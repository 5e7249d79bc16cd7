"""Forgetting an agent: removing it in the settings offers to delete its local conversations
(saying how many), and the palette deletes all local data of the agent in use. The server is
never asked for anything."""

from __future__ import annotations

from pathlib import Path

from app_harness import SIZE, make_app, wait_until
from textual.pilot import Pilot
from textual.widgets import Checkbox, Static

from fleet_tui.domain.deep_state import StateFile, Todo
from fleet_tui.settings.config import AgentProfile, Settings
from fleet_tui.storage.store import Store, StoredDecision
from fleet_tui.tui.app import FleetApp
from fleet_tui.tui.forget import ask_delete_agent_data
from fleet_tui.tui.screens.confirm import ConfirmScreen
from fleet_tui.tui.screens.settings import SettingsScreen

# nothing listens here: a request would fail, and the test would see it in the header
URL = "http://127.0.0.1:9"


def fill(store: Store, url: str, agent_id: str, count: int) -> int:
    agent = store.ensure_agent(url, agent_id)
    for n in range(count):
        conversation = store.create_conversation(agent.id, thread_id=f"t{n}", title=f"c{n}")
        store.add_message(conversation.id, "human", f"hello {n}")
        store.save_plan(conversation.id, [Todo("step", "pending")])
        store.save_files(conversation.id, {"/a.txt": StateFile("/a.txt", "x")})
        store.save_decisions(conversation.id, [StoredDecision("call", "i1", "approve", "")])
    return agent.id


def test_the_store_deletes_an_agents_data_and_only_its() -> None:
    from fleet_tui.storage.store import memory_store

    store = memory_store()
    gone = fill(store, URL, "a", 3)
    kept = fill(store, URL, "b", 2)
    assert store.find_agent(URL + "/", "a") is not None
    assert store.delete_agent_data(gone, forget_agent=True) == 3
    assert store.count_conversations(gone) == 0 and store.find_agent(URL, "a") is None
    assert store.count_conversations(kept) == 2
    rows = store._all("SELECT COUNT(*) FROM messages")
    assert rows[0][0] == 2  # the other agent's messages only


def two_agents(tmp_path: Path) -> tuple[FleetApp, Store]:
    store = Store.open(tmp_path / "store.db")
    fill(store, URL, "agent-a", 12)
    fill(store, URL, "agent-b", 1)
    settings = Settings(profiles={}, current=None, theme=None)
    settings.replace_profile(AgentProfile(name="b", url=URL, agent_id="agent-b", api_key="k"))
    settings.replace_profile(
        AgentProfile(name="a", url=URL, agent_id="agent-a", api_key="k"), make_current=True
    )
    return make_app(tmp_path, settings.current_profile(), store=store, settings=settings), store


async def confirm_dialog(pilot: Pilot[object]) -> ConfirmScreen:
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
    await pilot.pause(0.1)
    assert isinstance(app.screen, ConfirmScreen)
    return app.screen


async def test_removing_an_agent_offers_to_delete_its_conversations(tmp_path: Path) -> None:
    app, store = two_agents(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        app.action_settings()
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        await pilot.pause(0.1)
        settings_screen = app.screen
        assert isinstance(settings_screen, SettingsScreen)
        settings_screen.action_remove_agent()  # the agent being edited: "a"
        dialog = await confirm_dialog(pilot)
        box = dialog.query_one(Checkbox)
        assert "Also delete its 12 local conversations" in str(box.label)
        box.value = True
        dialog.query_one("#confirm-yes").press()
        await wait_until(pilot, lambda: app.screen is settings_screen)
        # nothing is deleted before the settings are saved
        assert store.count_conversations(store.ensure_agent(URL, "agent-a").id) == 12
        settings_screen.action_save()
        await wait_until(pilot, lambda: app.screen is app.chat)
        await pilot.pause(0.2)  # the settings' callback runs after the screen is gone
        assert store.find_agent(URL, "agent-a") is None or (
            store.count_conversations(store.ensure_agent(URL, "agent-a").id) == 0
        )
        assert store.count_conversations(store.ensure_agent(URL, "agent-b").id) == 1
        await pilot.pause(0.1)
        assert any("Deleted 12 local conversations" in str(n.message) for n in app._notifications)


async def test_removing_without_the_box_keeps_the_conversations(tmp_path: Path) -> None:
    app, store = two_agents(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        app.action_settings()
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        await pilot.pause(0.1)
        settings_screen = app.screen
        assert isinstance(settings_screen, SettingsScreen)
        settings_screen.action_remove_agent()
        dialog = await confirm_dialog(pilot)
        dialog.query_one("#confirm-yes").press()
        await wait_until(pilot, lambda: app.screen is settings_screen)
        settings_screen.action_save()
        await wait_until(pilot, lambda: app.screen is app.chat)
        await pilot.pause(0.2)  # the settings' callback runs after the screen is gone
        assert store.count_conversations(store.ensure_agent(URL, "agent-a").id) == 12


async def test_the_palette_deletes_all_local_data_of_the_agent(tmp_path: Path) -> None:
    app, store = two_agents(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        assert app.agent is not None
        names = [c.title for c in app.get_system_commands(app.screen)]
        assert "Delete all local data of this agent" in names
        ask_delete_agent_data(app)
        dialog = await confirm_dialog(pilot)
        message = str(dialog.query_one("#confirm-message", Static).render())
        assert "12 local conversations" in message and "Nothing on the server" in message
        dialog.query_one("#confirm-yes").press()
        await wait_until(pilot, lambda: store.count_conversations(app.agent.id) == 0)  # type: ignore[union-attr]
        assert store.count_conversations(store.ensure_agent(URL, "agent-b").id) == 1
        assert app.chat.sidebar is not None and app.chat.current is None
