"""The help screen (f1): every key of the screen it was opened over, under human headings.

The rows come from the bindings themselves (the app's, the screen's and its widgets'), so the
help cannot list a key that does not exist or miss one that does; `key_groups` says which
heading each belongs under. tests/test_key_list.py checks the README's table against the same
bindings.
"""

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
from textual.widgets import Static

from fleet_tui.tui.key_groups import EVERYWHERE, HEADINGS, SIDEBAR, heading_for, key_text
from fleet_tui.tui.screens import DIALOGS_CSS
from fleet_tui.tui.widgets.footer import FittedFooter

# Keys Textual itself provides (no binding of ours to read them from): (heading, key, action).
TEXTUAL_KEYS: tuple[tuple[str, str, str], ...] = (
    (
        EVERYWHERE,
        App.COMMAND_PALETTE_BINDING,
        "Command palette: every action, conversations, saved agents",
    ),
    (SIDEBAR, "up / down", "Move through the conversations"),
)


@dataclass(frozen=True)
class BindingRow:
    key: str
    description: str
    heading: str
    enabled: bool = True
    text: str = ""
    """What the help says the key does: the binding's tooltip, else its description."""


def _ours(node: DOMNode) -> bool:
    return type(node).__module__.startswith("fleet_tui.")


def _declared_by_us(node: DOMNode, binding: Binding) -> bool:
    """Whether one of our classes declares `binding` (not a Textual base class it extends)."""
    for cls in type(node).__mro__:
        if cls.__module__.startswith("fleet_tui.") and any(
            isinstance(b, Binding) and (b.key, b.action) == (binding.key, binding.action)
            for b in vars(cls).get("BINDINGS", ())
        ):
            return True
    return False


def collect_bindings(screen: Screen) -> list[BindingRow]:
    """Every described binding of `screen`: the app's, the screen's, and its widgets'.

    Our own widgets' bindings are listed wherever the focus is, hidden ones too (they are the
    keys of the message pane, the sidebar, the composer); Textual's hidden bindings (cursor
    keys in an Input, tab between widgets) are editing details and are left out.
    """
    app = screen.app
    # (description, heading) -> row; one action bound to several keys becomes one row.
    rows: dict[tuple[str, str], BindingRow] = {}

    def add(node: DOMNode, binding: Binding, enabled: bool) -> None:
        if not binding.description or binding.system:
            return
        if not binding.show and not _declared_by_us(node, binding):
            return
        key = key_text(binding)
        heading = heading_for(node, binding, screen)
        row = rows.get((binding.description, heading))
        if row is None:
            rows[(binding.description, heading)] = BindingRow(
                key, binding.description, heading, enabled, binding.tooltip or ""
            )
        elif key not in row.key.split(", "):
            rows[(binding.description, heading)] = replace(row, key=f"{row.key}, {key}")

    for active in screen.active_bindings.values():
        add(active.node, active.binding, active.enabled)
    nodes: list[DOMNode] = [app, screen]
    nodes += [w for w in screen.walk_children() if _ours(w) and w._bindings.key_to_bindings]
    for node in nodes:
        # `_bindings` holds the node's merged class BINDINGS plus any added at run time.
        for _key, binding in node._bindings:
            # listed even when not usable right now (escape while no run goes), dimmed; the
            # app's own keys are judged as if the help were not open over them
            state = True if node is app else app._check_action_state(binding.action, node)
            add(node, binding, bool(state))
    return list(rows.values())


def grouped(rows: list[BindingRow], *, with_textual: bool = True) -> dict[str, list[BindingRow]]:
    """Rows by heading, in the order of `HEADINGS`; Textual's own keys added where they fit."""
    extra = [BindingRow(k, d, h) for h, k, d in TEXTUAL_KEYS] if with_textual else []
    present = {row.heading for row in rows}
    by_heading: dict[str, list[BindingRow]] = {h: [] for h in HEADINGS}
    for row in rows + [r for r in extra if r.heading in present or r.heading == EVERYWHERE]:
        by_heading.setdefault(row.heading, []).append(row)
    return {h: found for h, found in by_heading.items() if found}


class HelpScreen(ModalScreen[None]):
    """Lists the keys of the screen it was opened over, by heading."""

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
                yield Static(id="help-active")
            yield Static("escape or f1 closes this help", id="help-hint")
        yield FittedFooter()

    def on_mount(self) -> None:
        source = self._source or self._screen_below()
        rows = collect_bindings(source) if source is not None else []
        self.query_one("#help-active", Static).update(self._tables(grouped(rows)))
        self.query_one("#help-body", VerticalScroll).focus()

    def _screen_below(self) -> Screen | None:
        stack = self.app.screen_stack
        if self in stack:
            index = stack.index(self)
            return stack[index - 1] if index > 0 else None
        return stack[-1] if stack and stack[-1] is not self else None

    @staticmethod
    def _tables(groups: dict[str, list[BindingRow]]) -> Table:
        table = Table(
            box=box.SIMPLE_HEAD,
            expand=True,
            show_edge=False,
            pad_edge=False,
        )
        table.add_column("Key", style="bold", no_wrap=True, min_width=16)
        table.add_column("Action", ratio=1)
        for number, (heading, rows) in enumerate(groups.items()):
            if number:
                table.add_row("", "")
            table.add_row(Text(heading, style="bold underline"), "")
            for row in rows:
                style = "" if row.enabled else "dim"
                shown = row.text or row.description
                table.add_row(Text(row.key, style=style), Text(shown, style=style))
        return table

    def action_close(self) -> None:
        self.dismiss(None)
