"""Regenerate screenshots/*.svg from a real run of the app against the bundled demo agent.

    python scripts/screenshots.py

Starts the demo Agent Server on loopback, drives the app headless at 120x40 with Pilot, and
saves the main screen mid-conversation, the approval review, the settings screen, the help
screen, a deep-agent run (the plan and a sub-agent's card), a file of the agent's state, and
the inbox: a second saved agent (another assistant of the demo's graph) gets an approval and a
finished run from another client, as a schedule would, and the background watch brings them in.
The store and settings live in a temporary folder; the demo token is masked on screen.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from textual.pilot import Pilot

from fleet_tui.demo.server import ServerHandle, start_demo
from fleet_tui.domain.transcript import ToolItem
from fleet_tui.settings.config import AgentProfile, Settings, save_settings
from fleet_tui.storage.store import Store
from fleet_tui.tui.app import FleetApp
from fleet_tui.tui.screens.files import FileScreen, FilesScreen
from fleet_tui.tui.screens.help import HelpScreen
from fleet_tui.tui.screens.inbox import InboxScreen
from fleet_tui.tui.screens.review import ReviewScreen
from fleet_tui.tui.screens.settings import SettingsScreen

OUT = Path(__file__).resolve().parent.parent / "screenshots"
SIZE = (120, 40)


async def wait_for(pilot: Pilot[object], ready: Callable[[], object], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError("the demo did not get there in time")
        await pilot.pause(0.1)


def idle(app: FleetApp) -> bool:
    current = app.chat.current
    return current is not None and current.runner is None


async def send(pilot: Pilot[object], app: FleetApp, text: str) -> None:
    app.chat.composer.focus()
    app.chat.composer.insert(text)
    await pilot.press("enter")
    await wait_for(pilot, lambda: app.chat.current is not None)
    await wait_for(pilot, lambda: idle(app) or isinstance(app.screen, ReviewScreen))


def save(app: FleetApp, name: str) -> Path:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"{name}.svg"
    svg = app.export_screenshot(title="fleet-tui")
    if app.profile and app.profile.api_key and app.profile.api_key in svg:
        raise RuntimeError(f"the token is visible in {name}.svg")
    path.write_text(svg)
    return path


def subagent_card(app: FleetApp) -> ToolItem | None:
    current = app.chat.current
    items = current.transcript.items if current is not None else []
    return next((i for i in items if isinstance(i, ToolItem) and i.is_subagent), None)


async def deep_run(pilot: Pilot[object], app: FleetApp) -> None:
    """The demo's research tour: caught while the plan is half done, then its report."""
    app.chat.action_new_conversation()
    await pilot.pause(0.2)
    app.chat.composer.focus()
    app.chat.composer.insert("Please research terminal chat clients and write a report")
    await pilot.press("enter")

    def researching() -> bool:
        card = subagent_card(app)
        run = card.subagent if card is not None else None
        words = sum(len(i.copy_text) for i in run.items) if run is not None else 0
        return card is not None and card.result is None and words > 120

    await wait_for(pilot, researching)
    card = subagent_card(app)
    assert card is not None and app.chat.current is not None
    card.expanded = True
    transcript = app.chat.current.transcript
    transcript.changed(transcript.items.index(card))
    await pilot.pause(0.15)
    print(save(app, "deep"))
    await wait_for(pilot, lambda: idle(app))
    app.chat.action_files()
    await wait_for(pilot, lambda: isinstance(app.screen, FilesScreen))
    await pilot.pause(0.3)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, FileScreen))
    await pilot.pause(0.5)
    print(save(app, "files"))


async def elsewhere(http: httpx.AsyncClient, assistant_id: str, text: str) -> None:
    """A run on a new thread by another client (a schedule, the web UI), to its end."""
    thread = (await http.post("/threads", json={"metadata": {}})).json()["thread_id"]
    message = {"role": "human", "content": text}
    response = await http.post(
        f"/threads/{thread}/runs/wait",
        json={"assistant_id": assistant_id, "input": {"messages": [message]}},
    )
    response.raise_for_status()


