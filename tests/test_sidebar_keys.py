"""The sidebar by keyboard, the jump key, the layout at narrow widths, toasts out of the way of
the composer, and rows laid out in cells (Pilot, against a closed loopback port: no server)."""

from __future__ import annotations

import time
from pathlib import Path

from app_harness import make_app, wait_until
from rich.cells import cell_len
from textual.pilot import Pilot
from textual.widgets._footer import FooterKey
from textual.widgets._toast import Toast

from fleet_tui.settings.config import AgentProfile
from fleet_tui.storage.store import Conversation
from fleet_tui.tui.app import FleetApp
from fleet_tui.tui.screens import chat_sidebar
from fleet_tui.tui.screens.rename import RenameScreen
from fleet_tui.tui.widgets.cells import fit, shorten_middle
from fleet_tui.tui.widgets.footer import key_width
from fleet_tui.tui.widgets.notices import tell, toast_path
from fleet_tui.tui.widgets.sidebar import conversation_prompt

URL = "http://127.0.0.1:9"
AGENT_ID = "5b0d4a1e-0000-4000-8000-00000000cafe"
TITLES = ("alpha project", "beta launch", "gamma launch", "delta rays")


def build(tmp_path: Path, titles: tuple[str, ...] = TITLES) -> FleetApp:
    profile = AgentProfile(name="keys", url=URL, agent_id=AGENT_ID, api_key="fake-pat-keys-0000")
    app = make_app(tmp_path, profile)
    agent = app.store.ensure_agent(URL, AGENT_ID)
    now = time.time()
    for n, title in enumerate(titles):
        conversation = app.store.create_conversation(agent.id, title=title)
        app.store.add_message(conversation.id, "human", f"about {title}")
        app.store.set_updated_at(conversation.id, now - 3600 * (n + 1))
    return app


async def ready(pilot: Pilot[object]) -> FleetApp:
    app = pilot.app
    assert isinstance(app, FleetApp)
    await wait_until(pilot, lambda: app.connection_state == "unreachable", timeout=10)
    await pilot.pause(0.1)
    return app


def highlighted_title(app: FleetApp) -> str | None:
    sidebar = app.chat.sidebar
    cid = sidebar.option_list.highlighted_id()
    return next((c.title for c in sidebar.conversations if c.id == cid), None)


def conversation_id(app: FleetApp, title: str) -> int:
    return next(c.id for c in app.chat.sidebar.conversations if c.title == title)


