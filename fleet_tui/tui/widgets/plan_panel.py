"""The plan panel: a deep agent's todo list for the open conversation, as a checklist.

Shown above the message pane whenever the conversation has a plan (and the user has not hidden
it); a header says how far the plan has got, the list scrolls past its maximum height (a quarter
of the screen: the pane and the composer always keep the rest). A finished plan shrinks to its
header until the user opens it again. The list
is a line-API widget: a plan of hundreds of todos is wrapped into lines once per change or width
(cell-aware, so wide CJK characters fold where they should) and only the lines on screen are
turned into strips.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from fleet_tui.common.sanitize import for_row
from fleet_tui.domain.deep_state import Todo, plan_progress

MARKS = {"completed": "✓", "in_progress": "▶"}
PENDING_MARK = "○"
MARK_CELLS = 2
# the list takes at most this share of the screen's height, and never fewer rows than the floor
SCREEN_SHARE = 4
MIN_ROWS = 3


def plan_finished(todos: tuple[Todo, ...]) -> bool:
    return bool(todos) and all(todo.done for todo in todos)


def list_cap(screen_height: int) -> int:
    """The most rows the list may take on a screen `screen_height` rows high."""
    return max(MIN_ROWS, screen_height // SCREEN_SHARE)


def plan_counts(todos: tuple[Todo, ...]) -> str:
    """ "3/4 done"."""
    return f"{sum(1 for todo in todos if todo.done)}/{len(todos)} done"


class PlanList(ScrollView):
    """The todos, one mark and a wrapped line (or several) each."""

    COMPONENT_CLASSES = {
        "plan-list--done",
        "plan-list--active",
        "plan-list--pending",
        "plan-list--done-mark",
        "plan-list--active-mark",
        "plan-list--pending-mark",
    }

    DEFAULT_CSS = """
    PlanList {
        height: auto;
        overflow-x: hidden;
        scrollbar-size-vertical: 1;
        & > .plan-list--done { color: $text-muted; text-style: strike; }
        & > .plan-list--done-mark { color: $success; }
        & > .plan-list--active { color: $text; text-style: bold; background: $accent 15%; }
        & > .plan-list--active-mark { color: $accent; text-style: bold; background: $accent 15%; }
        & > .plan-list--pending { color: $text; }
        & > .plan-list--pending-mark { color: $text-muted; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._todos: tuple[Todo, ...] = ()
        self._lines: list[Strip] = []
        self._active_line = 0
        self._width = -1
        self._cache: dict[tuple[str, str], list[Strip]] = {}
        self._cache_width = -1

    @property
    def todos(self) -> tuple[Todo, ...]:
        return self._todos

    def on_mount(self) -> None:
        self.watch(self.app, "theme", self._theme_changed, init=False)

    def _theme_changed(self) -> None:
        # the kept lines carry the old theme's colours
        self._cache.clear()
        self._cache_width = -1
        self._width = -1
        self.refresh()

    @property
    def line_count(self) -> int:
        return len(self._lines)

    def set_todos(self, todos: tuple[Todo, ...]) -> None:
        """Show `todos`; lines are made at the next layout, reusing those of unchanged todos."""
        self._todos = todos
        self._width = -1
        self.refresh(layout=True)
        self.call_after_refresh(self._show_active)

    def _styles(self, status: str) -> tuple[Style, Style]:
        kind = {"completed": "done", "in_progress": "active"}.get(status, "pending")
        return (
            self.get_component_rich_style(f"plan-list--{kind}-mark"),
            self.get_component_rich_style(f"plan-list--{kind}"),
        )

    def _todo_lines(self, todo: Todo, width: int, styles: tuple[Style, Style]) -> list[Strip]:
        """A mark, then the text with a hanging indent, folded at `width` cells."""
        mark_style, text_style = styles
        mark = MARKS.get(todo.status, PENDING_MARK)
        text = Text(for_row(todo.content) or " ", style=text_style)
        console = self.app.console
        lines = []
        parts = text.wrap(console, max(1, width - MARK_CELLS), overflow="fold")
        for index, part in enumerate(parts):
            line = Text.assemble(Text(f"{mark} " if index == 0 else "  ", style=mark_style), part)
            line.pad_right(max(0, width - line.cell_len))
            line.truncate(width)
            if text_style.bgcolor is not None:
                line.stylize(Style(bgcolor=text_style.bgcolor))
            lines.append(Strip(line.render(console)))
        return lines or [Strip.blank(width)]

    def _wrap(self, width: int) -> None:
        """The lines of every todo at `width`. Each write_todos replaces the whole list but
        mostly with the same todos: their lines are kept (by text and status) while the width
        stays the same."""
        width = max(1, width)
        if width == self._width:
            return
        if width != self._cache_width:
            self._cache.clear()
            self._cache_width = width
        self._width = width
        cache = self._cache
        styles = {status: self._styles(status) for status in ("completed", "in_progress", "")}
        fresh: dict[tuple[str, str], list[Strip]] = {}
        # the task at hand (the one in progress, else the first not done) is kept in view
        at_hand = plan_progress(self._todos)[0] - 1
        lines: list[Strip] = []
        active = 0
        for number, todo in enumerate(self._todos):
            key = (todo.content, todo.status)
            todo_lines = fresh.get(key) or cache.get(key)
            if todo_lines is None:
                status_styles = styles.get(todo.status, styles[""])
                todo_lines = self._todo_lines(todo, width, status_styles)
            fresh[key] = todo_lines
            if number == at_hand:
                active = len(lines)
            lines.extend(todo_lines)
        self._cache = fresh
        self._lines = lines
        self._active_line = active
        self.virtual_size = Size(width, len(lines))

    def _text_width(self) -> int:
        # a column is kept for the scrollbar whether it shows or not: one wrap per width
        return self.content_size.width - self.styles.scrollbar_size_vertical

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        # The cap is applied here, not with a CSS max-height: Textual ignores a max-height in
        # screen units (vh) while it measures an auto-height parent, so the panel would grow
        # to every line of the plan and push the pane and the composer off the screen.
        self._wrap(width - self.styles.scrollbar_size_vertical)
        return min(len(self._lines), list_cap(viewport.height))

    def on_resize(self) -> None:
        self._wrap(self._text_width())

    def _show_active(self) -> None:
        """Keep the task at hand in view as the plan moves on."""
        height = self.scrollable_content_region.height
        if height and not (self.scroll_y <= self._active_line < self.scroll_y + height):
            self.scroll_to(y=max(0, self._active_line - 1), animate=False)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if self._width < 0:
            self._wrap(self._text_width())
        row = round(self.scroll_y) + y
        if row >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        return self._lines[row].crop_extend(0, width, self.rich_style)


class PlanHeader(Static, can_focus=True):
    """ "Plan · 3/4 done"; enter (or a click) opens a finished plan or folds it again."""

    BINDINGS = [
        Binding("enter", "toggle_open", "Open/fold plan", tooltip="Open or fold the finished plan")
    ]

    class Toggled(Message):
        """The user asked to open or fold the plan."""

    def action_toggle_open(self) -> None:
        self.post_message(self.Toggled())

    def on_click(self) -> None:
        self.post_message(self.Toggled())


class PlanPanel(Vertical):
    """The header ("Plan · 3/4 done") and the checklist. `todos` drives both; the panel shows
    itself when there is a plan and `wanted` (the user's show/hide) is on. A finished plan shows
    only its header unless `opened`."""

    todos: reactive[tuple[Todo, ...]] = reactive((), always_update=True, init=False)
    wanted: reactive[bool] = reactive(True, init=False)
    opened: reactive[bool] = reactive(False, init=False)

    def compose(self) -> ComposeResult:
        yield PlanHeader(id="plan-header")
        yield PlanList(id="plan-list")

    def on_mount(self) -> None:
        self.display = False

    @property
    def folded(self) -> bool:
        """A finished plan showing only its header."""
        return plan_finished(self.todos) and not self.opened

    def toggle(self) -> None:
        """ctrl+g: a plan in progress shows or hides; a finished one goes header → open → hidden."""
        if self.wanted and self.folded:
            self.opened = True
        elif self.wanted:
            self.wanted = False
            self.opened = False
        else:
            self.wanted = True

    def on_plan_header_toggled(self, event: PlanHeader.Toggled) -> None:
        event.stop()
        if plan_finished(self.todos):
            self.opened = not self.opened

    def watch_todos(self, todos: tuple[Todo, ...]) -> None:
        if not plan_finished(todos):
            self.opened = False
        self.query_one(PlanList).set_todos(todos)
        self._show()

    def watch_wanted(self) -> None:
        self._show()

    def watch_opened(self) -> None:
        self._show()

    def _show(self) -> None:
        todos = self.todos
        folded = self.folded
        header = Text.assemble(("Plan ", "bold"), ("· ", "dim"), (plan_counts(todos), ""))
        if plan_finished(todos):
            header.append(" ✓", style="bold")
        header.append("   enter or ctrl+g opens" if folded else "   ctrl+g hides", style="dim")
        self.query_one(PlanHeader).update(header)
        self.query_one(PlanList).display = not folded
        self.display = bool(todos) and self.wanted
