"""Search all agents (palette): conversations of every saved agent whose title or messages
match, labelled by agent, newest first. The same full-text index as the sidebar's filter
(`Store.search_all_agents`); enter opens one in its agent (switching agent as needed).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar

from rich.cells import cell_len
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from fleet_tui.common.sanitize import for_row
from fleet_tui.storage.store import MIN_TEXT_QUERY, Conversation
from fleet_tui.tui.screens import INBOX_CSS
from fleet_tui.tui.widgets.cells import fit, pad
from fleet_tui.tui.widgets.footer import FittedFooter
from fleet_tui.tui.widgets.sidebar import relative_time

if TYPE_CHECKING:
    from fleet_tui.tui.app import FleetApp

LIMIT = 200
AGENT_MAX = 18
AGE_CELLS = 4
HELP = (
    f"Type at least {MIN_TEXT_QUERY} characters to search the titles and messages of every "
    "saved agent's conversations (fewer match titles only). enter or down goes to the "
    "results; enter opens one in its agent."
)


def result_prompt(
    conversation: Conversation, agent: str, width: int, agent_cells: int, now: float
) -> Content:
    """`agent  title  age`, one line in `width` cells."""
    when = relative_time(conversation.updated_at, now)
    title_cells = max(4, width - agent_cells - 2 - AGE_CELLS)
    title = fit(for_row(conversation.title) or "New conversation", title_cells)
    gap = " " * max(1, width - agent_cells - 1 - cell_len(title) - cell_len(when))
    return Content.assemble(
        (pad(fit(for_row(agent), agent_cells), agent_cells), "$text-muted"),
        " ",
        (title, "bold"),
        gap,
        (when, "$text-muted"),
    )


class SearchInput(Input):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "to_results", "To the results", show=False),
    ]

    def action_to_results(self) -> None:
        self.screen.query_one(OptionList).focus()


class SearchAllScreen(Screen[None]):
    CSS_PATH = INBOX_CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="search.close", tooltip="Back to the chat"),
    ]

    app: FleetApp

    def __init__(self) -> None:
        super().__init__()
        self.results: list[tuple[Conversation, str]] = []

    def compose(self) -> ComposeResult:
        yield Static(Content.assemble(("Search all agents", "bold")), id="search-title")
        yield SearchInput(placeholder="Search every saved agent's conversations", id="search-input")
        yield OptionList(id="search-list")
        yield Static(HELP, id="search-empty")
        yield FittedFooter()

    def on_mount(self) -> None:
        self.query_one(OptionList).display = False
        self.query_one(SearchInput).focus()

    @on(Input.Changed, "#search-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.search(event.value)

    @on(Input.Submitted, "#search-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        listing = self.query_one(OptionList)
        if listing.option_count:
            listing.focus()
            listing.highlighted = listing.highlighted or 0

    def search(self, query: str) -> None:
        """Fill the results for `query` (saved agents' conversations only: only those can be
        opened in their agent)."""
        query = query.strip()
        agents = self.app.inbox.saved_agents()
        found = self.app.store.search_all_agents(query, limit=LIMIT) if query else []
        self.results = [(c, agents[c.agent_pk]) for c in found if c.agent_pk in agents]
        listing = self.query_one(OptionList)
        width = max(30, listing.scrollable_content_region.width or self.app.size.width - 4)
        longest = max((cell_len(for_row(a)) for _, a in self.results), default=0)
        agent_cells = min(longest, AGENT_MAX)
        now = time.time()
        listing.set_options(
            Option(result_prompt(c, a, width, agent_cells, now), id=str(c.id))
            for c, a in self.results
        )
        listing.display = bool(self.results)
        empty = self.query_one("#search-empty", Static)
        empty.display = not self.results
        if query and not self.results:
            empty.update(Content(f"Nothing matches “{for_row(query)}” in any saved agent."))
        elif not query:
            empty.update(HELP)
        count = len(self.results)
        title = Content.assemble(("Search all agents", "bold"))
        if query:
            more = "+" if len(found) >= LIMIT else ""
            title = Content.assemble(title, f" · {count}{more} found")
        self.query_one("#search-title", Static).update(title)

    @on(OptionList.OptionSelected, "#search-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        index = event.option_index
        if not 0 <= index < len(self.results):
            return
        conversation, agent = self.results[index]
        self.dismiss()
        self.app.inbox.open_in_agent(conversation.agent_pk, agent, conversation.id)

    def action_close(self) -> None:
        self.dismiss()
