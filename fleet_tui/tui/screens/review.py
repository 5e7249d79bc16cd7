"""The interrupt review modal: look at what the agent wants to do, decide, send the answer.

`ReviewScreen(value)` dismisses with the value to send as `command.resume` (see
`fleet_tui.domain.interrupts` for the shapes), or None when the user backs out. Agent-provided text
(tool names, descriptions, arguments) only ever reaches the screen as `Content` built from
cleaned plain text, never as markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.highlight import highlight
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Footer, Input, RadioButton, RadioSet, Static, TextArea

from fleet_tui.common.sanitize import clean_text, for_row
from fleet_tui.domain.interrupts import (
    DecisionType,
    HitlDecision,
    HitlReview,
    InboxResponse,
    InboxResponseType,
    InboxReview,
    RawReview,
    classify,
    dumps_json,
    fold_value,
    hitl_resume,
    inbox_resume,
    is_folded,
    parse_json,
    raw_resume,
)
from fleet_tui.tui.screens import DIALOGS_CSS

__all__ = ["ReviewScreen"]

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
class _Slot:
    """One request on the screen."""

    index: int
    kind: Kind
    name: str
    args: dict[str, Any]
    description: str | None
    allowed: list[str]

    @property
    def title(self) -> str:
        return f"{self.index + 1}. {self.name}"


def _json_content(value: Any) -> Content:
    # dumps_json escapes control characters inside strings; clean_text is the backstop.
    return highlight(clean_text(dumps_json(value)), language="json")


def _json_error(text: str) -> str | None:
    """Why `text` is not a JSON object, or None when it is one."""
    try:
        value = parse_json(text)
    except ValueError as error:
        return f"✗ not valid JSON: {for_row(str(error))}"
    if not isinstance(value, dict):
        return "✗ the arguments must be a JSON object: { … }"
    return None


def _describe_answer(value: Any) -> str:
    if isinstance(value, str):
        return f"sends text ({len(value)} characters)"
    if value is None:
        return "null cannot be sent: the server would take it as no answer"
    kind = {bool: "boolean", int: "number", float: "number", dict: "object", list: "array"}
    return f"sends JSON {kind.get(type(value), 'value')}"


class ReviewScreen(ModalScreen[Any | None]):
    """Answer an interrupt. Dismisses with the `command.resume` value, or None on cancel."""

    CSS_PATH = DIALOGS_CSS

    AUTO_FOCUS = ".decision-set, #raw-answer"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "send", "Send", id="review.send"),
        Binding("ctrl+a", "approve_all", "Approve all", id="review.approve_all"),
        Binding("ctrl+f", "toggle_fold", "Fold/unfold", id="review.fold"),
        Binding("escape", "cancel", "Cancel", id="review.cancel"),
        Binding("pageup", "scroll_body(-1)", "Scroll up", show=False),
        Binding("pagedown", "scroll_body(1)", "Scroll down", show=False),
    ]

    def __init__(
        self,
        value: Any,
        interrupt_id: str | None = None,
        *,
        response_schema: Any = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.value = value
        self.interrupt_id = interrupt_id
        self.review = classify(value, response_schema)
        self.slots = self._slots()
        self.folded = True
        # the values never change, and check_action runs on every focus change
        self._foldable = self._has_folded()

    def _slots(self) -> list[_Slot]:
        if isinstance(self.review, HitlReview):
            return [
                _Slot(i, "hitl", a.name, a.args, a.description, list(a.allowed))
                for i, a in enumerate(self.review.actions)
            ]
        if isinstance(self.review, InboxReview):
            return [
                _Slot(i, "inbox", it.action, it.args, it.description, list(it.allowed))
                for i, it in enumerate(self.review.items)
            ]
        return []

    # -- layout -------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Vertical(id="review-dialog"):
            yield Static(self._heading(), id="review-title")
            with VerticalScroll(id="review-body", can_focus=False):
                if isinstance(self.review, RawReview):
                    yield from self._compose_raw(self.review)
                else:
                    for slot in self.slots:
                        yield from self._compose_slot(slot)
            with Vertical(id="review-actions"):
                yield from self._compose_actions()
        yield Footer()

    def _compose_actions(self) -> ComposeResult:
        yield Static(id="review-error", classes="field-error")
        with Horizontal(id="review-buttons"):
            yield Button(Content("Send  ctrl+s"), id="review-send", variant="primary")
            if self.slots:
                word = "Approve" if self.slots[0].kind == "hitl" else "Accept"
                yield Button(
                    Content(f"{word} all  ctrl+a"),
                    id="review-approve-all",
                    variant="success",
                    disabled=not self._can_approve_all(),
                )
            yield Button(Content("Cancel  esc"), id="review-cancel")

    def _heading(self) -> Content:
        if isinstance(self.review, RawReview):
            text = "The agent is waiting for your answer"
        else:
            count = len(self.slots)
            what = "action needs" if count == 1 else "actions need"
            text = f"Review: {count} {what} your decision"
        parts: list[str | tuple[str, str]] = [("⏸ " + text, "bold")]
        if self.interrupt_id:
            parts.append((f"   interrupt {for_row(self.interrupt_id)[:12]}", "dim"))
        return Content.assemble(*parts)

    def _compose_slot(self, slot: _Slot) -> ComposeResult:
        i = slot.index
        with Vertical(classes="review-request", id=f"request-{i}"):
            yield Static(Content(for_row(slot.title)), classes="request-title")
            if slot.description:
                yield Static(Content(clean_text(slot.description)), classes="request-description")
            yield Static(self._args_content(slot), classes="request-args", id=f"args-{i}")
            if slot.kind == "hitl":
                yield HitlDecisionSet(slot.allowed, id=f"decision-{i}")
            else:
                yield InboxDecisionSet(slot.allowed, id=f"decision-{i}")
            editor = TextArea(
                dumps_json(slot.args),
                id=f"edit-{i}",
                classes="edit-args",
                show_line_numbers=True,
                soft_wrap=True,
            )
            editor.display = False
            yield editor
            edit_error = Static(id=f"edit-error-{i}", classes="field-error")
            edit_error.display = False
            yield edit_error
            message = Input(id=f"message-{i}", classes="message")
            message.display = False
            yield message

    def _compose_raw(self, review: RawReview) -> ComposeResult:
        yield Static(Content("The interrupt's value:"), classes="section-label first")
        classes = "raw-text" if isinstance(review.value, str) else "request-args"
        yield Static(self._raw_content(), id="raw-value", classes=classes)
        if review.response_schema is not None:
            yield Static(Content("The answer it expects (JSON schema):"), classes="section-label")
            yield Static(
                _json_content(fold_value(review.response_schema)),
                id="raw-schema",
                classes="request-args",
            )
        yield Static(
            Content("Your answer — valid JSON is sent as JSON, anything else as text:"),
            classes="section-label",
        )
        yield TextArea(id="raw-answer", soft_wrap=True)
        yield Checkbox(Content("Send as plain text, even if it parses as JSON"), id="raw-as-text")
        yield Static(Content(""), id="raw-preview", classes="hint")

    def _args_content(self, slot: _Slot) -> Content:
        args = fold_value(slot.args) if self.folded else slot.args
        return _json_content(args)

    def _raw_content(self) -> Content:
        assert isinstance(self.review, RawReview)
        value = fold_value(self.review.value) if self.folded else self.review.value
        if isinstance(value, str):
            # a plain question reads better as text than as a quoted JSON string
            return Content(clean_text(value))
        return _json_content(value)

    def _can_approve_all(self) -> bool:
        return bool(self.slots) and all(
            ("approve" if s.kind == "hitl" else "accept") in s.allowed for s in self.slots
        )

    def _has_folded(self) -> bool:
        if isinstance(self.review, RawReview):
            return is_folded(self.review.value)
        return any(is_folded(slot.args) for slot in self.slots)

    def on_mount(self) -> None:
        self._update_raw_preview()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "approve_all":
            # hidden where it makes no sense, greyed out where a request forbids it
            if not self.slots:
                return False
            return True if self._can_approve_all() else None
        if action == "toggle_fold":
            return self._foldable
        return True

    # -- choosing -------------------------------------------------------------------------------
    @on(RadioSet.Changed, ".decision-set")
    def _decision_changed(self, event: RadioSet.Changed) -> None:
        event.stop()
        decision_set = event.radio_set
        assert isinstance(decision_set, DecisionSet)
        index = int((decision_set.id or "decision-0").rsplit("-", 1)[1])
        choice = decision_set.choice
        editor = self.query_one(f"#edit-{index}", TextArea)
        message = self.query_one(f"#message-{index}", Input)
        editor.display = choice == "edit"
        self._show_edit_error(index, _json_error(editor.text) if choice == "edit" else None)
        message.display = choice in MESSAGE_PROMPTS
        if choice in MESSAGE_PROMPTS:
            message.placeholder = MESSAGE_PROMPTS[choice]
        self._set_error(None)
        if choice == "edit":
            editor.focus()
        elif choice in MESSAGE_PROMPTS:
            message.focus()
        else:
            self._focus_after(index)

    def _focus_after(self, index: int) -> None:
        """Move on to the next request still without a decision, else to Send."""
        for slot in self.slots[index + 1 :] + self.slots[:index]:
            decision_set = self.query_one(f"#decision-{slot.index}", DecisionSet)
            if decision_set.choice is None:
                decision_set.focus()
                return
        self.query_one("#review-send", Button).focus()

    @on(TextArea.Changed, ".edit-args")
    def _edit_changed(self, event: TextArea.Changed) -> None:
        index = int((event.text_area.id or "edit-0").rsplit("-", 1)[1])
        self._show_edit_error(index, _json_error(event.text_area.text))

    def _show_edit_error(self, index: int, error: str | None) -> None:
        widget = self.query_one(f"#edit-error-{index}", Static)
        widget.update(Content(error or ""))
        widget.display = error is not None

    @on(TextArea.Changed, "#raw-answer")
    @on(Checkbox.Changed, "#raw-as-text")
    def _raw_changed(self) -> None:
        self._set_error(None)
        self._update_raw_preview()

    def _update_raw_preview(self) -> None:
        if not isinstance(self.review, RawReview):
            return
        text = self.query_one("#raw-answer", TextArea).text
        as_text = self.query_one("#raw-as-text", Checkbox).value
        preview = (
            "type an answer"
            if not text.strip()
            else _describe_answer(raw_resume(text, as_text=as_text))
        )
        self.query_one("#raw-preview", Static).update(Content("→ " + preview))

    @on(Input.Submitted, ".message")
    def _message_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_send()

    @on(Button.Pressed, "#review-send")
    def _send_pressed(self) -> None:
        self.action_send()

    @on(Button.Pressed, "#review-approve-all")
    def _approve_all_pressed(self) -> None:
        self.action_approve_all()

    @on(Button.Pressed, "#review-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    # -- answering ------------------------------------------------------------------------------
    def action_send(self) -> None:
        if isinstance(self.review, RawReview):
            self._send_raw()
            return
        hitl: list[HitlDecision] = []
        inbox: list[InboxResponse] = []
        for slot in self.slots:
            decision_set = self.query_one(f"#decision-{slot.index}", DecisionSet)
            choice = decision_set.choice
            if choice is None:
                self._set_error(f"Choose a decision for {slot.title}")
                decision_set.focus()
                return
            args: dict[str, Any] = {}
            if choice == "edit":
                editor = self.query_one(f"#edit-{slot.index}", TextArea)
                error = _json_error(editor.text)
                if error is not None:
                    self._show_edit_error(slot.index, error)
                    self._set_error(f"Fix the arguments of {slot.title}: {error.lstrip('✗ ')}")
                    editor.focus()
                    return
                args = parse_json(editor.text)
            text = ""
            if choice in MESSAGE_PROMPTS:
                message = self.query_one(f"#message-{slot.index}", Input)
                text = message.value
                if choice in MESSAGE_REQUIRED and not text.strip():
                    self._set_error(f"Write the reply for {slot.title}")
                    message.focus()
                    return
            if slot.kind == "hitl":
                kind = cast(DecisionType, choice)
                hitl.append(HitlDecision(kind, name=slot.name, args=args, message=text))
            else:
                response = cast(InboxResponseType, choice)
                inbox.append(InboxResponse(response, action=slot.name, args=args, text=text))
        self.dismiss(self._resume(hitl, inbox))

    def _resume(self, hitl: list[HitlDecision], inbox: list[InboxResponse]) -> Any:
        if isinstance(self.review, HitlReview):
            return hitl_resume(hitl, per_call=self.review.per_call)
        assert isinstance(self.review, InboxReview)
        return inbox_resume(inbox, single=self.review.single)

    def _send_raw(self) -> None:
        editor = self.query_one("#raw-answer", TextArea)
        text = editor.text
        if not text.strip():
            self._set_error('Type an answer (to send an empty text, type "")')
            editor.focus()
            return
        value = raw_resume(text, as_text=self.query_one("#raw-as-text", Checkbox).value)
        if value is None:
            self._set_error("null cannot be sent: the server would take it as no answer")
            editor.focus()
            return
        self.dismiss(value)

    def action_approve_all(self) -> None:
        if not self._can_approve_all():
            self._set_error("Some requests cannot be approved; decide each one and Send")
            return
        if isinstance(self.review, HitlReview):
            decisions = [HitlDecision.approve() for _ in self.slots]
            self.dismiss(hitl_resume(decisions, per_call=self.review.per_call))
        elif isinstance(self.review, InboxReview):
            responses = [InboxResponse("accept") for _ in self.slots]
            self.dismiss(inbox_resume(responses, single=self.review.single))

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_toggle_fold(self) -> None:
        self.folded = not self.folded
        if isinstance(self.review, RawReview):
            self.query_one("#raw-value", Static).update(self._raw_content())
        for slot in self.slots:
            self.query_one(f"#args-{slot.index}", Static).update(self._args_content(slot))

    def action_scroll_body(self, direction: int) -> None:
        body = self.query_one("#review-body", VerticalScroll)
        if direction < 0:
            body.scroll_page_up()
        else:
            body.scroll_page_down()

    def _set_error(self, error: str | None) -> None:
        widget = self.query_one("#review-error", Static)
        # may quote a tool name from the agent
        widget.update(Content(for_row(error or "")))
        widget.display = bool(error)
