"""The message pane's layout index: where each item starts, what is on screen, scrolling.

Each item of the transcript has an `_Entry`: its rendered lines once rendered, an estimated
height before. `_starts` holds the first row of every entry and is recomputed only from the first
entry whose height changed, so a reply growing at the bottom of a long thread costs one entry,
not the thread. The pane is one `ScrollView`; the classes of `pane_*.py` are its parts, joined in
`MessagePane` (`message_pane.py`).
"""

from __future__ import annotations

import time
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.widget import Widget

from fleet_tui.domain.transcript import (
    AssistantItem,
    ErrorItem,
    InterruptItem,
    Item,
    NoticeItem,
    ReasoningItem,
    ToolItem,
    Transcript,
    UserItem,
)
from fleet_tui.tui.widgets.lines import Line

if TYPE_CHECKING:
    from textual.timer import Timer

    from fleet_tui.tui.widgets.item_render import ItemRenderer
    from fleet_tui.tui.widgets.markdown_render import PlainText, StreamingMarkdown
    from fleet_tui.tui.widgets.subagent_card import CardLines

    _Base = ScrollView
else:
    _Base = object  # a mixin: `MessagePane` puts ScrollView after the pane's parts

GUTTER = 2
RIGHT_MARGIN = 1
FRAME = 1 / 60
FLUSH_BUDGET = 0.010

_COMPACT = (ToolItem, ReasoningItem)


def _speaker(item: Item) -> str | None:
    if isinstance(item, UserItem):
        return "user"
    if isinstance(item, (ErrorItem, NoticeItem)):
        return None
    return "agent"


def _estimate(item: Item, width: int) -> int:
    """A guess of an item's body height, good enough for the scrollbar until it is rendered."""
    width = max(8, width)
    if isinstance(item, AssistantItem):
        if item.length > 1_000_000:  # a guess is a guess: no scan of megabytes for it
            return item.length // width + 1
        return item.length // width + item.count("\n") + 1
    if isinstance(item, UserItem):
        return len(item.text) // width + item.text.count("\n") + 1
    if isinstance(item, ToolItem):
        return (12 if item.expanded else 1) + (3 if item.auth_url else 0)
    if isinstance(item, ErrorItem):
        return 2 + len(item.message) // width
    if isinstance(item, InterruptItem):
        return 2
    return 1


@dataclass(slots=True, eq=False)
class _Entry:
    item: Item
    prefix: int = 0
    """Rows above the body: a blank separator and/or the role label."""
    label: str | None = None
    body: list[Line] = field(default_factory=list)
    height: int = 1
    """Body rows: exact once rendered with `key`, estimated before."""
    key: tuple[int, int, int, bool, bool] | None = None
    stream: StreamingMarkdown | PlainText | None = None
    stream_key: tuple[int, int, int, bool] | None = None
    width: int = 0
    """The width `body` was rendered at (0: never rendered)."""
    changed_from: int = 0
    """First body row that the last render changed (rows above it are the same strips)."""
    too_deep: bool = False
    """The reply nests deeper than markdown can be drawn here: it is shown as plain text."""
    card: CardLines | None = None
    """A sub-agent card's lines, kept per nested item (the card changes with every token)."""


@dataclass(slots=True, eq=False)
class _View:
    """What the pane keeps per transcript, so switching back to one is instant."""

    transcript: Transcript
    entries: list[_Entry]
    scroll_y: float = 0.0
    pinned: bool = True
    cursor: int | None = None
    new_below: bool = False
    """Content arrived below the screen while the user was scrolled up."""


