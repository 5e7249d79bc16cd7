"""Unit tests of `fleet_tui.domain.interrupts`: classifying interrupt values, building resume
values.

The three shapes come from recordings of the real Agent Server (tests/data/*_interrupt.sse);
`replies` holds what the test graphs put in them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from server_fixture import replies

from fleet_tui.domain.interrupts import (
    HitlAction,
    HitlDecision,
    HitlReview,
    InboxItem,
    InboxResponse,
    InboxReview,
    RawReview,
    args_preview,
    classify,
    dumps_json,
    fold_value,
    hitl_resume,
    inbox_resume,
    is_folded,
    parse_json,
    raw_resume,
    summary,
)

DATA = Path(__file__).parent / "data"

# `response_schema` of a per-call HITL interrupt, as langchain 1.4 publishes it (trimmed).
PER_CALL_SCHEMA_TWO = {
    "$defs": {
        "ApproveDecision": {"properties": {"type": {"const": "approve", "type": "string"}}},
        "RejectDecision": {"properties": {"type": {"const": "reject", "type": "string"}}},
    },
    "discriminator": {
        "mapping": {"approve": "#/$defs/ApproveDecision", "reject": "#/$defs/RejectDecision"},
        "propertyName": "type",
    },
    "oneOf": [{"$ref": "#/$defs/ApproveDecision"}, {"$ref": "#/$defs/RejectDecision"}],
}
PER_CALL_SCHEMA_ONE = {
    "properties": {
        "type": {"const": "reject", "title": "Type", "type": "string"},
        "message": {"title": "Message", "type": "string"},
    },
    "required": ["type"],
    "type": "object",
}


def recorded_interrupt(name: str) -> dict[str, Any]:
    """The first `__interrupt__` entry (`{"value", "id", ...}`) of a recorded stream."""
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if line.startswith("data:") and '"__interrupt__"' in line:
            payload = json.loads(line.removeprefix("data:"))
            return payload["__interrupt__"][0]
    raise AssertionError(f"no interrupt in {name}")


# --- classify: recorded values -------------------------------------------------------------


def test_classify_recorded_hitl() -> None:
    entry = recorded_interrupt("hitl_interrupt.sse")
    review = classify(entry["value"], entry.get("response_schema"))
    assert review == HitlReview(
        [
            HitlAction(
                name=replies.HITL_TOOL,
                args=replies.hitl_args("Please send the report."),
                description=replies.HITL_DESCRIPTION,
                allowed=list(replies.HITL_ALLOWED_DECISIONS),
            )
        ]
    )
    assert not review.per_call


def test_classify_recorded_inbox() -> None:
    review = classify(recorded_interrupt("inbox_interrupt.sse")["value"])
    expected = replies.inbox_request()[0]
    assert review == InboxReview(
        [
            InboxItem(
                action="send_email",
                args=replies.INBOX_ARGS,
                description=expected["description"],
                allow_accept=True,
                allow_edit=True,
                allow_respond=True,
                allow_ignore=True,
            )
        ]
    )
    assert isinstance(review, InboxReview)
    assert review.items[0].allowed == ["accept", "edit", "response", "ignore"]
    assert not review.single


def test_classify_recorded_json() -> None:
    value = recorded_interrupt("json_interrupt.sse")["value"]
    assert value == replies.JSON_INTERRUPT_VALUE
    assert classify(value) == RawReview(replies.JSON_INTERRUPT_VALUE)


# --- classify: odd values ------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        None,
        "what is your age?",
        ["a", "b"],
        [],
        {},
        42,
        {"action_requests": []},
        {"action_requests": "send_email"},
        {"action_requests": [{"args": {}}]},  # no name
        {"action_requests": [{"name": "x"}, "y"]},
        [{"action_request": {"action": "x"}}, "not a request"],
        {"action_request": "send_email"},
        {"type": "tool_approval"},  # no name
    ],
)
def test_classify_odd_values_are_raw(value: Any) -> None:
    assert classify(value) == RawReview(value)


def test_hitl_without_review_configs_allows_the_defaults() -> None:
    review = classify({"action_requests": [{"name": "run", "args": {"cmd": "ls"}}]})
    assert review == HitlReview(
        [HitlAction("run", {"cmd": "ls"}, None, ["approve", "edit", "reject"])]
    )


def test_hitl_configs_are_matched_by_action_name() -> None:
    value = {
        "action_requests": [
            {"name": "delete", "args": {"path": "/tmp/x"}, "description": "   "},
            {"name": "send", "args": {}},
            {"name": "other", "args": None},
        ],
        "review_configs": [
            {"action_name": "send", "allowed_decisions": ["reject", "approve", "reject"]},
            {"action_name": "delete", "allowed_decisions": ["approve", "respond", "dance"]},
            {"action_name": "other", "allowed_decisions": ["dance"]},
            "junk",
        ],
    }
    review = classify(value)
    assert isinstance(review, HitlReview)
    assert [a.allowed for a in review.actions] == [
        ["approve", "respond"],
        ["reject", "approve"],
        ["approve", "edit", "reject"],  # nothing known allowed: the defaults
    ]
    assert review.actions[0].description is None  # blank
    assert review.actions[2].args == {}


def test_hitl_non_object_args_stay_visible() -> None:
    review = classify({"action_requests": [{"name": "x", "args": [1, 2]}]})
    assert isinstance(review, HitlReview)
    assert review.actions[0].args == {"__raw__": [1, 2]}


def test_hitl_per_call_reads_the_response_schema() -> None:
    value = {
        "type": "tool_approval",
        "tool_call_id": "call_1",
        "name": "delete_file",
        "args": {"path": "/r"},
        "description": "Delete?",
    }
    review = classify(value, PER_CALL_SCHEMA_TWO)
    assert review == HitlReview(
        [HitlAction("delete_file", {"path": "/r"}, "Delete?", ["approve", "reject"])],
        per_call=True,
        tool_call_id="call_1",
    )
    one = classify(value, PER_CALL_SCHEMA_ONE)
    assert isinstance(one, HitlReview)
    assert one.actions[0].allowed == ["reject"]
    no_schema = classify(value)
    assert isinstance(no_schema, HitlReview)
    assert no_schema.actions[0].allowed == ["approve", "edit", "reject"]


def test_inbox_single_dict_and_config_defaults() -> None:
    single = classify({"action_request": {"action": "post", "args": {"x": 1}}})
    assert single == InboxReview([InboxItem("post", {"x": 1}, None, True, True, True, True)], True)
    # a config that allows nothing would leave the thread stuck: everything is offered
    stuck = classify([{"action_request": {"name": "post"}, "config": {"allow_accept": False}}])
    assert isinstance(stuck, InboxReview)
    assert stuck.items[0].action == "post"
    assert stuck.items[0].allowed == ["accept", "edit", "response", "ignore"]
    partial = classify(
        [{"action_request": {"action": "a"}, "config": {"allow_respond": True, "allow_edit": 1}}]
    )
    assert isinstance(partial, InboxReview)
    assert partial.items[0].allowed == ["response"]  # only a literal true allows


# --- resume builders -----------------------------------------------------------------------


def test_hitl_resume_shapes() -> None:
    decisions = [
        HitlDecision.approve(),
        HitlDecision.edit("send_email", {"to": "bob@example.com"}),
        HitlDecision.reject("not now"),
        HitlDecision.reject(),
        HitlDecision.respond("it is 4pm"),
    ]
    assert hitl_resume(decisions) == {
        "decisions": [
            {"type": "approve"},
            {
                "type": "edit",
                "edited_action": {"name": "send_email", "args": {"to": "bob@example.com"}},
            },
            {"type": "reject", "message": "not now"},
            {"type": "reject"},
            {"type": "respond", "message": "it is 4pm"},
        ]
    }
    assert hitl_resume([]) == {"decisions": []}


def test_hitl_resume_per_call_is_the_bare_decision() -> None:
    assert hitl_resume([HitlDecision.reject("no")], per_call=True) == {
        "type": "reject",
        "message": "no",
    }
    with pytest.raises(ValueError):
        hitl_resume([HitlDecision.approve(), HitlDecision.approve()], per_call=True)


def test_inbox_resume_shapes() -> None:
    responses = [
        InboxResponse("accept"),
        InboxResponse("edit", action="send_email", args={"to": "x"}),
        InboxResponse("response", text="later"),
        InboxResponse("ignore"),
    ]
    assert inbox_resume(responses) == [
        {"type": "accept", "args": None},
        {"type": "edit", "args": {"action": "send_email", "args": {"to": "x"}}},
        {"type": "response", "args": "later"},
        {"type": "ignore", "args": None},
    ]
    assert inbox_resume([InboxResponse("ignore")], single=True) == {"type": "ignore", "args": None}
    with pytest.raises(ValueError):
        inbox_resume([], single=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": [1, 2]}', {"a": [1, 2]}),
        ("42", 42),
        ("true", True),
        ('"quoted"', "quoted"),
        ("hello", "hello"),
        ("  spaced text ", "  spaced text "),
        ("NaN", "NaN"),  # not JSON the server can carry: text
        ('{"x": Infinity}', '{"x": Infinity}'),
        ("null", None),
    ],
)
def test_raw_resume(text: str, expected: Any) -> None:
    assert raw_resume(text) == expected


def test_raw_resume_as_text() -> None:
    assert raw_resume("42", as_text=True) == "42"
    assert raw_resume('{"a": 1}', as_text=True) == '{"a": 1}'


def test_parse_json_rejects_nan() -> None:
    with pytest.raises(ValueError):
        parse_json("[NaN]")


# --- display helpers -----------------------------------------------------------------------


def test_dumps_json_escapes_controls_and_round_trips() -> None:
    value = {"t": "a\x1b]0;pwned\x07b\x9b31m\u2028c\ud800", "[bold]": "[/]"}
    text = dumps_json(value)
    for bad in ("\x1b", "\x07", "\x9b", "\u2028", "\ud800"):
        assert bad not in text
    assert "\\u009b" in text
    assert parse_json(text) == value
    assert '"[bold]": "[/]"' in text


def test_fold_value() -> None:
    value = {"long": "x" * 1000, "list": list(range(100)), "short": "ok"}
    folded = fold_value(value)
    assert folded["long"].endswith("… (+760 chars)")
    assert len(folded["list"]) == 41
    assert folded["short"] == "ok"
    assert is_folded(value)
    assert not is_folded({"a": "b"})


def test_summary() -> None:
    hitl = recorded_interrupt("hitl_interrupt.sse")["value"]
    assert summary(hitl).startswith("send_email(to='alice@example.com', subject='Quarterly report'")
    inbox = recorded_interrupt("inbox_interrupt.sse")["value"]
    assert summary(inbox) == "send_email(to='bob@example.com', subject='Lunch?')"
    two = {"action_requests": [{"name": "a", "args": {}}, {"name": "b", "args": {}}]}
    assert summary(two) == "a() +1 more"
    assert summary("what is your age?") == "what is your age?"
    assert summary(replies.JSON_INTERRUPT_VALUE) == "Pick a number"
    assert summary(None) == "waiting for your answer"
    assert summary([1, 2]) == "waiting for your answer"
    hostile = summary("\x1b]0;pwned\x07 [bold red]x[/]\nline two")
    assert "\x1b" not in hostile and "\x07" not in hostile and "\n" not in hostile
    assert "[bold red]x[/]" in hostile
    assert len(summary("y" * 500)) == 100


def test_args_preview_budget() -> None:
    args = {"a": "x" * 50, "b": 1, "c": [1, 2], "d": "more", "e": "even more", "f": "last"}
    preview = args_preview(args)
    assert preview.startswith("a='" + "x" * 24 + "…'")
    assert preview.endswith("…")
    assert args_preview({"__raw__": "text"}) == "'text'"


def test_the_middlewares_default_description_is_recognised_exactly() -> None:
    from fleet_tui.domain.interrupts import own_description

    default = (
        "Tool execution requires approval\n\nTool: send_email\nArgs: {'to': 'ada@example.com'}"
    )
    assert own_description(default, "send_email") is None
    assert own_description(None, "send_email") is None
    assert own_description("", "send_email") is None
    # custom ones are kept, even with the same first words or another tool's default
    assert own_description("Check the address first", "send_email") == "Check the address first"
    custom = "Tool execution requires approval from finance"
    assert own_description(custom, "send_email") == custom
    assert own_description(default, "write_file") == default
