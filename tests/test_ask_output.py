"""`ask`'s output and answers, without a server: a recorded deep-agent run replayed through
the normaliser into the printer, and the resume values built from the command line's flags."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from fleet_tui.agent_server.normalizer import EventNormalizer
from fleet_tui.cli.ask_answers import AnswerRequest, Refused, resume_value
from fleet_tui.cli.ask_interrupts import describe_pending, example_answer
from fleet_tui.cli.ask_json import pending_json
from fleet_tui.cli.ask_printer import ReplyPrinter
from fleet_tui.cli.ask_progress import plan_line
from fleet_tui.common.exit_codes import ExitCode
from fleet_tui.domain.decision_check import check_answer
from fleet_tui.domain.deep_state import Todo
from fleet_tui.domain.events import PlanUpdated, SubagentBound, ToolCall, ToolCallStarted
from fleet_tui.domain.interrupt_model import Interrupt

# A real Agent Server's stream (deepagents): the main agent plans, hands "mail ada" to the
# `mailer` sub-agent, and the sub-agent's `send_email` call stops for approval.
RECORDING = Path(__file__).parent / "data" / "deep_subagent_approval.tsv"
SUBAGENT_TEXT = "Drafting."


def replay(as_json: bool) -> tuple[ReplyPrinter, str, str]:
    out, err = io.StringIO(), io.StringIO()
    printer = ReplyPrinter(out, err, as_json=as_json)
    normalizer = EventNormalizer("thread-1")
    for line in RECORDING.read_text().splitlines():
        name, _, data = line.partition("\t")
        for event in normalizer.feed(name, data):
            printer.handle(event)
    for event in normalizer.finish():
        printer.handle(event)
    printer.close()
    return printer, out.getvalue(), err.getvalue()


def test_a_subagents_text_never_reaches_stdout() -> None:
    _printer, out, err = replay(as_json=False)
    assert out == "Planning.\n\nDelegating.\n"
    assert SUBAGENT_TEXT not in out and SUBAGENT_TEXT not in err
    lines = err.splitlines()
    assert "Plan: 0/2 done · Task 1 of 2 · Mail Ada" in lines
    assert "mailer started: mail ada" in lines
    # the plan and the hand-over are said in their own words, not as raw tool calls
    assert "write_todos" not in err and "tool call task" not in err


def test_an_approval_raised_in_a_subagent_names_it_and_says_how_to_answer() -> None:
    printer, _out, _err = replay(as_json=False)
    (request,) = printer.interrupts
    assert request.namespace[0].startswith("tools:")
    lines = describe_pending([request.interrupt], "thread-1", printer.ties)
    text = "\n".join(lines)
    assert lines[1] == '  1. send_email({"to": "ada@example.com", "subject": "hi"})'
    assert f"id: {request.id} · raised by sub-agent: mailer" in text
    assert "allowed: approve, edit, reject, respond" in text
    answer = json.dumps({request.id: {"type": "approve"}})
    assert f"answer: fleet-tui ask --thread thread-1 --resume '{answer}'" in text
    assert "fleet-tui ask --thread thread-1 --approve" in text
    assert "fleet-tui ask --thread thread-1 --reject 'REASON'" in text


def test_json_lines_are_flat_and_namespaced() -> None:
    printer, out, _err = replay(as_json=True)
    lines = [json.loads(line) for line in out.splitlines()]
    assert all(list(line)[:2] == ["kind", "namespace"] for line in lines)
    assert "subagent" not in {line["kind"] for line in lines}  # flattened, never nested
    (bound,) = [line for line in lines if line["kind"] == "subagent_bound"]
    namespace = bound["namespace"]
    assert namespace.startswith("tools:") and bound["agent"] == "mailer"
    sub = [
        line
        for line in lines
        if line["namespace"] == namespace and line["kind"] not in ("interrupt", "subagent_bound")
    ]
    assert sub and all(line["agent"] == "mailer" for line in sub)
    assert all(line["parent_tool_call_id"] == bound["tool_call_id"] for line in sub)
    sub_text = "".join(line["text"] for line in sub if line["kind"] == "text_delta")
    assert sub_text == SUBAGENT_TEXT
    main_text = "".join(
        line["text"] for line in lines if line["kind"] == "text_delta" and not line["namespace"]
    )
    assert main_text == "Planning.Delegating."
    (interrupt,) = [line for line in lines if line["kind"] == "interrupt"]
    assert interrupt["namespace"] == namespace and interrupt["agent"] == "mailer"
    waiting = pending_json("thread-1", [printer.interrupts[0].interrupt], printer.ties)
    assert waiting["interrupts"][0]["agent"] == "mailer"
    assert waiting["interrupts"][0]["actions"][0]["allowed"] == [
        "approve",
        "edit",
        "reject",
        "respond",
    ]


def test_parallel_subagents_each_say_when_they_start_and_finish() -> None:
    from fleet_tui.domain.events import SubagentEvent, TextDelta, ToolResult

    out, err = io.StringIO(), io.StringIO()
    printer = ReplyPrinter(out, err, as_json=False)
    for n, topic in enumerate(("topic A", "topic B")):
        call = ToolCall(f"c{n}", "task", {"subagent_type": "researcher", "description": topic})
        printer.handle(ToolCallStarted("m1", call))
    printer.handle(SubagentBound("tools:1", "c0", "researcher"))
    printer.handle(SubagentBound("tools:2", "c1", "researcher"))
    printer.handle(SubagentEvent("tools:1", TextDelta("s1", "secret findings")))
    printer.handle(SubagentBound("tools:1", "c0", "researcher", exact=True))  # confirmed: no line
    printer.handle(ToolResult("r1", "c1", "task", "B's findings"))
    printer.handle(ToolResult("r0", "c0", "task", "oops", status="error"))
    printer.close()
    assert out.getvalue() == ""
    assert err.getvalue().splitlines() == [
        "researcher started: topic A",
        "researcher started: topic B",
        "researcher finished: topic B",
        "researcher failed: topic A",
    ]


def test_plan_line_is_said_only_when_it_changes() -> None:
    err = io.StringIO()
    printer = ReplyPrinter(io.StringIO(), err, as_json=False)
    todos = (Todo("Research", "completed"), Todo("Write", "in_progress"), Todo("Review"))
    printer.handle(PlanUpdated(todos))
    printer.handle(PlanUpdated(todos))
    printer.handle(PlanUpdated(tuple(Todo(t.content, "completed") for t in todos)))
    assert err.getvalue().splitlines() == [
        "Plan: 1/3 done · Task 2 of 3 · Write",
        "Plan: 3/3 done",
    ]
    assert plan_line(()) == "Plan: empty"


# --- answers --------------------------------------------------------------------------------

APPROVE_OR_REJECT = {
    "discriminator": {"mapping": {"approve": "#/a", "reject": "#/r"}, "propertyName": "type"}
}


def per_call(iid: str, to: str) -> Interrupt:
    value = {"type": "tool_approval", "name": "send_email", "args": {"to": to}, "tool_call_id": to}
    return Interrupt(iid, value, APPROVE_OR_REJECT)


def batched(iid: str, names: tuple[str, ...], allowed: list[str]) -> Interrupt:
    value = {
        "action_requests": [{"name": n, "args": {"path": "/r.md"}} for n in names],
        "review_configs": [{"action_name": n, "allowed_decisions": allowed} for n in names],
    }
    return Interrupt(iid, value)


A, B = "a" * 32, "b" * 32
PAIR = [per_call(A, "one@x"), per_call(B, "two@x")]


def test_approve_and_reject_answer_every_pending_interrupt_by_id() -> None:
    assert resume_value(AnswerRequest("approve"), PAIR) == {
        A: {"type": "approve"},
        B: {"type": "approve"},
    }
    assert resume_value(AnswerRequest("reject", reason="not now"), PAIR) == {
        A: {"type": "reject", "message": "not now"},
        B: {"type": "reject", "message": "not now"},
    }
    # no reason: none sent (the middleware then tells the model not to retry)
    two = [batched(A, ("write_file", "edit_file"), ["approve", "reject"])]
    assert resume_value(AnswerRequest("reject"), two) == {
        A: {"decisions": [{"type": "reject"}, {"type": "reject"}]}
    }


def test_a_map_answers_several_and_a_bare_answer_the_only_one() -> None:
    answers = {A: {"type": "approve"}, B: {"type": "reject", "message": "no"}}
    assert resume_value(AnswerRequest("resume", answers), PAIR) == answers
    one = [batched(A, ("write_file",), ["approve", "reject"])]
    # a lone decision for a one-call batched approval is sent as the list it expects
    assert resume_value(AnswerRequest("resume", {"type": "approve"}), one) == {
        A: {"decisions": [{"type": "approve"}]}
    }
    question = [Interrupt(A, "What colour?")]
    assert resume_value(AnswerRequest("resume", {"colour": "red"}), question) == {
        A: {"colour": "red"}
    }
    unnamed = [Interrupt(None, "What colour?")]  # an older server: no id to key by
    assert resume_value(AnswerRequest("resume", "red"), unnamed) == "red"


def refusal(request: AnswerRequest, pending: list[Interrupt]) -> str:
    with pytest.raises(Refused) as caught:
        resume_value(request, pending)
    assert caught.value.exit_code == ExitCode.USAGE
    return str(caught.value)


def test_a_decision_the_interrupt_does_not_allow_is_refused_naming_the_allowed_ones() -> None:
    edit = {"type": "edit", "edited_action": {"name": "send_email", "args": {"to": "z@x"}}}
    message = refusal(AnswerRequest("resume", {A: {"type": "approve"}, B: edit}), PAIR)
    assert message.startswith("nothing was sent")
    assert f"{B}: send_email: 'edit' is not allowed here; allowed: approve, reject" in message
    only_approve = [batched(A, ("write_file",), ["approve"])]
    message = refusal(AnswerRequest("reject", reason="x"), only_approve)
    assert "write_file does not allow 'reject'; allowed: approve" in message


def test_an_unknown_id_is_refused_listing_the_pending_ones() -> None:
    message = refusal(AnswerRequest("resume", {"c" * 32: {"type": "approve"}}), PAIR)
    assert f"no approval with id {'c' * 32} is pending" in message
    assert f"pending: {A}, {B}" in message


def test_a_bare_answer_with_two_pending_is_refused_listing_their_ids() -> None:
    message = refusal(AnswerRequest("resume", {"type": "approve"}), PAIR)
    assert "2 interrupts are pending" in message
    assert f"  {A}  send_email(to='one@x')" in message
    assert f"  {B}  send_email(to='two@x')" in message


def test_approve_refuses_a_question() -> None:
    message = refusal(AnswerRequest("approve"), [Interrupt(A, {"question": "Colour?"})])
    assert "is a question, not an approval that can be approved" in message


@pytest.mark.parametrize(
    "interrupt",
    [
        PAIR[0],
        batched(A, ("write_file",), ["reject", "respond"]),
        batched(A, ("write_file", "edit_file"), ["approve", "edit", "reject"]),
        batched(A, ("write_file",), ["respond"]),
    ],
    ids=["per-call", "one-call-no-approve", "two-calls", "respond-only"],
)
def test_the_printed_example_answer_passes_the_check(interrupt: Interrupt) -> None:
    answer: Any = example_answer(interrupt)
    sent = resume_value(AnswerRequest("resume", {A: answer}), [interrupt])
    assert check_answer(interrupt, sent[A]) is None


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_a_note_starts_its_own_line_without_touching_stdout() -> None:
    from fleet_tui.domain.events import TextDelta

    out, err = Terminal(), Terminal()
    printer = ReplyPrinter(out, err, as_json=False)
    printer.handle(TextDelta("m1", "Planning."))
    printer.handle(PlanUpdated((Todo("One"),)))
    printer.handle(PlanUpdated((Todo("One", "completed"),)))
    printer.handle(TextDelta("m1", " More."))
    printer.close()
    assert out.getvalue() == "Planning. More.\n"
    assert err.getvalue() == "\nPlan: 0/1 done · Task 1 of 1 · One\nPlan: 1/1 done\n"


def test_a_subagents_own_tool_result_keeps_its_call_id() -> None:
    from fleet_tui.cli.ask_json import json_event
    from fleet_tui.cli.ask_progress import SubagentTies
    from fleet_tui.domain.events import SubagentBound, SubagentEvent, ToolResult

    ties = SubagentTies()
    bound = SubagentBound("tools:1", "call-task", "researcher")
    ties.bound(bound)
    line = json_event(SubagentEvent("tools:1", ToolResult("m1", "call-ls", "ls", "[]")), ties)
    assert line["tool_call_id"] == "call-ls"
    assert line["parent_tool_call_id"] == "call-task"
    assert line["agent"] == "researcher"


def test_ask_skips_only_the_middlewares_default_description() -> None:
    def pending(description: str) -> Interrupt:
        value = {
            "action_requests": [
                {"name": "send_email", "args": {"to": "ann"}, "description": description}
            ],
            "review_configs": [{"action_name": "send_email", "allowed_decisions": ["approve"]}],
        }
        return Interrupt("e" * 32, value)

    printer, _out, _err = replay(as_json=False)
    default = "Tool execution requires approval\n\nTool: send_email\nArgs: {'to': 'ann'}"
    text = "\n".join(describe_pending([pending(default)], "thread-1", printer.ties))
    assert "requires approval" not in text
    custom = "Tool execution requires approval from finance"
    text = "\n".join(describe_pending([pending(custom)], "thread-1", printer.ties))
    assert custom in text
