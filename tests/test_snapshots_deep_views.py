"""SVG snapshots of the plan panel and the files view at 120x40 and 80x24
(pytest-textual-snapshot). The plan and files are set as the conversation service sets them;
file times are today's, so the view draws the same every day.
Update after an intended change of look:
`pytest tests/test_snapshots_deep_views.py --snapshot-update`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from app_harness import wait_until
from deep_views_harness import (
    PLAN,
    build_app,
    files_of,
    open_first,
    ready,
    sample_files,
    set_files,
    set_plan,
)
from textual.pilot import Pilot
from textual.widgets import OptionList

from fleet_tui.domain.deep_state import StateFile
from fleet_tui.tui.app import FleetApp
from fleet_tui.tui.screens.files import FileScreen, FilesScreen
from fleet_tui.tui.widgets.file_viewer import FileViewer

SIZES = {"wide": (120, 40), "narrow": (80, 24)}
TODAY = datetime.now().astimezone().replace(hour=9, minute=15, second=0, microsecond=0)


def todays_files() -> dict[str, StateFile]:
    stamp = TODAY.isoformat()
    return files_of(
        *(StateFile(f.path, f.content, f.encoding, stamp, stamp) for f in sample_files().values())
    )


async def freeze(pilot: Pilot[object]) -> None:
    """A blinking cursor would be caught on or off at random."""
    app = pilot.app
    for screen in app.screen_stack:
        for widget in screen.query("Input, TextArea"):
            widget.cursor_blink = False  # type: ignore[attr-defined]
    app.clear_notifications()
    await pilot.pause(0.1)


async def with_plan_and_files(pilot: Pilot[object]) -> FleetApp:
    app = await ready(pilot)
    state = await open_first(pilot)
    set_plan(app, state, PLAN)
    set_files(app, state, todays_files())
    await pilot.pause(0.2)
    return app


@pytest.mark.parametrize("size", sorted(SIZES))
def test_plan_panel(snap_compare, tmp_path: Path, size: str) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        await with_plan_and_files(pilot)
        await freeze(pilot)

    assert snap_compare(build_app(tmp_path), terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize("size", sorted(SIZES))
def test_files_list(snap_compare, tmp_path: Path, size: str) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        app = await with_plan_and_files(pilot)
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, FilesScreen))
        await freeze(pilot)

    assert snap_compare(build_app(tmp_path), terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize(
    ("size", "path"),
    [("wide", "/report.md"), ("narrow", "/src/greet.py")],
    ids=["wide-markdown", "narrow-code"],
)
def test_file_view(snap_compare, tmp_path: Path, size: str, path: str) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        app = await with_plan_and_files(pilot)
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, FilesScreen))
        screen = app.screen
        assert isinstance(screen, FilesScreen)
        screen.query_one(OptionList).highlighted = screen.paths.index(path)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, FileScreen))
        viewer = app.screen.query_one(FileViewer)
        await wait_until(pilot, lambda: viewer.done and viewer.line_count > 0)
        await freeze(pilot)

    assert snap_compare(build_app(tmp_path), terminal_size=SIZES[size], run_before=run_before)
