"""A small yes/no dialog, optionally with one checkbox.

Without a checkbox `ConfirmScreen` dismisses with a plain bool. With `checkbox_label` it
dismisses with a `ConfirmResult`, which unpacks as `(confirmed, checked)` and is truthy only
when confirmed, so `if result:` means the same thing in both forms. Escape always means "no":
a destructive action must never happen by accident.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Static

from fleet_tui.tui.screens import DIALOGS_CSS
from fleet_tui.tui.widgets.footer import FittedFooter
from fleet_tui.tui.widgets.toggles import ClearCheckbox


@dataclass(frozen=True)
class ConfirmResult:
    """The answer of a dialog with a checkbox. `checked` is False whenever not confirmed."""

    confirmed: bool
    checked: bool

    def __bool__(self) -> bool:
        return self.confirmed

    def __iter__(self) -> Iterator[bool]:
        yield self.confirmed
        yield self.checked


class ConfirmScreen(ModalScreen[bool | ConfirmResult]):
    """Ask a yes/no question. Dismisses with a bool, or a `ConfirmResult` with a checkbox."""

    CSS_PATH = DIALOGS_CSS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="confirm.cancel"),
        Binding("left", "app.focus_previous", "Previous button", show=False),
        Binding("right", "app.focus_next", "Next button", show=False),
    ]

    def __init__(
        self,
        title: str,
        message: str,
        *,
        confirm_label: str = "OK",
        cancel_label: str = "Cancel",
        checkbox_label: str | None = None,
        checkbox_default: bool = False,
        danger: bool = False,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """`danger`: a destructive action; its button is red and Cancel gets the focus."""
        super().__init__(name=name, id=id, classes=classes)
        self._title = title
        self._message = message
        self._confirm_label = confirm_label
        self._cancel_label = cancel_label
        self._checkbox_label = checkbox_label
        self._checkbox_default = checkbox_default
        self._danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog", classes="dialog"):
            # Titles and messages may quote user data (agent or thread names): never markup.
            yield Static(Content(self._title), id="confirm-title", classes="dialog-title")
            yield Static(Content(self._message), id="confirm-message")
            if self._checkbox_label is not None:
                yield ClearCheckbox(
                    Content(self._checkbox_label), self._checkbox_default, id="confirm-checkbox"
                )
            with Horizontal(id="confirm-buttons", classes="dialog-buttons"):
                yield Button(
                    Content(self._confirm_label),
                    id="confirm-yes",
                    variant="error" if self._danger else "primary",
                )
                yield Button(Content(self._cancel_label), id="confirm-no")
        yield FittedFooter()

    def on_mount(self) -> None:
        # For a destructive action the safe answer has focus, so a stray enter does no harm.
        self.query_one("#confirm-no" if self._danger else "#confirm-yes", Button).focus()

    def _answer(self, confirmed: bool) -> bool | ConfirmResult:
        if self._checkbox_label is None:
            return confirmed
        checked = confirmed and self.query_one("#confirm-checkbox", Checkbox).value
        return ConfirmResult(confirmed, checked)

    @on(Button.Pressed, "#confirm-yes")
    def _yes(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(self._answer(True))

    @on(Button.Pressed, "#confirm-no")
    def _no(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(self._answer(False))

    def action_cancel(self) -> None:
        self.dismiss(self._answer(False))
