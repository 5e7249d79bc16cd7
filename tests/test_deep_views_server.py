"""The plan panel and the files view against the real Agent Server's deep-agent graphs
(tests/server/deep_graphs.py): live from the stream, and again after a restart."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from app_harness import SIZE, idle, make_app, profile_for, type_and_send, wait_until
from server_fixture import AgentServer
from test_deep_graphs import dr
from textual.pilot import Pilot
from textual.widgets import OptionList

from fleet_tui.storage.store import Store
from fleet_tui.tui.app import FleetApp
from fleet_tui.tui.screens.files import FileScreen, FilesScreen
from fleet_tui.tui.widgets.file_viewer import FileViewer
from fleet_tui.tui.widgets.plan_panel import PlanList, PlanPanel
from fleet_tui.tui.widgets.status import RunStatus

pytestmark = pytest.mark.server


def plan_lines(app: FleetApp) -> list[str]:
    plan_list = app.chat.query_one(PlanList)
    return [plan_list.render_line(y).text.rstrip() for y in range(plan_list.size.height)]


async def open_files(pilot: Pilot[object]) -> FilesScreen:
    app = pilot.app
    await pilot.press("f3")
    await wait_until(pilot, lambda: isinstance(app.screen, FilesScreen))
    screen = app.screen
    assert isinstance(screen, FilesScreen)
    return screen


async def show_file(pilot: Pilot[object], screen: FilesScreen, path: str) -> FileViewer:
    app = pilot.app
    await wait_until(pilot, lambda: path in screen.files, what=f"{path} in the list")
    screen.query_one(OptionList).highlighted = screen.paths.index(path)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, FileScreen))
    viewer = app.screen.query_one(FileViewer)
    await wait_until(pilot, lambda: viewer.line_count > 0)
    return viewer


async def test_deep_run_shows_its_plan_and_files_live_and_after_a_restart(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    profile = profile_for(agent_server, "deep")
    app = make_app(tmp_path, profile)
    expected_plan = [
        "▶ Research the history of terminals",
        "▶ Research the cost of redraws",
        "○ Write /notes.md",
    ]
    async with app.run_test(size=SIZE) as pilot:
        await type_and_send(pilot, "research terminals")
        panel = app.chat.query_one(PlanPanel)
        await wait_until(pilot, lambda: panel.display, what="the plan panel")
        await pilot.pause()
        assert plan_lines(app) == expected_plan
        await wait_until(pilot, lambda: idle(app), what="the run's end")
        status = str(app.chat.query_one(RunStatus).render())
        assert "Task 1 of 3 · Research the history of terminals" in status

        screen = await open_files(pilot)
        viewer = await show_file(pilot, screen, dr.DEEP_FILE)
        await wait_until(pilot, lambda: viewer.done)
        text = "\n".join(viewer.text_lines())
        assert "Status: final" in text  # the edit_file applied
        assert "Notes" in text and "# Notes" not in text
        conversation_id = app.chat.current.id if app.chat.current else None
    app.store.close()

    again = make_app(tmp_path, profile, store=Store.open(tmp_path / "store.db"))
    async with again.run_test(size=SIZE) as pilot:
        assert conversation_id is not None
        again.chat.open_conversation(conversation_id)
        panel = again.chat.query_one(PlanPanel)
        await wait_until(pilot, lambda: panel.display, what="the plan restored")
        await pilot.pause()
        assert plan_lines(again) == expected_plan
        screen = await open_files(pilot)
        viewer = await show_file(pilot, screen, dr.DEEP_FILE)
        await wait_until(pilot, lambda: viewer.done)
        assert "Status: final" in "\n".join(viewer.text_lines())


async def test_a_big_file_a_long_plan_and_a_binary_file(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    app = make_app(tmp_path, profile_for(agent_server, "deep_big"))
    async with app.run_test(size=SIZE) as pilot:
        await type_and_send(pilot, "file 1000000")
        await wait_until(pilot, lambda: idle(app) and app.chat.current is not None, timeout=60)
        await wait_until(pilot, lambda: dr.BIG_FILE in app.chat.current.files)  # type: ignore[union-attr]

        screen = await open_files(pilot)
        row = screen.query_one(OptionList).render_line(0).text
        assert dr.BIG_FILE in row and "1.0 MB" in row
        viewer = await show_file(pilot, screen, dr.BIG_FILE)
        # over the markdown limit: folded as text, first screen at once, the rest in slices
        assert viewer.line_count >= viewer.scrollable_content_region.height
        await wait_until(pilot, lambda: viewer.done, timeout=60)
        assert viewer.text_lines()[0] == "## Section 1"
        await pilot.press("escape", "escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, FilesScreen | FileScreen))

        app.chat.composer.focus()
        await type_and_send(pilot, "todos 200")
        await wait_until(pilot, lambda: idle(app) and len(app.chat.plan_panel.todos) == 200)
        await pilot.pause()
        plan_list = app.chat.query_one(PlanList)
        assert plan_list.line_count == 200
        assert "50/200 done" in str(app.chat.query_one("#plan-header").render())
        assert plan_lines(app)[0] == "▶ Step 1: do part 1 of the work"

        await type_and_send(pilot, "binary")
        await wait_until(pilot, lambda: dr.BINARY_FILE in app.chat.current.files)  # type: ignore[union-attr]
        screen = await open_files(pilot)
        viewer = await show_file(pilot, screen, dr.BINARY_FILE)
        text = "\n".join(viewer.text_lines())
        assert "PNG image" in text and f"{len(dr.BINARY_PNG)} bytes" in text
        assert dr.BINARY_B64[:20] not in text
        await pilot.press("c")
        await pilot.pause()
        assert base64.b64decode(app.clipboard) == dr.BINARY_PNG
