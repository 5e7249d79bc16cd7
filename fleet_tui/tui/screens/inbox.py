"""The inbox (f4): every saved agent's conversations that wait for an approval, failed, or
finished since the user last looked, newest first, in one list.

enter opens one in its agent (the review opens for a waiting one); `a`/`r` approve or reject a
single-action approval from the list; escape closes. The list follows the app's
`inbox_version` reactive (bumped by the inbox hub when a run ends, the watch finds a change, an
answer goes), so an answered item leaves and a new one appears while it is open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.cells import cell_len
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from fleet_tui.common.sanitize import for_row
from fleet_tui.domain.inbox import InboxEntry
from fleet_tui.tui.screens import INBOX_CSS
from fleet_tui.tui.widgets.footer import FittedFooter
from fleet_tui.tui.widgets.inbox_list import InboxList
from fleet_tui.tui.widgets.inbox_rows import counts_line
from fleet_tui.tui.widgets.notices import tell

if TYPE_CHECKING:
    from fleet_tui.tui.app import FleetApp

# ages are words ("5 min"): redrawn this often while the inbox is open
AGE_REFRESH_SECONDS = 30.0

EMPTY = (
    "Nothing needs you right now.\n\n"
    "The inbox gathers, from every saved agent, the conversations that wait for your "
    "approval (⚑), whose run failed (✗), and whose run finished since you last looked at "
    "them (●). Runs you start here arrive when they end; runs started elsewhere (the web UI, "
    "a schedule, Slack) arrive through the background watch, which looks at each saved agent "
    "{every}."
)


def empty_text(interval: float) -> str:
    every = f"every {interval:g} s" if interval else "— it is off now (ctrl+o: Inbox, Watch every)"
    return EMPTY.format(every=every)


class InboxScreen(Screen[None]):
    CSS_PATH = INBOX_CSS
    AUTO_FOCUS = "#inbox-list"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "approve", "Approve", id="inbox.approve", tooltip="Approve (one action)"),
        Binding("r", "reject", "Reject", id="inbox.reject", tooltip="Reject, with a reason"),
        Binding("escape,f4", "close", "Close", id="inbox.close", tooltip="Back to the chat"),
    ]
    FOOTER_ORDER = ("close", "approve", "reject")

    app: FleetApp

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[InboxEntry] = []

    def compose(self) -> ComposeResult:
        yield Static(id="inbox-title")
        yield Static(id="inbox-unchecked")
        yield InboxList(id="inbox-list")
        yield Static(id="inbox-empty")
        yield FittedFooter()

    @property
    def listing(self) -> InboxList:
        return self.query_one(InboxList)

    def on_mount(self) -> None:
        self.reload()
        self.watch(self.app, "inbox_version", self._version_changed, init=False)
        self.watch(self.app, "unchecked", self._show_unchecked)
        self.set_interval(AGE_REFRESH_SECONDS, self._redraw)

    def _version_changed(self, _version: int) -> None:
        self.reload()

    # ----------------------------------------------------------------- the list
    def reload(self) -> None:
        """Read the entries again, keeping the highlighted one (or its place)."""
        keep = self.highlighted_entry()
        self.entries = self.app.inbox.entries()
        listing = self.listing
        listing.set_entries(self.entries, keep.conversation_id if keep is not None else None)
        listing.display = bool(self.entries)
        if self.entries and self.focused is None:
            listing.focus()  # the list was hidden while empty: its focus went with it
        empty = self.query_one("#inbox-empty", Static)
        empty.display = not self.entries
        if not self.entries:
            empty.update(Content(empty_text(self.app.settings.watch_interval)))
        self._show_title()

    def _redraw(self) -> None:
        self.listing.redraw()

    def _show_title(self) -> None:
        counts = counts_line(self.entries)
        title = Content.assemble(("Inbox", "bold"), f" · {counts}" if counts else " · empty")
        hint = "  enter opens · a approves · r rejects · escape closes"
        width = self.app.size.width - 2
        if self.entries and cell_len(title.plain) + cell_len(hint) <= width:
            title = Content.assemble(title, (hint, "$text-muted"))
        self.query_one("#inbox-title", Static).update(title)

    def _show_unchecked(self, unchecked: tuple[tuple[str, str], ...]) -> None:
        line = self.query_one("#inbox-unchecked", Static)
        line.display = bool(unchecked)
        if unchecked:
            parts = "; ".join(f"{for_row(name)}: {for_row(why)}" for name, why in unchecked)
            line.update(Content.assemble(("Not checked — ", "bold"), parts))

    def highlighted_entry(self) -> InboxEntry | None:
        lists = self.query(InboxList)
        return lists.first().highlighted_entry() if lists else None

    # ----------------------------------------------------------------- keys
    @on(InboxList.Selected)
    def _selected(self, event: InboxList.Selected) -> None:
        event.stop()
        entry = self.highlighted_entry()
        if entry is None:
            return
        self.dismiss()
        self.app.inbox.open_entry(entry)

    def action_close(self) -> None:
        self.dismiss()

    def action_approve(self) -> None:
        entry = self._quick_entry()
        if entry is not None:
            self.app.inbox.answer(entry, "approve")

    def action_reject(self) -> None:
        entry = self._quick_entry()
        if entry is None:
            return
        from fleet_tui.tui.screens.inbox_reason import ReasonScreen

        def answered(reason: str | None) -> None:
            if reason is not None:
                self.app.inbox.answer(entry, "reject", reason)

        self.app.push_screen(ReasonScreen(entry), answered)

    def _quick_entry(self) -> InboxEntry | None:
        """The highlighted entry when approve/reject can answer it; else say what to do."""
        entry = self.highlighted_entry()
        if entry is None:
            return None
        if entry.kind != "waiting":
            tell(self, "Only approvals are answered from here; enter opens this one.", timeout=4)
            return None
        if entry.quick_action is None:
            tell(
                self,
                "This one needs the review (more than one action, or other answers): press "
                "enter to open it.",
                timeout=5,
            )
            return None
        return entry
