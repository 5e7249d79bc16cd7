"""The app against tests/hostile_server.py: what the user sees when a server misbehaves."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from app_harness import SIZE, assistant_texts, idle, make_app, type_and_send, wait_until
from hostile_server import AGENT_ID, HostileServer

from fleet_tui.agent_server import client as client_module
from fleet_tui.domain.transcript import ErrorItem
from fleet_tui.settings.config import AgentProfile
from fleet_tui.tui.app import FleetApp
from fleet_tui.tui.widgets.status import AgentBar, RunStatus

KEY = "fake-pat-hostile-app-5555555555"


def hostile_app(tmp_path: Path, server: HostileServer, behaviour: str) -> FleetApp:
    profile = AgentProfile(
        name="hostile", url=server.url(behaviour), agent_id=AGENT_ID, api_key=KEY
    )
    return make_app(tmp_path, profile)


def shown(widget: AgentBar | RunStatus) -> str:
    return str(widget.render())


async def test_a_silent_stream_is_said_in_the_status_line_and_escape_still_cancels(
    hostile_server: HostileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_module, "QUIET_AFTER", 0.3)
    app = hostile_app(tmp_path, hostile_server, "silent")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.connection_state == "connected", 10)
        await type_and_send(pilot, "hello?")
        status = app.chat.query_one(RunStatus)
        await wait_until(pilot, lambda: "no data for" in shown(status), 10, "the silence notice")
        first = shown(status)
        await wait_until(pilot, lambda: shown(status) != first and "no data for" in shown(status))
        assert "running" in shown(status) and "escape cancels" in shown(status)
        items = app.chat.pane.transcript.items
        assert assistant_texts(items) == ["Hello from"]  # the run keeps going, its text kept
        await pilot.press("escape")
        await wait_until(pilot, lambda: idle(app), 10, "the run to end")
        await wait_until(pilot, lambda: "running" not in shown(status), 5)
        assert "no data" not in shown(status)
        assert assistant_texts(app.chat.pane.transcript.items) == ["Hello from"]
        assert any(
            r.method == "POST" and r.path.partition("?")[0].endswith("/cancel")
            for r in hostile_server.requests
        )


async def test_a_wait_the_server_asks_for_is_capped_and_shown_in_the_header(
    hostile_server: HostileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_module, "MAX_RETRY_WAIT", 1.5)
    app = hostile_app(tmp_path, hostile_server, "retry-after")
    async with app.run_test(size=SIZE) as pilot:
        bar = app.chat.query_one(AgentBar)
        await wait_until(pilot, lambda: "asked to wait" in shown(bar), 10, "the wait notice")
        text = shown(bar)
        assert "checking" in text
        assert re.search(r"the server asked to wait 27 h 46 min · retrying in [012] s, at \d", text)
        # a minute at most in all, then the error says what the server asked
        await wait_until(pilot, lambda: app.connection_state == "server error", 10)
        await pilot.pause(1.2)
        assert "asked to wait" not in shown(bar)
        assert "Rate limited" in app.connection_detail and "27 h 46 min" in app.connection_detail


async def test_a_gzip_lie_is_an_error_in_words_not_a_dead_worker(
    hostile_server: HostileServer, tmp_path: Path
) -> None:
    app = hostile_app(tmp_path, hostile_server, "gzip-lie")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.connection_state == "server error", 10)
        assert "Content-Encoding" in app.connection_detail
        assert app.is_running


async def test_an_event_over_the_limit_ends_the_run_and_keeps_the_reply(
    hostile_server: HostileServer, tmp_path: Path
) -> None:
    app = hostile_app(tmp_path, hostile_server, "big-event")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.connection_state == "connected", 10)
        await type_and_send(pilot, "everything, please")
        await wait_until(pilot, lambda: idle(app), 60, "the run to end")
        items = app.chat.pane.transcript.items
        assert assistant_texts(items) == ["Hello from"]
        errors = [i for i in items if isinstance(i, ErrorItem)]
        assert [e.title for e in errors] == ["The server sent an event too large to read"]
        assert "16 MB" in errors[0].message
        assert app.is_running


async def test_a_lone_surrogate_is_shown_as_a_replacement_character(
    hostile_server: HostileServer, tmp_path: Path
) -> None:
    app = hostile_app(tmp_path, hostile_server, "surrogate")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.connection_state == "connected", 10)
        await type_and_send(pilot, "say it")
        await wait_until(pilot, lambda: idle(app), 20, "the run to end")
        drawn = "\n".join(app.chat.pane.line_texts())
        assert "bad \ufffd char" in drawn
        app.export_screenshot()  # the whole screen can be encoded


async def test_the_header_and_status_line_mask_a_token_a_server_echoes(
    hostile_server: HostileServer, tmp_path: Path
) -> None:
    app = hostile_app(tmp_path, hostile_server, "echo-headers")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.connection_state == "server error", 10)
        # the detail shown is cut before the echoed headers get to the token: say it whole
        bar, status = app.chat.query_one(AgentBar), app.chat.query_one(RunStatus)
        bar.show("agent", "http://127.0.0.1", "server error", f"you sent {{'x-api-key': '{KEY}'}}")
        status.show_running(1.0, f"tool {KEY}", 0)
        # read at once: with no run going, the status line's next refresh shows the idle line
        for widget in (bar, status):
            assert KEY not in shown(widget) and f"****{KEY[-4:]}" in shown(widget)
