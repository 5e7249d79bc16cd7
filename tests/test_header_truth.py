"""The header says what the last request found, and the footer offers to cancel exactly while
a run of the open conversation goes: against the real Agent Server (a proxy in front of it
plays the server going away and coming back)."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_harness import SIZE, idle, make_app, profile_for, type_and_send, wait_until
from fault_proxy import FaultProxy
from server_fixture import AgentServer
from textual.pilot import Pilot

from fleet_tui.tui.app import FleetApp
from fleet_tui.tui.screens.settings import SettingsScreen
from fleet_tui.tui.widgets.status import DEMO_MARKER, AgentBar


def header(app: FleetApp) -> str:
    return str(app.chat.query_one(AgentBar).render())


def footer_keys(app: FleetApp) -> set[str]:
    """The actions the footer shows now."""
    return {
        binding.action
        for (_, binding, enabled, _) in app.screen.active_bindings.values()
        if enabled and binding.show
    }


async def test_the_header_follows_the_server_going_away_and_coming_back(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    proxy = FaultProxy(agent_server.url)
    proxy.start()
    profile = profile_for(agent_server, "scripted")
    profile.url = proxy.url
    app = make_app(tmp_path, profile)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: app.connection_state == "connected", 20)
            assert "● connected" in header(app)
            await type_and_send(pilot, "first")
            await wait_until(pilot, lambda: idle(app), 30, "the first run")
            proxy.stop()  # the server goes away: the next request says so
            await type_and_send(pilot, "second")
            await wait_until(pilot, lambda: app.connection_state == "unreachable", 30)
            assert "✗ unreachable" in header(app) and "connected" not in header(app)
            await wait_until(pilot, lambda: idle(app), 30, "the failed run")
            back = FaultProxy(agent_server.url)
            back.port, back.url = proxy.port, proxy.url
            back.start()  # it comes back: any request that succeeds says so, no polling
            try:
                app.sync_from_server()
                await wait_until(pilot, lambda: app.connection_state == "connected", 30)
                assert "● connected" in header(app)
            finally:
                back.stop()
    finally:
        proxy.stop()


@pytest.mark.parametrize(
    ("kind", "state", "words"),
    [
        ("bad", "authentication failed", "ctrl+o: fix the token"),
        ("other", "not found", "not found — is the token the agent owner's?"),
    ],
)
async def test_a_refused_token_and_a_non_owner_token_are_named(
    agent_server: AgentServer, tmp_path: Path, kind: str, state: str, words: str
) -> None:
    key = "fake-pat-wrong-0000000000" if kind == "bad" else agent_server.other_key
    app = make_app(tmp_path, profile_for(agent_server, "scripted", key=key))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.connection_state == state, 20)
        assert words in header(app) and "offline" not in header(app)
        if kind == "bad":
            # the toast says where to fix it, and ctrl+o opens the settings in the token field
            assert any("ctrl+o" in str(n.message) for n in app._notifications)
            await pilot.press("ctrl+o")
            await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
            await pilot.pause(0.1)
            assert app.focused is not None and app.focused.id == "input-api_key"


async def test_the_header_recovers_when_the_token_is_fixed(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    app = make_app(tmp_path, profile_for(agent_server, "scripted", key=agent_server.other_key))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.connection_state == "not found", 20)
        client = app.client
        assert client is not None
        # the same client, a request that succeeds (as after the owner shared the agent)
        client._http.headers["X-Api-Key"] = agent_server.owner_key
        await type_and_send(pilot, "hello")
        await wait_until(pilot, lambda: app.connection_state == "connected", 20)
        assert "● connected" in header(app)


async def test_the_demo_marker_stays_in_the_header(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    app = make_app(tmp_path, profile_for(agent_server, "scripted"))
    app.demo = True
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.connection_state == "connected", 20)
        assert DEMO_MARKER in header(app)
        await type_and_send(pilot, "hello")
        await wait_until(pilot, lambda: idle(app), 30)
        assert DEMO_MARKER in header(app)


async def _until_cancel_shown(pilot: Pilot[object], app: FleetApp, shown: bool) -> None:
    await wait_until(
        pilot, lambda: ("cancel_run" in footer_keys(app)) == shown, 20, f"cancel shown={shown}"
    )


async def test_the_footer_offers_cancel_exactly_while_a_run_goes(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    app = make_app(tmp_path, profile_for(agent_server, "slow"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.connection_state == "connected", 20)
        assert "cancel_run" not in footer_keys(app)  # an empty new conversation
        await type_and_send(pilot, "a fresh conversation")
        await _until_cancel_shown(pilot, app, True)  # while the reply streams
        assert app.chat.run_going
        await wait_until(pilot, lambda: idle(app), 60, "the run")
        await _until_cancel_shown(pilot, app, False)
        first = app.chat.current
        assert first is not None
        await type_and_send(pilot, "again")
        await _until_cancel_shown(pilot, app, True)
        await pilot.press("ctrl+n")  # a new conversation while that one still runs
        await _until_cancel_shown(pilot, app, False)
        app.chat.open_conversation(first.id)
        await _until_cancel_shown(pilot, app, True)
        await wait_until(pilot, lambda: idle(app), 60, "the second run")
        await _until_cancel_shown(pilot, app, False)


async def test_the_footer_drops_cancel_after_a_resumed_run(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    app = make_app(tmp_path, profile_for(agent_server, "hitl_per_call"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.connection_state == "connected", 20)
        await type_and_send(pilot, "please send the report")
        await wait_until(pilot, lambda: idle(app) and bool(app.chat.current.interrupts), 30)  # type: ignore[union-attr]
        await _until_cancel_shown(pilot, app, False)
        state = app.chat.current
        assert state is not None
        (iid,) = state.interrupts
        if not isinstance(app.screen, SettingsScreen) and app.screen is not app.chat:
            app.screen.dismiss(None)  # the review the app opened: answered here instead
        assert app.chat.service.answer(state.id, {iid: {"type": "approve"}}) == []
        await wait_until(pilot, lambda: idle(app) and not state.answering, 30, "the resume")
        await _until_cancel_shown(pilot, app, False)
        await pilot.press("ctrl+n")
        await _until_cancel_shown(pilot, app, False)
