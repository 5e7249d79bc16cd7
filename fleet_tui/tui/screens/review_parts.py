"""The parts of the review modal: decision choices, one request's slot, JSON display
helpers. Agent-provided text only ever reaches the screen as `Content` built from cleaned
plain text, never as markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.highlight import highlight
from textual.widgets import RadioButton, RadioSet, Static, TextArea

from fleet_tui.common.sanitize import clean_text, for_row
from fleet_tui.domain.interrupt_model import Interrupt
from fleet_tui.domain.interrupts import RawReview, dumps_json, fold_value, parse_json
from fleet_tui.tui.widgets.toggles import ClearCheckbox, ClearRadioButton

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


def _decision_keys() -> dict[str, str]:
    """key -> what it does, for the review's own decision keys (used when the focus is not on
    a request's decisions); the same letter names a different decision in the two shapes."""
    labels: dict[str, list[str]] = {}
    for choices in (HITL_CHOICES, INBOX_CHOICES):
        for key, label in choices.values():
            labels.setdefault(key, []).append(label)
    return {key: " / ".join(dict.fromkeys(names)) for key, names in labels.items()}


DECISION_KEYS = _decision_keys()


class DecisionSet(RadioSet):
    """One request's decisions; a letter picks a decision directly."""

    CHOICES: ClassVar[dict[str, tuple[str, str]]] = {}

    def __init__(self, allowed: list[str], *, id: str) -> None:
        self.allowed = [c for c in self.CHOICES if c in allowed]
        super().__init__(
            *(
                ClearRadioButton(Content(f"{self.CHOICES[c][1]} ({self.CHOICES[c][0]})"))
                for c in self.allowed
            ),
            id=id,
            classes="decision-set",
        )

    def choice_for_key(self, key: str) -> str | None:
        """The decision `key` picks in this shape (allowed here or not)."""
        return next((c for c, (k, _) in self.CHOICES.items() if k == key), None)

    def allowed_keys(self) -> str:
        """ "a approve, r reject": what this request allows, for a message."""
        return ", ".join(f"{self.CHOICES[c][0]} {self.CHOICES[c][1].lower()}" for c in self.allowed)

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


def decision_hint(slots: list[Slot]) -> str:
    """A letter only picks a decision: say so, and that nothing goes before Send."""
    keys: dict[str, None] = {}
    for slot in slots:
        choices = HITL_CHOICES if slot.kind == "hitl" else INBOX_CHOICES
        keys.update((choices[c][0], None) for c in slot.allowed if c in choices)
    return f"{'/'.join(keys)} pick a decision · nothing is sent until Send (ctrl+s)"


def interrupt_heading(
    interrupts: Sequence[Interrupt], sources: Mapping[str | None, str], n: int
) -> str:
    """ "Approval 2 of 3 · raised by sub-agent researcher" (several, or a sub-agent's)."""
    interrupt = interrupts[n]
    source = sources.get(interrupt.id) or ("a sub-agent" if interrupt.namespace else "")
    if len(interrupts) == 1 and not source:
        return ""
    parts = [f"Approval {n + 1} of {len(interrupts)}"]
    if source:
        parts.append(f"raised by {source}")
    if interrupt.id and len(interrupts) > 1:
        parts.append(f"id {interrupt.id[:12]}")
    return for_row(" · ".join(parts))


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


def compose_raw(n: int, review: RawReview, value: Content) -> ComposeResult:
    """Interrupt `n`, a question with no known shape: its value, the schema it expects, a
    free answer (JSON or text) and what that answer would send."""
    yield Static(Content("The interrupt's value:"), classes="section-label first")
    classes = "raw-text" if isinstance(review.value, str) else "request-args"
    yield Static(value, id=f"raw-value-{n}", classes=classes)
    if review.response_schema is not None:
        yield Static(Content("The answer it expects (JSON schema):"), classes="section-label")
        yield Static(
            json_content(fold_value(review.response_schema)),
            id=f"raw-schema-{n}",
            classes="request-args",
        )
    yield Static(
        Content("Your answer — valid JSON is sent as JSON, anything else as text:"),
        classes="section-label",
    )
    yield TextArea(id=f"raw-answer-{n}", classes="raw-answer", soft_wrap=True)
    yield ClearCheckbox(
        Content("Send as plain text, even if it parses as JSON"),
        id=f"raw-as-text-{n}",
        classes="raw-as-text",
    )
    yield Static(Content(""), id=f"raw-preview-{n}", classes="hint")
