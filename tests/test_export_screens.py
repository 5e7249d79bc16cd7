"""Pilot tests of the export dialog and the code snippets dialog.

Each test runs a small host app at 120x40 that pushes the screen under test with the dialogs'
own stylesheet. Exports go to tmp_path only (HOME points there as well).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.widgets import Button, Input, RadioButton, Static, Tabs

from fleet_tui.services.snippets import render_snippets
from fleet_tui.settings.config import AgentProfile
from fleet_tui.storage.store import Conversation, StoredMessage
from fleet_tui.tui.screens.export import ExportScreen
from fleet_tui.tui.screens.snippets import SnippetsScreen

TCSS = Path(__file__).resolve().parent.parent / "fleet_tui" / "tui" / "fleet.tcss"
SIZE = (120, 40)
FAKE_PAT = "fake-pat-LEAKCHECK-0000"
URL = "https://my-agent-0000.us.langgraph.app"
AGENT_ID = "0b5d3c1e-2f4a-4b6c-8d9e-0123456789ab"

_NOT_DISMISSED = object()


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


class Host(App[None]):
    CSS_PATH = TCSS

    def __init__(self) -> None:
        super().__init__()
        self.result: Any = _NOT_DISMISSED

    def record(self, value: Any) -> None:
        self.result = value


def conversation(title: str = "Weather in Paris") -> Conversation:
    return Conversation(
        id=1,
        agent_pk=1,
        thread_id="thread-1",
        title=title,
        created_at=1_700_000_000.0,
        updated_at=1_700_000_100.0,
        status="idle",
        stateless=False,
        message_count=3,
    )


def message(seq: int, role: str, content: str, **kw: Any) -> StoredMessage:
    values: dict[str, Any] = {
        "id": seq,
        "conversation_id": 1,
        "seq": seq,
        "role": role,
        "content": content,
        "tool_calls": [],
        "tool_call_id": None,
        "name": None,
        "run_id": None,
        "server_id": None,
        "complete": True,
        "reasoning": "",
        "created_at": 1_700_000_000.0 + seq,
    }
    values.update(kw)
    return StoredMessage(**values)


MESSAGES = [
    message(1, "human", "Hi there"),
    message(2, "ai", "", tool_calls=[{"id": "c", "name": "lookup", "args": {"q": "x"}}]),
    message(3, "tool", "42", name="lookup", tool_call_id="c"),
    message(4, "ai", "The answer is 42."),
]


def export_screen(directory: Path) -> ExportScreen:
    return ExportScreen(conversation(), MESSAGES, "Helper", URL, directory=directory)


def profile() -> AgentProfile:
    return AgentProfile(
        name="leak",
        url=URL,
        agent_id=AGENT_ID,
        api_key=FAKE_PAT,
        custom_header_name="X-User-Token",
        custom_header_value=FAKE_PAT + "-custom",
    )


# ----------------------------------------------------------------------------- export


async def test_export_writes_markdown_at_the_chosen_path(tmp_path: Path) -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(export_screen(tmp_path / "default"), app.record)
        await pilot.pause()
        path_input = app.screen.query_one("#export-path", Input)
        assert path_input.value.startswith(str(tmp_path / "default" / "weather-in-paris-"))
        assert path_input.value.endswith(".md")
        chosen = tmp_path / "mine" / "chat.md"
        path_input.value = str(chosen)
        await pilot.click("#export-save")
        await pilot.pause()
    assert app.result == chosen
    text = chosen.read_text()
    assert text.startswith("# Weather in Paris")
    for needle in ("Hi there", "`lookup`", '"q": "x"', "42", "The answer is 42."):
        assert needle in text


async def test_enter_in_the_path_exports(tmp_path: Path) -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(export_screen(tmp_path), app.record)
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
    assert isinstance(app.result, Path)
    assert app.result.parent == tmp_path
    assert app.result.suffix == ".md"
    assert app.result.is_file()


async def test_format_switch_changes_the_extension_and_writes_json(tmp_path: Path) -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(export_screen(tmp_path), app.record)
        await pilot.pause()
        path_input = app.screen.query_one("#export-path", Input)
        md_value = path_input.value
        await pilot.click("#export-json")
        await pilot.pause()
        assert app.screen.query_one("#export-json", RadioButton).value
        assert path_input.value == md_value[: -len(".md")] + ".json"
        await pilot.click("#export-markdown")
        await pilot.pause()
        assert path_input.value == md_value
        await pilot.click("#export-json")
        await pilot.pause()
        await pilot.click("#export-save")
        await pilot.pause()
    assert isinstance(app.result, Path)
    assert app.result.suffix == ".json"
    doc = json.loads(app.result.read_text())
    assert doc["format"] == "fleet-tui.conversation/1"
    assert len(doc["messages"]) == len(MESSAGES)


async def test_export_error_stays_in_the_dialog(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(export_screen(tmp_path), app.record)
        await pilot.pause()
        screen = app.screen
        screen.query_one("#export-path", Input).value = str(blocker / "chat.md")
        await pilot.click("#export-save")
        await pilot.pause()
        assert app.screen is screen  # still open
        assert app.result is _NOT_DISMISSED
        message = screen.query_one("#export-message", Static)
        assert message.has_class("-error")
        assert "a-file is a file, not a folder" in str(message.render())
        # Fixing the path and retrying works.
        path_input = screen.query_one("#export-path", Input)
        path_input.value = str(tmp_path / "ok.md")
        path_input.focus()
        await pilot.press("enter")
        await pilot.pause()
    assert app.result == tmp_path / "ok.md"


async def test_export_to_an_existing_file_gets_a_new_name(tmp_path: Path) -> None:
    existing = tmp_path / "chat.md"
    existing.write_text("keep me")
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(export_screen(tmp_path), app.record)
        await pilot.pause()
        app.screen.query_one("#export-path", Input).value = str(existing)
        await pilot.click("#export-save")
        await pilot.pause()
    assert app.result == tmp_path / "chat-1.md"
    assert existing.read_text() == "keep me"


async def test_export_into_a_folder_uses_the_default_name(tmp_path: Path) -> None:
    folder = tmp_path / "here"
    folder.mkdir()
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(export_screen(tmp_path), app.record)
        await pilot.pause()
        app.screen.query_one("#export-path", Input).value = str(folder)
        await pilot.click("#export-save")
        await pilot.pause()
    assert isinstance(app.result, Path)
    assert app.result.parent == folder
    assert app.result.name.startswith("weather-in-paris-")


async def test_escape_cancels_the_export(tmp_path: Path) -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(export_screen(tmp_path / "none"), app.record)
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
    assert app.result is None
    assert not (tmp_path / "none").exists()


async def test_export_dialog_shows_hostile_title_as_text(tmp_path: Path) -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        screen = ExportScreen(
            conversation("[bold red]x[/] \x1b]0;pwned\x07"), MESSAGES, "H", URL, directory=tmp_path
        )
        app.push_screen(screen)
        await pilot.pause()
        subject = str(screen.query_one("#export-subject", Static).render())
        svg = app.export_screenshot()
    assert "[bold red]x[/] ␛]0;pwned␇" in subject
    assert "\x1b" not in svg
    assert "\x07" not in svg


# ----------------------------------------------------------------------------- snippets


async def test_snippets_copy_puts_the_selected_snippet_on_the_clipboard() -> None:
    app = Host()
    expected = render_snippets(profile())
    async with app.run_test(size=SIZE) as pilot:
        screen = SnippetsScreen(profile())
        app.push_screen(screen, app.record)
        await pilot.pause()
        assert (screen.language, screen.kind) == ("Python", "stateless")
        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard == expected["Python"]["stateless"]
        await pilot.press("l", "l")  # -> cURL
        await pilot.press("k", "k")  # -> thread
        await pilot.pause()
        assert (screen.language, screen.kind) == ("cURL", "thread")
        await pilot.click("#snippets-copy")
        await pilot.pause()
        assert app.clipboard == expected["cURL"]["thread"]
        status = str(screen.query_one("#snippets-status", Static).render())
        assert status.startswith(("Copied", "Sent (OSC 52)"))  # which way depends on the machine
        await pilot.press("escape")
        await pilot.pause()
    assert app.result is None


async def test_snippets_tabs_switch_the_code_shown() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        screen = SnippetsScreen(profile())
        app.push_screen(screen)
        await pilot.pause()
        code = screen.query_one("#snippets-code", Static)
        assert "get_client(" in str(code.render())
        await pilot.click("#lang-typescript")
        await pilot.pause()
        assert screen.language == "TypeScript"
        assert "new Client({" in str(code.render())
        screen.query_one("#snippets-kinds", Tabs).active = "kind-thread"
        await pilot.pause()
        assert screen.kind == "thread"
        assert "client.threads.create()" in str(code.render())
        screen.select("cURL", "wait")
        await pilot.pause()
        assert "/runs/wait" in str(code.render())


@pytest.mark.parametrize("language", ["Python", "TypeScript", "cURL"])
async def test_snippets_screenshot_has_no_token(language: str) -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        screen = SnippetsScreen(profile())
        app.push_screen(screen)
        await pilot.pause()
        for kind in ("stateless", "wait", "thread"):
            screen.select(language, kind)
            await pilot.pause()
            svg = app.export_screenshot()
            assert FAKE_PAT not in svg
            assert "LEAKCHECK" not in svg
            assert "LANGGRAPH_API_KEY" in svg
        assert "langgraph.app" in svg


async def test_snippets_close_button() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(SnippetsScreen(profile()), app.record)
        await pilot.pause()
        app.screen.query_one("#snippets-close", Button).press()
        await pilot.pause()
    assert app.result is None
