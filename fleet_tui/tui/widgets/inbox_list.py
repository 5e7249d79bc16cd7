"""The inbox's list: one line per entry, drawn with the line API.

An `OptionList` measures every option's height when it is filled (1,000 rows cost ~150 ms on
this machine); every row here is one line by construction (`inbox_prompt` cuts it to the
width), so the list draws only the rows on screen and knows its height without measuring.
Rows are cached per width until the entries change.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.visual import Visual

from fleet_tui.domain.inbox import InboxEntry
from fleet_tui.tui.widgets.inbox_rows import columns, inbox_prompt


class InboxList(ScrollView, can_focus=True):
    COMPONENT_CLASSES: ClassVar[set[str]] = {"inbox-list--cursor"}
    DEFAULT_CSS = """
    InboxList {
        height: 1fr;
        overflow-x: hidden;
        background: $surface;
        & > .inbox-list--cursor {
            color: $foreground;
            background: $block-cursor-blurred-background;
        }
        &:focus > .inbox-list--cursor {
            color: $block-cursor-foreground;
            background: $block-cursor-background;
            text-style: $block-cursor-text-style;
        }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "select",
            "Open",
            id="inbox.open",
            tooltip="Open the conversation in its agent (the review, for an approval)",
        ),
        Binding("up", "move(-1)", show=False),
        Binding("down", "move(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("home", "first", show=False),
        Binding("end", "last", show=False),
    ]

    cursor: reactive[int] = reactive(0, always_update=True)

    class Selected(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.entries: list[InboxEntry] = []
        self._rows: dict[tuple[int, bool, bool], Strip] = {}
        self._columns: tuple[int, int] = (0, 0)
        self._width = 0
        self._now = time.time()

    # ----------------------------------------------------------------- content
    @property
    def row_count(self) -> int:
        return len(self.entries)

    def set_entries(self, entries: Sequence[InboxEntry], keep: int | None = None) -> None:
        """Show `entries`; the cursor stays on conversation `keep` when it is still there, else
        on the same place."""
        old = self.cursor
        self.entries = list(entries)
        self._now = time.time()
        self._forget_rows()
        self.virtual_size = Size(self.size.width, len(self.entries))
        ids = [e.conversation_id for e in self.entries]
        target = ids.index(keep) if keep in ids else min(old, max(0, len(ids) - 1))
        self.cursor = target
        self.refresh()

    def redraw(self) -> None:
        """Draw every row again (the ages moved on)."""
        self._now = time.time()
        self._forget_rows()
        self.refresh()

    def _forget_rows(self) -> None:
        self._rows.clear()
        self._width = 0

    def highlighted_entry(self) -> InboxEntry | None:
        if 0 <= self.cursor < len(self.entries):
            return self.entries[self.cursor]
        return None

    # ----------------------------------------------------------------- drawing
    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, len(self.entries))
        self._forget_rows()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = self.scroll_offset.y + y
        if not 0 <= index < len(self.entries) or width <= 0:
            return Strip.blank(width, self.rich_style)
        if width != self._width:
            self._rows.clear()
            self._width = width
            self._columns = columns(self.entries, width)
        selected = index == self.cursor
        key = (index, selected, self.has_focus)
        strip = self._rows.get(key)
        if strip is None:
            strip = self._row(index, width, selected)
            self._rows[key] = strip
        return strip

    def _row(self, index: int, width: int, selected: bool) -> Strip:
        agent_cells, title_cells = self._columns
        content = inbox_prompt(self.entries[index], width, agent_cells, title_cells, self._now)
        style = self.get_visual_style(*(("inbox-list--cursor",) if selected else ()))
        strips = Visual.to_strips(self, content, width, 1, style, pad=True)
        strip = strips[0] if strips else Strip.blank(width)
        return strip.extend_cell_length(width, style.rich_style).apply_meta({"row": index})

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    # ----------------------------------------------------------------- the cursor
    def validate_cursor(self, cursor: int) -> int:
        return max(0, min(cursor, len(self.entries) - 1)) if self.entries else 0

    def watch_cursor(self, old: int, new: int) -> None:
        for index in (old, new):
            self.refresh_line(index - self.scroll_offset.y)
        if self.entries:
            self.scroll_to_region(Region(0, new, 1, 1), animate=False, force=True, immediate=True)

    def refresh_line(self, y: int) -> None:
        if 0 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def action_move(self, by: int) -> None:
        self.cursor += by

    def action_page(self, pages: int) -> None:
        self.cursor += pages * max(1, self.scrollable_content_region.height - 1)

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = len(self.entries) - 1

    def action_select(self) -> None:
        if self.entries:
            self.post_message(self.Selected(self.cursor))

    def on_click(self, event: events.Click) -> None:
        row = event.style.meta.get("row")
        if isinstance(row, int) and 0 <= row < len(self.entries):
            self.cursor = row
            self.action_select()
