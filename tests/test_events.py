"""The event normaliser over streams recorded from the real server (tests/data/*.sse)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from httpx_sse._decoders import SSEDecoder, SSELineDecoder
from server_fixture import replies

from fleet_tui.agent_server.normalizer import EventNormalizer
from fleet_tui.domain.events import (
    Event,
    InterruptRequest,
    MessageComplete,
    ReasoningDelta,
    RunError,
    RunStarted,
    TextDelta,
    ToolCallStarted,
    ToolResult,
    split_content,
)

DATA = Path(__file__).parent / "data"


def raw_events(name: str) -> list[tuple[str, str, str]]:
    lines = [*SSELineDecoder().decode((DATA / name).read_text(encoding="utf-8")), ""]
    decoder = SSEDecoder()
    out = []
    for line in lines:
        sse = decoder.decode(line)
        if sse is not None:
            out.append((sse.event, sse.data, sse.id))
    return out


def normalise(items: Iterable[tuple[str, str]]) -> list[Event]:
    normalizer = EventNormalizer()
    events: list[Event] = []
    for name, data in items:
        events.extend(normalizer.feed(name, data))
    events.extend(normalizer.finish())
    return events


def recorded(name: str) -> list[Event]:
    return normalise((event, data) for event, data, _id in raw_events(name))


def text_by_message(events: list[Event]) -> dict[str, str]:
    out: dict[str, str] = {}
    for event in events:
        if isinstance(event, TextDelta):
            out[event.message_id] = out.get(event.message_id, "") + event.text
    return out


def completes(events: list[Event], role: str = "ai") -> list[MessageComplete]:
    return [e for e in events if isinstance(e, MessageComplete) and e.role == role]


def test_scripted_reply_text_once_and_complete_once() -> None:
    events = recorded("scripted_stateless.sse")
    assert isinstance(events[0], RunStarted)
    expected = replies.echo_reply("Hello, agent!", 1)
    texts = text_by_message(events)
    assert list(texts.values()) == [expected]  # chunks + updates copy: the text goes out once
    done = completes(events)
    assert len(done) == 1 and done[0].content == expected
    assert sum(isinstance(e, TextDelta) for e in events) > 5  # token by token


def test_tool_call_and_result() -> None:
    events = recorded("tools_stateless.sse")
    calls = [e for e in events if isinstance(e, ToolCallStarted)]
    assert [c.call.name for c in calls] == [replies.TOOL_NAME]
    assert calls[0].call.args  # parsed from the streamed tool_call_chunks
    results = [e for e in events if isinstance(e, ToolResult)]
    assert len(results) == 1
    assert results[0].tool_call_id == calls[0].call.id
    assert results[0].content == replies.tool_result("what is the answer?")
    assert "".join(text_by_message(events).values()) == replies.tools_answer("what is the answer?")


def test_hitl_interrupt_shape() -> None:
    events = recorded("hitl_interrupt.sse")
    interrupts = [e for e in events if isinstance(e, InterruptRequest)]
    assert len(interrupts) == 1
    value = interrupts[0].value
    request = value["action_requests"][0]
    assert request["name"] == replies.HITL_TOOL
    assert request["args"] == replies.hitl_args("Please send the report.")
    assert value["review_configs"][0]["allowed_decisions"] == replies.HITL_ALLOWED_DECISIONS
    assert interrupts[0].id


def test_hitl_resume_edit_reaches_the_graph() -> None:
    events = recorded("hitl_resume_edit.sse")
    final = completes(events)[-1].content
    assert final.startswith("Decision: edit")
    assert '"subject": "Edited"' in final


def test_inbox_and_json_interrupts() -> None:
    inbox = [e for e in recorded("inbox_interrupt.sse") if isinstance(e, InterruptRequest)]
    assert inbox[0].value == replies.inbox_request()
    raw = [e for e in recorded("json_interrupt.sse") if isinstance(e, InterruptRequest)]
    assert raw[0].value == replies.JSON_INTERRUPT_VALUE


def test_error_event() -> None:
    events = recorded("fail_error.sse")
    errors = [e for e in events if isinstance(e, RunError)]
    assert len(errors) == 1 and replies.FAIL_MESSAGE in errors[0].message


def test_values_mode_emits_only_new_messages() -> None:
    events = recorded("values_mode_turn2.sse")
    ai = completes(events)
    assert len(ai) == 1  # the turn-1 reply carried in the state is not emitted again
    assert ai[0].content == replies.echo_reply("second", 2)
    assert list(text_by_message(events).values()) == [ai[0].content]
    assert not completes(events, "human")


def test_legacy_messages_mode() -> None:
    events = recorded("legacy_messages_mode.sse")
    expected = replies.echo_reply("legacy please", 1)
    assert "".join(text_by_message(events).values()) == expected
    assert [m.content for m in completes(events)] == [expected]


def test_subgraph_event_names() -> None:
    raw = raw_events("subgraph_stream.sse")
    assert any("|" in name for name, _data, _id in raw)
    events = recorded("subgraph_stream.sse")
    texts = list(text_by_message(events).values())
    assert texts and all(texts)
    for message_id, text in text_by_message(events).items():
        done = [m for m in completes(events) if m.message_id == message_id]
        assert len(done) == 1 and done[0].content == text


def test_resumable_stream_ids_and_replay_match() -> None:
    live = raw_events("resumable_thread_run.sse")
    assert all(event_id for _name, _data, event_id in live)
    replay = raw_events("resumable_rejoin_replay.sse")
    assert text_by_message(recorded("resumable_thread_run.sse")) == text_by_message(
        recorded("resumable_rejoin_replay.sse")
    )
    assert len(replay) >= len(live)


def test_same_message_twice_in_updates_is_emitted_once() -> None:
    message = {"type": "ai", "id": "m1", "content": "hello", "tool_calls": []}
    update = json.dumps({"agent": {"messages": [message]}})
    events = normalise([("updates", update), ("updates", update), ("values", "{}")])
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["hello"]
    assert len(completes(events)) == 1


def test_malformed_json_is_an_error_not_an_exception() -> None:
    normalizer = EventNormalizer()
    errors = normalizer.feed("messages", "{not json")
    assert len(errors) == 1 and isinstance(errors[0], RunError)
    # and the stream goes on
    later = normalizer.feed(
        "updates", json.dumps({"n": {"messages": [{"type": "ai", "id": "x", "content": "ok"}]}})
    )
    assert any(isinstance(e, TextDelta) and e.text == "ok" for e in later)


def test_unknown_and_odd_events_are_ignored() -> None:
    normalizer = EventNormalizer()
    assert normalizer.feed("custom", '{"anything": 1}') == []
    assert normalizer.feed("debug", "[1,2,3]") == []
    assert normalizer.feed("messages", "[]") == []
    assert normalizer.feed("messages", '["not a dict"]') == []
    assert normalizer.feed("updates", '"a string"') == []
    assert normalizer.feed("updates", '{"node": null}') == []
    assert normalizer.feed("end", "") == []


def test_content_blocks_and_reasoning() -> None:
    assert split_content([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]) == (
        "ab",
        "",
    )
    assert split_content(
        [{"type": "reasoning", "reasoning": "hm"}, {"type": "text", "text": "x"}]
    ) == (
        "x",
        "hm",
    )
    assert split_content([{"type": "thinking", "thinking": "deep"}]) == ("", "deep")
    chunk = {
        "type": "AIMessageChunk",
        "id": "r1",
        "content": [
            {"type": "thinking", "thinking": "let me see"},
            {"type": "text", "text": "Yes"},
        ],
    }
    events = normalise([("messages", json.dumps([chunk, {"langgraph_node": "model"}]))])
    assert [e.text for e in events if isinstance(e, ReasoningDelta)] == ["let me see"]
    assert completes(events)[0].reasoning == "let me see"
    assert completes(events)[0].content == "Yes"


def test_whole_message_longer_than_streamed_sends_the_tail_once() -> None:
    chunk = {"type": "AIMessageChunk", "id": "t1", "content": "Hello"}
    whole = {"type": "ai", "id": "t1", "content": "Hello world"}
    events = normalise(
        [
            ("messages", json.dumps([chunk, {}])),
            ("updates", json.dumps({"n": {"messages": [whole]}})),
        ]
    )
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Hello world"
