"""The message pane's frame scheduler and background renderer.

Events only mark entries dirty; `_flush` brings them up to date at most once per frame, within
a budget, and repaints only the rows that changed. Entries not rendered yet at the current width
(a conversation just opened, a resize) are rendered in small slices by `_background`, nearest to
the screen first, keeping what the user reads in place while the heights above it become exact.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from fleet_tui.common import gc_policy
from fleet_tui.tui.widgets.pane_layout import FLUSH_BUDGET, FRAME
from fleet_tui.tui.widgets.pane_renderer import FREEZE_LINES, PaneRenderer

if TYPE_CHECKING:
    from textual.timer import Timer

BACKGROUND_SLICE = 0.006
BACKGROUND_PERIOD = 0.02


class PaneScheduler(PaneRenderer):
    """At most one flush per frame, slices of background rendering in between."""

    _flush_timer: Timer | None
    _next_flush: float
    _reveal: int | None
    """An item just expanded: scrolled into view at the next flush."""
    _bindings_key: tuple[object, ...] | None

    # -- frame scheduling -------------------------------------------------------------
    def _schedule_flush(self) -> None:
        if self._flush_timer is not None:
            self._flush_timer.resume()

    def _flush(self) -> None:
        """Apply pending changes to the lines: at most once per frame."""
        if self._flush_timer is not None:
            self._flush_timer.pause()
        if not self._dirty or self._width <= 0:
            return
        now = time.perf_counter()
        if now < self._next_flush:
            self._schedule_flush()
            return
        dirty = sorted(self._dirty)
        self._dirty.clear()
        view = self._view
        first, last = self._visible_range() if not view.pinned else (0, -1)
        shift = 0
        deadline = now + FLUSH_BUDGET
        rendered: list[int] = []
        moved = False
        for index in dirty:
            if index >= len(view.entries):
                continue
            old = view.entries[index].height
            if self._ensure(index, deadline):
                moved = True
                if not view.pinned and index < first:
                    shift += view.entries[index].height - old
            rendered.append(index)
        self._update_virtual_size()
        scroll_y = self.scroll_y
        if view.pinned:
            self._jump_to(self.max_scroll_y, ensure=False)
        elif shift:
            self._jump_to(self.scroll_y + shift, ensure=False)
        elif dirty and dirty[-1] >= first and dirty[0] <= max(last, first):
            moved |= self._ensure_visible()
        if not view.pinned and not view.new_below and dirty and dirty[-1] >= last:
            below = self._total - (self.scroll_y + self.scrollable_content_region.height)
            if below > 0:  # the user reads above: say that something came below
                view.new_below = True
                self.refresh()
        if self._reveal is not None and self._reveal < len(view.entries):
            self._scroll_into_view(self._reveal)  # an item just expanded: show it
        self._reveal = None
        if self.scroll_y == scroll_y:
            # nothing scrolled: repaint only the rows that changed (usually the last line)
            self._refresh_rows(rendered, moved)
        spent = time.perf_counter() - now
        # a slow frame (a huge growing block) leaves the event loop twice that time to breathe
        self._next_flush = now + spent * 3 if spent > 2 * FRAME else 0.0
        self._refresh_bindings_if_changed()

    def _refresh_bindings_if_changed(self) -> None:
        """The footer rebuilds itself on every refresh_bindings (30-100 ms): ask only while
        the pane's keys are shown (it has focus) and what check_action answers changed."""
        if not self.has_focus:
            self._bindings_key = None
            return
        key = tuple(
            self.check_action(a, ()) for a in ("retry", "activate", "copy_item", "copy_code")
        )
        if key != self._bindings_key:
            self._bindings_key = key
            self.refresh_bindings()

    def _refresh_rows(self, indices: list[int], moved: bool) -> None:
        if not indices:
            return
        self._update_starts()
        entries = self._view.entries
        top = int(self.scroll_y)
        bottom = top + max(1, self.scrollable_content_region.height)
        start = min(self._starts[i] + entries[i].prefix + entries[i].changed_from for i in indices)
        if moved:
            end = bottom  # heights changed: everything below moved
        else:
            end = max(self._starts[i] + entries[i].prefix + entries[i].height for i in indices)
        start, end = max(start, top), min(end, bottom)
        if end > start:
            self.refresh_lines(start, end - start)

    def _background(self) -> None:
        """Render a slice of the entries not rendered yet, nearest to the screen first."""
        if self._background_timer is None:
            return
        if not self._stale or self._width <= 0:
            self._background_timer.pause()
            return
        view = self._view
        first, last = self._visible_range()
        order = sorted(self._stale, key=lambda i: min(abs(i - first), abs(i - last)))
        deadline = time.perf_counter() + BACKGROUND_SLICE
        shift = 0
        visible = False
        for index in order:
            if index >= len(view.entries):
                self._stale.discard(index)
                continue
            old = view.entries[index].height
            if self._ensure(index, deadline) and index < first:
                shift += view.entries[index].height - old
            self._lines_since_freeze += view.entries[index].height
            visible |= first <= index <= last
            self._stale.discard(index)
            if time.perf_counter() > deadline:
                break
        if self._lines_since_freeze >= FREEZE_LINES or not self._stale:
            self._freeze()
        self._update_virtual_size()
        scroll_y = self.scroll_y
        if view.pinned:
            self._jump_to(self.max_scroll_y, ensure=False)
        elif shift:
            # keep what the user is reading in place while heights above it become exact
            self._jump_to(self.scroll_y + shift, ensure=False)
        if visible and self.scroll_y == scroll_y:
            self.refresh()  # off-screen work needs no repaint (the scrollbar updates itself)

    def _freeze(self) -> None:
        """Move what is alive now out of the cycle collector's reach (see FREEZE_LINES)."""
        gc_policy.settle()
        self._lines_since_freeze = 0
