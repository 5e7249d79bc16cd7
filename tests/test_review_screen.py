"""Pilot tests of the interrupt review modal (`ReviewScreen`), driven by keyboard only.

A small host app pushes the screen with an interrupt value (the recorded real ones from
tests/data where possible) and keeps what it dismissed with. The last test answers real
interrupts on the test Agent Server with what the screen produced.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_fixture import AgentServer, replies
from textual.app import App
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, Input, Static, TextArea

from fleet_tui.domain.interrupt_model import Interrupt
from fleet_tui.tui.screens.review import DecisionSet, ReviewScreen

TCSS = Path(__file__).resolve().parent.parent / "fleet_tui" / "tui" / "fleet.tcss"
SIZE = (120, 40)
UNSET = object()

DATA = Path(__file__).parent / "data"


def recorded_value(name: str) -> Any:
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if line.startswith("data:") and '"__interrupt__"' in line:
            return json.loads(line.removeprefix("data:"))["__interrupt__"][0]["value"]
    raise AssertionError(name)


HITL_VALUE = recorded_value("hitl_interrupt.sse")
INBOX_VALUE = recorded_value("inbox_interrupt.sse")
JSON_VALUE = recorded_value("json_interrupt.sse")
HITL_ARGS = replies.hitl_args("Please send the report.")

TWO_ACTIONS = {
    "action_requests": [
        {"name": "send_email", "args": {"to": "a@example.com"}, "description": "first"},
        {"name": "delete_file", "args": {"path": "/tmp/report"}},
    ],
    "review_configs": [
        {"action_name": "send_email", "allowed_decisions": ["approve", "edit", "reject"]},
        {"action_name": "delete_file", "allowed_decisions": ["approve", "reject", "respond"]},
    ],
}


class Host(App[None]):
    CSS_PATH = TCSS

    def __init__(self, value: Any, **kwargs: Any) -> None:
        super().__init__()
        self.value = value
        self.kwargs = kwargs
        self.result: Any = UNSET

    def on_mount(self) -> None:
        interrupt_id = self.kwargs.pop("interrupt_id", None)
        schema = self.kwargs.pop("response_schema", None)
        interrupt = Interrupt(interrupt_id, self.value, schema)
        self.push_screen(ReviewScreen([interrupt], **self.kwargs), self._done)

    def _done(self, answers: dict[str | None, Any] | None) -> None:
        # one interrupt: the value sent for it (the screen keys answers by interrupt id)
        self.result = None if answers is None else answers[next(iter(answers))]


async def type_text(pilot: Pilot[Any], text: str) -> None:
    await pilot.press(*text)


def error_text(app: App[Any]) -> str:
    widget = app.screen.query_one("#review-error", Static)
    return str(widget.content) if widget.display else ""


def screen_text(app: App[Any]) -> str:
    return app.export_screenshot().replace("&#160;", " ")


# --- HITL ----------------------------------------------------------------------------------


async def test_approve_sends_the_exact_hitl_resume() -> None:
    app = Host(HITL_VALUE, interrupt_id="6c3a1390c5a27d646f5577a421131fac")
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.focused, DecisionSet)
        text = screen_text(app)
        assert "send_email" in text and replies.HITL_DESCRIPTION in text
        assert "alice@example.com" in text
        await pilot.press("a")
        # one request: after deciding, Send has focus
        assert app.focused is app.screen.query_one("#review-send", Button)
        await pilot.press("enter")
    assert app.result == {"decisions": [{"type": "approve"}]}


async def test_arrow_keys_choose_and_only_allowed_decisions_are_offered() -> None:
    value = {
        "action_requests": [{"name": "rm", "args": {"path": "/"}}],
        "review_configs": [{"action_name": "rm", "allowed_decisions": ["reject"]}],
    }
    app = Host(value)
    async with app.run_test(size=SIZE) as pilot:
        decision_set = app.screen.query_one("#decision-0", DecisionSet)
        assert decision_set.allowed == ["reject"]
        await pilot.press("a", "e")  # not allowed here: nothing happens
        assert decision_set.choice is None
        await pilot.press("enter")  # the highlighted (only) option
        assert decision_set.choice == "reject"
        assert isinstance(app.focused, Input)
        await pilot.press("ctrl+s")
    assert app.result == {"decisions": [{"type": "reject"}]}


async def test_edit_sends_the_edited_args() -> None:
    app = Host(HITL_VALUE)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right", "enter")  # second option: edit
        editor = app.screen.query_one("#edit-0", TextArea)
        assert app.focused is editor
        assert json.loads(editor.text) == HITL_ARGS
        edited = dict(HITL_ARGS, to="bob@example.com", subject="Edited ✓")
        editor.text = json.dumps(edited, indent=2)
        await pilot.pause()
        await pilot.press("ctrl+s")
    assert app.result == {
        "decisions": [{"type": "edit", "edited_action": {"name": "send_email", "args": edited}}]
    }


async def test_invalid_json_blocks_sending() -> None:
    app = Host(HITL_VALUE)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        editor = app.screen.query_one("#edit-0", TextArea)
        await pilot.press("x")  # "x{…": not JSON
        field_error = app.screen.query_one("#edit-error-0", Static)
        assert field_error.display and "not valid JSON" in str(field_error.content)
        await pilot.press("ctrl+s")
        assert app.result is UNSET
        assert "Fix the arguments of 1. send_email" in error_text(app)
        assert app.focused is editor
        # a JSON array is valid JSON but not arguments
        editor.text = "[1, 2]"
        await pilot.pause()
        assert "must be a JSON object" in str(field_error.content)
        await pilot.press("ctrl+s")
        assert app.result is UNSET
        editor.text = json.dumps(HITL_ARGS)
        await pilot.pause()
        assert not field_error.display
        await pilot.press("ctrl+s")
    assert app.result == {
        "decisions": [{"type": "edit", "edited_action": {"name": "send_email", "args": HITL_ARGS}}]
    }


async def test_reject_with_message() -> None:
    app = Host(HITL_VALUE)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        assert app.focused is app.screen.query_one("#message-0", Input)
        await type_text(pilot, "not today [b]!")
        await pilot.press("enter")
    assert app.result == {"decisions": [{"type": "reject", "message": "not today [b]!"}]}


async def test_approve_all_with_two_action_requests() -> None:
    app = Host(TWO_ACTIONS)
    async with app.run_test(size=SIZE) as pilot:
        assert not app.screen.query_one("#review-approve-all", Button).disabled
        await pilot.press("ctrl+a")
    assert app.result == {"decisions": [{"type": "approve"}, {"type": "approve"}]}


async def test_approve_all_button() -> None:
    app = Host(TWO_ACTIONS)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#review-approve-all")
    assert app.result == {"decisions": [{"type": "approve"}, {"type": "approve"}]}


async def test_approve_all_is_off_when_a_request_forbids_approval() -> None:
    value = json.loads(json.dumps(TWO_ACTIONS))
    value["review_configs"][1]["allowed_decisions"] = ["reject"]
    app = Host(value)
    async with app.run_test(size=SIZE) as pilot:
        assert app.screen.query_one("#review-approve-all", Button).disabled
        await pilot.press("ctrl+a")
        assert app.result is UNSET


async def test_several_requests_answered_together() -> None:
    app = Host(TWO_ACTIONS)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        # focus moved on to the second request
        assert app.focused is app.screen.query_one("#decision-1", DecisionSet)
        await pilot.press("ctrl+s")  # the second has no decision yet
        assert app.result is UNSET
        assert "Choose a decision for 2. delete_file" in error_text(app)
        await pilot.press("p")  # reply instead: the reply is required
        assert app.focused is app.screen.query_one("#message-1", Input)
        await pilot.press("enter")
        assert app.result is UNSET
        assert "Write the reply" in error_text(app)
        await type_text(pilot, "already deleted")
        await pilot.press("enter")
    assert app.result == {
        "decisions": [{"type": "approve"}, {"type": "respond", "message": "already deleted"}]
    }


async def test_tab_order_reaches_every_control() -> None:
    app = Host(TWO_ACTIONS)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")  # reveals the reason input of the first request
        order = []
        for _ in range(6):
            order.append(app.focused.id if app.focused else None)
            await pilot.press("tab")
        assert order == [
            "message-0",
            "decision-1",
            "review-send",
            "review-approve-all",
            "review-cancel",
            "decision-0",
        ]


async def test_per_call_interrupt_answers_with_a_bare_decision() -> None:
    value = {
        "type": "tool_approval",
        "tool_call_id": "call_1",
        "name": "send_email",
        "args": {"to": "x@example.com"},
        "description": "Check it",
    }
    app = Host(value, interrupt_id="abc")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+a")
    assert app.result == {"type": "approve"}


async def test_long_values_fold_and_unfold() -> None:
    body = "word " * 200
    value = {"action_requests": [{"name": "post", "args": {"body": body}}]}
    app = Host(value)
    async with app.run_test(size=SIZE) as pilot:
        args = app.screen.query_one("#args-0", Static)
        assert isinstance(args.content, Content)
        assert "… (+760 chars)" in args.content.plain
        await pilot.press("ctrl+f")
        assert isinstance(args.content, Content)
        assert json.loads(args.content.plain) == {"body": body}
        # the editor always holds the full value
        await pilot.press("e")
        assert json.loads(app.screen.query_one("#edit-0", TextArea).text) == {"body": body}


# --- agent-inbox shape ---------------------------------------------------------------------


async def test_inbox_respond() -> None:
    app = Host(INBOX_VALUE)
    async with app.run_test(size=SIZE) as pilot:
        assert "Send this email to Bob?" in screen_text(app)
        await pilot.press("r")
        await type_text(pilot, "ask me tomorrow")
        await pilot.press("enter")
    assert app.result == [{"type": "response", "args": "ask me tomorrow"}]


async def test_inbox_accept_edit_ignore() -> None:
    for keys, expected in [
        (("a", "enter"), {"type": "accept", "args": None}),
        (("i", "enter"), {"type": "ignore", "args": None}),
        (
            ("e", "ctrl+s"),
            {"type": "edit", "args": {"action": "send_email", "args": replies.INBOX_ARGS}},
        ),
    ]:
        app = Host(INBOX_VALUE)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press(*keys)
        assert app.result == [expected], keys


# --- any other value -----------------------------------------------------------------------


async def test_raw_json_answer() -> None:
    app = Host(JSON_VALUE)
    async with app.run_test(size=SIZE) as pilot:
        text = screen_text(app)
        assert "Pick a number" in text and "ünïcødé ✓" in text
        assert app.focused is app.screen.query_one("#raw-answer-0", TextArea)
        assert not app.screen.query("#review-approve-all")
        await type_text(pilot, '{"pick": 2}')
        assert "sends JSON object" in str(app.screen.query_one("#raw-preview-0", Static).content)
        await pilot.press("ctrl+s")
    assert app.result == {"pick": 2}


async def test_raw_text_answer() -> None:
    app = Host(JSON_VALUE)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+s")  # empty: blocked
        assert app.result is UNSET
        assert "Type an answer" in error_text(app)
        await type_text(pilot, "two, please")
        await pilot.press("ctrl+s")
    assert app.result == "two, please"


async def test_raw_number_as_text_and_null_blocked() -> None:
    app = Host("How old are you?")
    async with app.run_test(size=SIZE) as pilot:
        assert "How old are you?" in screen_text(app)
        await type_text(pilot, "null")
        await pilot.press("ctrl+s")
        assert app.result is UNSET
        assert "null cannot be sent" in error_text(app)
        app.screen.query_one("#raw-answer-0", TextArea).text = "42"
        await pilot.press("tab", "space")  # the "send as plain text" checkbox
        assert app.screen.query_one("#raw-as-text-0", Checkbox).value
        await pilot.press("ctrl+s")
    assert app.result == "42"


# --- cancelling ----------------------------------------------------------------------------


@pytest.mark.parametrize("value", [HITL_VALUE, INBOX_VALUE, JSON_VALUE])
async def test_escape_dismisses_with_none(value: Any) -> None:
    app = Host(value)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape")
    assert app.result is None


async def test_cancel_button_dismisses_with_none() -> None:
    app = Host(HITL_VALUE)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        app.screen.query_one("#review-cancel", Button).focus()
        await pilot.press("enter")
    assert app.result is None


# --- agent text is data --------------------------------------------------------------------

MARKUP = "[bold red]x[/]"
ESCAPES = "\x1b]0;pwned\x07"


@pytest.mark.parametrize(
    "value",
    [
        {
            "action_requests": [
                {
                    "name": f"tool{MARKUP}",
                    "args": {MARKUP: f"{ESCAPES} and {MARKUP}", "c1": "\x9b31m"},
                    "description": f"{MARKUP} {ESCAPES}",
                }
            ]
        },
        [
            {
                "action_request": {"action": MARKUP, "args": {"v": ESCAPES}},
                "description": f"{MARKUP} {ESCAPES}",
            }
        ],
        f"{MARKUP} {ESCAPES}",
        {"question": f"{MARKUP} {ESCAPES}"},
    ],
    ids=["hitl", "inbox", "string", "json"],
)
async def test_agent_markup_and_escapes_render_literally(value: Any) -> None:
    app = Host(value, interrupt_id=f"id{ESCAPES}")
    async with app.run_test(size=SIZE):
        svg = app.export_screenshot()
    text = svg.replace("&#160;", " ")
    for bad in ("\x1b", "\x07", "\x9b"):
        assert bad not in svg
    assert MARKUP in text
    assert "pwned" in text
    if not isinstance(value, str):
        # inside JSON the escape is shown as JSON writes it
        assert "\\u001b]0;pwned\\u0007" in text or "␛]0;pwned␇" in text
    if isinstance(value, (str, list)) or "action_requests" in value:
        assert "␛]0;pwned␇" in text


# --- against the real server -------------------------------------------------------------


def _thread_interrupt(client: httpx.Client, thread_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        thread = client.get(f"/threads/{thread_id}").raise_for_status().json()
        for entries in (thread.get("interrupts") or {}).values():
            if entries:
                return entries[0]
        time.sleep(0.1)
    raise AssertionError("no interrupt on the thread")


def _last_ai_text(values: dict[str, Any]) -> str:
    content = values["messages"][-1]["content"]
    return content if isinstance(content, str) else "".join(b.get("text", "") for b in content)


async def _answer_with_screen(
    agent_server: AgentServer, graph: str, keys: tuple[str, ...], edit: Any = None
) -> str:
    """Start `graph` on a new thread, answer its interrupt with the screen, return the reply.

    `keys` are key names, "text:…" to type text, or "<edit>" to put `edit` in the editor.
    """
    with httpx.Client(base_url=agent_server.url, headers=agent_server.headers(), timeout=60) as c:
        assistant = agent_server.assistant_id(graph)
        thread_id = c.post("/threads", json={}).raise_for_status().json()["thread_id"]
        c.post(
            f"/threads/{thread_id}/runs/wait",
            json={
                "assistant_id": assistant,
                "input": {"messages": [{"role": "user", "content": "Please send the report."}]},
            },
        ).raise_for_status()
        interrupt = _thread_interrupt(c, thread_id)
        app = Host(interrupt["value"], interrupt_id=interrupt.get("id"))
        async with app.run_test(size=SIZE) as pilot:
            for key in keys:
                if key == "<edit>":
                    app.screen.query_one("#edit-0", TextArea).text = json.dumps(edit)
                    await pilot.pause()
                elif key.startswith("text:"):
                    await type_text(pilot, key.removeprefix("text:"))
                else:
                    await pilot.press(key)
        assert app.result is not UNSET and app.result is not None
        values = (
            c.post(
                f"/threads/{thread_id}/runs/wait",
                json={"assistant_id": assistant, "command": {"resume": app.result}},
            )
            .raise_for_status()
            .json()
        )
        return _last_ai_text(values)


async def test_answers_resume_the_real_server(agent_server: AgentServer) -> None:
    args = replies.hitl_args("Please send the report.")
    approved = await _answer_with_screen(agent_server, "hitl", ("a", "enter"))
    assert approved == replies.hitl_final("approve", args)

    edited_args = dict(args, to="bob@example.com", body="Edited body")
    edited = await _answer_with_screen(
        agent_server, "hitl", ("e", "<edit>", "ctrl+s"), edit=edited_args
    )
    assert edited == replies.hitl_final("edit", edited_args)

    rejected = await _answer_with_screen(agent_server, "hitl", ("r", "text:not now", "enter"))
    assert rejected == replies.hitl_final("reject", reason="not now")

    inbox = await _answer_with_screen(agent_server, "inbox", ("r", "text:later", "enter"))
    assert inbox == replies.inbox_final([{"type": "response", "args": "later"}])

    answered = await _answer_with_screen(
        agent_server, "json_interrupt", ('text:{"n": 2}', "ctrl+s")
    )
    assert answered == replies.json_final({"n": 2})


# --- several interrupts in one review -------------------------------------------------------

PER_CALL_SCHEMA = {"discriminator": {"mapping": {"approve": {}, "reject": {}, "respond": {}}}}


def _per_call(iid: str, to: str, namespace: tuple[str, ...] = ()) -> Interrupt:
    value = {"type": "tool_approval", "tool_call_id": f"call-{to}", "name": "send_email"}
    return Interrupt(iid, {**value, "args": {"to": to}}, PER_CALL_SCHEMA, namespace)


class ManyHost(App[None]):
    CSS_PATH = TCSS

    def __init__(self, interrupts: list[Interrupt], **kwargs: Any) -> None:
        super().__init__()
        self.interrupts = interrupts
        self.kwargs = kwargs
        self.result: Any = UNSET

    def on_mount(self) -> None:
        self.push_screen(ReviewScreen(self.interrupts, **self.kwargs), self._done)

    def _done(self, answers: Any) -> None:
        self.result = answers


async def test_several_interrupts_are_decided_in_one_review_and_sent_once() -> None:
    first, second = _per_call("a" * 32, "ann"), _per_call("b" * 32, "bob", ("tools:t1",))
    app = ManyHost([first, second], sources={second.id: "sub-agent mailer"})
    async with app.run_test(size=SIZE) as pilot:
        text = screen_text(app)
        assert "Approval 1 of 2" in text and "Approval 2 of 2" in text
        assert "raised by sub-agent mailer" in text
        assert "Edit arguments" not in text  # neither allows it
        await pilot.press("a")  # approve the first; focus moves to the second
        assert app.focused is app.screen.query_one("#decision-1", DecisionSet)
        await pilot.press("r")
        await type_text(pilot, "not bob")
        await pilot.press("enter")
        await pilot.pause()
    assert app.result == {
        first.id: {"type": "approve"},
        second.id: {"type": "reject", "message": "not bob"},
    }


async def test_the_check_can_refuse_and_the_server_message_is_shown() -> None:
    only = _per_call("c" * 32, "cy")
    seen: list[Any] = []

    def check(answers: Any) -> list[str]:
        seen.append(answers)
        return ["[bold]no[/bold] approval with that id is pending"] if len(seen) == 1 else []

    app = ManyHost([only], problem="ValidationError: [red]bad[/red]\x1b[2J", check=check)
    async with app.run_test(size=SIZE) as pilot:
        problem = app.screen.query_one("#review-problem", Static)
        assert "[red]bad[/red]" in str(problem.content) and "\x1b" not in str(problem.content)
        await pilot.press("ctrl+a")
        await pilot.pause()
        assert app.result is UNSET  # refused: nothing sent, the screen stays
        assert "[bold]no[/bold]" in error_text(app)
        await pilot.press("ctrl+a")
        await pilot.pause()
    assert app.result == {only.id: {"type": "approve"}} and len(seen) == 2


# --- focus and scrolling: the approval at hand is always the one on screen -----------------

ALL_DECISIONS = {
    "discriminator": {"mapping": {"approve": {}, "edit": {}, "reject": {}, "respond": {}}}
}
SMALL = (80, 24)


def _write_file(iid: str, path: str) -> Interrupt:
    value = {"type": "tool_approval", "tool_call_id": f"call-{path}", "name": "write_file"}
    args = {"file_path": path, "content": "# Per call\n\nSaved after review.\n"}
    return Interrupt(iid, {**value, "args": args}, ALL_DECISIONS)


def three_approvals() -> list[Interrupt]:
    return [
        _per_call("a" * 32, "ann"),
        _write_file("b" * 32, "/b.md"),
        _write_file("c" * 32, "/c.md"),
    ]


def in_view(app: App[Any], widget: Any) -> bool:
    body = app.screen.query_one("#review-body")
    return bool(widget.region) and body.region.contains_region(widget.region)


async def test_deciding_moves_to_the_next_undecided_approval_and_shows_it() -> None:
    app = ManyHost(three_approvals())
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("a")
        await pilot.pause()
        second = app.screen.query_one("#decision-1", DecisionSet)
        assert app.focused is second and in_view(app, second)
        await pilot.press("a")
        await pilot.pause()
        third = app.screen.query_one("#decision-2", DecisionSet)
        assert app.focused is third and in_view(app, third)


@pytest.mark.parametrize(
    ("key", "field"), [("e", "#edit-2"), ("p", "#message-2"), ("r", "#message-2")]
)
async def test_an_opened_field_is_focused_and_scrolled_into_view(key: str, field: str) -> None:
    app = ManyHost(three_approvals())
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("a", "a")  # the last approval, at the bottom of the dialog
        await pilot.pause()
        await pilot.press(key)
        await pilot.pause()
        widget = app.screen.query_one(field)
        assert app.focused is widget and in_view(app, widget)


async def test_decision_keys_act_wherever_the_focus_is_in_the_dialog() -> None:
    approvals = three_approvals()
    app = ManyHost(approvals)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("a")
        app.screen.query_one("#review-cancel", Button).focus()
        await pilot.press("p")  # on the first undecided: the second
        await pilot.pause()
        assert app.screen.query_one("#decision-1", DecisionSet).choice == "respond"
        message = app.screen.query_one("#message-1", Input)
        assert app.focused is message and in_view(app, message)
        await type_text(pilot, "use /x.md")

        # a decision the approval does not allow is not silent
        app.screen.query_one("#review-send", Button).focus()
        await pilot.press("e")  # the third allows it
        await pilot.pause()
        assert app.screen.query_one("#decision-2", DecisionSet).choice == "edit"
        app.screen.query_one("#decision-0", DecisionSet).focus()
        await pilot.press("e")  # the first (send_email, per call) allows no edit
        await pilot.pause()
        assert "1. send_email allows a approve, r reject, p reply instead" in error_text(app)
        assert app.screen.query_one("#decision-0", DecisionSet).choice == "approve"


async def test_a_missing_decision_is_scrolled_to_and_focused() -> None:
    app = ManyHost(three_approvals())
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("a", "a")  # the first two; focus on the third
        await pilot.pause()
        app.screen.query_one("#decision-0", DecisionSet).focus()  # back at the top
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Choose a decision for 3. write_file" in error_text(app)
        third = app.screen.query_one("#decision-2", DecisionSet)
        assert app.focused is third and in_view(app, third)
    assert app.result is UNSET


async def test_the_middlewares_default_description_is_not_shown_but_a_custom_one_is() -> None:
    default = "Tool execution requires approval\n\nTool: send_email\nArgs: {'to': 'ann'}"
    value = {
        "action_requests": [
            {"name": "send_email", "args": {"to": "ann"}, "description": default},
            {"name": "delete_file", "args": {"path": "/x"}, "description": "Deletes for good"},
        ],
        "review_configs": [
            {"action_name": "send_email", "allowed_decisions": ["approve"]},
            {"action_name": "delete_file", "allowed_decisions": ["approve"]},
        ],
    }
    app = Host(value)
    async with app.run_test(size=SIZE):
        text = screen_text(app)
        assert "requires approval" not in text and "Args: {" not in text
        args = app.screen.query_one("#args-0", Static)
        assert '"to": "ann"' in str(args.content)  # the arguments, once, as JSON
        assert "Deletes for good" in text


async def test_every_decision_is_on_screen_at_80_columns() -> None:
    app = ManyHost([_write_file("f" * 32, "/f.md")])
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        request = app.screen.query_one("#request-0")
        buttons = list(app.screen.query_one("#decision-0", DecisionSet).query("RadioButton"))
        assert len(buttons) == 4
        for button in buttons:
            assert request.region.contains_region(button.region), str(button.label)
