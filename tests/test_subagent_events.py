"""A deep agent's stream, as the normaliser and the transcript read it: sub-agents in their own
runs tied to their `task` calls, the plan and the files. The shapes are those the real server
sends with `stream_subgraphs` (see tests/test_deep_graphs.py for the same facts on the wire)."""

from __future__ import annotations

import json
from typing import Any

from fleet_tui.agent_server.normalizer import EventNormalizer
from fleet_tui.domain.deep_state import StateFile, Todo, plan_summary
from fleet_tui.domain.events import (
    Event,
    FilesChanged,
    InterruptRequest,
    PlanUpdated,
    SubagentBound,
    SubagentEvent,
    TextDelta,
    event_to_dict,
)
from fleet_tui.domain.transcript import AssistantItem, InterruptItem, ToolItem, Transcript

A = "tools:aaaaaaaa-0000-0000-0000-000000000001"
B = "tools:bbbbbbbb-0000-0000-0000-000000000002"


def _chunk(message_id: str, text: str, agent: str | None = None, ns: str = "") -> str:
    meta: dict[str, Any] = {"langgraph_node": "model", "lc_agent_name": agent}
    if ns:
        meta["langgraph_checkpoint_ns"] = f"{ns}|model:x"
    chunk = {"type": "AIMessageChunk", "id": message_id, "content": text, "tool_call_chunks": []}
    return json.dumps([chunk, meta])


def _ai(message_id: str, text: str, calls: list[tuple[str, str, dict[str, Any]]]) -> str:
    tool_calls = [{"id": cid, "name": name, "args": args} for cid, name, args in calls]
    message = {"type": "ai", "id": message_id, "content": text, "tool_calls": tool_calls}
    return json.dumps({"model": {"messages": [message]}})


def _tool_message(call_id: str, name: str, content: str, ns: str) -> str:
    message = {
        "type": "tool",
        "id": f"result-{call_id}",
        "tool_call_id": call_id,
        "name": name,
        "content": content,
        "status": "success",
    }
    return json.dumps([message, {"langgraph_node": "tools", "langgraph_checkpoint_ns": ns}])


def _delegation() -> list[tuple[str, str]]:
    """The main agent hands two tasks to the same sub-agent type, run in parallel."""
    return [
        ("metadata", json.dumps({"run_id": "run-1"})),
        (
            "updates",
            _ai(
                "main-1",
                "Delegating.",
                [
                    ("call-a", "task", {"subagent_type": "researcher", "description": "topic A"}),
                    ("call-b", "task", {"subagent_type": "researcher", "description": "topic B"}),
                ],
            ),
        ),
    ]


def _feed(items: list[tuple[str, str]]) -> list[Event]:
    normalizer = EventNormalizer("thread")
    out: list[Event] = []
    for name, data in items:
        out.extend(normalizer.feed(name, data))
    out.extend(normalizer.finish())
    return out


def _transcript(events: list[Event]) -> Transcript:
    transcript = Transcript()
    for event in events:
        transcript.apply(event)
    return transcript


def _card(transcript: Transcript, call_id: str) -> ToolItem:
    item = next(i for i in transcript.items if isinstance(i, ToolItem) and i.call_id == call_id)
    return item


def _run_text(card: ToolItem) -> str:
    assert card.subagent is not None
    return "".join(i.text for i in card.subagent.items if isinstance(i, AssistantItem))


def test_a_sub_agents_text_stays_in_its_own_card() -> None:
    events = _feed(
        [
            *_delegation(),
            (f"messages|{A}", _chunk("sub-a", "Findings A", "researcher", A)),
            (f"messages|{B}", _chunk("sub-b", "Findings B", "researcher", B)),
            ("messages", _chunk("main-2", "All done.")),
        ]
    )
    main_text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert main_text == "Delegating.All done."
    wrapped = [e for e in events if isinstance(e, SubagentEvent)]
    assert {e.namespace for e in wrapped} == {A, B}
    transcript = _transcript(events)
    assert _run_text(_card(transcript, "call-a")) == "Findings A"
    assert _run_text(_card(transcript, "call-b")) == "Findings B"
    assert _card(transcript, "call-a").agent == "researcher"
    replies = [i.text for i in transcript.items if isinstance(i, AssistantItem)]
    assert replies == ["Delegating.", "All done."]


def test_the_result_namespace_corrects_a_wrong_guess() -> None:
    # B's events come first, so it is first guessed to be the first call (topic A)
    events = _feed(
        [
            *_delegation(),
            (f"messages|{B}", _chunk("sub-b", "Findings B", "researcher", B)),
            (f"messages|{A}", _chunk("sub-a", "Findings A", "researcher", A)),
            ("messages", _tool_message("call-b", "task", "Findings B", B)),
            ("messages", _tool_message("call-a", "task", "Findings A", A)),
        ]
    )
    bound = [e for e in events if isinstance(e, SubagentBound)]
    assert (bound[0].namespace, bound[0].tool_call_id, bound[0].exact) == (B, "call-a", False)
    exact = {e.namespace: e.tool_call_id for e in bound if e.exact}
    assert exact == {B: "call-b", A: "call-a"}
    transcript = _transcript(events)
    assert _run_text(_card(transcript, "call-a")) == "Findings A"
    assert _run_text(_card(transcript, "call-b")) == "Findings B"
    assert _card(transcript, "call-b").result == "Findings B"


