"""The files view (f3): the list of the agent's state files and one file shown, copied, saved."""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path

import pytest
from app_harness import wait_until
from deep_views_harness import (
    CODE_PY,
    PNG_BYTES,
    REPORT_MD,
    STAMP,
    build_app,
    files_of,
    open_first,
    ready,
    sample_files,
    set_files,
)
from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from fleet_tui.domain.deep_state import StateFile
from fleet_tui.services import save_file
from fleet_tui.services.save_file import save_state_file, write_error_text
from fleet_tui.tui.app import FleetApp
from fleet_tui.tui.screens.confirm import ConfirmScreen
from fleet_tui.tui.screens.files import FileScreen, FilesScreen
from fleet_tui.tui.screens.save_file import SaveFileScreen
from fleet_tui.tui.widgets.file_viewer import FileViewer
from fleet_tui.tui.widgets.notices import toast_path


def list_rows(app: FleetApp) -> list[str]:
    listing = app.screen.query_one(OptionList)
    width = listing.scrollable_content_region.width
    return [
        " ".join(listing.render_line(y).text.split()) for y in range(listing.option_count) if width
    ]


def viewer(app: FleetApp) -> FileViewer:
    return app.screen.query_one(FileViewer)


async def open_file(pilot: Pilot[object], path: str) -> FileViewer:
    app = pilot.app
    assert isinstance(app, FleetApp)
    screen = app.screen
    assert isinstance(screen, FilesScreen)
    listing = screen.query_one(OptionList)
    listing.highlighted = screen.paths.index(path)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, FileScreen))
    shown = viewer(app)
    await wait_until(pilot, lambda: shown.done and shown.line_count > 0)
    return shown


async def test_the_list_shows_every_file_sorted_with_size_and_time(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        state = await open_first(pilot)
        set_files(app, state, sample_files())
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, FilesScreen))
        await pilot.pause()
        rows = list_rows(app)
        assert [row.split()[0] for row in rows] == [
            "/chart.png",
            "/notes.txt",
            "/report.md",
            "/src/greet.py",
        ]
        assert "1.0 KB" in rows[0]  # the PNG's decoded size, not its base64 length
        assert "23 B" in rows[1]
        local = time.strftime("%H:%M", time.localtime(1772615700))  # STAMP in local time
        assert all(local in row for row in rows)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, FilesScreen))


async def test_no_files_says_so_and_the_palette_opens_the_view(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await open_first(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause(0.3)
        await pilot.press(*"Files")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, FilesScreen))
        await pilot.pause()
        empty = app.screen.query_one("#files-empty")
        assert empty.display and "no files" in str(empty.render())
        assert not app.screen.query_one(OptionList).display


async def test_the_list_follows_the_agents_changes_live(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        state = await open_first(pilot)
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, FilesScreen))
        set_files(app, state, files_of(StateFile("/a.md", "# A", modified_at=STAMP)))
        await pilot.pause()
        assert [row.split()[0] for row in list_rows(app)] == ["/a.md"]
        set_files(app, state, files_of(StateFile("/a.md", "# A"), StateFile("/b.txt", "b" * 2048)))
        await pilot.pause()
        rows = list_rows(app)
        assert [row.split()[0] for row in rows] == ["/a.md", "/b.txt"]
        assert "2.0 KB" in rows[1]


async def test_markdown_is_rendered_and_code_is_highlighted(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        state = await open_first(pilot)
        set_files(app, state, sample_files())
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, FilesScreen))

        shown = await open_file(pilot, "/report.md")
        text = "\n".join(shown.text_lines())
        assert "Quarterly report" in text and "# Quarterly" not in text  # a heading, drawn
        assert "**" not in text and "12%" in text
        assert "• North: up" in text
        title = str(app.screen.query_one("#file-title").render())
        assert "/report.md" in title and "markdown" in title
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, FilesScreen))

        shown = await open_file(pilot, "/src/greet.py")
        lines = shown.text_lines()
        assert lines[0].split("│", 1)[1].strip() == "def greet(name: str) -> str:"
        assert lines[0].strip().startswith("1 │")
        strip = shown.render_line(0)
        colours = {s.style.color for s in strip if s.style is not None and s.text.strip()}
        assert len(colours) >= 3  # keyword, name, punctuation… in their own colours
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, FilesScreen))

        shown = await open_file(pilot, "/notes.txt")
        assert shown.text_lines()[:2] == ["first line", "second line"]


