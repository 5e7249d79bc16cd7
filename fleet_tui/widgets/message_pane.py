"""The message pane: a conversation drawn with Textual's line API.

No widget per message: the pane is one `ScrollView` whose `render_line` looks up the item under
a line and returns its cached `Strip`. Why it stays fast whatever the length of a reply or thread:

- items are rendered to strips once per width and kept; an agent reply that is still streaming
  re-renders only its last markdown block (`StreamingMarkdown`);
- events only mark items dirty; the strips are brought up to date at most once per frame;
- a conversation opens by rendering the items at the bottom; the others get an estimated height
  and are rendered in small slices in the background (and at once when scrolled into view).
"""

from __future__ import annotations

import contextlib
import gc
import sys
import time
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events, work
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Offset, Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip
from textual.timer import Timer
from textual.widget import Widget

if TYPE_CHECKING:
    from fleet_tui.widgets.markdown_render import PlainText, StreamingMarkdown

from fleet_tui.events import Event
from fleet_tui.sanitize import for_row
from fleet_tui.transcript import (
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
from fleet_tui.widgets.item_render import ItemRenderer, PaneStyles
from fleet_tui.widgets.lines import EMPTY, Line, text_of, to_strip
from fleet_tui.widgets.notices import tell

__all__ = ["MessagePane"]

GUTTER = 2
RIGHT_MARGIN = 1
FRAME = 1 / 60
FLUSH_BUDGET = 0.010
# A transcript and its rendered lines live as long as the conversation is open. Moved out of
# the cycle collector's reach when it opens and every FREEZE_LINES lines the background render
# adds, they keep the collector's full passes short: opening a long thread otherwise set them
# off again and again, 35-60 ms each, as the lines piled up.
FREEZE_LINES = 8000
BACKGROUND_SLICE = 0.006
BACKGROUND_PERIOD = 0.02

WARM_LEXERS = (
    "python", "bash", "javascript", "typescript", "json", "yaml", "sql", "toml", "html", "css",
    "go", "rust", "java", "c", "cpp", "diff", "text",
)  # fmt: skip

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
    key: tuple[int, int, int, bool] | None = None
    stream: StreamingMarkdown | PlainText | None = None
    stream_key: tuple[int, int, int, bool] | None = None
    width: int = 0
    """The width `body` was rendered at (0: never rendered)."""
    changed_from: int = 0
    """First body row that the last render changed (rows above it are the same strips)."""
    too_deep: bool = False
    """The reply nests deeper than markdown can be drawn here: it is shown as plain text."""


@dataclass(slots=True, eq=False)
class _View:
    """What the pane keeps per transcript, so switching back to one is instant."""

    transcript: Transcript
    entries: list[_Entry]
    scroll_y: float = 0.0
    pinned: bool = True
    cursor: int | None = None


class MessagePane(ScrollView, can_focus=True):
    """Shows a `Transcript`: roles, markdown replies, tool blocks, errors, approvals."""

    DEFAULT_CSS = """
    MessagePane {
        overflow-y: scroll;
        overflow-x: hidden;
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "message-pane--user-label",
        "message-pane--agent-label",
        "message-pane--meta",
        "message-pane--user-text",
        "message-pane--user-gutter",
        "message-pane--agent-gutter",
        "message-pane--error-gutter",
        "message-pane--cursor",
        "message-pane--cursor-gutter",
        "message-pane--tool",
        "message-pane--tool-name",
        "message-pane--tool-running",
        "message-pane--tool-done",
        "message-pane--tool-failed",
        "message-pane--reasoning",
        "message-pane--error-title",
        "message-pane--error-text",
        "message-pane--hint",
        "message-pane--notice",
        "message-pane--auth",
        "message-pane--auth-url",
        "message-pane--interrupt",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Previous item", show=False, id="messages.cursor_up"),
        Binding("down,j", "cursor_down", "Next item", show=False, id="messages.cursor_down"),
        Binding("enter,space", "activate", "Expand / review", id="messages.activate"),
        Binding("t", "toggle_all_tools", "All tools", id="messages.toggle_all_tools"),
        Binding("c", "copy_item", "Copy", id="messages.copy"),
        Binding("y", "copy_code", "Copy code", show=False, id="messages.copy_code"),
        Binding("r", "retry", "Retry", id="messages.retry"),
        Binding("end,G", "scroll_to_latest", "Latest", show=False, id="messages.latest"),
        Binding("home,g", "scroll_to_top", "Top", show=False, id="messages.top"),
    ]

    class RetryRequested(Message):
        """The user asked to retry after the error block `item`."""

        def __init__(self, pane: MessagePane, item: ErrorItem, index: int) -> None:
            super().__init__()
            self.pane = pane
            self.item = item
            self.index = index

        @property
        def control(self) -> MessagePane:
            return self.pane

    class ReviewRequested(Message):
        """The user activated the pending approval `item`: open the review panel."""

        def __init__(self, pane: MessagePane, item: InterruptItem, index: int) -> None:
            super().__init__()
            self.pane = pane
            self.item = item
            self.index = index

        @property
        def control(self) -> MessagePane:
            return self.pane

    def __init__(
        self,
        transcript: Transcript | None = None,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._views: dict[int, _View] = {}
        self._view = self._make_view(transcript or Transcript())
        self._view.transcript.subscribe(self._on_transcript_changed)
        self._starts: list[int] = []
        self._starts_from = 0
        self._total = 0
        self._width = 0
        self._style_gen = 0
        self._style_fingerprint: tuple[object, ...] | None = None
        self._chrome: tuple[object, ...] | None = None
        self._chrome_gen = 0
        self._renderer: ItemRenderer | None = None
        self._styles = PaneStyles()
        self._label_cache: dict[tuple[str, str | None], Line] = {}
        self._gutter_cache: dict[str, Strip] = {}
        self._line_cache: LRUCache[int, tuple[Line, object, Strip]] = LRUCache(160)
        self._frame: tuple[int, Style, int | None, Selection | None, tuple[int, int]] | None = None
        self._paint_deadline: float | None = None
        self._lines_since_freeze = 0
        self._dirty: set[int] = set()
        self._stale: set[int] = set()
        self._flush_timer: Timer | None = None
        self._background_timer: Timer | None = None
        self._next_flush = 0.0
        self._adjusting_scroll = False
        self._mouse_down_at: Offset | None = None
        self._reveal: int | None = None
        self.render_count = 0
        self._bindings_key: tuple[object, ...] | None = None
        """Lines produced by `render_line` (tests use it to check that only visible lines are)."""

    # -- public API -------------------------------------------------------------------
    @property
    def transcript(self) -> Transcript:
        return self._view.transcript

    @property
    def pinned(self) -> bool:
        """Following the latest message (the view sticks to the bottom as text arrives)."""
        return self._view.pinned

    @property
    def cursor(self) -> int | None:
        """Index of the highlighted item."""
        return self._view.cursor

    @property
    def has_pending_render(self) -> bool:
        """Changes received but not drawn yet (benchmarks wait on this)."""
        return bool(self._dirty)

    def set_transcript(self, transcript: Transcript) -> None:
        """Show another conversation. Its rendered lines are kept for a quick switch back."""
        if transcript is self._view.transcript:
            return
        self._view.scroll_y = self.scroll_y
        self._view.transcript.unsubscribe(self._on_transcript_changed)
        view = self._views.get(id(transcript))
        if view is None or view.transcript is not transcript:
            view = self._make_view(transcript)
        else:
            self._views.pop(id(transcript))
        self._views[id(transcript)] = view
        while len(self._views) > 4:
            self._views.pop(next(iter(self._views)))
        self._view = view
        transcript.subscribe(self._on_transcript_changed)
        self._starts_from = 0  # the line index is per view: rebuild it
        self._sync_entries()
        self._dirty.clear()
        self._freeze()
        self._relayout(restore=view.scroll_y)

    def apply_event(self, event: Event) -> list[int]:
        """Apply a domain event to the shown transcript (the pane redraws on the next frame)."""
        return self.transcript.apply(event)

    def add_user(self, text: str) -> int:
        return self.transcript.add_user(text)

    def add_error(self, title: str, message: str, retryable: bool = True) -> int:
        return self.transcript.add_error(title, message, retryable)

    def add_notice(self, text: str) -> int:
        return self.transcript.add_notice(text)

    def scroll_to_latest(self) -> None:
        """Jump to the newest message and follow new text again."""
        self._view.pinned = True
        self._flush()
        self._jump_to(self.max_scroll_y)

    def action_scroll_to_latest(self) -> None:
        self.scroll_to_latest()

    def action_scroll_to_top(self) -> None:
        self._view.pinned = False
        self._jump_to(0)

    def action_toggle_all_tools(self) -> None:
        """Expand every tool block, or collapse them all if they all are expanded."""
        entries = self._view.entries
        tools = [i for i, e in enumerate(entries) if isinstance(e.item, ToolItem)]
        if not tools:
            return
        expand = not all(entries[i].item.expanded for i in tools)
        for index in tools:
            entries[index].item.expanded = expand
        self.transcript.changed(*tools)

    def toggle_item(self, index: int) -> None:
        item = self.transcript.items[index]
        if isinstance(item, (ToolItem, ReasoningItem)):
            item.expanded = not item.expanded
            self._reveal = index
            self.transcript.changed(index)

    def line_texts(self, index: int | None = None) -> list[str]:
        """Plain text of every line (or of one item's lines), as drawn; renders what it must."""
        entries = self._view.entries
        indices = range(len(entries)) if index is None else [index]
        out: list[str] = []
        for i in indices:
            self._ensure(i)
            entry = entries[i]
            out.extend(self._prefix_text(entry, row) for row in range(entry.prefix))
            out.extend(text_of(line).rstrip() for line in entry.body)
        return out

    # -- transcript bookkeeping -------------------------------------------------------
    def _make_view(self, transcript: Transcript) -> _View:
        view = _View(transcript, [])
        self._views[id(transcript)] = view
        return view

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
            if speaker is not None and speaker != _speaker(previous):
                entry.label = speaker
            compact = isinstance(item, _COMPACT) and isinstance(previous, _COMPACT)
            entry.prefix = (0 if compact and entry.label is None else 1) + (1 if entry.label else 0)
        else:
            entry.label = _speaker(item)
            entry.prefix = 1 if entry.label else 0
        return entry

    def _on_transcript_changed(self, changed: list[int]) -> None:
        if len(self._view.entries) < len(self.transcript.items):
            self._sync_entries()
        self._dirty.update(changed)
        self._schedule_flush()

    # -- rendering items --------------------------------------------------------------
    def _key(self, entry: _Entry) -> tuple[int, int, int, bool]:
        return (self._width, self._style_gen, entry.item.version, entry.item.expanded)

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
        from fleet_tui.widgets.markdown_render import (
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
            if item.interrupted:
                return [*lines, renderer.interrupted_marker()], True
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

    # -- Textual hooks ----------------------------------------------------------------
    def on_mount(self) -> None:
        self.set_timer(0.1, self._start_warm_up)
        self._flush_timer = self.set_interval(FRAME, self._flush, pause=True)
        self._background_timer = self.set_interval(BACKGROUND_PERIOD, self._background, pause=True)
        self._sync_entries()
        self.call_after_refresh(self._relayout)

    def _freeze(self) -> None:
        """Move what is alive now out of the cycle collector's reach (see FREEZE_LINES)."""
        gc.collect(1)  # young cyclic garbage first (under 1 ms), or it would never go
        gc.freeze()
        self._lines_since_freeze = 0

    def _start_warm_up(self) -> None:
        # Soon after the first frame, before the user is likely to type: imports in a thread
        # still slow the event loop's thread while they run. A reply being drawn loads the
        # lexers it needs itself, and warming up beside it would only slow it down.
        if self.has_pending_render:
            self.set_timer(0.25, self._start_warm_up)
        else:
            self._warm_up()

    @work(thread=True, exit_on_error=False, group="message-pane-warm-up")
    def _warm_up(self) -> None:
        """Load the syntax lexers replies use most, off the event loop.

        Loading a Pygments lexer the first time costs up to ~30 ms; doing it while the first
        code block streams in would show as a stall.
        """
        from pygments.lexers import get_lexer_by_name
        from pygments.util import ClassNotFound

        # ~100 ms of imports and regex compiling that hold the GIL: at the default 5 ms switch
        # interval, every call of the event loop's thread that lets the GIL go (an SQLite
        # step, a socket read) would wait up to 5 ms to get it back
        interval = sys.getswitchinterval()
        sys.setswitchinterval(min(interval, 0.0005))
        try:
            for name in WARM_LEXERS:
                with contextlib.suppress(ClassNotFound):
                    get_lexer_by_name(name)
        finally:
            sys.setswitchinterval(interval)

    def on_unmount(self) -> None:
        self.transcript.unsubscribe(self._on_transcript_changed)

    def on_resize(self, event: events.Resize) -> None:
        self._relayout()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        if self.is_mounted and self._width > 0:
            generation, chrome = self._style_gen, self._chrome_gen
            self._read_styles()
            if generation != self._style_gen:
                self._relayout()
            elif chrome != self._chrome_gen:
                self.refresh()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if not self._adjusting_scroll:
            self._after_scroll()

    def _after_scroll(self, ensure: bool = True) -> None:
        self._view.pinned = self.scroll_y >= self.max_scroll_y
        if ensure and self._width > 0 and self._ensure_visible():
            self._update_virtual_size()
            self.refresh()

    def on_focus(self) -> None:
        self.refresh()
        self.refresh_bindings()

    def on_blur(self) -> None:
        self.refresh()

    # -- lines ------------------------------------------------------------------------
    def _label_line(self, speaker: str, node: str | None) -> Line:
        key = (speaker, node)
        strip = self._label_cache.get(key)
        if strip is None:
            styles = self._styles
            if speaker == "user":
                text = Text("You", style=styles.user_label)
            else:
                text = Text("Agent", style=styles.agent_label)
                if node:
                    text.append(f" · {for_row(node)}", style=styles.meta)
            strip = self._get_renderer().one_line(text)
            self._label_cache[key] = strip
        return strip

    def _prefix_text(self, entry: _Entry, row: int) -> str:
        if entry.label and row == entry.prefix - 1:
            return text_of(self._prefix_line(entry)).rstrip()
        return ""

    def _prefix_line(self, entry: _Entry) -> Line:
        node = entry.item.node if isinstance(entry.item, AssistantItem) else None
        return self._label_line(entry.label or "agent", node)

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

    # -- selection --------------------------------------------------------------------
    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        self._update_starts()
        if not self._total:
            return None
        start, end = selection
        y0 = start.y if start is not None else 0
        y1 = min(end.y if end is not None else self._total - 1, self._total - 1)
        lines = [self._line_text(vy) for vy in range(y0, y1 + 1)]
        local = Selection(
            Offset(start.x, 0) if start is not None else None,
            Offset(end.x, y1 - y0) if end is not None else None,
        )
        return local.extract("\n".join(lines)), "\n"

    def _line_text(self, vy: int) -> str:
        index, row = self._locate(vy)
        self._ensure(index)
        self._update_starts()
        index, row = self._locate(vy)
        entry = self._view.entries[index]
        if row < entry.prefix:
            return self._prefix_text(entry, row)
        body_row = row - entry.prefix
        return text_of(entry.body[body_row]).rstrip() if body_row < len(entry.body) else ""

    def selection_updated(self, selection: Selection | None) -> None:
        self.refresh()

    # -- cursor and actions -----------------------------------------------------------
    def _move_cursor(self, index: int) -> None:
        entries = self._view.entries
        if not entries:
            return
        index = max(0, min(len(entries) - 1, index))
        self._view.cursor = index
        self._ensure(index)
        self._update_virtual_size()
        self._scroll_into_view(index)
        self.refresh()
        self.refresh_bindings()

    def _latest_visible(self) -> int:
        _, last = self._visible_range()
        return last

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

    def action_cursor_up(self) -> None:
        # with nothing highlighted, the first key highlights the latest item on screen
        cursor = self.cursor
        self._move_cursor(self._latest_visible() if cursor is None else cursor - 1)

    def action_cursor_down(self) -> None:
        cursor = self.cursor
        self._move_cursor(self._latest_visible() if cursor is None else cursor + 1)

    def _cursor_item(self) -> Item | None:
        """The highlighted item; with none, the latest on screen (and it becomes highlighted)."""
        items = self.transcript.items
        if not items:
            return None
        if self.cursor is None:
            self._view.cursor = self._latest_visible()
            self.refresh()
        cursor = self.cursor
        return items[cursor] if cursor is not None and cursor < len(items) else None

    def action_activate(self) -> None:
        if self._cursor_item() is not None:
            self._activate(self.cursor)

    def _activate(self, index: int | None) -> None:
        if index is None or index >= len(self.transcript.items):
            return
        item = self.transcript.items[index]
        if isinstance(item, InterruptItem):
            self.post_message(self.ReviewRequested(self, item, index))
        elif isinstance(item, (ToolItem, ReasoningItem)):
            self.toggle_item(index)

    def action_copy_item(self) -> None:
        item = self._cursor_item()
        if item is None:
            return
        text = item.copy_text
        if text:
            self.app.copy_to_clipboard(text)
            what = "link" if isinstance(item, ToolItem) and item.auth_url else "text"
            tell(self, f"Copied the {what} to the clipboard", timeout=2)

    def action_copy_code(self) -> None:
        """Copy the code blocks of the highlighted reply (one, or all of them one after another)."""
        item = self._cursor_item()
        from fleet_tui.widgets.markdown_render import LARGE_REPLY_CHARS, code_blocks

        if isinstance(item, AssistantItem) and item.length > LARGE_REPLY_CHARS:
            # parsing it would freeze the app for seconds
            tell(self, "This reply is too long to look for code blocks in; c copies all of it.")
            return
        blocks = code_blocks(item.text) if isinstance(item, AssistantItem) else []
        if not blocks:
            tell(self, "No code block in the highlighted message.", timeout=2)
            return
        self.app.copy_to_clipboard("\n".join(block.rstrip("\n") + "\n" for block in blocks))
        count = f"{len(blocks)} code blocks" if len(blocks) > 1 else "the code block"
        tell(self, f"Copied {count} to the clipboard", timeout=2)

    def action_retry(self) -> None:
        item = self._cursor_item()
        if isinstance(item, ErrorItem) and item.retryable and self.cursor is not None:
            self.post_message(self.RetryRequested(self, item, self.cursor))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        cursor = self.cursor
        items = self.transcript.items
        if cursor is None and items and action in ("retry", "activate", "copy_item", "copy_code"):
            cursor = self._latest_visible()
        item = items[cursor] if cursor is not None and cursor < len(items) else None
        if action == "retry":
            return True if isinstance(item, ErrorItem) and item.retryable else None
        if action == "activate":
            return True if isinstance(item, (ToolItem, ReasoningItem, InterruptItem)) else None
        if action == "copy_item":
            return True if item is not None else None
        if action == "copy_code":
            return True if isinstance(item, AssistantItem) else None
        return True

    # -- mouse ------------------------------------------------------------------------
    def on_mouse_down(self, event: events.MouseDown) -> None:
        self._mouse_down_at = event.screen_offset

    def on_click(self, event: events.Click) -> None:
        if event.chain != 1 or self._mouse_down_at != event.screen_offset:
            return  # a drag that selected text, or a double click
        offset = event.get_content_offset(self)
        if offset is None or not self._view.entries:
            return
        self._update_starts()
        vy = int(self.scroll_y) + offset.y
        if vy >= self._total:
            return
        index, _ = self._locate(vy)
        self._view.cursor = index
        self._activate(index)
        self.refresh()
        self.refresh_bindings()
