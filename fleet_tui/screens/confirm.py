"""Small yes/no dialogs.

`ConfirmScreen` answers a plain question with a bool. `ConfirmWithOptionScreen` adds one
checkbox (e.g. "also delete the thread on the server") and answers with a `ConfirmResult`.
Escape always means "no": a destructive action must never happen by accident.
"""

from __future__ import annotations

from typing import ClassVar, Generic, NamedTuple, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Footer, Static

R = TypeVar("R")


class ConfirmResult(NamedTuple):
    """What the user chose; unpacks as `(confirmed, option)`."""

    confirmed: bool
    option: bool


class _ConfirmBase(ModalScreen[R], Generic[R]):
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
        danger: bool = False,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._title = title
        self._message = message
        self._confirm_label = confirm_label
        self._cancel_label = cancel_label
        self._danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog", classes="dialog"):
            # Titles and messages may quote user data (agent or thread names): never markup.
            yield Static(Content(self._title), id="confirm-title", classes="dialog-title")
            yield Static(Content(self._message), id="confirm-message")
            yield from self._compose_extra()
            with Horizontal(id="confirm-buttons", classes="dialog-buttons"):
                yield Button(
                    Content(self._confirm_label),
                    id="confirm-yes",
                    variant="error" if self._danger else "primary",
                )
                yield Button(Content(self._cancel_label), id="confirm-no")
        yield Footer()

    def _compose_extra(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        # For a destructive action the safe answer has focus, so a stray enter does no harm.
        self.query_one("#confirm-no" if self._danger else "#confirm-yes", Button).focus()

    def _answer(self, confirmed: bool) -> R:
        raise NotImplementedError

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


class ConfirmScreen(_ConfirmBase[bool]):
    """Ask a yes/no question; dismisses with True only when the user confirms."""

    def _answer(self, confirmed: bool) -> bool:
        return confirmed


class ConfirmWithOptionScreen(_ConfirmBase[ConfirmResult]):
    """A yes/no question with one checkbox; dismisses with `ConfirmResult(confirmed, option)`.

    The option is reported as False when the user cancels, whatever the checkbox showed.
    """

    def __init__(
        self,
        title: str,
        message: str,
        *,
        option_label: str,
        option_default: bool = False,
        confirm_label: str = "OK",
        cancel_label: str = "Cancel",
        danger: bool = False,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(
            title,
            message,
            confirm_label=confirm_label,
            cancel_label=cancel_label,
            danger=danger,
            name=name,
            id=id,
            classes=classes,
        )
        self._option_label = option_label
        self._option_default = option_default

    def _compose_extra(self) -> ComposeResult:
        yield Checkbox(Content(self._option_label), self._option_default, id="confirm-option")

    def _answer(self, confirmed: bool) -> ConfirmResult:
        if not confirmed:
            return ConfirmResult(False, False)
        return ConfirmResult(True, self.query_one("#confirm-option", Checkbox).value)
