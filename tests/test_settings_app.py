"""The TUI with settings that are wrong: nothing is sent, the header and a toast say what to fix,
the settings open; a value httpx refuses or a theme that does not exist never crashes the app."""

from __future__ import annotations

import argparse
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from app_harness import SIZE, make_app, wait_until

from fleet_tui.services.launch import resolve_target
from fleet_tui.settings.config import AgentProfile, Settings, load_settings
from fleet_tui.storage.store import Store
from fleet_tui.tui.app import FleetApp
from fleet_tui.tui.screens.settings import SettingsScreen

AGENT_ID = "3f2b9c1e-7a44-4d2b-9a1e-5c6d7e8f9a0b"
PAT = "lsv2_pt_apptest0123456789abcdef0123456"
BAD_URLS = ["https://host.example.com:443x", "javascript:alert(document.cookie)"]
ENV_KEYS = ("LANGGRAPH_API_KEY", "LANGSMITH_API_KEY", "FLEET_API_URL", "FLEET_AGENT_ID")


class _Recorder(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.seen.append(self.path)  # type: ignore[attr-defined]
        self.send_response(404)
        self.end_headers()

    do_POST = do_GET

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.seen = []  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def toasts(app: FleetApp) -> str:
    return "\n".join(n.message for n in app._notifications)


def app_from_environment(tmp_path: Path) -> FleetApp:
    """What `fleet-tui` does at start: resolve without requiring completeness, then the app."""
    target = resolve_target(
        argparse.Namespace(url=None, agent_id=None, env_file=None), require_complete=False
    )
    assert target.resolved is not None
    settings, notes = load_settings(target.resolved.config_path)
    return FleetApp(
        store=Store.open(tmp_path / "store.db"),
        settings=settings,
        profile=target.profile,
        resolved=target.resolved,
        config_path=target.resolved.config_path,
        startup_notes=notes,
    )


async def test_a_profile_with_an_error_sends_nothing_and_opens_the_settings(
    tmp_path: Path, recorder: ThreadingHTTPServer
) -> None:
    port = recorder.server_address[1]
    # httpx would send this id (percent-encoded); the server would answer 404 "no such agent"
    profile = AgentProfile(
        name="t", url=f"http://127.0.0.1:{port}", agent_id=AGENT_ID + "\u200b", api_key=PAT
    )
    app = make_app(tmp_path, profile)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen), timeout=10)
        assert app.connection_state == "settings need fixing"
        assert "U+200B ZERO WIDTH SPACE at position 37" in app.connection_detail
        assert "U+200B ZERO WIDTH SPACE at position 37" in toasts(app)
        assert not app.agent_ready and app.client is None
        await pilot.pause(0.2)
    assert recorder.seen == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("url", BAD_URLS)
@pytest.mark.parametrize("source", ["environment", ".env"])
async def test_a_bad_url_from_outside_never_crashes_the_app(
    tmp_path: Path, isolated: Path, monkeypatch: pytest.MonkeyPatch, url: str, source: str
) -> None:
    values = {"FLEET_API_URL": url, "FLEET_AGENT_ID": AGENT_ID, "LANGGRAPH_API_KEY": PAT}
    if source == "environment":
        for name, value in values.items():
            monkeypatch.setenv(name, value)
    else:
        (isolated / ".env").write_text(
            "".join(f"{k}={v}\n" for k, v in values.items()), encoding="utf-8"
        )
    app = app_from_environment(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen), timeout=10)
        assert app.is_running
        assert app.connection_state == "settings need fixing"
        where = "in the environment" if source == "environment" else str(isolated / ".env")
        assert f"from FLEET_API_URL {'in ' if source == '.env' else ''}" in toasts(app)
        assert where in toasts(app)
        assert app.client is None


async def test_a_profile_that_turns_bad_before_the_client_is_built_is_told_not_crashed(
    tmp_path: Path,
) -> None:
    profile = AgentProfile(name="t", url="https://1.2.3.4", agent_id=AGENT_ID, api_key=PAT)
    app = make_app(tmp_path, profile)
    # The client is built on first use; the profile object can be edited in place before that
    # (the settings screen works on the profile in use). httpx refuses this address.
    profile.url = "https://999.1.1.1"
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.connection_state == "settings need fixing", timeout=10)
        assert "not a valid IPv4 address" in app.connection_detail
        await wait_until(pilot, lambda: "not a valid IPv4 address" in toasts(app), timeout=5)
        assert app.client is None and not app.agent_ready
        assert PAT not in toasts(app)
        # sending then says what to fix and opens the settings; it neither crashes nor sends
        app.chat.composer.focus()
        app.chat.composer.insert("hello")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "settings need fixing (ctrl+o)" in toasts(app), timeout=5)
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen), timeout=5)
        assert app.return_code in (None, 0)


async def test_a_url_with_a_password_is_refused_and_never_shown_in_a_toast(
    tmp_path: Path,
) -> None:
    profile = AgentProfile(
        name="t",
        url="https://alice:hunter2-secret@agent.us.langgraph.app",
        agent_id=AGENT_ID,
        api_key=PAT,
    )
    app = make_app(tmp_path, profile)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen), timeout=10)
        assert app.connection_state == "settings need fixing"
        assert "user name or password" in toasts(app)
        assert "hunter2" not in toasts(app) and "hunter2" not in app.connection_detail


async def test_a_saved_theme_that_does_not_exist_is_a_warning(tmp_path: Path) -> None:
    settings = Settings(theme="nonexistent")
    app = make_app(tmp_path, None, settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: "nonexistent" in toasts(app), timeout=10)
        assert "does not exist" in toasts(app)
        assert app.theme != "nonexistent"


async def test_a_saved_theme_that_exists_is_used(tmp_path: Path) -> None:
    app = make_app(tmp_path, None, settings=Settings(theme="nord"))
    async with app.run_test(size=SIZE):
        assert app.theme == "nord"