class PaneLayout(_Base):
    """Entries, the start row of each, the visible range, the virtual size and scrolling."""

    _views: dict[int, _View]
    _view: _View
    _starts: list[int]
    _starts_from: int
    """First entry whose start row may be out of date."""
    _total: int
    _width: int
    """Width of the items' text (the pane's, less the gutter and the margin); 0: not laid out."""
    _stale: set[int]
    """Entries not rendered at the current width and styles (the background renders them)."""
    _background_timer: Timer | None
    _adjusting_scroll: bool
    _style_gen: int
    """Bumped when the styles baked into rendered lines change (a theme change)."""
    _renderer: ItemRenderer | None
    _label_cache: dict[tuple[str, str | None, str | None], Line]
    show_usage: bool
    """Each reply's cost is drawn under it (`u`)."""

    if TYPE_CHECKING:

        @property
        def transcript(self) -> Transcript: ...

        def _ensure(self, index: int, deadline: float | None = None) -> bool: ...

        def _read_styles(self) -> None: ...

    def _sync_entries(self) -> None:
        """Add entries for the items the transcript gained (appended only, never removed)."""
        entries = self._view.entries
        self._starts_from = min(self._starts_from, len(entries))
        for index in range(len(entries), len(self.transcript.items)):
            entries.append(self._new_entry(index))

    def _new_entry(self, index: int) -> _Entry:
        items = self.transcript.items
        item = items[index]
        entry = _Entry(item, height=_estimate(item, self._width))
        if index:
            previous = items[index - 1]
            speaker = _speaker(item)
            # a message with siblings always has its label: its "‹ 2/3 ›" is drawn there
            if speaker is not None and (speaker != _speaker(previous) or item.branch):
                entry.label = speaker
            compact = isinstance(item, _COMPACT) and isinstance(previous, _COMPACT)
            entry.prefix = (0 if compact and entry.label is None else 1) + (1 if entry.label else 0)
        else:
            entry.label = _speaker(item)
            entry.prefix = 1 if entry.label else 0
        return entry

    def _key(self, entry: _Entry) -> tuple[int, int, int, bool, bool]:
        item = entry.item
        # a reply's cost is drawn under it while usage is shown: the toggle changes its lines
        usage = self.show_usage and isinstance(item, AssistantItem) and item.usage is not None
        return (self._width, self._style_gen, item.version, item.expanded, usage)

    # -- layout -----------------------------------------------------------------------
    def _update_starts(self) -> None:
        """Recompute where each entry starts, from the first one whose height changed."""
        entries = self._view.entries
        starts = self._starts
        first = min(self._starts_from, len(starts))
        if first >= len(entries) and len(starts) == len(entries):
            return
        del starts[first:]
        y = 0
        if first:
            previous = entries[first - 1]
            y = starts[first - 1] + previous.prefix + previous.height
        for entry in entries[first:]:
            starts.append(y)
            y += entry.prefix + entry.height
        self._starts_from = len(entries)
        self._total = y

    def _locate(self, y: int) -> tuple[int, int]:
        index = bisect_right(self._starts, y) - 1
        return index, y - self._starts[index]

    def _visible_range(self) -> tuple[int, int]:
        """Indices of the first and last entries on screen."""
        if not self._view.entries:
            return 0, -1
        self._update_starts()
        top = int(self.scroll_y)
        bottom = top + max(1, self.scrollable_content_region.height) - 1
        first, _ = self._locate(min(top, max(0, self._total - 1)))
        last, _ = self._locate(min(bottom, max(0, self._total - 1)))
        return max(0, first), max(0, last)

    def _update_virtual_size(self) -> None:
        self._update_starts()
        size = Size(self.scrollable_content_region.width, self._total)
        old = self.virtual_size
        if old == size:
            return
        viewport = self.scrollable_content_region.height
        if old.width == size.width and min(old.height, size.height) > viewport:
            # A line-API widget's virtual size is not part of the screen layout: update the
            # scrollbar only, as Textual does itself after a layout, instead of asking for a
            # layout of the whole screen at every new line.
            self.set_reactive(Widget.virtual_size, size)
            self._scroll_update(size)
        else:
            self.virtual_size = size

    def _jump_to(self, y: float, ensure: bool = True) -> None:
        self._adjusting_scroll = True
        try:
            self.scroll_to(y=y, animate=False, immediate=True)
        finally:
            self._adjusting_scroll = False
        self._after_scroll(ensure)

    def _ensure_visible(self) -> bool:
        """Render the entries on screen; repeat while heights move others into view."""
        changed = False
        deadline = time.perf_counter() + FLUSH_BUDGET
        for _ in range(8):
            first, last = self._visible_range()
            moved = False
            for index in range(first, last + 1):
                moved |= self._ensure(index, deadline)
            changed |= moved
            if not moved or time.perf_counter() > deadline:
                break
        return changed

    def _relayout(self, restore: float | None = None) -> None:
        """Everything again (new width, new styles, another transcript)."""
        width = self.scrollable_content_region.width - GUTTER - RIGHT_MARGIN
        if width <= 0 or not self.is_mounted:
            return
        self._read_styles()
        view = self._view
        anchor: tuple[int, int] | None = None
        if restore is None and not view.pinned and view.entries and self._total:
            self._update_starts()
            anchor = self._locate(min(int(self.scroll_y), self._total - 1))
        if width != self._width:
            self._width = width
            self._renderer = None
            self._label_cache.clear()
        entries = self._view.entries
        stale = set()
        for index, entry in enumerate(entries):
            if entry.key != self._key(entry):
                stale.add(index)
                if entry.key is not None and entry.key[0] != width:
                    entry.height = _estimate(entry.item, width)
        self._stale = stale
        self._starts_from = 0
        if view.pinned:
            # bottom first: render from the end until the screen is full
            height = max(1, self.scrollable_content_region.height)
            filled = 0
            deadline = time.perf_counter() + 3 * FLUSH_BUDGET
            for index in range(len(entries) - 1, -1, -1):
                self._ensure(index, deadline)
                filled += entries[index].prefix + entries[index].height
                if filled >= height:
                    break
            self._update_virtual_size()
            self._jump_to(self.max_scroll_y)
        else:
            if anchor is not None:
                # keep the message that was at the top of the screen there
                index, row = anchor
                self._ensure(index)
                self._update_virtual_size()
                entry = entries[index]
                restore = self._starts[index] + min(row, entry.prefix + entry.height - 1)
            self._update_virtual_size()
            if restore is not None:
                self._jump_to(restore)
            self._ensure_visible()
            self._update_virtual_size()
        self.refresh()
        if self._stale and self._background_timer is not None:
            self._background_timer.resume()

    def _after_scroll(self, ensure: bool = True) -> None:
        self._view.pinned = self.scroll_y >= self.max_scroll_y
        if self._view.pinned and self._view.new_below:
            self._view.new_below = False
            self.refresh()
        if ensure and self._width > 0 and self._ensure_visible():
            self._update_virtual_size()
            self.refresh()

    def _scroll_into_view(self, index: int) -> None:
        """Scroll so the item is on screen; its top first when it is taller than the screen."""
        self._update_starts()
        entry = self._view.entries[index]
        start = self._starts[index]
        end = start + entry.prefix + entry.height
        height = max(1, self.scrollable_content_region.height)
        if start < self.scroll_y:
            self._jump_to(start)
        elif end > self.scroll_y + height:
            self._jump_to(min(start, end - height))
