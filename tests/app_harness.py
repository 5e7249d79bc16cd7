"""Building the real app for Pilot tests: a store and settings in tmp, the real test server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from server_fixture import AgentServer
from textual.pilot import Pilot

from fleet_tui.domain.transcript import AssistantItem, Item
from fleet_tui.settings.config import AgentProfile, Settings, save_settings
from fleet_tui.storage.store import Store
from fleet_tui.tui.app import FleetApp

SIZE = (120, 40)


def profile_for(
    server: AgentServer, graph: str, *, key: str | None = None, name: str = "test"
) -> AgentProfile:
    return AgentProfile(
        name=name,
        url=server.url,
        agent_id=server.assistant_id(graph),
        api_key=key or server.owner_key,
    )


def make_app(
    tmp_path: Path,
    profile: AgentProfile | None,
    *,
    store: Store | None = None,
    settings: Settings | None = None,
) -> FleetApp:
    config_path = tmp_path / "settings.json"
    if settings is None:
        settings = Settings(profiles={}, current=None, theme=None)
        if profile is not None:
            settings.replace_profile(profile, make_current=True)
        save_settings(settings, config_path)
    return FleetApp(
        store=store or Store.open(tmp_path / "store.db"),
        settings=settings,
        profile=profile,
        config_path=config_path,
    )


async def wait_until(
    pilot: Pilot[object], predicate: Callable[[], object], timeout: float = 30.0, what: str = ""
) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await pilot.pause(0.05)


async def type_and_send(pilot: Pilot[object], text: str) -> None:
    app = pilot.app
    assert isinstance(app, FleetApp)
    app.chat.composer.focus()
    app.chat.composer.insert(text)
    await pilot.press("enter")


def assistant_texts(items: list[Item]) -> list[str]:
    return [i.text for i in items if isinstance(i, AssistantItem)]


def idle(app: FleetApp) -> bool:
    chat = app.chat
    return chat.current is not None and chat.current.runner is None


async def settle(pilot: Pilot[object]) -> None:
    await pilot.pause(0.1)
    await asyncio.sleep(0)
