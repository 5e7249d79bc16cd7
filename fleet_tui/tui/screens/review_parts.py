"""The parts of the review modal: decision choices, one request's slot, JSON display
helpers. Agent-provided text only ever reaches the screen as `Content` built from cleaned
plain text, never as markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from textual.binding import Binding, BindingType
from textual.content import Content
from textual.highlight import highlight
from textual.widgets import RadioButton, RadioSet

from fleet_tui.common.sanitize import clean_text, for_row
from fleet_tui.domain.interrupts import dumps_json, parse_json

Kind = Literal["hitl", "inbox"]

# choice -> (key, label); the order is the order of the radio buttons
HITL_CHOICES: dict[str, tuple[str, str]] = {
    "approve": ("a", "Approve"),
    "edit": ("e", "Edit arguments"),
    "reject": ("r", "Reject"),
    "respond": ("p", "Reply instead"),
}
INBOX_CHOICES: dict[str, tuple[str, str]] = {
    "accept": ("a", "Accept"),
    "edit": ("e", "Edit arguments"),
    "response": ("r", "Respond"),
    "ignore": ("i", "Ignore"),
}
# choices that need text typed in the message field, and what that field asks for
MESSAGE_PROMPTS: dict[str, str] = {
    "reject": "Reason for rejecting (optional; the agent sees it) — enter sends",
    "respond": "Your reply, sent to the agent instead of the tool's result — enter sends",
    "response": "Your response to the agent — enter sends",
}
MESSAGE_REQUIRED = {"respond", "response"}


class DecisionSet(RadioSet):
    """One request's decisions; a letter picks a decision directly."""

    CHOICES: ClassVar[dict[str, tuple[str, str]]] = {}

    def __init__(self, allowed: list[str], *, id: str) -> None:
        self.allowed = [c for c in self.CHOICES if c in allowed]
        super().__init__(
            *(
                RadioButton(Content(f"{self.CHOICES[c][1]} ({self.CHOICES[c][0]})"))
                for c in self.allowed
            ),
            id=id,
            classes="decision-set",
        )

    @property
    def choice(self) -> str | None:
        index = self.pressed_index
        return self.allowed[index] if index >= 0 else None

    def action_choose(self, choice: str) -> None:
        if choice in self.allowed:
            index = self.allowed.index(choice)
            button = list(self.query(RadioButton))[index]
            self._selected = index
            if button.value:
                # Already chosen: still confirm the choice so focus moves on, as a first press does.
                self.post_message(self.Changed(self, button))
            else:
                button.value = True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose":
            return bool(parameters) and parameters[0] in self.allowed
        return True


class HitlDecisionSet(DecisionSet):
    CHOICES = HITL_CHOICES
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(key, f"choose('{choice}')", label, show=True)
        for choice, (key, label) in HITL_CHOICES.items()
    ]


class InboxDecisionSet(DecisionSet):
    CHOICES = INBOX_CHOICES
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(key, f"choose('{choice}')", label, show=True)
        for choice, (key, label) in INBOX_CHOICES.items()
    ]


@dataclass(frozen=True, slots=True)
class Slot:
    """One request on the screen; `interrupt` is the index of the interrupt asking it."""

    index: int
    interrupt: int
    kind: Kind
    name: str
    args: dict[str, Any]
    description: str | None
    allowed: list[str]

    @property
    def title(self) -> str:
        return f"{self.index + 1}. {self.name}"


def json_content(value: Any) -> Content:
    # dumps_json escapes control characters inside strings; clean_text is the backstop.
    return highlight(clean_text(dumps_json(value)), language="json")


def json_error(text: str) -> str | None:
    """Why `text` is not a JSON object, or None when it is one."""
    try:
        value = parse_json(text)
    except ValueError as error:
        return f"✗ not valid JSON: {for_row(str(error))}"
    if not isinstance(value, dict):
        return "✗ the arguments must be a JSON object: { … }"
    return None


def describe_answer(value: Any) -> str:
    if isinstance(value, str):
        return f"sends text ({len(value)} characters)"
    if value is None:
        return "null cannot be sent: the server would take it as no answer"
    kind = {bool: "boolean", int: "number", float: "number", dict: "object", list: "array"}
    return f"sends JSON {kind.get(type(value), 'value')}"
