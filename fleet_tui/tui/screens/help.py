"""The help screen (f1): the product's fixed keys, then every binding active where it was opened."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from rich import box
from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Static

from fleet_tui.tui.screens import DIALOGS_CSS

# The keys issue 4 fixes for the whole product, so scripts and users can rely on them.
FIXED_KEYS: tuple[tuple[str, str], ...] = (
    ("enter", "Send the message"),
    ("ctrl+j", "Insert a newline in the message"),
    ("ctrl+n", "New conversation"),
    ("ctrl+o", "Settings"),
    ("escape", "Cancel the running reply, or close a dialog"),
    ("ctrl+b", "Show or hide the sidebar"),
    ("ctrl+f", "Filter conversations"),
    ("f1", "This help"),
    ("ctrl+p", "Command palette: every action, conversations, saved agents"),
    ("ctrl+q", "Quit"),
    ("up / down", "Move through conversations in the sidebar"),
    ("enter (sidebar)", "Open the highlighted conversation"),
)


@dataclass(frozen=True)
class BindingRow:
    key: str
    description: str
    where: str
    enabled: bool = True


def _where(node: DOMNode) -> str:
    if isinstance(node, App):
        return "everywhere"
    if isinstance(node, Screen):
        return node.__class__.__name__.removesuffix("Screen").lower() or "screen"
    return node.__class__.__name__


def collect_bindings(screen: Screen) -> list[BindingRow]:
    """Every described binding of `screen`: its focused widget's chain, the screen, the app.

    A widget's hidden bindings (cursor keys in an Input, say) are editing details and are left
    out. The screen's and the app's own bindings are listed even when the focused widget
    currently takes the key, so the table does not depend on where the focus happens to be.
    """
    app = screen.app
    # (description, where) -> row; one action bound to several keys becomes one row.
    rows: dict[tuple[str, str], BindingRow] = {}

    def add(node: DOMNode, binding: Binding, enabled: bool) -> None:
        if not binding.description or binding.system:
            return
        if not binding.show and not isinstance(node, (Screen, App)):
            return
        # Spelled like the fixed keys ("ctrl+s", not "^s") so the two tables read alike.
        key = binding.key_display or binding.key
        where = _where(node)
        row = rows.get((binding.description, where))
        if row is None:
            rows[(binding.description, where)] = BindingRow(
                key, binding.description, where, enabled
            )
        elif key not in row.key.split(", "):
            rows[(binding.description, where)] = replace(row, key=f"{row.key}, {key}")

    for active in screen.active_bindings.values():
        add(active.node, active.binding, active.enabled)
    for node in (screen, app):
        # `_bindings` holds the node's merged class BINDINGS plus any added at run time.
        for _key, binding in node._bindings:
            state = app._check_action_state(binding.action, node)
            if state is not False:
                add(node, binding, bool(state))
    return list(rows.values())


class HelpScreen(ModalScreen[None]):
    """Lists the fixed keys and the bindings of the screen it was opened over."""

    CSS_PATH = DIALOGS_CSS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close help", id="help.close"),
        Binding("f1", "close", "Close help", show=False, id="help.close_f1"),
    ]

    def __init__(
        self,
        source: Screen | None = None,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """`source`: whose bindings to list; by default the screen below this one."""
        super().__init__(name=name, id=id, classes=classes)
        self._source = source

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog", classes="dialog"):
            yield Static("Keys", id="help-title", classes="dialog-title")
            with VerticalScroll(id="help-body"):
                yield Static(self._fixed_table(), id="help-fixed")
                yield Static(id="help-active")
            yield Static("escape or f1 closes this help", id="help-hint")
        yield Footer()

    def on_mount(self) -> None:
        source = self._source or self._screen_below()
        rows = collect_bindings(source) if source is not None else []
        self.query_one("#help-active", Static).update(self._active_table(rows))
        self.query_one("#help-body", VerticalScroll).focus()

    def _screen_below(self) -> Screen | None:
        stack = self.app.screen_stack
        if self in stack:
            index = stack.index(self)
            return stack[index - 1] if index > 0 else None
        return stack[-1] if stack and stack[-1] is not self else None

    @staticmethod
    def _table(title: str) -> Table:
        table = Table(
            title=title,
            title_justify="left",
            title_style="bold",
            box=box.SIMPLE_HEAD,
            expand=True,
            show_edge=False,
            pad_edge=False,
        )
        table.add_column("Key", style="bold", no_wrap=True, min_width=16)
        table.add_column("Action", ratio=1)
        return table

    def _fixed_table(self) -> Table:
        table = self._table("Everywhere")
        for key, description in FIXED_KEYS:
            table.add_row(Text(key), Text(description))
        return table

    def _active_table(self, rows: list[BindingRow]) -> Table:
        table = self._table("On this screen")
        table.add_column("Where", style="dim", no_wrap=True)
        if not rows:
            table.add_row(Text("—"), Text("no other keys here"), Text(""))
        for row in rows:
            style = "" if row.enabled else "dim"
            table.add_row(
                Text(row.key, style=style),
                Text(row.description, style=style),
                Text(row.where),
            )
        return table

    def action_close(self) -> None:
        self.dismiss(None)
