"""Pilot tests of the settings screen, the confirm dialogs and the help screen.

Each test runs a small host app that pushes the screen under test, with the screens' stylesheet.
Settings files go to tmp_path only; XDG_CONFIG_HOME points there too, so a bug that ignored
`config_path` could not touch the real user directory.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import socket
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Input, OptionList, Static

from fleet_tui.agent_server.client import FleetClient, FleetError
from fleet_tui.settings.config import AgentProfile, Settings
from fleet_tui.tui.screens.confirm import ConfirmResult, ConfirmScreen
from fleet_tui.tui.screens.help import HelpScreen
from fleet_tui.tui.screens.settings import SettingsScreen, SnippetArea

TCSS = Path(__file__).resolve().parent.parent / "fleet_tui" / "tui" / "fleet.tcss"
SIZE = (120, 40)
FAKE_PAT = "fake-pat-settings-test-0000"
FAKE_PAT_2 = "fake-pat-settings-test-1111"
AGENT_ID = "0b5d3c1e-2f4a-4b6c-8d9e-0123456789ab"
AGENT_URL = "https://my-agent-0000.us.langgraph.app"

CURL_SNIPPET = (
    "curl --request POST \\\n"
    f'  --url "{AGENT_URL}/runs/stream" \\\n'
    "  --header 'Content-Type: application/json' \\\n"
    f"  --header 'X-Api-Key: {FAKE_PAT}' \\\n"
    "  --header 'X-Auth-Scheme: langsmith-api-key' \\\n"
    f'  --data \'{{ "assistant_id": "{AGENT_ID}", "input": {{ "messages": [ {{ "role": '
    '"user", "content": "What can you help me with?" } ] }, "stream_mode": [ "updates" ] }\''
)
PYTHON_SNIPPET = (
    "import os\n"
    "from dotenv import load_dotenv\n"
    "from langgraph_sdk.client import get_client\n"
    "load_dotenv()\n"
    f'agent_id = "{AGENT_ID}"\n'
    'api_key = os.getenv("LANGGRAPH_API_KEY")\n'
    f'api_url = "{AGENT_URL}"\n'
    "client = get_client(\n"
    "    url=api_url,\n"
    "    api_key=api_key,\n"
    '    headers={"X-Auth-Scheme": "langsmith-api-key"},\n'
    ")\n"
)


@pytest.fixture(autouse=True)
def _private_config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    for name in ("LANGGRAPH_API_KEY", "LANGSMITH_API_KEY", "FLEET_API_URL", "FLEET_AGENT_ID"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return tmp_path / "cfg" / "settings.json"


_NOT_DISMISSED = object()


class Host(App[None]):
    CSS_PATH = TCSS

    def __init__(self, screen: Screen[Any]) -> None:
        super().__init__()
        self.under_test = screen
        self.result: Any = _NOT_DISMISSED

    def on_mount(self) -> None:
        self.push_screen(self.under_test, self._done)

    def _done(self, result: Any) -> None:
        self.result = result


def settings_with(*profiles: AgentProfile, current: str | None = None) -> Settings:
    settings = Settings()
    for profile in profiles:
        settings.replace_profile(profile)
    if current:
        settings.current = current
    return settings


def profile(name: str = "work", **kw: Any) -> AgentProfile:
    values: dict[str, Any] = {"url": AGENT_URL, "agent_id": AGENT_ID, "api_key": FAKE_PAT}
    values.update(kw)
    return AgentProfile(name=name, **values)


def settings_screen(app: App[Any]) -> SettingsScreen:
    assert isinstance(app.screen, SettingsScreen)
    return app.screen


def field(app: App[Any], name: str) -> Input:
    return app.screen.query_one(f"#input-{name}", Input)


def text_of(app: App[Any], widget_id: str) -> str:
    widget = app.screen.query_one(f"#{widget_id}", Static)
    if not widget.display:
        return ""
    content = widget.content
    return content.plain if isinstance(content, Content) else str(content)


_SVG_TEXT = re.compile(
    r'<text [^>]*x="([\d.]+)" y="[\d.]+" textLength="[\d.]+" '
    r'clip-path="url\(#terminal-\d+-line-(\d+)\)">(.*?)</text>'
)


def screen_text(app: App[Any]) -> str:
    """The exported screenshot, plus its text laid out as on screen (the SVG splits lines
    into runs of one style, so a secret could straddle two elements)."""
    svg = app.export_screenshot()
    rows: dict[int, list[str]] = {}
    for match in _SVG_TEXT.finditer(svg):
        col = round(float(match.group(1)) / 12.2)
        row = rows.setdefault(int(match.group(2)), [" "] * (SIZE[0] + 1))
        for offset, char in enumerate(html.unescape(match.group(3)).replace("\xa0", " ")):
            if col + offset < len(row):
                row[col + offset] = char
    text = "\n".join("".join(rows[k]).rstrip() for k in sorted(rows))
    return svg + "\n" + text


async def fill(pilot: Any, **values: str) -> None:
    for name, value in values.items():
        field(pilot.app, name).value = value
    await pilot.pause()


# ---------------------------------------------------------------------------- save / cancel


async def test_first_run_save_writes_private_file(config_path: Path) -> None:
    app = Host(SettingsScreen(Settings(), config_path=config_path))
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, SettingsScreen)
        # First run: the snippet box has focus, ready for a paste.
        assert isinstance(app.focused, SnippetArea)
        assert field(app, "name").value == "default"
        assert field(app, "auth_scheme").value == "langsmith-api-key"
        await fill(pilot, url=AGENT_URL + "/", agent_id=AGENT_ID, api_key=FAKE_PAT)
        await pilot.press("ctrl+s")
        await pilot.pause()

    assert isinstance(app.result, Settings)
    assert app.result.current == "default"
    assert stat.S_IMODE(config_path.stat().st_mode) == 0o600
    data = json.loads(config_path.read_text())
    saved = data["profiles"]["default"]
    assert data["current"] == "default"
    assert saved["url"] == AGENT_URL  # normalised: no trailing slash
    assert saved["agent_id"] == AGENT_ID
    assert saved["api_key"] == FAKE_PAT
    assert saved["auth_scheme"] == "langsmith-api-key"
    assert saved["allow_insecure_http"] is False
    assert not (Path(config_path.parent.parent) / "xdg").exists()


async def test_custom_header_saved(config_path: Path) -> None:
    app = Host(SettingsScreen(settings_with(profile()), config_path=config_path))
    async with app.run_test(size=SIZE) as pilot:
        await fill(pilot, custom_header_name="X-User-Token", custom_header_value="user-tok-9999")
        await pilot.press("ctrl+s")
        await pilot.pause()
    saved = json.loads(config_path.read_text())["profiles"]["work"]
    assert saved["custom_header_name"] == "X-User-Token"
    assert saved["custom_header_value"] == "user-tok-9999"


async def test_cancel_writes_nothing(config_path: Path) -> None:
    original = settings_with(profile())
    app = Host(SettingsScreen(original, config_path=config_path))
    async with app.run_test(size=SIZE) as pilot:
        await fill(pilot, url="https://elsewhere.example.com", agent_id="changed")
        await pilot.press("escape")
        await pilot.pause()
    assert app.result is None
    assert not config_path.exists()
    assert original.profiles["work"].url == AGENT_URL  # the caller's object is untouched


async def test_cancel_button(config_path: Path) -> None:
    app = Host(SettingsScreen(settings_with(profile()), config_path=config_path))
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one("#cancel", Button).press()
        await pilot.pause()
    assert app.result is None
    assert not config_path.exists()


async def test_env_provided_pat_is_not_copied(config_path: Path) -> None:
    # The app passes the effective profile; its PAT came from the environment.
    effective = AgentProfile(name="work", url=AGENT_URL, agent_id=AGENT_ID, api_key=FAKE_PAT)
    effective._overlaid = {"api_key": (FAKE_PAT, None)}
    app = Host(
        SettingsScreen(
            settings_with(effective),
            config_path=config_path,
            env_sources={"api_key": "environment"},
        )
    )
    async with app.run_test(size=SIZE) as pilot:
        note = text_of(app, "source-api_key")
        assert "LANGGRAPH_API_KEY" in note and "(environment)" in note
        assert "won't copy it" in note
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert json.loads(config_path.read_text())["profiles"]["work"]["api_key"] is None
    assert app.result.profiles["work"].api_key == FAKE_PAT


async def test_flag_and_first_run_source_notes(config_path: Path) -> None:
    app = Host(
        SettingsScreen(
            Settings(), config_path=config_path, env_sources={"url": "flag", "agent_id": ".env"}
        )
    )
    async with app.run_test(size=SIZE):
        assert "--url command-line flag" in text_of(app, "source-url")
        assert "FLEET_AGENT_ID (.env)" in text_of(app, "source-agent_id")
        assert text_of(app, "source-api_key") == ""


# ---------------------------------------------------------------------------- snippet


async def test_paste_curl_snippet_fills_fields(config_path: Path) -> None:
    app = Host(SettingsScreen(Settings(), config_path=config_path))
    async with app.run_test(size=SIZE) as pilot:
        area = app.screen.query_one("#snippet", SnippetArea)
        area.post_message(events.Paste(CURL_SNIPPET))
        await pilot.pause()
        assert field(app, "url").value == AGENT_URL
        assert field(app, "agent_id").value == AGENT_ID
        assert field(app, "api_key").value == FAKE_PAT
        assert area.text == ""  # never shown in clear text
        assert "Personal Access Token" in text_of(app, "snippet-status")
        assert FAKE_PAT not in screen_text(app)


async def test_paste_python_snippet_fills_url_and_id(config_path: Path) -> None:
    app = Host(SettingsScreen(settings_with(profile(api_key=None)), config_path=config_path))
    async with app.run_test(size=SIZE) as pilot:
        await fill(pilot, url="", agent_id="")
        area = app.screen.query_one("#snippet", SnippetArea)
        area.post_message(events.Paste(PYTHON_SNIPPET))
        await pilot.pause()
        assert field(app, "url").value == AGENT_URL
        assert field(app, "agent_id").value == AGENT_ID
        assert field(app, "api_key").value == ""  # os.getenv(...) is not a token
        assert "no token" in text_of(app, "snippet-status")


async def test_typed_snippet_and_fill_button(config_path: Path) -> None:
    app = Host(SettingsScreen(Settings(), config_path=config_path))
    async with app.run_test(size=SIZE) as pilot:
        area = app.screen.query_one("#snippet", SnippetArea)
        area.load_text(PYTHON_SNIPPET.replace(AGENT_URL, "https://typed.us.langgraph.app"))
        await pilot.click("#fill-snippet")
        await pilot.pause()
        assert field(app, "url").value == "https://typed.us.langgraph.app"
        assert field(app, "agent_id").value == AGENT_ID


async def test_garbage_snippet_shows_error(config_path: Path) -> None:
    app = Host(SettingsScreen(Settings(), config_path=config_path))
    async with app.run_test(size=SIZE) as pilot:
        area = app.screen.query_one("#snippet", SnippetArea)
        area.post_message(events.Paste("hello, this is not code"))
        await pilot.pause()
        assert "no agent id found" in text_of(app, "snippet-status")
        assert app.screen.query_one("#snippet-status").has_class("-error")
        assert area.text == "hello, this is not code"  # kept so the user can fix it
        assert field(app, "agent_id").value == ""


async def test_placeholder_snippet_warns(config_path: Path) -> None:
    app = Host(SettingsScreen(Settings(), config_path=config_path))
    async with app.run_test(size=SIZE) as pilot:
        doc_sample = (
            'agent_id = "your-agent-id"\napi_url = "<AGENT-BUILDER-URL>.us.langgraph.app"\n'
        )
        app.screen.query_one("#snippet", SnippetArea).post_message(events.Paste(doc_sample))
        await pilot.pause()
        assert "placeholders" in text_of(app, "snippet-status")
        assert "placeholder" in text_of(app, "msg-url")


# ---------------------------------------------------------------------------- secrets


async def test_pat_masked_until_revealed(config_path: Path) -> None:
    work = profile(custom_header_name="X-User-Token", custom_header_value="hdr-secret-7777")
    app = Host(SettingsScreen(settings_with(work), config_path=config_path))
    async with app.run_test(size=SIZE) as pilot:
        assert field(app, "api_key").password
        shot = screen_text(app)
        assert FAKE_PAT not in shot and "hdr-secret-7777" not in shot
        await pilot.press("ctrl+r")
        await pilot.pause()
        shot = screen_text(app)
        assert FAKE_PAT in shot and "hdr-secret-7777" in shot
        assert str(app.screen.query_one("#reveal", Button).label) == "Hide"
        await pilot.click("#reveal")
        await pilot.pause()
        assert FAKE_PAT not in screen_text(app)


async def test_reveal_starts_off_each_time(config_path: Path) -> None:
    settings = settings_with(profile())
    app = Host(SettingsScreen(settings, config_path=config_path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+r")
        await pilot.press("escape")
        await pilot.pause()
        app.push_screen(SettingsScreen(settings, config_path=config_path))
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        assert field(app, "api_key").password
        assert FAKE_PAT not in screen_text(app)


async def test_pat_not_in_worker_description(config_path: Path) -> None:
    release = asyncio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        await release.wait()
        return httpx.Response(401)

    app = Host(
        SettingsScreen(
            settings_with(profile()), config_path=config_path, client_factory=mock_factory(slow)
        )
    )
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+t")
        await pilot.pause()
        workers = [w for w in app.workers if w.group == "test-connection"]
        assert len(workers) == 1
        assert FAKE_PAT not in repr(workers[0]) and FAKE_PAT not in workers[0].description
        assert "Testing connection" in text_of(app, "test-status")
        assert app.screen.query_one("#test-connection", Button).disabled
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Authentication failed" in text_of(app, "test-status")
        assert FAKE_PAT not in screen_text(app)


async def test_cancel_while_testing(config_path: Path) -> None:
    closed: list[bool] = []

    async def never(request: httpx.Request) -> httpx.Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    class TrackedClient(FleetClient):
        async def aclose(self) -> None:
            closed.append(True)
            await super().aclose()

    def factory(url: str, agent_id: str, api_key: str | None, **kw: Any) -> FleetClient:
        return TrackedClient(url, agent_id, api_key, transport=httpx.MockTransport(never), **kw)

    app = Host(
        SettingsScreen(settings_with(profile()), config_path=config_path, client_factory=factory)
    )
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+t")
        await pilot.pause()
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert app.result is None
    assert closed == [True]


# ---------------------------------------------------------------------------- validation


async def test_errors_block_saving(config_path: Path) -> None:
    app = Host(SettingsScreen(settings_with(profile()), config_path=config_path))
    async with app.run_test(size=SIZE) as pilot:
        await fill(pilot, url="ftp://example.com", agent_id="")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.result is _NOT_DISMISSED
        assert "https://" in text_of(app, "msg-url")
        assert "agent id is empty" in text_of(app, "msg-agent_id")
        assert field(app, "url").has_class("-invalid")
        assert "Not saved" in text_of(app, "general-message")
        assert app.focused is field(app, "url")
    assert not config_path.exists()


async def test_empty_field_errors_wait_for_save(config_path: Path) -> None:
    app = Host(SettingsScreen(Settings(), config_path=config_path))
    async with app.run_test(size=SIZE) as pilot:
        assert text_of(app, "msg-url") == ""
        assert text_of(app, "msg-agent_id") == ""
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "empty" in text_of(app, "msg-url")
    assert not config_path.exists()


async def test_warning_shown_but_saving_allowed(config_path: Path) -> None:
    app = Host(SettingsScreen(settings_with(profile()), config_path=config_path))
    async with app.run_test(size=SIZE) as pilot:
        await fill(pilot, agent_id="my-graph")
        assert "not a UUID" in text_of(app, "msg-agent_id")
        assert app.screen.query_one("#msg-agent_id").has_class("-warning")
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert app.result is not _NOT_DISMISSED and app.result is not None
    assert json.loads(config_path.read_text())["profiles"]["work"]["agent_id"] == "my-graph"


async def test_duplicate_name_is_an_error(config_path: Path) -> None:
    settings = settings_with(profile("work"), profile("home"), current="work")
    app = Host(SettingsScreen(settings, config_path=config_path))
    async with app.run_test(size=SIZE) as pilot:
        await fill(pilot, name="home")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "already saved" in text_of(app, "msg-name")
    assert not config_path.exists()


async def test_rename_profile(config_path: Path) -> None:
    app = Host(SettingsScreen(settings_with(profile("work")), config_path=config_path))
    async with app.run_test(size=SIZE) as pilot:
        await fill(pilot, name="office")
        await pilot.press("ctrl+s")
        await pilot.pause()
    data = json.loads(config_path.read_text())
    assert list(data["profiles"]) == ["office"] and data["current"] == "office"


# ---------------------------------------------------------------------------- plain http


INSECURE_URL = "http://10.1.2.3:8000"


async def test_plain_http_needs_confirmation(config_path: Path) -> None:
    app = Host(SettingsScreen(settings_with(profile()), config_path=config_path))
    async with app.run_test(size=SIZE) as pilot:
        await fill(pilot, url=INSECURE_URL)
        assert "unencrypted" in text_of(app, "msg-url")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        # The safe answer has focus: enter alone must not send the token in clear text.
        assert app.focused is app.screen.query_one("#confirm-no")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        assert not config_path.exists()
        assert "Not confirmed" in text_of(app, "general-message")

        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.click("#confirm-yes")
        await pilot.pause()
    saved = json.loads(config_path.read_text())["profiles"]["work"]
    assert saved["url"] == INSECURE_URL
    assert saved["allow_insecure_http"] is True
    assert app.result.profiles["work"].allow_insecure_http is True


async def test_loopback_http_needs_no_confirmation(config_path: Path) -> None:
    app = Host(SettingsScreen(settings_with(profile()), config_path=config_path))
    async with app.run_test(size=SIZE) as pilot:
        await fill(pilot, url="http://127.0.0.1:2024")
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert json.loads(config_path.read_text())["profiles"]["work"]["allow_insecure_http"] is False


async def test_changing_url_revokes_insecure_confirmation(config_path: Path) -> None:
    confirmed = profile(url=INSECURE_URL, allow_insecure_http=True)
    app = Host(SettingsScreen(settings_with(confirmed), config_path=config_path))
    async with app.run_test(size=SIZE) as pilot:
        assert text_of(app, "msg-url") == ""
        await fill(pilot, url="http://10.9.9.9:8000")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)


# ---------------------------------------------------------------------------- saved agents


async def test_saved_agents_switch_edit_add_remove(config_path: Path) -> None:
    settings = settings_with(
        profile("work"),
        profile("home", url="https://home.us.langgraph.app", api_key=FAKE_PAT_2),
        current="work",
    )
    app = Host(SettingsScreen(settings, config_path=config_path))
    async with app.run_test(size=SIZE) as pilot:
        option_list = app.screen.query_one("#agent-list", OptionList)
        prompts = [str(option_list.get_option_at_index(i).prompt) for i in range(2)]
        assert "work" in prompts[0] and "current" in prompts[0]
        assert "home" in prompts[1] and "current" not in prompts[1]

        # Edit "work" without saving, then switch to "home" with the keyboard.
        await fill(pilot, agent_id="edited-work-id")
        option_list.focus()
        await pilot.press("down", "enter")
        await pilot.pause()
        assert field(app, "name").value == "home"
        assert field(app, "url").value == "https://home.us.langgraph.app"
        assert FAKE_PAT_2 not in screen_text(app)

        # A new agent, then remove it again (with confirmation).
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert field(app, "name").value == "agent-3"
        assert option_list.option_count == 3
        await pilot.click("#remove-agent")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.click("#confirm-yes")
        await pilot.pause()
        assert option_list.option_count == 2

        # Remove "work", cancelling once first.
        option_list.focus()
        option_list.highlighted = 0
        await pilot.press("delete")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert option_list.option_count == 2
        await pilot.press("delete")
        await pilot.pause()
        await pilot.click("#confirm-yes")
        await pilot.pause()
        assert option_list.option_count == 1
        assert field(app, "name").value == "home"

        await pilot.press("ctrl+s")
        await pilot.pause()
    data = json.loads(config_path.read_text())
    assert list(data["profiles"]) == ["home"]
    assert data["current"] == "home"
    assert app.result.current == "home"


async def test_switch_keeps_unsaved_edits_and_makes_current(config_path: Path) -> None:
    settings = settings_with(profile("work"), profile("home"), current="work")
    app = Host(SettingsScreen(settings, config_path=config_path))
    async with app.run_test(size=SIZE) as pilot:
        await fill(pilot, agent_id="edited-work-id")
        settings_screen(app).switch_to("home")
        await pilot.pause()
        await fill(pilot, agent_id="edited-home-id")
        settings_screen(app).switch_to("work")
        await pilot.pause()
        assert field(app, "agent_id").value == "edited-work-id"
        settings_screen(app).switch_to("home")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
    data = json.loads(config_path.read_text())
    assert data["current"] == "home"
    assert data["profiles"]["work"]["agent_id"] == "edited-work-id"
    assert data["profiles"]["home"]["agent_id"] == "edited-home-id"


async def test_unfilled_new_agent_is_dropped(config_path: Path) -> None:
    app = Host(SettingsScreen(settings_with(profile("work")), config_path=config_path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+n")
        await pilot.pause()
        settings_screen(app).switch_to("work")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert list(json.loads(config_path.read_text())["profiles"]) == ["work"]


async def test_removing_last_agent_leaves_an_empty_form(config_path: Path) -> None:
    app = Host(SettingsScreen(settings_with(profile("work")), config_path=config_path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#remove-agent")
        await pilot.pause()
        await pilot.click("#confirm-yes")
        await pilot.pause()
        assert field(app, "name").value == "default"
        assert field(app, "url").value == ""
        await pilot.press("escape")
        await pilot.pause()
    assert not config_path.exists()


# ---------------------------------------------------------------------------- test connection


def mock_factory(handler: Any, seen: list[httpx.Request] | None = None) -> Any:
    def record(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return handler(request)

    def factory(url: str, agent_id: str, api_key: str | None, **kw: Any) -> FleetClient:
        return FleetClient(
            url, agent_id, api_key, transport=httpx.MockTransport(record), read_retries=0, **kw
        )

    return factory


async def run_connection_test(config_path: Path, factory: Any, **form: str) -> tuple[str, str]:
    app = Host(
        SettingsScreen(settings_with(profile()), config_path=config_path, client_factory=factory)
    )
    async with app.run_test(size=SIZE) as pilot:
        if form:
            await fill(pilot, **form)
        await pilot.click("#test-connection")
        await app.screen.workers.wait_for_complete()
        await pilot.pause()
        status = app.screen.query_one("#test-status", Static)
        classes = " ".join(sorted(c for c in status.classes if c.startswith("-")))
        text = text_of(app, "test-status")
        assert FAKE_PAT not in screen_text(app)
        assert not app.screen.query_one("#test-connection", Button).disabled
    return text, classes


async def test_connection_success_shows_agent_name(config_path: Path) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json={"assistant_id": AGENT_ID, "graph_id": "agent", "name": "Inbox helper"}
        )

    text, classes = await run_connection_test(
        config_path,
        mock_factory(handler, seen),
        custom_header_name="X-User-Token",
        custom_header_value="user-tok-9999",
    )
    assert text == "✓ Connected: Inbox helper (graph agent)"
    assert classes == "-success"
    (request,) = seen
    assert request.url.path == f"/assistants/{AGENT_ID}"
    assert request.headers["x-api-key"] == FAKE_PAT
    assert request.headers["x-auth-scheme"] == "langsmith-api-key"
    assert request.headers["x-user-token"] == "user-tok-9999"
    assert not config_path.exists()  # testing never saves


async def test_connection_401(config_path: Path) -> None:
    handler = lambda r: httpx.Response(401, json={"detail": "Invalid token"})  # noqa: E731
    text, classes = await run_connection_test(config_path, mock_factory(handler))
    assert text.startswith("✗ Authentication failed (401)")
    assert "check the Personal Access Token" in text
    assert classes == "-error"


async def test_connection_404_owner_hint(config_path: Path) -> None:
    handler = lambda r: httpx.Response(404, json={"detail": "Not Found"})  # noqa: E731
    text, classes = await run_connection_test(config_path, mock_factory(handler))
    assert "Not found (404)" in text
    assert "not tied to the owner of this agent" in text
    assert classes == "-error"


async def test_connection_422_detail(config_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json={"detail": "assistant_id: value is not a valid uuid"})

    text, classes = await run_connection_test(config_path, mock_factory(handler))
    assert "(422)" in text and "assistant_id: value is not a valid uuid" in text
    assert classes == "-error"


async def test_connection_error_text_is_not_markup(config_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json={"detail": "[bold red]boom[/] \x1b]0;pwned\x07"})

    text, _ = await run_connection_test(config_path, mock_factory(handler))
    assert "[bold red]boom[/]" in text
    assert "\x1b" not in text and "\x07" not in text


def closed_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_connection_refused(config_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_loopback_port()}"

    def factory(url: str, agent_id: str, api_key: str | None, **kw: Any) -> FleetClient:
        return FleetClient(url, agent_id, api_key, read_retries=0, **kw)

    # The screen must show the client's own wording, whatever it is.
    async with factory(url, AGENT_ID, FAKE_PAT) as client:
        with pytest.raises(FleetError) as caught:
            await client.check_connection()
    text, classes = await run_connection_test(config_path, factory, url=url)
    assert text == f"✗ {caught.value}"
    assert text.startswith(f"✗ Cannot reach {url}")
    assert classes == "-error"


async def test_connection_test_refuses_invalid_form(config_path: Path) -> None:
    seen: list[httpx.Request] = []
    factory = mock_factory(lambda r: httpx.Response(200, json={}), seen)
    text, _ = await run_connection_test(config_path, factory, agent_id="")
    assert "Fix the errors" in text
    assert seen == []


# ---------------------------------------------------------------------------- dialogs


class Blank(Screen[None]):
    BINDINGS = [Binding("ctrl+y", "noop", "Do nothing in particular")]

    def compose(self) -> ComposeResult:
        yield Static("underneath")

    def action_noop(self) -> None:
        pass


class DialogHost(App[None]):
    CSS_PATH = TCSS
    BINDINGS = [Binding("ctrl+g", "noop", "App-wide thing")]

    def __init__(self) -> None:
        super().__init__()
        self.results: list[Any] = []

    def on_mount(self) -> None:
        self.push_screen(Blank())

    def action_noop(self) -> None:
        pass


async def test_confirm_screen_yes_and_no() -> None:
    app = DialogHost()
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(
            ConfirmScreen("Proceed?", "Do the [b]thing[/b]?", confirm_label="Do it"),
            app.results.append,
        )
        await pilot.pause()
        assert "Do the [b]thing[/b]?" in screen_text(app)  # data, not markup
        await pilot.press("enter")  # the confirm button has focus when not dangerous
        await pilot.pause()
        app.push_screen(ConfirmScreen("Proceed?", "Again?"), app.results.append)
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [True, False]


async def test_confirm_with_checkbox() -> None:
    app = DialogHost()
    async with app.run_test(size=SIZE) as pilot:

        def ask() -> ConfirmScreen:
            return ConfirmScreen(
                "Delete conversation?",
                "Delete “Trip plans” from this computer?",
                checkbox_label="also delete the thread on the server",
                confirm_label="Delete",
                danger=True,
            )

        app.push_screen(ask(), app.results.append)
        await pilot.pause()
        assert app.screen.query_one("#confirm-checkbox", Checkbox).value is False
        assert app.focused is app.screen.query_one("#confirm-no")
        await pilot.click("#confirm-checkbox")
        await pilot.click("#confirm-yes")
        await pilot.pause()

        app.push_screen(ask(), app.results.append)
        await pilot.pause()
        await pilot.click("#confirm-yes")
        await pilot.pause()

        app.push_screen(ask(), app.results.append)
        await pilot.pause()
        await pilot.click("#confirm-checkbox")
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [
        ConfirmResult(True, True),
        ConfirmResult(True, False),
        ConfirmResult(False, False),  # a ticked box means nothing when cancelled
    ]
    confirmed, checked = app.results[0]
    assert confirmed and checked
    assert [bool(r) for r in app.results] == [True, True, False]


async def test_help_lists_fixed_and_active_bindings() -> None:
    app = DialogHost()
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(HelpScreen(), app.results.append)
        await pilot.pause()
        shot = screen_text(app)
        assert "Command palette" in shot and "Everywhere" in shot
        assert "Do nothing in particular" in shot  # the screen below
        assert "App-wide thing" in shot  # the app
        assert "Close help" in shot  # footer
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, Blank)
        app.push_screen(HelpScreen(), app.results.append)
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, Blank)
    assert app.results == [None, None]


async def test_help_over_settings_lists_settings_keys(config_path: Path) -> None:
    app = Host(SettingsScreen(settings_with(profile()), config_path=config_path))
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(HelpScreen())
        await pilot.pause()
        shot = screen_text(app)
        for description in ("Save", "Reveal secrets", "Test connection", "New agent"):
            assert description in shot
        assert FAKE_PAT not in shot


async def test_settings_footer_shows_bindings(config_path: Path) -> None:
    app = Host(SettingsScreen(settings_with(profile()), config_path=config_path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        footer_line = screen_text(app)
        for description in ("Save", "Cancel", "Reveal secrets", "Test connection", "New agent"):
            assert description in footer_line
        for binding in SettingsScreen.BINDINGS:
            assert isinstance(binding, Binding) and binding.description


async def test_every_button_reachable_by_tab(config_path: Path) -> None:
    app = Host(SettingsScreen(settings_with(profile()), config_path=config_path))
    async with app.run_test(size=SIZE) as pilot:
        assert app.focused is field(app, "url")
        await pilot.press("tab", "tab")
        assert app.focused is field(app, "api_key")
        await pilot.press("shift+tab")
        assert app.focused is field(app, "agent_id")
        reached = [w.id for w in app.screen.focus_chain] * 2
        # One full cycle, from the snippet box: the form first, then the saved agents.
        start = reached.index("snippet")
        cycle = reached[start : reached.index("snippet", start + 1)]
        assert cycle == [
            "snippet",
            "fill-snippet",
            "input-name",
            "input-url",
            "input-agent_id",
            "input-api_key",
            "reveal",
            "input-auth_scheme",
            "input-custom_header_name",
            "input-custom_header_value",
            "test-connection",
            "save",
            "cancel",
            "agent-list",
            "new-agent",
            "remove-agent",
            "input-attachment_max_mb",
            "input-attachment_copy_max_mb",
            "input-watch_interval",
            "nudge-terminal",
        ]


# ---------------------------------------------------------------------------- characters, secrets


async def test_a_pasted_smart_quote_in_the_token_blocks_saving_with_its_position(
    config_path: Path,
) -> None:
    app = Host(SettingsScreen(settings_with(profile()), config_path=config_path))
    async with app.run_test(size=SIZE) as pilot:
        await fill(pilot, api_key=FAKE_PAT_2 + "\u201d")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.result is _NOT_DISMISSED
        message = text_of(app, "msg-api_key")
        assert "U+201D RIGHT DOUBLE QUOTATION MARK at position 28" in message
        assert FAKE_PAT_2 not in screen_text(app)
    assert not config_path.exists()


async def test_an_escape_in_a_header_value_or_a_name_blocks_saving(config_path: Path) -> None:
    app = Host(SettingsScreen(settings_with(profile()), config_path=config_path))
    async with app.run_test(size=SIZE) as pilot:
        await fill(
            pilot, name="work\x1b[2J", custom_header_name="X-User", custom_header_value="a\x1bb"
        )
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.result is _NOT_DISMISSED
        assert "U+001B ESCAPE at position 5" in text_of(app, "msg-name")
        assert "U+001B ESCAPE at position 2" in text_of(app, "msg-custom_header_value")
    assert not config_path.exists()


async def test_secrets_entered_here_are_remembered_for_redaction(config_path: Path) -> None:
    from fleet_tui.common import redaction

    redaction.forget_all()
    app = Host(SettingsScreen(Settings(), config_path=config_path))
    async with app.run_test(size=SIZE) as pilot:
        await fill(
            pilot,
            url=AGENT_URL,
            agent_id=AGENT_ID,
            api_key=FAKE_PAT_2,
            custom_header_name="X-User",
            custom_header_value="user-token-screen-2222",
        )
        # known as soon as typed: a failed connection test may quote it back
        assert FAKE_PAT_2 in redaction.known()
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert "user-token-screen-2222" in redaction.known()


async def test_the_token_goes_to_the_keyring_and_the_form_says_so(
    config_path: Path, memory_keyring: Any
) -> None:
    from fleet_tui.settings.config import load_settings

    app = Host(SettingsScreen(Settings(), config_path=config_path))
    async with app.run_test(size=SIZE) as pilot:
        await fill(pilot, url=AGENT_URL, agent_id=AGENT_ID, api_key=FAKE_PAT_2)
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert isinstance(app.result, Settings)
    assert FAKE_PAT_2 not in config_path.read_text()
    assert list(memory_keyring.secrets.values()) == [FAKE_PAT_2]

    settings, _ = load_settings(config_path)
    app = Host(SettingsScreen(settings, config_path=config_path))
    async with app.run_test(size=SIZE):
        assert field(app, "api_key").value == FAKE_PAT_2
        assert text_of(app, "source-api_key") == "Kept in the system keyring."


async def test_a_locked_keyring_at_save_is_a_toast_and_the_file_keeps_the_token(
    config_path: Path, memory_keyring: Any
) -> None:
    memory_keyring.locked = True
    app = Host(SettingsScreen(Settings(), config_path=config_path))
    async with app.run_test(size=SIZE) as pilot:
        await fill(pilot, url=AGENT_URL, agent_id=AGENT_ID, api_key=FAKE_PAT_2)
        await pilot.press("ctrl+s")
        await pilot.pause()
        messages = [n.message for n in app._notifications]
    assert isinstance(app.result, Settings)
    assert any("kept in the settings file (mode 0600)" in m for m in messages)
    assert json.loads(config_path.read_text())["profiles"]["default"]["api_key"] == FAKE_PAT_2
