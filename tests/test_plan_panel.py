"""The plan panel and the status line's plan summary, driven as a user would (Pilot)."""

from __future__ import annotations

import time
from pathlib import Path

from deep_views_harness import PLAN, build_app, conversation_ids, open_first, ready, set_plan

from fleet_tui.domain.deep_state import Todo
from fleet_tui.services.service_events import PlanChanged
from fleet_tui.tui.app import FleetApp
from fleet_tui.tui.widgets.plan_panel import PlanList, PlanPanel
from fleet_tui.tui.widgets.status import RunStatus


def panel(app: FleetApp) -> PlanPanel:
    return app.chat.query_one(PlanPanel)


def plan_text(app: FleetApp) -> list[str]:
    plan_list = app.chat.query_one(PlanList)
    return [plan_list.render_line(y).text.rstrip() for y in range(plan_list.size.height)]


def header_text(app: FleetApp) -> str:
    return str(app.chat.query_one("#plan-header").render())


def status_text(app: FleetApp) -> str:
    return str(app.chat.query_one(RunStatus).render())


async def test_the_panel_shows_a_plan_as_a_checklist_and_follows_it_live(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        state = await open_first(pilot)
        assert not panel(app).display  # no plan: no panel
        assert "Task" not in status_text(app)

        set_plan(app, state, PLAN)
        await pilot.pause()
        assert panel(app).display
        assert plan_text(app) == [
            "✓ Research the topic",
            "▶ Write the report",
            "○ Review the report",
            "○ Send it to Ada",
        ]
        assert "1/4 done" in header_text(app)
        assert "Task 2 of 4 · Write the report" in status_text(app)

        # every write_todos replaces the list: shown within a frame
        moved = (
            Todo("Research the topic", "completed"),
            Todo("Write the report", "completed"),
            Todo("Review the report", "in_progress"),
            Todo("Send it to Ada", "pending"),
        )
        set_plan(app, state, moved)
        await pilot.pause()
        assert plan_text(app)[1:3] == ["✓ Write the report", "▶ Review the report"]
        assert "2/4 done" in header_text(app)
        assert "Task 3 of 4 · Review the report" in status_text(app)

        # a finished plan stays in the panel, but the status line stops talking about it
        set_plan(app, state, tuple(Todo(t.content, "completed") for t in moved))
        await pilot.pause()
        assert "4/4 done" in header_text(app)
        assert "Task" not in status_text(app) and "☰" not in status_text(app)


async def test_done_and_active_todos_are_styled_apart(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        state = await open_first(pilot)
        set_plan(app, state, PLAN)
        await pilot.pause()
        plan_list = app.chat.query_one(PlanList)
        done = plan_list.render_line(0)
        active = plan_list.render_line(1)
        pending = plan_list.render_line(2)
        done_style = next(s.style for s in done if "Research" in s.text)
        active_style = next(s.style for s in active if "Write" in s.text)
        pending_style = next(s.style for s in pending if "Review" in s.text)
        assert done_style is not None and done_style.strike
        assert active_style is not None and active_style.bold and active_style.bgcolor
        assert pending_style is not None and not pending_style.strike
        assert not pending_style.bold


async def test_ctrl_g_hides_and_shows_the_plan(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        state = await open_first(pilot)
        await pilot.press("ctrl+g")  # no plan: says so, nothing breaks
        await pilot.pause()
        assert not panel(app).display
        assert any("no plan" in str(n.message) for n in app._notifications)

        set_plan(app, state, PLAN)
        await pilot.pause()
        assert panel(app).display
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert not panel(app).display
        # hidden stays hidden while the plan changes; the status line still says where it is
        set_plan(app, state, PLAN[:3])
        await pilot.pause()
        assert not panel(app).display
        assert "Task 2 of 3" in status_text(app)
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert panel(app).display


async def test_switching_conversations_shows_each_ones_plan(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        first_id, second_id = conversation_ids(app)
        state = await open_first(pilot)
        assert state.id == first_id
        set_plan(app, state, PLAN)
        await pilot.pause()
        assert panel(app).display

        app.chat.open_conversation(second_id)
        await pilot.pause()
        assert not panel(app).display
        assert "Task" not in status_text(app)
        # a plan event of a conversation not on screen changes nothing here
        app.chat.service._emit(PlanChanged(first_id, PLAN[:1]))
        await pilot.pause()
        assert not panel(app).display

        # back to the first: its plan (kept by the service while it runs) is shown again
        app.chat.service.states[first_id] = state
        app.chat.open_conversation(first_id)
        await pilot.pause()
        assert panel(app).display
        assert plan_text(app)[1] == "▶ Write the report"

        app.chat.action_new_conversation()
        await pilot.pause()
        assert not panel(app).display


async def test_a_long_plan_scrolls_and_keeps_the_task_at_hand_in_view(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    todos = tuple(
        Todo(f"Step {n}", "completed" if n < 150 else "in_progress" if n == 150 else "pending")
        for n in range(200)
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        state = await open_first(pilot)
        started = time.perf_counter()
        set_plan(app, state, todos)
        await pilot.pause()
        elapsed = time.perf_counter() - started
        plan_list = app.chat.query_one(PlanList)
        assert plan_list.line_count == 200
        assert 0 < plan_list.size.height <= 8  # a few lines of a 24-line terminal
        assert any(line == "▶ Step 150" for line in plan_text(app))
        assert elapsed < 2  # a loose bound (the benchmark measures stalls)


async def test_wide_characters_wrap_by_cell_width(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    cjk = "報告書を更新して関係者全員に送信する" * 4  # 72 wide characters: 144 cells
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        state = await open_first(pilot)
        await pilot.press("ctrl+b")  # no sidebar: the panel is the whole width
        set_plan(app, state, (Todo(cjk, "in_progress"), Todo("ok", "pending")))
        await pilot.pause()
        plan_list = app.chat.query_one(PlanList)
        width = plan_list.scrollable_content_region.width
        strips = [plan_list.render_line(y) for y in range(plan_list.size.height)]
        assert all(strip.cell_length == width for strip in strips)
        lines = plan_text(app)
        assert lines[0].startswith("▶ 報告書")
        assert lines[1].startswith("  ")  # a hanging indent under the mark
        shown = "".join(line[2:].strip() for line in lines if not line.startswith("○"))
        assert shown == cjk


async def test_untrusted_todo_text_is_not_markup(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        state = await open_first(pilot)
        set_plan(app, state, (Todo("[bold red]boom[/] \x1b[31m", "in_progress"),))
        await pilot.pause()
        line = plan_text(app)[0]
        assert "[bold red]boom[/]" in line
        assert "\x1b" not in line
        assert "[bold red]boom[/]" in status_text(app)


async def test_a_theme_change_redraws_the_plan_in_its_colours(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        state = await open_first(pilot)
        set_plan(app, state, PLAN)
        await pilot.pause()
        plan_list = app.chat.query_one(PlanList)

        def active_style() -> object:
            return next(s.style for s in plan_list.render_line(1) if "Write" in s.text)

        before = active_style()
        app.theme = "nord" if app.theme != "nord" else "gruvbox"
        await pilot.pause(0.2)
        assert active_style() != before


def long_plan(count: int = 200) -> tuple[Todo, ...]:
    statuses = ("completed", "in_progress", "pending", "pending")
    return tuple(Todo(f"Step {n}: do part {n} of the work", statuses[n % 4]) for n in range(count))


def assert_pane_and_composer_on_screen(app: FleetApp, height: int) -> None:
    plan = panel(app).region
    assert plan.height <= height // 4 + 2  # the list's quarter, a header, a rule
    for name in ("#pane", "#run-status", "#composer"):
        widget = app.chat.query_one(name)
        assert widget.region.height > 0, name
        assert app.screen.region.contains_region(widget.region), name
    assert app.chat.query_one("#pane").region.height >= 4


async def test_a_long_plan_never_pushes_the_pane_or_the_composer_off_screen(
    tmp_path: Path,
) -> None:
    for width, height in ((120, 40), (80, 24)):
        app = build_app(tmp_path / f"{width}")
        async with app.run_test(size=(width, height)) as pilot:
            await ready(pilot)
            state = await open_first(pilot)
            set_plan(app, state, long_plan())
            await pilot.pause()
            assert_pane_and_composer_on_screen(app, height)
            # hidden and shown again, then the conversation reopened: the same layout
            await pilot.press("ctrl+g")
            await pilot.press("ctrl+g")
            await pilot.pause()
            assert_pane_and_composer_on_screen(app, height)
            app.chat.open_conversation(state.id)
            await pilot.pause()
            assert_pane_and_composer_on_screen(app, height)


async def test_a_finished_plan_folds_to_its_header_and_opens_again(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        state = await open_first(pilot)
        set_plan(app, state, PLAN)
        await pilot.pause()
        plan_list = app.chat.query_one(PlanList)
        assert plan_list.display

        set_plan(app, state, tuple(Todo(t.content, "completed") for t in PLAN))
        await pilot.pause()
        assert panel(app).display and not plan_list.display
        assert "Plan · 4/4 done ✓" in header_text(app)
        assert panel(app).region.height == 2  # the header and its rule

        await pilot.press("ctrl+g")  # opens it
        await pilot.pause()
        assert plan_list.display and plan_text(app)[0] == "✓ Research the topic"
        await pilot.press("ctrl+g")  # hides it
        await pilot.pause()
        assert not panel(app).display
        await pilot.press("ctrl+g")  # back to its header
        await pilot.pause()
        assert panel(app).display and not plan_list.display

        # enter on the header opens and folds it
        app.chat.query_one("#plan-header").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert plan_list.display
        await pilot.press("enter")
        await pilot.pause()
        assert not plan_list.display

        # a new plan in progress shows its list again
        set_plan(app, state, PLAN)
        await pilot.pause()
        assert plan_list.display
