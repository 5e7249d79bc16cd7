"""The message pane: a conversation drawn with Textual's line API.

No widget per message: the pane is one `ScrollView` whose `render_line` looks up the item under
a line and returns its cached `Strip`. Why it stays fast whatever the length of a reply or thread:

- items are rendered to strips once per width and kept; an agent reply that is still streaming
  re-renders only its last markdown block (`StreamingMarkdown`);
- events only mark items dirty; the strips are brought up to date at most once per frame;
- a conversation opens by rendering the items at the bottom; the others get an estimated height
  and are rendered in small slices in the background (and at once when scrolled into view).

The pane is put together from its parts, each a class in its own module: `pane_layout` (the
entries and where each starts, the visible range, scrolling), `pane_renderer` (items to lines,
lines to strips), `pane_scheduler` (one flush per frame, the background renderer) and
`pane_actions` (cursor, actions, selection, mouse). This module holds the widget itself: its
public API, its keys and messages, and Textual's hooks.
"""

from __future__ import annotations

import contextlib
import sys
from typing import ClassVar

from textual import events, work
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.message import Message
from textual.scroll_view import ScrollView

from fleet_tui.domain.events import Event
from fleet_tui.domain.transcript import ErrorItem, InterruptItem, Transcript
from fleet_tui.tui.widgets.item_render import PaneStyles
from fleet_tui.tui.widgets.lines import text_of
from fleet_tui.tui.widgets.pane_actions import PaneActions
from fleet_tui.tui.widgets.pane_layout import FRAME, _View
from fleet_tui.tui.widgets.pane_scheduler import BACKGROUND_PERIOD

__all__ = ["MessagePane"]

WARM_LEXERS = (
    "python", "bash", "javascript", "typescript", "json", "yaml", "sql", "toml", "html", "css",
    "go", "rust", "java", "c", "cpp", "diff", "text",
)  # fmt: skip


class MessagePane(PaneActions, ScrollView, can_focus=True):
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
        "message-pane--diff-removed",
        "message-pane--diff-added",
        "message-pane--subagent",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Previous item", show=False, id="messages.cursor_up"),
        Binding("down,j", "cursor_down", "Next item", show=False, id="messages.cursor_down"),
        Binding("enter,space", "activate", "Expand / review", id="messages.activate"),
        Binding("t", "toggle_all_tools", "All tools", id="messages.toggle_all_tools"),
        Binding("c", "copy_item", "Copy", id="messages.copy"),
        Binding("y", "copy_code", "Copy code", show=False, id="messages.copy_code"),
        Binding("r", "retry", "Retry", id="messages.retry"),
        Binding(
            "u",
            "toggle_usage",
            "Usage",
            show=False,
            id="messages.toggle_usage",
            tooltip="Show or hide what each reply cost: model, tokens in and out, wall time",
        ),
        Binding("r", "regenerate", "Regenerate", id="messages.regenerate"),
        Binding("e", "edit_message", "Edit", id="messages.edit"),
        Binding("[", "branch_previous", "‹ Branch", key_display="[", id="messages.branch_previous"),
        Binding("]", "branch_next", "Branch ›", key_display="]", id="messages.branch_next"),
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

    class BranchRequested(Message):
        """Edit the user message at `index` ("edit"), regenerate the reply at `index`
        ("regenerate"), or show its sibling `step` places away ("switch")."""

        def __init__(self, pane: MessagePane, kind: str, index: int, step: int) -> None:
            super().__init__()
            self.pane = pane
            self.kind = kind
            self.index = index
            self.step = step

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

    class UsageToggled(Message):
        """Each reply's cost is now shown (`shown`) or hidden."""

        def __init__(self, pane: MessagePane, shown: bool) -> None:
            super().__init__()
            self.pane = pane
            self.shown = shown

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
        self._views = {}
        self._view = self._make_view(transcript or Transcript())
        self._view.transcript.subscribe(self._on_transcript_changed)
        self._starts = []
        self._starts_from = 0
        self._total = 0
        self._width = 0
        self._style_gen = 0
        self._style_fingerprint = None
        self._chrome = None
        self._chrome_gen = 0
        self._renderer = None
        self._styles = PaneStyles()
        self._label_cache = {}
        self._gutter_cache = {}
        self._line_cache = LRUCache(160)
        self._frame = None
        self._paint_deadline = None
        self._lines_since_freeze = 0
        self._dirty = set()
        self._stale = set()
        self._flush_timer = None
        self._background_timer = None
        self._next_flush = 0.0
        self._adjusting_scroll = False
        self._mouse_down_at = None
        self._reveal = None
        self.render_count = 0
        self._bindings_key = None
        self.show_usage = False

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

    def highlight(self, index: int) -> None:
        """Put the cursor on item `index` (the nearest one that exists)."""
        self._move_cursor(index)

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

    def follow_latest(self) -> None:
        """The user sent a message: drop the highlight and follow the newest content, wherever
        the user had moved to (the reply must not arrive off screen)."""
        if self._view.cursor is not None:
            self._view.cursor = None
            self.refresh()
        self.scroll_to_latest()

    def action_scroll_to_latest(self) -> None:
        self.scroll_to_latest()

    def action_scroll_to_top(self) -> None:
        self._view.pinned = False
        self._jump_to(0)

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

    def _on_transcript_changed(self, changed: list[int]) -> None:
        if len(self._view.entries) < len(self.transcript.items):
            self._sync_entries()
        self._dirty.update(changed)
        self._schedule_flush()

    # -- Textual hooks ----------------------------------------------------------------
    def on_mount(self) -> None:
        self.set_timer(0.1, self._start_warm_up)
        self._flush_timer = self.set_interval(FRAME, self._flush, pause=True)
        self._background_timer = self.set_interval(BACKGROUND_PERIOD, self._background, pause=True)
        self._sync_entries()
        self.call_after_refresh(self._relayout)

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

    def on_focus(self) -> None:
        self.refresh()
        self.refresh_bindings()

    def on_blur(self) -> None:
        self.refresh()
