"""What a reply cost, without a server: reading `usage_metadata` and the model name from the
stream (each message counted once, whichever way it arrives), the wall time, the words shown,
a conversation's totals (sub-agents' included), the store, the reconcile, exports and `ask
--json`. The same against the real server: test_usage_server.py."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from fleet_tui.agent_server.normalizer import EventNormalizer
from fleet_tui.cli.ask_printer import ReplyPrinter
from fleet_tui.domain.events import (
    Event,
    MessageComplete,
    RunStarted,
    SubagentBound,
    SubagentEvent,
    TextDelta,
    ToolCall,
    ToolCallStarted,
)
from fleet_tui.domain.transcript import AssistantItem, Transcript
from fleet_tui.domain.transcript_usage import conversation_usage
from fleet_tui.domain.usage import (
    Usage,
    add_usage_metadata,
    totals_of,
    totals_words,
    usage_of,
    usage_words,
    wall_time,
)
from fleet_tui.services.export import export_json, export_markdown
from fleet_tui.services.sync import reconcile_messages
from fleet_tui.storage.store import Store

MODEL = "gpt-test-1"


def chunk(
    message_id: str,
    text: str,
    *,
    usage: dict[str, Any] | None = None,
    model: str | None = None,
    last: bool = False,
) -> str:
    data = {
        "type": "AIMessageChunk",
        "id": message_id,
        "content": text,
        "response_metadata": {"model_name": model} if model else {},
        "usage_metadata": usage,
        "tool_call_chunks": [],
        "chunk_position": "last" if last else None,
    }
    return json.dumps([data, {"langgraph_node": "model", "ls_model_name": "configured-name"}])


def whole(message_id: str, text: str, usage: dict[str, Any] | None, model: str | None) -> str:
    message = {
        "type": "ai",
        "id": message_id,
        "content": text,
        "response_metadata": {"model_name": model} if model else {},
        "usage_metadata": usage,
        "tool_calls": [],
    }
    return json.dumps({"model": {"messages": [message]}})


def counts(read: int, written: int) -> dict[str, int]:
    return {"input_tokens": read, "output_tokens": written, "total_tokens": read + written}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def completes(events: list[Event]) -> list[MessageComplete]:
    return [e for e in events if isinstance(e, MessageComplete)]


# -- the normaliser -------------------------------------------------------------------------


def test_usage_on_the_last_chunk_is_reported_once_though_updates_repeat_it() -> None:
    clock = Clock()
    normalizer = EventNormalizer("t")
    normalizer.clock = clock
    normalizer.request_started = 100.0
    events: list[Event] = []
    clock.now = 101.0
    events += normalizer.feed("messages", chunk("m1", "Hello"))
    clock.now = 103.25
    events += normalizer.feed("messages", chunk("m1", " there"))
    clock.now = 103.5
    events += normalizer.feed(
        "messages", chunk("m1", "", usage=counts(12, 3), model=MODEL, last=True)
    )
    clock.now = 104.0
    events += normalizer.feed("updates", whole("m1", "Hello there", counts(12, 3), MODEL))
    events += normalizer.finish()
    (done,) = completes(events)
    assert done.usage == Usage(MODEL, 12, 3, 15, seconds=3.5)
    assert usage_words(done.usage) == f"{MODEL} · 12 in · 3 out · 3.5 s"


def test_usage_split_over_chunks_is_summed_as_langchain_sums_it() -> None:
    normalizer = EventNormalizer("t")
    events = normalizer.feed("messages", chunk("m1", "a", usage=counts(40, 0)))
    events += normalizer.feed("messages", chunk("m1", "b", usage=counts(0, 7)))
    events += normalizer.feed("messages", chunk("m1", "", last=True))
    (done,) = completes(events)
    assert done.usage is not None
    assert (done.usage.input_tokens, done.usage.output_tokens, done.usage.total_tokens) == (
        40,
        7,
        47,
    )
    # the model did not name itself: the name its run was configured with stands in
    assert done.usage.model == "configured-name"
    assert done.usage.seconds is None  # the run was not asked for here (a joined run)


def test_a_whole_message_without_chunks_carries_its_usage() -> None:
    normalizer = EventNormalizer("t")
    normalizer.request_started = normalizer.clock()
    events = normalizer.feed("updates", whole("m2", "Done.", counts(5, 2), MODEL))
    (done,) = completes(events)
    assert done.usage is not None and done.usage.model == MODEL
    assert done.usage.input_tokens == 5 and done.usage.seconds is not None


def test_a_reply_whose_model_reports_nothing_has_no_usage() -> None:
    normalizer = EventNormalizer("t")
    normalizer.request_started = normalizer.clock()
    events = normalizer.feed("messages", chunk("m1", "Hi"))
    events += normalizer.feed("messages", chunk("m1", "", last=True))
    events += normalizer.feed("updates", whole("m1", "Hi", None, None))
    (done,) = completes(events)
    assert done.usage is None
    assert usage_words(done.usage) == ""


def test_a_subagents_reply_keeps_its_own_usage() -> None:
    normalizer = EventNormalizer("t")
    events = normalizer.feed(
        "messages|tools:abc", chunk("s1", "found it", usage=counts(9, 2), model=MODEL, last=True)
    )
    inner = [e.event for e in events if isinstance(e, SubagentEvent)]
    (done,) = completes(inner)
    assert done.usage is not None and done.usage.output_tokens == 2
    assert not completes(events)  # not the main agent's


# -- values and words -----------------------------------------------------------------------


def test_usage_round_trips_through_json_and_refuses_junk() -> None:
    usage = Usage(MODEL, 1234, 567, 1801, 3.21, {"input_token_details": {"cache_read": 1000}})
    again = Usage.from_json(usage.to_json())
    assert again == usage and again is not None and again.details == usage.details
    for junk in (None, "", "not json", "[]", '{"model": 3}', '{"input_tokens": -1}'):
        assert Usage.from_json(junk) is None
    assert Usage.from_dict({"input_tokens": True}) is None  # a bool is no count


def test_words() -> None:
    words = usage_words(Usage(MODEL, 1234, 567, 1801, 3.2))
    assert words == f"{MODEL} · 1,234 in · 567 out · 3.2 s"
    assert usage_words(Usage(None, 10, 2, 12)) == "10 in · 2 out"
    assert usage_words(Usage(MODEL, seconds=1.0)) == f"{MODEL} · 1.0 s"  # named, not counted
    assert usage_words(None) == ""
    assert wall_time(65) == "1 min 5 s" and wall_time(0.04) == "0.0 s"
    totals = totals_of([Usage(MODEL, 1000, 20, 1020), None, Usage(None, 5, 5, 10), Usage(MODEL)])
    assert (totals.calls, totals.input_tokens, totals.output_tokens) == (2, 1005, 25)
    assert totals_words(totals) == "Σ 1,005 in · 25 out · 2 model calls"
    assert totals_words(totals_of([])) == ""


def test_metadata_is_summed_with_its_details() -> None:
    total = add_usage_metadata(None, {**counts(3, 1), "input_token_details": {"cache_read": 2}})
    total = add_usage_metadata(total, {**counts(4, 1), "input_token_details": {"cache_read": 1}})
    assert total == {**counts(7, 2), "input_token_details": {"cache_read": 3}}
    assert usage_of({"type": "ai", "usage_metadata": {"input_tokens": 3, "output_tokens": 4}}) == (
        Usage(None, 3, 4, 7)
    )


# -- the transcript and its totals ----------------------------------------------------------


def test_totals_count_each_message_once_tool_calls_and_subagents_included() -> None:
    transcript = Transcript()
    call = ToolCall("call-1", "task", {"subagent_type": "researcher"})
    transcript.apply(ToolCallStarted("m1", call))
    transcript.apply(MessageComplete("m1", "ai", "", (call,), usage=Usage(MODEL, 100, 10, 110)))
    transcript.apply(SubagentBound("tools:x", "call-1", "researcher"))
    inner = MessageComplete("s1", "ai", "facts", usage=Usage(MODEL, 50, 5, 55))
    transcript.apply(SubagentEvent("tools:x", TextDelta("s1", "facts")))
    transcript.apply(SubagentEvent("tools:x", inner))
    transcript.apply(TextDelta("m2", "Answer"))
    transcript.apply(MessageComplete("m2", "ai", "Answer", usage=Usage(MODEL, 200, 20, 220)))
    # the same message again (a rejoined stream): still counted once
    transcript.apply(MessageComplete("m2", "ai", "Answer", usage=Usage(MODEL, 200, 20, 220)))
    totals = conversation_usage(transcript)
    assert (totals.calls, totals.input_tokens, totals.output_tokens) == (3, 350, 35)
    own = conversation_usage(transcript, subagents=False)
    assert (own.calls, own.input_tokens) == (2, 300)
    (reply,) = [i for i in transcript.items if isinstance(i, AssistantItem)]
    assert reply.usage == Usage(MODEL, 200, 20, 220)


# -- the store, the reconcile ---------------------------------------------------------------


def test_usage_is_stored_and_rebuilt_and_a_reply_made_elsewhere_brings_its_own(
    tmp_path: Path,
) -> None:
    store = Store.open(tmp_path / "s.db")
    agent = store.ensure_agent("http://127.0.0.1:1", "a")
    conversation = store.create_conversation(agent.id, thread_id="t")
    store.add_message(conversation.id, "human", "hi", server_id="h1")
    row = store.add_message(conversation.id, "ai", "", server_id="m1", complete=False)
    store.update_message(row.id, content="Hello", complete=True, usage=Usage(MODEL, 4, 2, 6, 1.5))
    store.add_message(conversation.id, "ai", "no cost", server_id="m0")
    server = [
        {"type": "human", "id": "h1", "content": "hi"},
        {"type": "ai", "id": "m1", "content": "Hello", "usage_metadata": counts(4, 2)},
        {"type": "ai", "id": "m0", "content": "no cost"},
        {"type": "human", "id": "h2", "content": "more"},
        {
            "type": "ai",
            "id": "m3",
            "content": "From the web UI",
            "usage_metadata": counts(30, 4),
            "response_metadata": {"model_name": "other-model"},
        },
    ]
    result = reconcile_messages(store, conversation.id, server)
    assert result.added == 2 and result.updated == 0
    store.close()

    store = Store.open(tmp_path / "s.db")  # a restart
    by_id = {m.server_id: m for m in store.messages(conversation.id)}
    assert by_id["m1"].usage == Usage(MODEL, 4, 2, 6, 1.5)  # ours, timed: not replaced
    assert by_id["m0"].usage is None and by_id["h1"].usage is None
    assert by_id["m3"].usage == Usage("other-model", 30, 4, 34)  # not timed here
    transcript = Transcript.from_messages(store.messages(conversation.id))
    totals = conversation_usage(transcript)
    assert (totals.calls, totals.input_tokens, totals.output_tokens) == (2, 34, 6)
    store.close()


def test_a_stored_reply_without_its_cost_gets_it_from_the_server(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.db")
    conversation = store.create_conversation(store.ensure_agent("http://x", "a").id)
    store.add_message(conversation.id, "ai", "Hello", server_id="m1")
    server = [{"type": "ai", "id": "m1", "content": "Hello", "usage_metadata": counts(4, 2)}]
    assert reconcile_messages(store, conversation.id, server).updated == 1
    assert store.messages(conversation.id)[0].usage == Usage(None, 4, 2, 6)
    assert reconcile_messages(store, conversation.id, server).updated == 0  # once
    store.close()


# -- exports and ask --json -----------------------------------------------------------------


def test_exports_carry_each_replys_usage_and_the_totals(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.db")
    conversation = store.create_conversation(store.ensure_agent("http://x", "a").id, title="t")
    store.add_message(conversation.id, "human", "hi")
    store.add_message(conversation.id, "ai", "Hello", usage=Usage("m*del", 1234, 5, 1239, 2.5))
    store.add_message(conversation.id, "ai", "Bare reply")
    store.add_message(
        conversation.id, "ai", "sub", parent_call_id="call-x", usage=Usage("m*del", 10, 1, 11)
    )
    messages = store.messages(conversation.id)
    conversation = store.get_conversation(conversation.id) or conversation
    markdown = export_markdown(conversation, messages, agent_name="A", url="http://x")
    assert "*Usage: m\\*del · 1,234 in · 5 out · 2.5 s*" in markdown
    assert "- **Usage:** 1,244 in · 6 out · 2 model calls (m\\*del)" in markdown
    assert "> *Usage: m\\*del · 10 in · 1 out*" in markdown  # the sub-agent's, in its quote
    assert markdown.count("\n*Usage:") == 1  # the bare reply has none
    doc = json.loads(export_json(conversation, messages, agent_name="A", url="http://x"))
    own = [m["usage"] for m in doc["messages"]]
    assert own == [
        None,
        {
            "model": "m*del",
            "input_tokens": 1234,
            "output_tokens": 5,
            "total_tokens": 1239,
            "seconds": 2.5,
        },
        None,
    ]
    assert doc["usage"] == {
        "model_calls": 2,
        "input_tokens": 1244,
        "output_tokens": 6,
        "total_tokens": 1250,
        "models": ["m*del"],
    }
    store.close()


def test_ask_json_lines_carry_usage_and_end_with_the_totals() -> None:
    out, err = io.StringIO(), io.StringIO()
    printer = ReplyPrinter(out, err, as_json=True)
    printer.handle(RunStarted("r", "t"))
    printer.handle(MessageComplete("m1", "ai", "Hi", usage=Usage(MODEL, 7, 2, 9, 0.5)))
    printer.handle(MessageComplete("m2", "ai", "Bye"))
    printer.close()
    printer.close()  # said once
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines[1]["usage"] == {
        "model": MODEL,
        "input_tokens": 7,
        "output_tokens": 2,
        "total_tokens": 9,
        "seconds": 0.5,
    }
    assert lines[2]["usage"] is None
    assert lines[-1] == {
        "kind": "usage",
        "namespace": "",
        "model_calls": 1,
        "input_tokens": 7,
        "output_tokens": 2,
        "total_tokens": 9,
        "models": [MODEL],
    }
    assert len(lines) == 4


def test_ask_json_says_nothing_of_usage_when_no_reply_reported_it() -> None:
    out = io.StringIO()
    printer = ReplyPrinter(out, io.StringIO(), as_json=True)
    printer.handle(MessageComplete("m1", "ai", "Hi"))
    printer.close()
    assert all(json.loads(line)["kind"] != "usage" for line in out.getvalue().splitlines())
