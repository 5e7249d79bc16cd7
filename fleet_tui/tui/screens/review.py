"""The review modal: every approval a conversation waits on, decided one by one, sent once.

`ReviewScreen(interrupts)` lists each pending interrupt's requests (tool, arguments,
description, the decisions it allows, the sub-agent that raised it) and dismisses with the
answers keyed by interrupt id (`{id: resume value}`, see `fleet_tui.domain.interrupts` for
the shapes), or None when the user backs out. Before it dismisses, `check` (the service's
own check) may refuse the answers: its problems are shown and nothing is sent. `problem` is
what the server said when it refused an earlier answer. Agent and server text only ever
reaches the screen as `Content` built from cleaned plain text, never as markup.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, RadioSet, Static, TextArea

from fleet_tui.common.sanitize import clean_text, for_row
from fleet_tui.domain.interrupt_model import Interrupt
from fleet_tui.domain.interrupts import (
    DecisionType,
    HitlDecision,
    HitlReview,
    InboxResponse,
    InboxResponseType,
    InboxReview,
    RawReview,
    ReviewRequest,
    classify,
    dumps_json,
    fold_value,
    hitl_resume,
    inbox_resume,
    is_folded,
    own_description,
    parse_json,
    raw_resume,
)
from fleet_tui.tui.screens import DIALOGS_CSS
from fleet_tui.tui.screens.review_parts import (
    DECISION_KEYS,
    MESSAGE_PROMPTS,
    MESSAGE_REQUIRED,
    DecisionSet,
    HitlDecisionSet,
    InboxDecisionSet,
    Slot,
    compose_raw,
    decision_hint,
    describe_answer,
    interrupt_heading,
    json_content,
    json_error,
)
from fleet_tui.tui.widgets.footer import FittedFooter

__all__ = ["Answers", "DecisionSet", "ReviewScreen"]

Answers = dict[str | None, Any]
# below this many columns a request's decisions take two rows (see dialogs.tcss)
NARROW = 100
Check = Callable[[Answers], list[str]]


class ReviewScreen(ModalScreen[Answers | None]):
    """Answer every pending interrupt; dismisses with `{interrupt id: resume value}`."""

    CSS_PATH = DIALOGS_CSS

    AUTO_FOCUS = ".decision-set, .raw-answer"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "send", "Send", id="review.send"),
        Binding("ctrl+a", "approve_all", "Approve all", id="review.approve_all"),
        Binding("ctrl+f", "toggle_fold", "Fold/unfold", id="review.fold"),
        Binding("escape", "cancel", "Cancel", id="review.cancel"),
        Binding("pageup", "scroll_body(-1)", "Scroll up", show=False),
        Binding("pagedown", "scroll_body(1)", "Scroll down", show=False),
        # with the focus on a button or a stop between requests, a decision key still acts:
        # on the request the focus is in, else on the first one without a decision
        *(
            Binding(key, f"decide('{key}')", label, show=False)
            for key, label in DECISION_KEYS.items()
        ),
    ]

    def __init__(
        self,
        interrupts: Sequence[Interrupt],
        *,
        problem: str | None = None,
        check: Check | None = None,
        sources: Mapping[str | None, str] | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.interrupts = list(interrupts)
        self.problem = problem
        self.check = check
        # interrupt id -> who raised it (a sub-agent's name), for the heading of its requests
        self.sources = dict(sources or {})
        self.reviews: list[ReviewRequest] = [
            classify(i.value, i.response_schema) for i in self.interrupts
        ]
        self.slots = self._slots()
        self.folded = True
        # the values never change, and check_action runs on every focus change
        self._foldable = self._has_folded()

    @property
    def raw(self) -> list[int]:
        """The interrupts answered with free text or JSON."""
        return [n for n, review in enumerate(self.reviews) if isinstance(review, RawReview)]

    def _slots(self) -> list[Slot]:
        slots: list[Slot] = []
        for n, review in enumerate(self.reviews):
            if isinstance(review, HitlReview):
                for a in review.actions:
                    allowed = list[str](a.allowed)
                    description = own_description(a.description, a.name)
                    slots.append(Slot(len(slots), n, "hitl", a.name, a.args, description, allowed))
            elif isinstance(review, InboxReview):
                for it in review.items:
                    allowed = list[str](it.allowed)
                    description = own_description(it.description, it.action)
                    slots.append(
                        Slot(len(slots), n, "inbox", it.action, it.args, description, allowed)
                    )
        return slots

    # -- layout -------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Vertical(id="review-dialog"):
            yield Static(self._heading(), id="review-title")
            if self.problem:
                text = "The server refused the answer: " + self.problem
                yield Static(Content(clean_text(text)), id="review-problem", classes="field-error")
            with VerticalScroll(id="review-body", can_focus=False):
                for n, review in enumerate(self.reviews):
                    heading = self._interrupt_heading(n)
                    if heading:
                        yield Static(Content(heading), classes="section-label interrupt-heading")
                    if isinstance(review, RawReview):
                        yield from compose_raw(n, review, self._raw_content(n))
                    else:
                        for slot in self.slots:
                            if slot.interrupt == n:
                                yield from self._compose_slot(slot)
            with Vertical(id="review-actions"):
                yield from self._compose_actions()
        yield FittedFooter()

    def _compose_actions(self) -> ComposeResult:
        yield Static(id="review-error", classes="field-error")
        if self.slots and not self.raw:
            yield Static(Content.styled(decision_hint(self.slots), "dim"), id="review-hint")
        with Horizontal(id="review-buttons"):
            yield Button(Content("Send  ctrl+s"), id="review-send", variant="primary")
            if self.slots and not self.raw:
                word = "Approve" if self.slots[0].kind == "hitl" else "Accept"
                yield Button(
                    Content(f"{word} all  ctrl+a"),
                    id="review-approve-all",
                    variant="success",
                    disabled=not self._can_approve_all(),
                )
            yield Button(Content("Cancel  esc"), id="review-cancel")

    def _heading(self) -> Content:
        if self.slots and not self.raw:
            count = len(self.slots)
            what = "action needs" if count == 1 else "actions need"
            text = f"Review: {count} {what} your decision"
        elif len(self.interrupts) == 1:
            text = "The agent is waiting for your answer"
        else:
            text = f"The agent is waiting for {len(self.interrupts)} answers"
        parts: list[str | tuple[str, str]] = [("⏸ " + text, "bold")]
        if len(self.interrupts) == 1 and self.interrupts[0].id:
            parts.append((f"   interrupt {for_row(self.interrupts[0].id)[:12]}", "dim"))
        return Content.assemble(*parts)

    def _interrupt_heading(self, n: int) -> str:
        return interrupt_heading(self.interrupts, self.sources, n)

    def _compose_slot(self, slot: Slot) -> ComposeResult:
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

    def _args_content(self, slot: Slot) -> Content:
        args = fold_value(slot.args) if self.folded else slot.args
        return json_content(args)

    def _raw_content(self, n: int) -> Content:
        review = self.reviews[n]
        assert isinstance(review, RawReview)
        value = fold_value(review.value) if self.folded else review.value
        if isinstance(value, str):
            # a plain question reads better as text than as a quoted JSON string
            return Content(clean_text(value))
        return json_content(value)

    def _can_approve_all(self) -> bool:
        return (
            bool(self.slots)
            and not self.raw
            and all(("approve" if s.kind == "hitl" else "accept") in s.allowed for s in self.slots)
        )

    def _has_folded(self) -> bool:
        raw = [r.value for r in self.reviews if isinstance(r, RawReview)]
        return any(is_folded(v) for v in raw) or any(is_folded(s.args) for s in self.slots)

    def on_mount(self) -> None:
        for n in self.raw:
            self._update_raw_preview(n)

    def on_resize(self) -> None:
        self.set_class(self.size.width < NARROW, "-narrow")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "approve_all":
            # hidden where it makes no sense, greyed out where a request forbids it
            if not self.slots or self.raw:
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
        self._show_edit_error(index, json_error(editor.text) if choice == "edit" else None)
        message.display = choice in MESSAGE_PROMPTS
        if choice in MESSAGE_PROMPTS:
            message.placeholder = MESSAGE_PROMPTS[choice]
        self._set_error(None)
        if choice == "edit":
            self._bring(index, editor)
        elif choice in MESSAGE_PROMPTS:
            self._bring(index, message)
        else:
            self._focus_after(index)

    def _focus_after(self, index: int) -> None:
        """Move on to the next request still without a decision, else to Send."""
        for slot in self.slots[index + 1 :] + self.slots[:index]:
            decision_set = self.query_one(f"#decision-{slot.index}", DecisionSet)
            if decision_set.choice is None:
                self._bring(slot.index, decision_set)
                return
        self.query_one("#review-send", Button).focus()

    def _bring(self, index: int, widget: Widget) -> None:
        """Focus `widget` of request `index` and scroll both into view. The scroll waits for
        the next refresh: a field just shown has no place in the layout before it."""
        widget.focus(scroll_visible=False)
        request = self.query_one(f"#request-{index}")

        def scroll() -> None:
            # the request from its title when it fits, and the widget in any case
            request.scroll_visible(animate=False, top=True, immediate=True)
            widget.scroll_visible(animate=False, immediate=True)

        self.call_after_refresh(scroll)

    def _slot_at_hand(self) -> Slot | None:
        """The request the focus is in, else the first without a decision."""
        focused = self.focused
        for slot in self.slots:
            request = self.query_one(f"#request-{slot.index}")
            if focused is not None and (focused is request or request in focused.ancestors):
                return slot
        for slot in self.slots:
            if self.query_one(f"#decision-{slot.index}", DecisionSet).choice is None:
                return slot
        return None

    def action_decide(self, key: str) -> None:
        slot = self._slot_at_hand()
        if slot is None:
            if self.slots:
                self._set_error("Every action has a decision: ctrl+s sends them")
            return
        decision_set = self.query_one(f"#decision-{slot.index}", DecisionSet)
        choice = decision_set.choice_for_key(key)
        if choice is None or choice not in decision_set.allowed:
            self._set_error(f"{slot.title} allows {decision_set.allowed_keys()}")
            self._bring(slot.index, decision_set)
            return
        decision_set.focus(scroll_visible=False)
        decision_set.action_choose(choice)

    @on(TextArea.Changed, ".edit-args")
    def _edit_changed(self, event: TextArea.Changed) -> None:
        index = int((event.text_area.id or "edit-0").rsplit("-", 1)[1])
        self._show_edit_error(index, json_error(event.text_area.text))

    def _show_edit_error(self, index: int, error: str | None) -> None:
        widget = self.query_one(f"#edit-error-{index}", Static)
        widget.update(Content(error or ""))
        widget.display = error is not None

    @on(TextArea.Changed, ".raw-answer")
    @on(Checkbox.Changed, ".raw-as-text")
    def _raw_changed(self, event: TextArea.Changed | Checkbox.Changed) -> None:
        self._set_error(None)
        widget = event.text_area if isinstance(event, TextArea.Changed) else event.checkbox
        self._update_raw_preview(int((widget.id or "raw-0").rsplit("-", 1)[1]))

    def _raw_answer(self, n: int) -> tuple[str, Any]:
        text = self.query_one(f"#raw-answer-{n}", TextArea).text
        return text, raw_resume(text, as_text=self.query_one(f"#raw-as-text-{n}", Checkbox).value)

    def _update_raw_preview(self, n: int) -> None:
        text, value = self._raw_answer(n)
        preview = "type an answer" if not text.strip() else describe_answer(value)
        self.query_one(f"#raw-preview-{n}", Static).update(Content("→ " + preview))

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
        decided: dict[int, list[HitlDecision | InboxResponse]] = {}
        for slot in self.slots:
            decision = self._decision(slot)
            if decision is None:
                return
            decided.setdefault(slot.interrupt, []).append(decision)
        answers: Answers = {}
        for n, interrupt in enumerate(self.interrupts):
            if n in self.raw:
                value = self._checked_raw(n)
                if value is None:
                    return
                answers[interrupt.id] = value
            else:
                answers[interrupt.id] = self._resume(n, decided.get(n, []))
        self._finish(answers)

    def _decision(self, slot: Slot) -> HitlDecision | InboxResponse | None:
        """The decision made for `slot`; None (and the problem said) when it is not ready."""
        decision_set = self.query_one(f"#decision-{slot.index}", DecisionSet)
        choice = decision_set.choice
        if choice is None:
            self._set_error(f"Choose a decision for {slot.title}")
            self._bring(slot.index, decision_set)
            return None
        args: dict[str, Any] = {}
        if choice == "edit":
            editor = self.query_one(f"#edit-{slot.index}", TextArea)
            error = json_error(editor.text)
            if error is not None:
                self._show_edit_error(slot.index, error)
                self._set_error(f"Fix the arguments of {slot.title}: {error.lstrip('✗ ')}")
                self._bring(slot.index, editor)
                return None
            args = parse_json(editor.text)
        text = ""
        if choice in MESSAGE_PROMPTS:
            message = self.query_one(f"#message-{slot.index}", Input)
            text = message.value
            if choice in MESSAGE_REQUIRED and not text.strip():
                self._set_error(f"Write the reply for {slot.title}")
                self._bring(slot.index, message)
                return None
        if slot.kind == "hitl":
            kind = cast(DecisionType, choice)
            return HitlDecision(kind, name=slot.name, args=args, message=text)
        response = cast(InboxResponseType, choice)
        return InboxResponse(response, action=slot.name, args=args, text=text)

    def _resume(self, n: int, decided: list[HitlDecision | InboxResponse]) -> Any:
        review = self.reviews[n]
        if isinstance(review, HitlReview):
            hitl = [d for d in decided if isinstance(d, HitlDecision)]
            return hitl_resume(hitl, per_call=review.per_call)
        assert isinstance(review, InboxReview)
        inbox = [d for d in decided if isinstance(d, InboxResponse)]
        return inbox_resume(inbox, single=review.single)

    def _checked_raw(self, n: int) -> Any:
        editor = self.query_one(f"#raw-answer-{n}", TextArea)
        text, value = self._raw_answer(n)
        if not text.strip():
            self._set_error('Type an answer (to send an empty text, type "")')
            editor.focus()
            return None
        if value is None:
            self._set_error("null cannot be sent: the server would take it as no answer")
            editor.focus()
        return value

    def action_approve_all(self) -> None:
        if not self._can_approve_all():
            self._set_error("Some requests cannot be approved; decide each one and Send")
            return
        answers: Answers = {}
        for n, interrupt in enumerate(self.interrupts):
            slots = [s for s in self.slots if s.interrupt == n]
            review = self.reviews[n]
            if isinstance(review, HitlReview):
                approvals = [HitlDecision.approve() for _ in slots]
                answers[interrupt.id] = hitl_resume(approvals, per_call=review.per_call)
            elif isinstance(review, InboxReview):
                accepts = [InboxResponse("accept") for _ in slots]
                answers[interrupt.id] = inbox_resume(accepts, single=review.single)
        self._finish(answers)

    def _finish(self, answers: Answers) -> None:
        """Dismiss with the answers, unless the check finds a problem (then nothing is sent)."""
        problems = self.check(answers) if self.check is not None else []
        if problems:
            self._set_error("Not sent: " + "; ".join(problems))
            return
        self.dismiss(answers)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_toggle_fold(self) -> None:
        self.folded = not self.folded
        for n in self.raw:
            self.query_one(f"#raw-value-{n}", Static).update(self._raw_content(n))
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
        # may quote a tool name from the agent, or the server's words
        widget.update(Content(for_row(error or "")))
        widget.display = bool(error)
