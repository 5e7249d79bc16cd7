"""Who watches: the app that holds the store's watch lock runs the background watch; another
process on the same store reads what the watcher stores each interval and takes over when the
lock comes free. No server: the agents are a closed loopback port (each look fails, in words)."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_harness import SIZE, make_app, wait_until

from fleet_tui.services.watch_lock import WatchLock, lock_path_for
from fleet_tui.settings.config import AgentProfile, Settings, save_settings
from fleet_tui.tui.app import FleetApp

pytestmark = pytest.mark.watch

AGENT_ID = "5b0d4a1e-0000-4000-8000-00000000f00d"


def closed_app(tmp_path: Path, closed_url: str, interval: float) -> FleetApp:
    settings = Settings(profiles={}, current=None, theme=None)
    settings.replace_profile(
        AgentProfile(name="away", url=closed_url, agent_id=AGENT_ID, api_key="fake-pat-0000")
    )
    settings.replace_profile(
        AgentProfile(name="gone", url=closed_url, agent_id=AGENT_ID[:-4] + "beef", api_key="k")
    )
    settings.current = "away"
    save_settings(settings, tmp_path / "settings.json")
    app = make_app(tmp_path, settings.profiles["away"], settings=settings)
    app.settings.watch_interval = interval  # shorter than the settings allow, for the test
    return app


async def test_the_app_holding_the_lock_watches_and_names_what_it_cannot_check(
    tmp_path: Path, closed_url: str
) -> None:
    app = closed_app(tmp_path, closed_url, 60)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.inbox.watching is not None)
        watching = app.inbox.watching
        assert watching is not None and watching.watching
        await wait_until(pilot, lambda: len(app.unchecked) == 2, what="both agents named")
        assert all("refused" in why or "reach" in why.lower() for _, why in app.unchecked)
        # the header counts only the agent not on screen: the one on screen says it itself
        assert "1 agent not checked" in str(app.chat.query_one("#agent-bar").render())
        # saved settings (a token fixed): every agent is looked at again at once, not in 60 s
        watch = watching.watch
        assert watch is not None
        looks: list[str] = []
        look = watch.look

        async def counted(profile: AgentProfile) -> object:
            looks.append(profile.name)
            return await look(profile)

        watch.look = counted  # type: ignore[method-assign,assignment]
        app.inbox.settings_changed()
        await wait_until(pilot, lambda: sorted(looks) == ["away", "gone"], what="looked again")
        # another process cannot watch this store meanwhile
        assert not WatchLock(lock_path_for(app.store.path)).acquire()
    # the app let the lock go when it closed
    lock = WatchLock(lock_path_for(tmp_path / "store.db"))
    assert lock.acquire()
    lock.release()


async def test_without_the_lock_it_follows_the_store_and_takes_over_when_it_is_free(
    tmp_path: Path, closed_url: str
) -> None:
    other = WatchLock(lock_path_for(tmp_path / "store.db"))
    assert other.acquire()  # another fleet-tui watches this store
    app = closed_app(tmp_path, closed_url, 1.0)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: app.inbox.watching is not None)
            watching = app.inbox.watching
            assert watching is not None and not watching.watching
            # what the watcher stores shows here at the next interval
            agent = app.agent
            assert agent is not None
            conversation = app.store.create_conversation(agent.id, thread_id="t", title="Stored")
            app.store.set_status(conversation.id, "error")
            app.store.mark_changed(conversation.id, failure="boom")
            await wait_until(
                pilot,
                lambda: [e.kind for e in app.inbox.entries()] == ["failed"],
                what="the store read again",
            )
            other.release()  # the other process quit
            await wait_until(pilot, lambda: watching.watching, what="the watch taken over")
            await wait_until(pilot, lambda: app.unchecked, what="its first looks")
    finally:
        other.release()
