"""The sidebar of saved conversations: a filter box over an `OptionList` (line API, cheap
for thousands of rows), filled page by page from the store as the user scrolls."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from rich.cells import cell_len
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from fleet_tui.common import gc_policy
from fleet_tui.common.sanitize import for_row
from fleet_tui.storage.store import Conversation
from fleet_tui.tui.widgets.cells import fit

PAGE = 60
# load the next page when the highlight comes this close to the end of what is loaded
PREFETCH = 40

Loader = Callable[[str, int, int], Sequence[Conversation]]
# which of these conversations finished or failed since the user last had them on screen
Unread = Callable[[Sequence[int]], set[int]]


def relative_time(timestamp: float, now: float | None = None) -> str:
    seconds = max(0, int((now or time.time()) - timestamp))
    if seconds < 60:
        return "now"
    for unit, size in (("m", 60), ("h", 3600), ("d", 86400)):
        if seconds < size * (60 if unit == "m" else 24 if unit == "h" else 365):
            return f"{seconds // size}{unit}"
    return f"{seconds // (86400 * 365)}y"


def conversation_prompt(
    conversation: Conversation,
    *,
    running: bool,
    width: int,
    now: float | None = None,
    unread: bool = False,
) -> Content:
    """One sidebar row: markers, title (agent text is data: never markup), relative time.

    The markers are the inbox's: ⚑ waits for approval, ✗ failed, ● (blue) finished since the
    user last looked; a running one has a green ●. Built as Textual `Content`, the list's own
    type: no conversion for each row it draws."""
    if running:
        marker = ("● ", "bold green")
    elif conversation.status == "interrupted":
        marker = ("⚑ ", "bold yellow")
    elif conversation.status == "error":
        marker = ("✗ ", "bold red")
    elif unread:
        marker = ("● ", "bold $accent")
    elif conversation.stateless:
        marker = ("◌ ", "dim")
    else:
        marker = ("  ", "")
    when = relative_time(conversation.updated_at, now)
    # the branch shown of a thread with several ("⑂ 2/3"), before the time
    branch = f"⑂ {conversation.branch_label} " if conversation.branch_label else ""
    title = for_row(conversation.title) or "New conversation"
    # in cells, not characters: a wide (CJK, emoji) title must not push the row onto two lines
    room = max(4, width - cell_len(marker[0]) - cell_len(when) - cell_len(branch) - 1)
    title = fit(title, room)
    gap = " " * max(1, room - cell_len(title) + 1)
    return Content.assemble(
        marker, (title, "bold" if running else ""), gap, (branch, "dim"), (when, "dim")
    )


class ConversationList(OptionList):
    BINDINGS = [
        Binding("enter", "select", "Open", show=False),
        Binding("f2", "rename", "Rename", tooltip="Rename the highlighted conversation"),
        Binding("delete", "delete", "Delete", tooltip="Delete the highlighted conversation"),
    ]

    class RenameRequested(Message):
        def __init__(self, conversation_id: int) -> None:
            super().__init__()
            self.conversation_id = conversation_id

    class DeleteRequested(Message):
        def __init__(self, conversation_id: int) -> None:
            super().__init__()
            self.conversation_id = conversation_id

    class NearEnd(Message):
        """Scrolled close to the last loaded row: time to load the next page."""

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if new_value > old_value and self.max_scroll_y - new_value < self.size.height * 2:
            self.post_message(self.NearEnd())

    def highlighted_id(self) -> int | None:
        option = self.highlighted_option
        return int(option.id) if option is not None and option.id else None

    def action_rename(self) -> None:
        if (cid := self.highlighted_id()) is not None:
            self.post_message(self.RenameRequested(cid))

    def action_delete(self) -> None:
        if (cid := self.highlighted_id()) is not None:
            self.post_message(self.DeleteRequested(cid))


class FilterInput(Input):
    """The filter box: `down` goes on into the list, `escape` clears it and leaves."""

    BINDINGS = [
        Binding("down", "into_list", "To the list", show=False),
        Binding(
            "escape", "leave", "Clear filter", tooltip="Clear the filter, back to the composer"
        ),
    ]

    class Left(Message):
        """The user left the filter with escape: the screen decides where the focus goes."""

    def action_into_list(self) -> None:
        self.screen.query_one(ConversationList).focus()

    def action_leave(self) -> None:
        self.value = ""
        self.post_message(self.Left())


class ThreadSidebar(Vertical):
    """Posts `Opened` when the user picks a conversation; asks its loader for rows."""

    class Opened(Message):
        def __init__(self, conversation_id: int) -> None:
            super().__init__()
            self.conversation_id = conversation_id

    def __init__(
        self, loader: Loader, *, unread: Unread | None = None, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self._loader = loader
        self._unread_of = unread
        self._unread: set[int] = set()
        self._query = ""
        self._loaded: list[Conversation] = []
        self._exhausted = False
        self._running_ids: set[int] = set()
        self._drawn_width = 0
        self.current_id: int | None = None

    def compose(self) -> ComposeResult:
        yield FilterInput(placeholder="Filter (ctrl+f)", id="sidebar-filter")
        yield ConversationList(id="sidebar-list")
        yield Static("", id="sidebar-count")

    @property
    def option_list(self) -> ConversationList:
        return self.query_one(ConversationList)

    @property
    def filter_input(self) -> Input:
        return self.query_one("#sidebar-filter", Input)

    def _row_width(self) -> int:
        return max(20, self.option_list.scrollable_content_region.width or 30)

    def _prompt(self, conversation: Conversation, now: float | None = None) -> Content:
        return conversation_prompt(
            conversation,
            running=conversation.id in self._running_ids,
            width=self._row_width(),
            now=now,
            unread=conversation.id in self._unread,
        )

    def _option(self, conversation: Conversation, now: float) -> Option:
        return Option(self._prompt(conversation, now), id=str(conversation.id))

    def _read_unread(self, page: Sequence[Conversation], *, add: bool = False) -> None:
        found = self._unread_of([c.id for c in page]) if self._unread_of else set()
        self._unread = self._unread | found if add else found

    def reload(self, *, keep: int | None = None) -> None:
        """Reload the first page (after a change in the store), keeping the highlight.

        `keep`: the row to highlight; by default the highlighted one while the list has the
        focus (the user is working on it), else the open conversation. A list with the focus
        always keeps a highlighted row, or f2, delete and enter would do nothing."""
        options = self.option_list
        old_index = options.highlighted
        if keep is None:
            highlighted = options.highlighted_id() if options.has_focus else None
            keep = highlighted if highlighted is not None else self.current_id
        page = list(self._loader(self._query, 0, PAGE))
        self._loaded = page
        self._read_unread(page)
        self._exhausted = len(page) < PAGE
        now = time.time()
        self._drawn_width = self._row_width()
        options.clear_options()
        options.add_options([self._option(c, now) for c in page])
        self._update_count()
        if keep is not None:
            self.highlight(keep)
        if options.highlighted is None and options.has_focus and options.option_count:
            options.highlighted = min(old_index or 0, options.option_count - 1)

    def highlight_for_focus(self) -> None:
        """The list got the focus with no row highlighted: highlight the open conversation,
        or else the first row (a row the user highlighted before, say under a dialog that
        just closed, is kept)."""
        options = self.option_list
        if options.highlighted is None and self.current_id is not None:
            self.highlight(self.current_id)
        if options.highlighted is None and options.option_count:
            options.highlighted = 0

    def _load_more(self) -> None:
        if self._exhausted:
            return
        page = list(self._loader(self._query, len(self._loaded), PAGE))
        self._exhausted = len(page) < PAGE
        known = {c.id for c in self._loaded}
        page = [c for c in page if c.id not in known]
        self._loaded.extend(page)
        self._read_unread(page, add=True)
        now = time.time()
        self.option_list.add_options([self._option(c, now) for c in page])
        self._update_count()
        # rows live until the filter changes: keep full collections from walking them (a
        # reload's first page is too few rows to be worth it, and it comes at every keystroke)
        gc_policy.settle()

    def _update_count(self) -> None:
        more = "+" if not self._exhausted else ""
        label = f"{len(self._loaded)}{more} conversation{'s' if len(self._loaded) != 1 else ''}"
        if self._query:
            label += f" matching “{for_row(self._query)}”"
        self.query_one("#sidebar-count", Static).update(Text(label), layout=False)

    def highlight(self, conversation_id: int) -> None:
        options = self.option_list
        try:
            options.highlighted = options.get_option_index(str(conversation_id))
        except Exception:
            return

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if event.widget is self.option_list:
            self.highlight_for_focus()

    def refresh_row(self, conversation: Conversation) -> None:
        """Redraw one row (status or title changed) without reloading the list."""
        for i, known in enumerate(self._loaded):
            if known.id == conversation.id:
                self._loaded[i] = conversation
                self.option_list.replace_option_prompt(
                    str(conversation.id), self._prompt(conversation)
                )
                return

    def mark_read(self, conversation: Conversation) -> None:
        """The conversation is on screen: its unread marker goes."""
        if conversation.id in self._unread:
            self._unread.discard(conversation.id)
            self.refresh_row(conversation)

    def set_running(self, conversation: Conversation, running: bool) -> None:
        if running:
            self._running_ids.add(conversation.id)
        else:
            self._running_ids.discard(conversation.id)
        self.refresh_row(conversation)

    def on_resize(self) -> None:
        # rows are laid out for a width: redraw them when it changes
        if self._loaded and self._drawn_width != self._row_width():
            self._redraw_rows()

    def _redraw_rows(self) -> None:
        now = time.time()
        self._drawn_width = self._row_width()
        options = self.option_list
        highlighted = options.highlighted
        options.clear_options()
        options.add_options([self._option(c, now) for c in self._loaded])
        if highlighted is not None and highlighted < len(self._loaded):
            options.highlighted = highlighted

    @property
    def conversations(self) -> list[Conversation]:
        return list(self._loaded)

    @on(Input.Changed, "#sidebar-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._query = event.value.strip()
        self.reload()

    @on(Input.Submitted, "#sidebar-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.option_list.focus()

    @on(OptionList.OptionSelected, "#sidebar-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.Opened(int(event.option.id)))

    @on(ConversationList.NearEnd)
    def _near_end(self, event: ConversationList.NearEnd) -> None:
        event.stop()
        self._load_more()

    @on(OptionList.OptionHighlighted, "#sidebar-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option_index >= len(self._loaded) - PREFETCH:
            self._load_more()
