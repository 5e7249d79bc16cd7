"""The message pane's cursor, actions, text selection and mouse.

The cursor highlights one item (drawn at paint time, see `pane_renderer`); the actions work on
it, or, with none highlighted, on the latest item on screen, which then becomes highlighted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import events
from textual.geometry import Offset
from textual.message import Message
from textual.selection import Selection

from fleet_tui.domain.transcript import (
    AssistantItem,
    ErrorItem,
    InterruptItem,
    Item,
    ReasoningItem,
    ToolItem,
    UserItem,
)
from fleet_tui.tui.copying import copy
from fleet_tui.tui.widgets.lines import text_of
from fleet_tui.tui.widgets.notices import tell
from fleet_tui.tui.widgets.pane_scheduler import PaneScheduler

if TYPE_CHECKING:
    from collections.abc import Callable


class PaneActions(PaneScheduler):
    """Moving the cursor, expanding, copying, retrying, reviewing; selecting with the mouse."""

    _mouse_down_at: Offset | None

    if TYPE_CHECKING:
        # the messages are `MessagePane`'s own (their handler names come from it)
        RetryRequested: Callable[[Any, ErrorItem, int], Message]
        ReviewRequested: Callable[[Any, InterruptItem, int], Message]
        UsageToggled: Callable[[Any, bool], Message]
        BranchRequested: Callable[[Any, str, int, int], Message]

        @property
        def cursor(self) -> int | None: ...

    def action_toggle_all_tools(self) -> None:
        """Expand every tool block, those inside sub-agent cards too, or collapse them all if
        they all are expanded."""
        entries = self._view.entries
        tools = [i for i, e in enumerate(entries) if isinstance(e.item, ToolItem)]
        if not tools:
            return
        blocks = [block for i in tools for block in _with_nested(entries[i].item)]
        expand = not all(block.expanded for block in blocks)
        for block in blocks:
            if block.expanded != expand:
                block.expanded = expand
                block.touch()
        self.transcript.changed(*tools)

    def action_toggle_usage(self) -> None:
        """Show or hide what each reply cost, under it (every conversation: a view setting)."""
        self.show_usage = not self.show_usage
        self._relayout()  # the replies with a cost are drawn again, the others stay as they are
        self.post_message(self.UsageToggled(self, self.show_usage))

    def toggle_item(self, index: int) -> None:
        item = self.transcript.items[index]
        if isinstance(item, (ToolItem, ReasoningItem)):
            item.expanded = not item.expanded
            self._reveal = index
            self.transcript.changed(index)

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
            what = "link" if isinstance(item, ToolItem) and item.auth_url else "text"
            copy(self, text, f"the {what}")

    def action_copy_code(self) -> None:
        """Copy the code blocks of the highlighted reply (one, or all of them one after another)."""
        item = self._cursor_item()
        from fleet_tui.tui.widgets.markdown_render import LARGE_REPLY_CHARS, code_blocks

        if isinstance(item, AssistantItem) and item.length > LARGE_REPLY_CHARS:
            # parsing it would freeze the app for seconds
            tell(self, "This reply is too long to look for code blocks in; c copies all of it.")
            return
        blocks = code_blocks(item.text) if isinstance(item, AssistantItem) else []
        if not blocks:
            tell(self, "No code block in the highlighted message.", timeout=2)
            return
        count = f"{len(blocks)} code blocks" if len(blocks) > 1 else "the code block"
        copy(self, "\n".join(block.rstrip("\n") + "\n" for block in blocks), count)

    def action_retry(self) -> None:
        item = self._cursor_item()
        if isinstance(item, ErrorItem) and item.retryable and self.cursor is not None:
            self.post_message(self.RetryRequested(self, item, self.cursor))

    # -- branches: edit a message of the user's, regenerate a reply, switch sibling ---------
    def _branch_request(self, kind: str, step: int = 0) -> None:
        item = self._cursor_item()
        if item is not None and self.cursor is not None and _branch_allowed(kind, item):
            self.post_message(self.BranchRequested(self, kind, self.cursor, step))

    def action_edit_message(self) -> None:
        self._branch_request("edit")

    def action_regenerate(self) -> None:
        self._branch_request("regenerate")

    def action_branch_previous(self) -> None:
        self._branch_request("switch", -1)

    def action_branch_next(self) -> None:
        self._branch_request("switch", +1)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        cursor = self.cursor
        items = self.transcript.items
        if cursor is None and items and action in _ON_ITEM:
            cursor = self._latest_visible()
        item = items[cursor] if cursor is not None and cursor < len(items) else None
        if action in _BRANCH_KINDS:
            # shown only where they apply: `r` is retry on an error, regenerate on a reply
            return item is not None and _branch_allowed(_BRANCH_KINDS[action], item)
        if action == "retry":
            if isinstance(item, AssistantItem):
                return False
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


_BRANCH_KINDS = {
    "edit_message": "edit",
    "regenerate": "regenerate",
    "branch_previous": "switch",
    "branch_next": "switch",
}
_ON_ITEM = ("retry", "activate", "copy_item", "copy_code", *_BRANCH_KINDS)


def _branch_allowed(kind: str, item: Item) -> bool:
    if kind == "edit":
        return isinstance(item, UserItem)
    if kind == "regenerate":
        return isinstance(item, AssistantItem)
    return isinstance(item, (UserItem, AssistantItem)) and item.branch is not None


def _with_nested(item: Item) -> list[ToolItem]:
    """A tool block and every tool block nested in it (a sub-agent card's run)."""
    if not isinstance(item, ToolItem):
        return []
    out = [item]
    if item.subagent is not None:
        for nested in item.subagent.items:
            out.extend(_with_nested(nested))
    return out