async def test_a_base64_file_shows_its_type_and_size_not_its_bytes(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        state = await open_first(pilot)
        files = sample_files()
        set_files(app, state, files)
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, FilesScreen))
        shown = await open_file(pilot, "/chart.png")
        text = "\n".join(shown.text_lines())
        assert "PNG image" in text and "image/png" in text
        assert f"{len(PNG_BYTES):,} bytes" in text
        assert files["/chart.png"].content[:40] not in text

        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard == files["/chart.png"].content


async def test_copy_puts_the_file_on_the_clipboard(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        state = await open_first(pilot)
        set_files(app, state, sample_files())
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, FilesScreen))
        await open_file(pilot, "/src/greet.py")
        await pilot.press("c")
        # no clipboard tool here: OSC 52, said as such (tests/test_clipboard.py has the tools)
        await wait_until(pilot, lambda: app.clipboard == CODE_PY)
        await wait_until(pilot, lambda: any("OSC 52" in str(n.message) for n in app._notifications))


async def test_an_open_file_follows_the_agents_edits(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        state = await open_first(pilot)
        files = sample_files()
        set_files(app, state, files)
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, FilesScreen))
        shown = await open_file(pilot, "/notes.txt")
        edited = dict(files)
        edited["/notes.txt"] = StateFile("/notes.txt", "first line\nedited line\n")
        set_files(app, state, edited)
        await pilot.pause()
        await wait_until(pilot, lambda: shown.done)
        assert shown.text_lines()[:2] == ["first line", "edited line"]

        del edited["/notes.txt"]
        set_files(app, state, edited)
        await pilot.pause()
        assert "deleted" in str(app.screen.query_one("#file-title").render())
        assert shown.text_lines()[1] == "edited line"  # the last version stays readable


async def save_dialog(pilot: Pilot[object], path: Path) -> SaveFileScreen:
    app = pilot.app
    await pilot.press("s")
    await wait_until(pilot, lambda: isinstance(app.screen, SaveFileScreen))
    screen = app.screen
    assert isinstance(screen, SaveFileScreen)
    screen.query_one(Input).value = str(path)
    await pilot.press("enter")
    await pilot.pause()
    return screen


def dialog_message(screen: SaveFileScreen) -> str:
    return str(screen.query_one("#save-file-message").render())


async def test_save_writes_the_file_and_refuses_to_overwrite_unasked(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        state = await open_first(pilot)
        files = sample_files()
        set_files(app, state, files)
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, FilesScreen))
        await open_file(pilot, "/report.md")

        # the default: the file's own name in the current directory
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, SaveFileScreen))
        assert app.screen.query_one(Input).value == str(Path.cwd() / "report.md")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, FileScreen))

        await save_dialog(pilot, out)  # a folder: the file's name in it
        await wait_until(pilot, lambda: isinstance(app.screen, FileScreen))
        assert (out / "report.md").read_text() == REPORT_MD
        # the path on a line of its own, whole or shortened from the middle: never wrapped
        said = [str(n.message) for n in app._notifications if "Saved to" in str(n.message)]
        assert said and said[-1] == "Saved to" + toast_path(app, out / "report.md")
        assert said[-1].endswith("report.md")

        (out / "report.md").write_text("mine")
        screen = await save_dialog(pilot, out / "report.md")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("escape")  # keep it
        await wait_until(pilot, lambda: app.screen is screen)
        assert (out / "report.md").read_text() == "mine"
        assert "nothing was written" in dialog_message(screen)

        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.click("#confirm-yes")
        await wait_until(pilot, lambda: isinstance(app.screen, FileScreen))
        assert (out / "report.md").read_text() == REPORT_MD

        await open_png_and_save(pilot, out)
        assert (out / "chart.png").read_bytes() == PNG_BYTES


async def open_png_and_save(pilot: Pilot[object], out: Path) -> None:
    app = pilot.app
    await pilot.press("escape")
    await wait_until(pilot, lambda: isinstance(app.screen, FilesScreen))
    await open_file(pilot, "/chart.png")
    await save_dialog(pilot, out / "chart.png")
    await wait_until(pilot, lambda: isinstance(app.screen, FileScreen))