async def test_down_in_the_filter_moves_into_the_list_with_the_first_row_highlighted(
    tmp_path: Path,
) -> None:
    app = build(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("tab")  # from the composer: the filter box
        assert app.focused is app.chat.sidebar.filter_input
        await pilot.press("down")
        assert app.focused is app.chat.sidebar.option_list
        assert highlighted_title(app) == "alpha project"
        await pilot.press("down", "enter")  # enter opens: something is highlighted
        await pilot.pause(0.1)
        assert app.chat.current is not None and app.chat.current.conversation.title == (
            "beta launch"
        )
        assert app.focused is app.chat.composer


async def test_the_list_highlights_the_open_conversation_when_it_gets_the_focus(
    tmp_path: Path,
) -> None:
    app = build(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        app.chat.open_conversation(conversation_id(app, "gamma launch"))
        app.chat.sidebar.option_list.highlighted = None
        await pilot.press("tab", "tab")  # filter, then the list
        assert app.focused is app.chat.sidebar.option_list
        assert highlighted_title(app) == "gamma launch"


async def test_escape_in_the_filter_clears_it_and_returns_to_the_composer(
    tmp_path: Path,
) -> None:
    app = build(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+f", *"launch")
        await pilot.pause(0.1)
        assert [c.title for c in app.chat.sidebar.conversations] == ["beta launch", "gamma launch"]
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert app.chat.sidebar.filter_input.value == ""
        assert len(app.chat.sidebar.conversations) == len(TITLES)
        assert app.focused is app.chat.composer


async def test_a_rename_under_a_filter_keeps_the_renamed_row_highlighted(tmp_path: Path) -> None:
    app = build(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+f", *"launch", "down", "down")
        assert highlighted_title(app) == "gamma launch"
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, RenameScreen))
        await pilot.press("end", *" v2", "enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, RenameScreen))
        await pilot.pause(0.1)
        assert highlighted_title(app) == "gamma launch v2"
        assert app.focused is app.chat.sidebar.option_list
        # f2 and delete act on it again (they did nothing with no row highlighted)
        await pilot.press("delete")
        await wait_until(pilot, lambda: app.screen is not app.chat)
        await pilot.press("escape")


async def test_a_row_that_leaves_the_filter_leaves_a_neighbour_highlighted(
    tmp_path: Path,
) -> None:
    app = build(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+f", *"launch", "down", "down")
        gamma = conversation_id(app, "gamma launch")
        app.store.rename_conversation(gamma, "gamma")
        app.store.delete_conversation(gamma)
        app.chat.conversations_changed(keep=gamma)
        await pilot.pause(0.1)
        assert highlighted_title(app) == "beta launch"


async def test_the_jump_key_goes_to_the_list_and_back(tmp_path: Path) -> None:
    app = build(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert app.focused is app.chat.composer
        await pilot.press("ctrl+s")
        assert app.focused is app.chat.sidebar.option_list
        assert highlighted_title(app) == "alpha project"
        await pilot.press("ctrl+s")
        assert app.focused is app.chat.composer
        # it shows a hidden sidebar
        await pilot.press("ctrl+b")
        assert not chat_sidebar.is_visible(app.chat)
        await pilot.press("ctrl+s")
        assert chat_sidebar.is_visible(app.chat)
        assert app.focused is app.chat.sidebar.option_list
        # and it is in the footer
        footer_keys = {k.key for k in app.chat.query(FooterKey) if k.display}
        assert "ctrl+s" in footer_keys


async def footer_fits(pilot: Pilot[object], app: FleetApp) -> None:
    def palette() -> list[FooterKey]:
        return list(app.screen.query(FooterKey).filter(".-command-palette"))

    await wait_until(pilot, palette, what="the footer's keys (they are recomposed)")
    await pilot.pause(0.05)
    shown = [k for k in app.screen.query(FooterKey) if k.display]
    (key,) = palette()
    used = sum(k.outer_size.width for k in shown)
    assert used <= app.size.width, [k.description for k in shown]
    # each key the footer shows is drawn whole: its region is as wide as its text
    for key in shown:
        assert key.content_size.width == key_width(key), (key.key, key.region)
        assert key.region.right <= app.size.width
    assert "help" in {k.action for k in shown}


async def test_the_footer_fits_at_every_width_and_keeps_help(tmp_path: Path) -> None:
    app = build(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        for width in (120, 100, 80, 60, 44):
            for target in (app.chat.composer, app.chat.pane, app.chat.sidebar.option_list):
                await pilot.resize_terminal(width, 24)
                target.focus()
                await pilot.pause(0.15)
                await footer_fits(pilot, app)


async def test_the_sidebar_narrows_then_hides_and_ctrl_b_shows_it_over_the_chat(
    tmp_path: Path,
) -> None:
    app = build(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        sidebar = app.chat.sidebar
        assert sidebar.outer_size.width == 38
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.1)
        assert sidebar.outer_size.width == 26
        await pilot.press("ctrl+s")
        await pilot.resize_terminal(60, 24)
        await pilot.pause(0.2)
        assert not sidebar.display
        assert app.focused is app.chat.composer  # the focus left the hidden sidebar
        assert app.chat.query_one("#chat").outer_size.width == 60
        await pilot.press("ctrl+b")
        await pilot.pause(0.1)
        assert sidebar.display and app.focused is sidebar.option_list
        # over the chat: the chat keeps its width
        assert app.chat.query_one("#chat").outer_size.width == 60
        await pilot.press("enter")  # opening a conversation closes the overlay
        await pilot.pause(0.1)
        assert not sidebar.display and app.focused is app.chat.composer


async def test_the_composer_hint_is_never_cut(tmp_path: Path) -> None:
    app = build(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        composer = app.chat.composer
        for width in (120, 80, 60, 44, 30):
            await pilot.resize_terminal(width, 24)
            await pilot.pause(0.1)
            hint = str(composer.placeholder)
            assert hint and cell_len(hint) < composer.content_size.width, (width, hint)
        assert str(composer.placeholder) == "enter sends"


async def test_toasts_stay_clear_of_the_composer_and_show_paths_whole(tmp_path: Path) -> None:
    app = build(tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await ready(pilot)
        app.clear_notifications()
        long_path = tmp_path / ("exports-" + "x" * 60) / "my conversation.md"
        tell(app, "Exported to" + toast_path(app, long_path))
        await wait_until(pilot, lambda: bool(app.screen.query(Toast)))
        await pilot.pause(0.3)
        (toast,) = app.screen.query(Toast)
        composer = app.chat.composer.region
        assert toast.region.y < 5, "under the agent bar, at the top"
        assert toast.region.bottom <= composer.y
        assert toast.region.right >= app.size.width - 2  # the rack's scrollbar gutter
        # the path: one line, shortened from the middle, both ends kept
        message = toast._notification.message
        line = message.splitlines()[1]
        assert "…" in line and line.endswith("my conversation.md")
        assert line.startswith(str(tmp_path)[:8])
        assert cell_len(line) == toast.content_size.width  # as much of it as fits


def test_shorten_middle_and_fit_count_cells() -> None:
    assert shorten_middle("/a/b/c.txt", 40) == "/a/b/c.txt"
    cut = shorten_middle("/home/someone/projects/" + "d" * 40 + "/notes.md", 30)
    assert cell_len(cut) == 30 and cut.startswith("/home/") and cut.endswith("/notes.md")
    wide = shorten_middle("報告書/" * 10 + "最終.md", 21)
    assert cell_len(wide) <= 21 and wide.endswith("最終.md")
    assert fit("日本語のタイトル", 9) == "日本語の…"
    assert cell_len(fit("🚀🚀🚀🚀🚀", 7)) <= 7


def test_a_cjk_or_emoji_title_row_stays_one_line() -> None:
    wide_titles = ("会議の議事録と次のステップについての長い話", "🚀 launch 🎉 party " + "🎈" * 11)
    for title in wide_titles:
        conversation = Conversation(
            id=1,
            agent_pk=1,
            thread_id=None,
            title=title,
            created_at=time.time(),
            updated_at=time.time() - 7200,
            status=None,
            stateless=False,
            message_count=1,
        )
        row = conversation_prompt(conversation, running=False, width=30)
        assert cell_len(row.plain) == 30, row.plain
        assert row.plain.endswith("2h")


async def test_a_cjk_title_row_is_drawn_on_one_line(tmp_path: Path) -> None:
    app = build(tmp_path, ("会議の議事録と次のステップについての長い話し合い", "plain"))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        options = app.chat.sidebar.option_list
        # one line per row: the list's content is as tall as its rows
        assert options.virtual_size.height == options.option_count
