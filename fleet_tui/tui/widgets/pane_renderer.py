"""The message pane's renderer: items to lines, and lines to the strips Textual paints.

Items are rendered to `Line`s once per width and style generation and kept in their entry; an
agent reply that is still streaming re-renders only its last markdown block (`StreamingMarkdown`).
A `Strip` is made only for a line on screen, with the gutter and the cursor drawn around the
cached line at paint time, so moving the cursor or a theme's chrome renders nothing again.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.cache import LRUCache
from textual.geometry import Region
from textual.selection import Selection
from textual.strip import Strip

from fleet_tui.common.sanitize import for_row
from fleet_tui.domain.transcript import AssistantItem, ErrorItem, NoticeItem, ToolItem, UserItem
from fleet_tui.domain.usage import usage_words
from fleet_tui.tui.widgets.item_render import ItemRenderer, PaneStyles
from fleet_tui.tui.widgets.lines import EMPTY, Line, text_of, to_strip
from fleet_tui.tui.widgets.pane_layout import FRAME, GUTTER, PaneLayout, _Entry

# A transcript and its rendered lines live as long as the conversation is open. Moved out of
# the cycle collector's reach when it opens and every FREEZE_LINES lines the background render
# adds, they keep the collector's full passes short: opening a long thread otherwise set them
# off again and again, 35-60 ms each, as the lines piled up.
FREEZE_LINES = 8000
# drawn over the last row while the user reads above and something new came below
NEW_BELOW = " ↓ new below (end) "


class PaneRenderer(PaneLayout):
    """Brings entries' lines up to date (`_ensure`) and paints them (`render_line`)."""

    _style_fingerprint: tuple[object, ...] | None
    _chrome: tuple[object, ...] | None
    _chrome_gen: int
    """Bumped when what is drawn around the cached lines (gutters, cursor) changes."""
    _styles: PaneStyles
    _gutter_styles: dict[str, Style]
    _cursor_style: Style
    _gutter_cache: dict[str, Strip]
    _line_cache: LRUCache[int, tuple[Line, object, Strip]]
    _frame: tuple[int, Style, int | None, Selection | None, tuple[int, int]] | None
    _paint_deadline: float | None
    _lines_since_freeze: int
    _dirty: set[int]
    render_count: int
    """Lines produced by `render_line` (tests use it to check that only visible lines are)."""

    if TYPE_CHECKING:

        def _schedule_flush(self) -> None: ...

        def _freeze(self) -> None: ...

    def _ensure(self, index: int, deadline: float | None = None) -> bool:
        """Bring one entry's lines up to date; True if its height changed.

        With a `deadline`, a reply with much new text may be brought up to date over several
        frames: it stays dirty until it has caught up.
        """
        entry = self._view.entries[index]
        key = self._key(entry)
        if entry.key == key or self._width <= 0:
            return False
        if deadline is not None and entry.width == self._width and time.perf_counter() > deadline:
            # out of time this frame and something is drawn already: catch up next frame
            self._dirty.add(index)
            self._schedule_flush()
            return False
        renderer = self._get_renderer()
        item = entry.item
        entry.changed_from = 0
        if isinstance(item, AssistantItem):
            if entry.stream is not None and entry.width == self._width:
                entry.changed_from = entry.stream.settled_lines
            before = len(entry.body)  # the same list may grow in place
            body, done = self._render_assistant(entry, item, renderer, deadline)
            # a huge reply adds lines by the hundred thousand: out of the collector's reach
            # as they come, as the background render's are
            self._lines_since_freeze += max(0, len(body) - before)
            if self._lines_since_freeze >= FREEZE_LINES:
                self._freeze()
            entry.body = body
            if done:
                entry.key = key
            else:
                entry.key = None
                self._dirty.add(index)
                self._schedule_flush()
        elif isinstance(item, ToolItem) and item.is_subagent:
            # loaded with the first card: the first frame does without markdown
            from fleet_tui.tui.widgets.subagent_card import CardLines, first_difference

            card = entry.card
            if card is None or card.renderer is not renderer:
                card = entry.card = CardLines(renderer)
            old = entry.body if entry.width == self._width else []
            entry.body = card.render(item, deadline)
            entry.changed_from = first_difference(old, entry.body)
            if card.pending:
                # a finished reply's markdown did not fit in this frame: the rest next frame
                entry.key = None
                self._dirty.add(index)
                self._schedule_flush()
            else:
                entry.key = key
        else:
            entry.body = renderer.render(item)
            entry.key = key
        entry.width = self._width
        self._stale.discard(index)
        if len(entry.body) != entry.height:
            entry.height = len(entry.body)
            self._starts_from = min(self._starts_from, index)
            return True
        return False

    def _render_assistant(
        self,
        entry: _Entry,
        item: AssistantItem,
        renderer: ItemRenderer,
        deadline: float | None,
    ) -> tuple[list[Line], bool]:
        from fleet_tui.tui.widgets.markdown_render import (
            LARGE_REPLY_CHARS,
            PlainText,
            StreamingMarkdown,
            TooDeep,
        )

        plain = entry.too_deep or item.length > LARGE_REPLY_CHARS
        stream_key = (self._width, self._style_gen, item.generation, plain)
        stream = entry.stream
        if stream is None or entry.stream_key != stream_key:
            if plain:
                head = [renderer.plain_note(item.length, entry.too_deep)]
                stream = PlainText(renderer.width, head)
            else:
                stream = StreamingMarkdown(renderer.blocks)
            entry.stream = stream
            entry.stream_key = stream_key
        try:
            if isinstance(stream, PlainText):
                done = stream.update_from(item.text_window, item.length, item.complete, deadline)
            else:
                done = stream.update(item.text_from(stream.offset), item.complete, deadline)
        except TooDeep:
            entry.too_deep = True
            return self._render_assistant(entry, item, renderer, deadline)
        lines = stream.lines
        if item.complete and done:
            # finished: nothing will grow again, so the streaming state can go
            entry.stream = None
            entry.stream_key = None
            below = [renderer.interrupted_marker()] if item.interrupted else []
            if self.show_usage and (words := usage_words(item.usage)):
                below.append(renderer.usage_line(words))
            if below:
                return [*lines, *below], True
        return lines, done

    def _get_renderer(self) -> ItemRenderer:
        if self._renderer is None or self._renderer.width != max(8, self._width):
            dark = getattr(self.app.current_theme, "dark", True)
            self._renderer = ItemRenderer(
                self.app.console, self._width, self._styles, "monokai" if dark else "default"
            )
            self._label_cache.clear()
        return self._renderer

    def _read_styles(self) -> None:
        def style(name: str) -> Style:
            return self.get_component_rich_style(f"message-pane--{name}", partial=True)

        styles = PaneStyles(
            user_label=style("user-label"),
            agent_label=style("agent-label"),
            meta=style("meta"),
            user_text=style("user-text"),
            tool=style("tool"),
            tool_name=style("tool-name"),
            tool_running=style("tool-running"),
            tool_done=style("tool-done"),
            tool_failed=style("tool-failed"),
            reasoning=style("reasoning"),
            error_title=style("error-title"),
            error_text=style("error-text"),
            hint=style("hint"),
            notice=style("notice"),
            auth=style("auth"),
            auth_url=style("auth-url"),
            interrupt=style("interrupt"),
            diff_removed=style("diff-removed"),
            diff_added=style("diff-added"),
            subagent=style("subagent"),
        )
        gutters = {
            "user": style("user-gutter"),
            "agent": style("agent-gutter"),
            "error": style("error-gutter"),
            "cursor": style("cursor-gutter"),
        }
        # full style: the highlight's background is blended with the pane's, not left translucent
        cursor = self.get_component_rich_style("message-pane--cursor")
        chrome = (tuple(gutters.items()), cursor)
        if chrome != self._chrome:
            # drawn around the cached lines at paint time: no need to render anything again
            self._chrome = chrome
            self._gutter_styles = gutters
            self._cursor_style = cursor
            self._gutter_cache.clear()
            self._chrome_gen += 1
        dark = getattr(self.app.current_theme, "dark", True)
        fingerprint = (styles, dark)
        if fingerprint != self._style_fingerprint:
            # baked into the rendered lines (a theme change): everything is rendered again
            self._style_fingerprint = fingerprint
            self._styles = styles
            self._style_gen += 1
            self._renderer = None
            self._label_cache.clear()

    # -- lines ------------------------------------------------------------------------
    def _label_line(self, speaker: str, node: str | None, branch: str | None = None) -> Line:
        key = (speaker, node, branch)
        strip = self._label_cache.get(key)
        if strip is None:
            styles = self._styles
            if speaker == "user":
                text = Text("You", style=styles.user_label)
            else:
                text = Text("Agent", style=styles.agent_label)
                if node:
                    text.append(f" · {for_row(node)}", style=styles.meta)
            if branch:  # the message has siblings: `[` / `]` switch between them
                text.append(f"  ‹ {branch} ›", style=styles.meta)
            strip = self._get_renderer().one_line(text)
            self._label_cache[key] = strip
        return strip

    def _prefix_text(self, entry: _Entry, row: int) -> str:
        if entry.label and row == entry.prefix - 1:
            return text_of(self._prefix_line(entry)).rstrip()
        return ""

    def _prefix_line(self, entry: _Entry) -> Line:
        node = entry.item.node if isinstance(entry.item, AssistantItem) else None
        return self._label_line(entry.label or "agent", node, entry.item.branch)

    def _gutter_kind(self, entry: _Entry, cursor: bool) -> str:
        if cursor:
            return "cursor"
        item = entry.item
        if isinstance(item, NoticeItem):
            return "none"
        if isinstance(item, UserItem):
            return "user"
        return "error" if isinstance(item, ErrorItem) else "agent"

    def _gutter(self, kind: str) -> Strip:
        strip = self._gutter_cache.get(kind)
        if strip is None:
            if kind == "none":
                strip = Strip([Segment(" " * GUTTER)], GUTTER)
            else:
                mark = "▌ " if kind == "cursor" else "▎ "
                strip = Strip([Segment(mark, self._gutter_styles[kind])], GUTTER)
            self._gutter_cache[kind] = strip
        return strip

    def render_lines(self, crop: Region) -> list[Strip]:
        # what every line of this paint shares, read once rather than per line
        self._frame = (
            self.scrollable_content_region.width,
            self.rich_style,
            self._view.cursor if self.has_focus else None,
            self.text_selection,
            (self._style_gen, self._chrome_gen),
        )
        # entries drawn for the first time during this paint share one frame of rendering
        self._paint_deadline = time.perf_counter() + FRAME
        try:
            return super().render_lines(crop)
        finally:
            self._frame = None
            self._paint_deadline = None

    def render_line(self, y: int) -> Strip:
        line = self._render_line(y)
        if self._view.new_below and y == self.scrollable_content_region.height - 1:
            line = self._with_new_below_marker(line)
        return line

    def _with_new_below_marker(self, line: Strip) -> Strip:
        """The last row on screen, with "↓ new below (end)" at its right."""
        gutters = getattr(self, "_gutter_styles", {})
        style = self.rich_style + gutters.get("cursor", Style()) + Style(reverse=True)
        marker = Strip([Segment(NEW_BELOW, style)], cell_len(NEW_BELOW))
        width = line.cell_length
        if width <= marker.cell_length + 1:
            return line
        return Strip.join(
            [line.crop(0, width - marker.cell_length - 1), marker, line.crop(width - 1)]
        )

    def _render_line(self, y: int) -> Strip:
        self.render_count += 1
        frame = self._frame
        if frame is None:
            frame = (
                self.scrollable_content_region.width,
                self.rich_style,
                self._view.cursor if self.has_focus else None,
                self.text_selection,
                (self._style_gen, self._chrome_gen),
            )
        width, base, cursor, selection, _ = frame
        vy = self.scroll_offset.y + y
        entries = self._view.entries
        if self._width <= 0 or not entries:
            return Strip.blank(width, base)
        self._update_starts()
        if vy >= self._total or vy < 0:
            return Strip.blank(width, base)
        index, row = self._locate(vy)
        entry = entries[index]
        # scrolled faster than the background: draw it now, fix the scrollbar next frame
        if entry.width != self._width and self._ensure(
            index, self._paint_deadline or time.perf_counter() + FRAME
        ):
            self.call_after_refresh(self._update_virtual_size)
            self._update_starts()
            index, row = self._locate(vy)
            entry = entries[index]
        on_cursor = index == cursor and row >= entry.prefix
        if row < entry.prefix:
            is_label = entry.label is not None and row == entry.prefix - 1
            body = self._prefix_line(entry) if is_label else EMPTY
            kind = self._gutter_kind(entry, index == cursor) if is_label else "none"
        else:
            body_row = row - entry.prefix
            body = entry.body[body_row] if body_row < len(entry.body) else EMPTY
            kind = self._gutter_kind(entry, on_cursor)
        token = (kind, on_cursor, frame)
        if selection is None:
            cached = self._line_cache.get(vy)
            # `is`: the very same rendered line (settled lines are kept while a reply grows)
            if cached is not None and cached[0] is body and cached[1] == token:
                return cached[2]
        line = to_strip(body).crop_extend(0, width - GUTTER, None)
        if on_cursor:
            line = line.apply_style(self._cursor_style)
        if selection is not None:
            line = self._select(line, selection, vy)
        line = line.apply_offsets(0, vy)
        line = Strip.join([self._gutter(kind), line]).apply_style(base)
        if selection is None:
            self._line_cache[vy] = (body, token, line)
        return line

    def _select(self, body: Strip, selection: Selection, vy: int) -> Strip:
        span = selection.get_span(vy)
        if span is None:
            return body
        text = body.text
        start, end = span
        if end == -1:
            end = len(text.rstrip()) or len(text)
        if start >= end:
            return body
        start_cell = body.index_to_cell_position(start)
        end_cell = body.index_to_cell_position(end)
        before, chosen, after = body.divide([start_cell, end_cell, body.cell_length])
        style = self.screen.get_component_rich_style("screen--selection")
        chosen = Strip(
            [Segment(t, (s or Style()) + style, c) for t, s, c in chosen], chosen.cell_length
        )
        return Strip.join([before, chosen, after])