async def inbox(pilot: Pilot[object], app: FleetApp, handle: ServerHandle) -> None:
    """A second saved agent with work done elsewhere, a run of ours ending off screen: f4."""
    while len(app.screen_stack) > 1:  # the file view the deep run ended on
        await pilot.press("escape")
        await pilot.pause(0.2)
    async with httpx.AsyncClient(base_url=handle.url, headers=handle.headers(), timeout=60) as http:
        made = await http.post("/assistants", json={"graph_id": "agent", "name": "ops-desk"})
        ops_id = made.json()["assistant_id"]
        await elsewhere(http, ops_id, "What is the weather in Oslo?")
        app.settings.replace_profile(
            AgentProfile(name="ops", url=handle.url, agent_id=ops_id, api_key=handle.api_key)
        )
        app.inbox.settings_changed()  # a saved agent added: the watch looks at it now
        ops = app.store.ensure_agent(handle.url, ops_id)
        await wait_for(pilot, lambda: app.store.watch_cursor(ops.id))
        await elsewhere(http, ops_id, "Please email the on-call team about the outage")
        await elsewhere(http, ops_id, "What is the weather in Nairobi?")
    app.chat.action_new_conversation()
    app.chat.composer.focus()
    app.chat.composer.insert("What's the weather in Paris?")
    await pilot.press("enter")
    await pilot.pause(0.2)
    app.chat.action_new_conversation()  # it ends off screen: finished, unread
    app.inbox.settings_changed()

    def kinds() -> list[str]:
        return [e.kind for e in app.inbox.entries()]

    try:
        await wait_for(
            pilot, lambda: kinds().count("waiting") == 2 and kinds().count("finished") == 2
        )
    except TimeoutError:
        print([(e.kind, e.agent, e.title) for e in app.inbox.entries()], app.unchecked)
        raise
    await pilot.pause(0.5)
    app.clear_notifications()
    await pilot.press("f4")
    await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
    await pilot.pause(0.5)
    print(save(app, "inbox"))
    await pilot.press("escape")


async def main() -> int:
    handle = start_demo()
    with tempfile.TemporaryDirectory(prefix="fleet-tui-shots-") as scratch:
        folder = Path(scratch)
        profile = AgentProfile(
            name="demo", url=handle.url, agent_id=handle.agent_id, api_key=handle.api_key
        )
        settings = Settings(profiles={}, current=None, theme=None)
        settings.replace_profile(profile, make_current=True)
        save_settings(settings, folder / "settings.json")
        store = Store.open(folder / "store.db")
        app = FleetApp(
            store=store, settings=settings, profile=profile, config_path=folder / "settings.json"
        )
        try:
            async with app.run_test(size=SIZE) as pilot:
                await wait_for(pilot, lambda: app.connection_state == "connected")
                await send(pilot, app, "Hello! What can you do?")
                await send(pilot, app, "What's the weather in Lisbon?")
                await send(pilot, app, "Please send an email to Ada about the launch")
                await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
                await pilot.pause(0.3)
                print(save(app, "review"))
                await pilot.press("escape")
                app.chat.pane.action_toggle_all_tools()
                app.chat.pane.scroll_to_latest()
                await pilot.pause(0.5)
                print(save(app, "main"))
                app.action_settings()
                await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen))
                await pilot.pause(0.3)
                print(save(app, "settings"))
                await pilot.press("escape")
                await pilot.pause(0.2)
                app.action_help()
                await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
                await pilot.pause(0.3)
                print(save(app, "help"))
                await pilot.press("escape")
                await pilot.pause(0.2)
                await deep_run(pilot, app)
                await inbox(pilot, app, handle)
        finally:
            store.close()
            handle.stop()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
