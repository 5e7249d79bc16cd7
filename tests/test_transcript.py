"""The transcript model: domain events and stored messages to items."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from fleet_tui.agent_server.normalizer import EventNormalizer
from fleet_tui.domain.events import (
    InterruptRequest,
    MessageComplete,
    ReasoningDelta,
    RunEnded,
    RunError,
    RunStarted,
    TextDelta,
    ToolCall,
    ToolCallStarted,
    ToolResult,
)
from fleet_tui.domain.transcript import (
    AssistantItem,
    ErrorItem,
    InterruptItem,
    NoticeItem,
    ReasoningItem,
    ToolItem,
    Transcript,
    UserItem,
    find_auth_url,
)


@dataclass
class Stored:
    role: str
    content: str
    id: int = 0
    server_id: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    tool_call_id: str | None = None
    name: str | None = None
    complete: bool = True
    reasoning: str = ""


def test_text_deltas_build_one_reply() -> None:
    t = Transcript()
    changed = [t.apply(TextDelta("m1", piece, "model")) for piece in ("Hel", "lo ", "world")]
    assert changed == [[0], [0], [0]]
    (item,) = t.items
    assert isinstance(item, AssistantItem)
    assert item.text == "Hello world" and item.node == "model" and not item.complete
    assert item.text_from(6) == "world"
    t.apply(MessageComplete("m1", "ai", "Hello world"))
    assert item.complete and item.generation == 0  # same text: not replaced


def test_text_from_does_not_need_the_whole_text() -> None:
    item = AssistantItem(message_id="m")
    for piece in ("ab", "cd", "ef", "gh"):
        item.append(piece)
    assert item.text_from(3) == "defgh"
    assert item.text_from(8) == ""
    assert item.text_from(0) == "abcdefgh"
    assert item.length == 8


def test_complete_with_other_text_replaces() -> None:
    t = Transcript()
    t.apply(TextDelta("m1", "partial"))
    t.apply(MessageComplete("m1", "ai", "the full answer"))
    item = t.items[0]
    assert isinstance(item, AssistantItem)
    assert item.text == "the full answer" and item.generation == 1


def test_tool_call_and_result() -> None:
    t = Transcript()
    t.apply(ToolCallStarted("m1", ToolCall("c1", "get_weather", {"city": "Paris"})))
    assert t.apply(ToolCallStarted("m1", ToolCall("c1", "get_weather", {}))) == []
    assert t.apply(ToolResult("t1", "c1", "get_weather", '{"temp": 21}')) == [0]
    tool = t.items[0]
    assert isinstance(tool, ToolItem)
    assert tool.state == "done" and tool.result == '{"temp": 21}' and tool.auth_url is None
    t.apply(ToolCallStarted("m2", ToolCall("c2", "send", {})))
    t.apply(ToolResult("t2", "c2", "send", "boom", "error"))
    failed = t.items[1]
    assert isinstance(failed, ToolItem) and failed.state == "failed"


def test_tool_result_asking_for_oauth() -> None:
    t = Transcript()
    t.apply(ToolCallStarted("m1", ToolCall("c1", "gmail_search", {})))
    content = json.dumps({"auth_required": True, "auth_url": "https://auth.example/x?y=1"})
    t.apply(ToolResult("t1", "c1", "gmail_search", content))
    tool = t.items[0]
    assert isinstance(tool, ToolItem)
    assert tool.auth_url == "https://auth.example/x?y=1"
    assert tool.copy_text == "https://auth.example/x?y=1"
    assert find_auth_url('{"auth_required": false, "auth_url": "x"}') is None
    assert find_auth_url("not json auth_url") is None


def test_result_without_a_known_call_still_shows() -> None:
    t = Transcript()
    t.apply(ToolResult("t9", "c9", "lookup", "42"))
    tool = t.items[0]
    assert isinstance(tool, ToolItem) and tool.name == "lookup" and tool.result == "42"


def test_reasoning_is_timed_until_the_text_starts() -> None:
    t = Transcript()
    t.apply(ReasoningDelta("m1", "let me think"))
    reasoning = t.items[0]
    assert isinstance(reasoning, ReasoningItem) and reasoning.thinking
    assert t.apply(TextDelta("m1", "Answer")) == [0, 1]
    assert reasoning.seconds is not None and not reasoning.thinking
    assert reasoning.text == "let me think"


def test_reasoning_that_only_arrives_whole() -> None:
    t = Transcript()
    t.apply(MessageComplete("m1", "ai", "Answer", reasoning="pondered"))
    assert [type(i) for i in t.items] == [ReasoningItem, AssistantItem]


def test_interrupts_errors_and_run_end() -> None:
    t = Transcript()
    t.apply(RunStarted("run-1", "thread-1"))
    assert t.run_id == "run-1"
    value = {"action_requests": [{"name": "send_email", "args": {"to": "a@b.c"}}]}
    assert t.apply(InterruptRequest("i1", value)) == [0]
    assert t.apply(InterruptRequest("i1", value)) == []
    t.apply(RunError("ValueError", "bad input"))
    error = t.items[1]
    assert isinstance(error, ErrorItem) and error.retryable
    # the agent's own exception class stays in the text, never the title
    assert (error.title, error.message) == ("The agent's run failed", "ValueError: bad input")
    assert t.resolve_interrupts() == [0]
    interrupt = t.items[0]
    assert isinstance(interrupt, InterruptItem) and interrupt.resolved


def test_cancel_marks_the_partial_reply() -> None:
    t = Transcript()
    t.apply(TextDelta("m1", "half a sen"))
    t.apply(ToolCallStarted("m1", ToolCall("c1", "slow", {})))
    assert t.apply(RunEnded("run-1", "cancelled")) == [0, 1]
    reply, tool = t.items
    assert isinstance(reply, AssistantItem) and reply.interrupted and reply.complete
    assert isinstance(tool, ToolItem) and tool.state == "stopped"  # cancelled, not failed


def test_an_error_marks_running_calls_failed() -> None:
    t = Transcript()
    t.apply(ToolCallStarted("m1", ToolCall("c1", "slow", {})))
    t.apply(RunEnded("run-1", "error"))
    (tool,) = t.items
    assert isinstance(tool, ToolItem) and tool.state == "failed"


def test_user_message_echoed_by_the_server_is_not_repeated() -> None:
    t = Transcript()
    t.add_user("hi there")
    assert t.apply(MessageComplete("h1", "human", "hi there")) == []
    assert len(t) == 1
    assert t.apply(MessageComplete("h1", "human", "hi there")) == []
    assert t.apply(MessageComplete("h2", "human", "from a node")) == [1]
    assert t.last_user_text() == "from a node"


def test_listeners_hear_every_change() -> None:
    t = Transcript()
    heard: list[list[int]] = []
    t.subscribe(heard.append)
    t.add_user("q")
    t.apply(TextDelta("m1", "a"))
    t.add_notice("note")
    t.add_error("Oops", "it broke", retryable=False)
    t.changed(1)
    t.unsubscribe(heard.append)
    t.apply(TextDelta("m1", "b"))
    assert heard == [[0], [1], [2], [3], [1]]
    assert isinstance(t.items[2], NoticeItem)


def test_from_stored_messages() -> None:
    messages = [
        Stored("human", "What's the weather?", 1, "h1"),
        Stored(
            "ai",
            "",
            2,
            "a1",
            tool_calls=[{"id": "c1", "name": "get_weather", "args": {"city": "Paris"}}],
            reasoning="need the tool",
        ),
        Stored("tool", '{"temp": 21}', 3, "t1", tool_call_id="c1", name="get_weather"),
        Stored("ai", "It is **21 °C**.", 4, "a2"),
        Stored("ai", "I was cut", 5, "a3", complete=False),
        Stored("system", "You are helpful", 6),
        Stored("error", "cannot reach the server", 7),
    ]
    t = Transcript.from_messages(messages)
    kinds = [type(i).__name__ for i in t.items]
    assert kinds == [
        "UserItem",
        "ReasoningItem",
        "ToolItem",
        "AssistantItem",
        "AssistantItem",
        "ErrorItem",
    ]
    tool = t.items[2]
    assert isinstance(tool, ToolItem) and tool.state == "done" and tool.args == {"city": "Paris"}
    cut = t.items[4]
    assert isinstance(cut, AssistantItem) and cut.interrupted
    assert t.message_ids() == {"a2", "a3"}
    # the same messages again (a refresh from the server) add nothing
    assert t.add_messages(messages[:5]) == []
    user = t.items[0]
    assert isinstance(user, UserItem) and user.message_id == "h1"


def test_real_normalizer_events_end_to_end() -> None:
    normalizer = EventNormalizer("thread-1")
    t = Transcript()
    meta = {"langgraph_node": "model"}
    chunks = ["The ", "answer ", "is 42."]
    for chunk in chunks:
        payload = [{"type": "AIMessageChunk", "id": "run--1", "content": chunk}, meta]
        for event in normalizer.feed("messages", json.dumps(payload)):
            t.apply(event)
    update = {
        "model": {"messages": [{"type": "ai", "id": "run--1", "content": "The answer is 42."}]}
    }
    for event in normalizer.feed("updates", json.dumps(update)):
        t.apply(event)
    (item,) = t.items
    assert isinstance(item, AssistantItem)
    assert item.text == "The answer is 42." and item.complete
