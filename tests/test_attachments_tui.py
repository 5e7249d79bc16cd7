"""Attachments in the TUI against the real server: f8 opens the picker, files wait as chips,
the sent message shows its chips (after a restart too), what cannot be sent is refused in the
dialog, and the palette offers the same."""

from __future__ import annotations

from pathlib import Path

from app_harness import SIZE, assistant_texts, idle, make_app, profile_for, wait_until
from server_fixture import AgentServer
from test_message_pane import screen_text

from fleet_tui.domain.attachments import AttachmentInfo
from fleet_tui.domain.transcript import UserItem
from fleet_tui.settings.config_model import Settings
from fleet_tui.storage.store import Store
from fleet_tui.tui.screens.attach import AttachScreen, complete_path
from fleet_tui.tui.screens.chat import ChatScreen
from fleet_tui.tui.widgets.attachment_chips import AttachmentChips

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 2000
PDF = b"%PDF-1.7\n" + b"\x00" * 100


def _files(tmp_path: Path) -> Path:
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "photo.png").write_bytes(PNG)
    (folder / "report.pdf").write_bytes(PDF)
    (folder / "huge.pdf").write_bytes(PDF + b"\x00" * 1_100_000)
    return folder


def _picker_open(app) -> bool:  # type: ignore[no-untyped-def]
    return isinstance(app.screen, AttachScreen) and bool(app.screen.query("#attach-path"))


async def _attach(pilot, app, path: Path) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("f8")
    await wait_until(pilot, lambda: _picker_open(app))
    field = app.screen.query_one("#attach-path")
    field.value = str(path)
    await pilot.press("enter")


def _users(app) -> list[tuple[str, tuple[AttachmentInfo, ...]]]:  # type: ignore[no-untyped-def]
    items = app.chat.pane.transcript.items
    return [(i.text, i.attachments) for i in items if isinstance(i, UserItem)]


async def test_files_go_with_the_message_and_their_chips_stay_after_a_restart(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    folder = _files(tmp_path)
    profile = profile_for(agent_server, "blocks")
    settings = Settings(attachment_max_mb=1)
    settings.replace_profile(profile, make_current=True)
    app = make_app(tmp_path, profile, settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.connection_state == "connected")
        chips = app.chat.query_one(AttachmentChips)
        assert not chips.display

        # too large: said in the dialog, which stays open; nothing is attached
        await _attach(pilot, app, folder / "huge.pdf")
        await pilot.pause(0.1)
        assert isinstance(app.screen, AttachScreen)
        assert "huge.pdf is 1.1 MB: over the 1 MB limit" in screen_text(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert chips.files == ()

        await _attach(pilot, app, folder / "photo.png")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        await _attach(pilot, app, folder / "report.pdf")
        await wait_until(pilot, lambda: len(chips.files) == 2)
        assert "[photo.png · 2.0 KB] [report.pdf · 109 B]" in screen_text(app)
        assert app.chat.composer.has_focus

        # a chip removed with its key, then one added back
        chips.focus()
        await pilot.press("delete")
        await wait_until(pilot, lambda: len(chips.files) == 1)
        await _attach(pilot, app, folder / "report.pdf")
        await wait_until(pilot, lambda: len(chips.files) == 2)
        assert [f.name for f in chips.files] == ["photo.png", "report.pdf"]

        # files alone can be sent: enter on an empty composer sends them
        chips.focus()
        await pilot.press("delete")
        await wait_until(pilot, lambda: len(chips.files) == 1)
        app.chat.composer.focus()
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: idle(app) and assistant_texts(app.chat.pane.transcript.items)
        )
        assert chips.files == () and not chips.display
        name = "photo.png"
        assert _users(app) == [("", (AttachmentInfo(name, "image/png", len(PNG)),))]
        assert "- image image/png photo.png" in assistant_texts(app.chat.pane.transcript.items)[0]
        conversation = app.chat.current
        assert conversation is not None
        cid = conversation.id
    app.store.close()

    # a restart: the stored message still shows its chip
    again = make_app(tmp_path, profile, settings=settings, store=Store.open(tmp_path / "store.db"))
    async with again.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: again.connection_state == "connected")
        again.open_conversation(cid)
        await wait_until(pilot, lambda: _users(again) and idle(again))
        await pilot.pause(0.2)
        assert [u[1][0].name for u in _users(again)] == [name]
        assert f"[{name} · " in screen_text(again)
    again.store.close()


async def test_the_palette_attaches_and_removes(agent_server: AgentServer, tmp_path: Path) -> None:
    folder = _files(tmp_path)
    app = make_app(tmp_path, profile_for(agent_server, "blocks"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.connection_state == "connected")
        from fleet_tui.tui.commands import app_commands

        commands = {c.title: c for c in app_commands(app)}
        assert "Remove attached files" not in commands
        commands["Attach file…"].callback()
        await wait_until(pilot, lambda: _picker_open(app))
        app.screen.query_one("#attach-path").value = str(folder / "photo.png")
        await pilot.press("enter")
        chips = app.chat.query_one(AttachmentChips)
        await wait_until(pilot, lambda: len(chips.files) == 1)
        commands = {c.title: c for c in app_commands(app)}
        commands["Remove attached files"].callback()
        await wait_until(pilot, lambda: chips.files == ())


def test_path_completion(tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    (tmp_path / "readme.txt").write_text("x")
    (tmp_path / ".hidden").write_text("x")
    assert complete_path("rea", tmp_path) == "readme.txt"
    assert complete_path("rep", tmp_path) == "reports/"
    assert complete_path(str(tmp_path) + "/rep", tmp_path) == str(tmp_path / "reports") + "/"
    assert complete_path("zzz", tmp_path) is None
    assert complete_path("", tmp_path) in {"readme.txt", "reports/"}
    assert complete_path(".hi", tmp_path) == ".hidden"
    assert complete_path("missing/x", tmp_path) is None


async def test_the_settings_screen_sets_both_sizes(tmp_path: Path) -> None:
    from test_settings_screen import Host, profile, settings_with

    from fleet_tui.tui.screens.settings import SettingsScreen

    settings = settings_with(profile())
    screen = SettingsScreen(settings, config_path=tmp_path / "settings.json")
    app = Host(screen)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        box = screen.query_one("#input-attachment_max_mb")
        assert box.value == "20"  # type: ignore[attr-defined]
        box.value = "0"  # type: ignore[attr-defined]
        screen.action_save()
        await pilot.pause()
        assert "Not saved: attachment_max_mb takes" in screen_text(app)
        box.value = "50"  # type: ignore[attr-defined]
        screen.query_one("#input-attachment_copy_max_mb").value = "0"  # type: ignore[attr-defined]
        screen.action_save()
        await pilot.pause()
    saved = app.result
    assert (saved.attachment_max_mb, saved.attachment_copy_max_mb) == (50, 0)
    assert settings.attachment_max_mb == 20  # the caller's copy is left alone until it is saved
    written = Settings.from_file_dict(
        __import__("json").loads((tmp_path / "settings.json").read_text())
    )
    assert written[0].attachment_max_mb == 50