def test_a_sub_agent_names_its_type_and_moves_to_a_call_of_that_type() -> None:
    events = _feed(
        [
            ("metadata", json.dumps({"run_id": "run-1"})),
            (
                "updates",
                _ai(
                    "main-1",
                    "",
                    [
                        ("call-w", "task", {"subagent_type": "writer", "description": "draft"}),
                        ("call-r", "task", {"subagent_type": "researcher", "description": "dig"}),
                    ],
                ),
            ),
            (f"updates|{A}", json.dumps({"PatchToolCallsMiddleware.before_agent": None})),
            (f"messages|{A}", _chunk("sub-a", "digging", "researcher", A)),
        ]
    )
    ties = [(e.namespace, e.tool_call_id) for e in events if isinstance(e, SubagentBound)]
    assert ties == [(A, "call-w"), (A, "call-r")]
    transcript = _transcript(events)
    assert _run_text(_card(transcript, "call-r")) == "digging"
    assert _card(transcript, "call-w").subagent is None


def test_a_nested_sub_agent_lands_in_its_parents_card() -> None:
    inner = f"{A}|{B}"
    events = _feed(
        [
            *_delegation(),
            (
                f"updates|{A}",
                _ai(
                    "sub-a-1",
                    "",
                    [("call-n", "task", {"subagent_type": "critic", "description": "check"})],
                ),
            ),
            (f"messages|{inner}", _chunk("sub-n", "nested words", "critic")),
        ]
    )
    nested = [e for e in events if isinstance(e, SubagentEvent) and e.namespace == inner]
    assert nested and all(not isinstance(e.event, SubagentEvent) for e in nested)
    transcript = _transcript(events)
    outer = _card(transcript, "call-a")
    assert outer.subagent is not None
    inner_card = _card(outer.subagent, "call-n")
    assert _run_text(inner_card) == "nested words"


def test_an_approval_inside_a_sub_agent_is_the_runs_once_and_marks_its_card() -> None:
    interrupt = {
        "id": "f" * 32,
        "value": {"action_requests": [{"name": "send_email", "args": {"to": "a@b.c"}}]},
    }
    payload = json.dumps({"__interrupt__": [interrupt]})
    events = _feed([*_delegation(), (f"updates|{A}", payload), ("updates", payload)])
    requests = [e for e in events if isinstance(e, InterruptRequest)]
    assert len(requests) == 1 and requests[0].namespace == (A,)
    transcript = _transcript(events)
    card = _card(transcript, "call-a")
    assert card.waiting
    item = next(i for i in transcript.items if isinstance(i, InterruptItem))
    assert item.namespace == (A,)
    transcript.resolve_interrupts()
    assert not card.waiting


def test_plan_and_files_updates() -> None:
    todos = [
        {"content": "Research", "status": "completed"},
        {"content": "Write the report", "status": "in_progress"},
        {"content": "Review", "status": "pending"},
    ]
    record = {
        "content": "# Report\n",
        "encoding": "utf-8",
        "created_at": "2026-12-02T00:00:00+00:00",
        "modified_at": "2026-12-02T00:00:01+00:00",
    }
    events = _feed(
        [
            ("updates", json.dumps({"tools": {"todos": todos}})),
            ("updates", json.dumps({"tools": {"todos": todos}})),  # the same plan again
            ("updates", json.dumps({"tools": {"files": {"/report.md": record}}})),
            ("updates", json.dumps({"tools": {"files": {"/old.txt": None}}})),
        ]
    )
    plans = [e for e in events if isinstance(e, PlanUpdated)]
    assert len(plans) == 1
    assert plans[0].todos[1] == Todo("Write the report", "in_progress")
    assert plan_summary(plans[0].todos) == "Task 2 of 3 · Write the report"
    files = [e for e in events if isinstance(e, FilesChanged)]
    assert files[0].files["/report.md"] == StateFile(
        "/report.md", "# Report\n", "utf-8", record["created_at"], record["modified_at"]
    )
    assert files[1].files == {"/old.txt": None}


def test_plain_subgraph_namespaces_are_the_graphs_own_text() -> None:
    events = _feed([("messages|inner:1234", _chunk("m1", "from a plain subgraph"))])
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["from a plain subgraph"]
    assert not [e for e in events if isinstance(e, SubagentEvent)]


def test_json_form_of_a_sub_agent_event_keeps_its_namespace() -> None:
    events = _feed([*_delegation(), (f"messages|{A}", _chunk("sub-a", "x", "researcher", A))])
    wrapped = next(e for e in events if isinstance(e, SubagentEvent))
    as_dict = event_to_dict(wrapped)
    assert as_dict["namespace"] == A
    assert as_dict["event"]["kind"] == "text_delta"
    json.dumps(as_dict)


def test_a_resumed_run_goes_on_in_the_sub_agent_it_was_tied_to() -> None:
    first = _transcript(
        _feed([*_delegation(), (f"messages|{B}", _chunk("sub-b", "before", "researcher", B))])
    )
    waiting = first.open_subagents()
    # B was the first sub-agent seen: it went to the first call
    assert [(segment, call.id) for segment, call in waiting] == [(B, "call-a"), (None, "call-b")]
    # the resumed run knows neither call from its own stream
    normalizer = EventNormalizer("thread")
    normalizer.expect_subagents(waiting)
    events = normalizer.feed(f"messages|{B}", _chunk("sub-b2", " after", "researcher", B))
    bound = [e for e in events if isinstance(e, SubagentBound)]
    assert [(e.namespace, e.tool_call_id) for e in bound] == [(B, "call-a")]
    for event in events:
        first.apply(event)
    assert _run_text(_card(first, "call-a")) == "before after"
