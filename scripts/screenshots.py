"""Regenerate screenshots/*.svg from a real run of the app against the bundled demo agent.

    python scripts/screenshots.py

Starts the demo Agent Server on loopback, drives the app headless at 120x40 with Pilot, and
saves the main screen mid-conversation, the approval review, the settings screen and the help
screen. The store and settings live in a temporary folder; the demo token is masked on screen.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

from fleet_tui.demo.server import start_demo
from fleet_tui.settings.config import AgentProfile, Settings, save_settings
from fleet_tui.storage.store import Store
from fleet_tui.tui.app import FleetApp
from fleet_tui.tui.screens.help import HelpScreen
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
        finally:
            store.close()
            handle.stop()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