async def test_save_says_why_a_path_cannot_be_written(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    # root writes into a folder whatever its mode: sysfs refuses even root
    locked = Path("/sys") if os.geteuid() == 0 else tmp_path / "locked"
    if locked != Path("/sys"):
        locked.mkdir()
        locked.chmod(0o500)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await ready(pilot)
            state = await open_first(pilot)
            set_files(app, state, sample_files())
            await pilot.press("f3")
            await wait_until(pilot, lambda: isinstance(app.screen, FilesScreen))
            await open_file(pilot, "/notes.txt")

            screen = await save_dialog(pilot, locked / "notes.txt")
            assert app.screen is screen
            assert "No permission to write in" in dialog_message(screen)
            assert not (locked / "notes.txt").exists()

            screen.query_one(Input).value = str(tmp_path / "nowhere" / "notes.txt")
            await pilot.press("enter")
            await pilot.pause()
            assert "does not exist" in dialog_message(screen)
    finally:
        if locked != Path("/sys"):
            locked.chmod(0o700)


def test_a_full_disk_is_reported_and_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = open

    class FullDisk:
        def __init__(self, path: Path, mode: str) -> None:
            self._file = real_open(path, mode)

        def __enter__(self) -> FullDisk:
            return self

        def __exit__(self, *exc: object) -> None:
            self._file.close()

        def write(self, data: bytes) -> int:
            self._file.write(data[:10])
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(save_file, "open", FullDisk, raising=False)
    file = StateFile("/big.txt", "x" * 100_000)
    target = tmp_path / "big.txt"
    with pytest.raises(OSError) as caught:
        save_state_file(target, file)
    assert write_error_text(caught.value, target) == f"The disk is full: {target} was not saved."
    assert not target.exists()

    target.write_text("old")
    with pytest.raises(OSError):
        save_state_file(target, file, overwrite=True)
    assert target.read_text() == "old"  # replaced only by a whole new file
    assert [p.name for p in tmp_path.iterdir()] == ["big.txt"]


async def test_hostile_names_and_contents_are_shown_as_text(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    name = "/[bold red]x[/]\x1b[2J.py"
    content = "print('[link=https://evil.example]click[/link]')\x1b]52;c;AAAA\x07\n"
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        state = await open_first(pilot)
        set_files(app, state, files_of(StateFile(name, content)))
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, FilesScreen))
        await pilot.pause()
        row = list_rows(app)[0]
        assert "[bold red]x[/]" in row and "\x1b" not in row
        shown = await open_file(pilot, name)
        title = str(app.screen.query_one("#file-title").render())
        assert "[bold red]x[/]" in title and "\x1b" not in title
        text = "\n".join(shown.text_lines())
        assert "[link=https://evil.example]click[/link]" in text
        assert "\x1b" not in text and "\x07" not in text


PARAGRAPH = (
    "Paragraph {n} describes the data in plain words and goes on for a while so that it "
    "folds at least once on a screen of any width and then it stops."
)


def big_markdown(size: int) -> str:
    blocks = []
    length = n = 0
    while length < size:
        block = f"## Section {n}\n\n{PARAGRAPH.format(n=n)}\n\n"
        blocks.append(block)
        length += len(block)
        n += 1
    return "".join(blocks)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_a_long_file_folds_every_line_at_the_width_left_of_the_scrollbar(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    app = build_app(tmp_path)
    content = big_markdown(150_000)
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        state = await open_first(pilot)
        set_files(app, state, files_of(StateFile("/big.md", content, modified_at=STAMP)))
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, FilesScreen))
        shown = await open_file(pilot, "/big.md")
        assert shown.show_vertical_scrollbar
        visible = shown.scrollable_content_region.width
        lines = shown.text_lines()
        assert max(len(line) for line in lines) <= visible
        on_screen = [shown.render_line(y).text for y in range(6)]
        assert [line.rstrip() for line in on_screen] == lines[:6]
        # one fold rule from the first screen to the last: the paragraphs come back whole
        joined = "".join(line for line in lines if line and not line.startswith("## "))
        paragraphs = "".join(PARAGRAPH.format(n=n) for n in range(content.count("## ")))
        assert joined == paragraphs

        title = str(app.screen.query_one("#file-title").render())
        assert "markdown shown as text: over 100 KB" in title
