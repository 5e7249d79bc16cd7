"""The one message identity rule (`fleet_tui.domain.message_identity`), and that the normaliser, the
transcript, the recorder and the reconcile all follow it: one message, however many ways it
arrives, is kept once everywhere."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fleet_tui.agent_server.normalizer import EventNormalizer
from fleet_tui.domain.events import Event, MessageComplete, TextDelta
from fleet_tui.domain.message_identity import MessageIndex, same_message, server_id_of, stand_in_id
from fleet_tui.domain.transcript import AssistantItem, Transcript, UserItem
from fleet_tui.services.recorder import RunRecorder
from fleet_tui.services.sync import reconcile_messages
from fleet_tui.storage.store import Store

REPLY = "The answer is 42."
REPLY_ID = "lc_run--reply-1"
HUMAN = "what is the answer?"


def test_the_rule() -> None:
    assert same_message("a", "ai", "x", "a", "ai", "y")  # ids decide when both have one
    assert not same_message("a", "ai", "yes", "b", "ai", "yes")  # "yes" twice: two messages
    assert same_message(None, "human", " hi\n", "h1", "human", "hi")  # else role and text
    assert not same_message(None, "human", "hi", "h1", "ai", "hi")
    # a stand-in made for an id-less message is no server id
    assert server_id_of(stand_in_id("model", 3)) is None
    assert same_message(stand_in_id("x"), "ai", "same", "s1", "ai", "same")


def test_an_id_less_message_adopts_the_first_id_that_matches_it() -> None:
    index: MessageIndex[str] = MessageIndex()
    index.add("row1", None, "human", "yes")
    index.add("row2", None, "human", "yes")
    assert index.find("h1", "human", "yes") == "row1"
    assert index.find("h1", "human", "yes") == "row1"  # now by its id
    assert index.find("h2", "human", "yes") == "row2"  # row1 is h1's: not taken for another
    assert index.find("h3", "human", "yes") is None
    assert index.find(None, "human", "yes") == "row1"  # no id: role and text


# --- one message arriving every way it can --------------------------------------------------


def chunk_events(text: str = REPLY, message_id: str = REPLY_ID) -> list[tuple[str, str]]:
    meta = {"langgraph_node": "model", "langgraph_step": 1}
    words = text.split(" ")
    pieces = [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]
    return [
        ("messages", json.dumps([{"type": "AIMessageChunk", "id": message_id, "content": p}, meta]))
        for p in pieces
    ]


def whole(role: str, text: str, message_id: str | None) -> dict[str, Any]:
    message: dict[str, Any] = {"type": role, "content": text}
    if message_id is not None:
        message["id"] = message_id
    return message


def updates_event(*messages: dict[str, Any]) -> tuple[str, str]:
    return ("updates", json.dumps({"model": {"messages": list(messages)}}))


def run(normalizer: EventNormalizer, sse: list[tuple[str, str]]) -> list[Event]:
    out: list[Event] = []
    for name, data in sse:
        out += normalizer.feed(name, data)
    return out + normalizer.finish()


def first_run() -> list[tuple[str, str]]:
    """The reply streamed as chunks, then whole in `updates`."""
    return [
        ("metadata", '{"run_id": "r1"}'),
        *chunk_events(),
        updates_event(whole("ai", REPLY, REPLY_ID)),
    ]


def resumed_run() -> list[tuple[str, str]]:
    """A resume: the middleware sends the same AI message again (same id) in `updates`."""
    return [("metadata", '{"run_id": "r2"}'), updates_event(whole("ai", REPLY, REPLY_ID))]


def texts(events: list[Event]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def completes(events: list[Event]) -> list[MessageComplete]:
    return [e for e in events if isinstance(e, MessageComplete)]


def test_the_normaliser_emits_the_message_once_however_it_arrives() -> None:
    normalizer = EventNormalizer("t1")
    events = run(normalizer, first_run())
    assert texts(events) == REPLY and len(completes(events)) == 1
    # a rejoin that replays the run from the start: the same events again, nothing new
    assert run(normalizer, first_run()) == []


def test_a_resume_with_the_same_id_adds_nothing() -> None:
    transcript = Transcript()
    for event in run(EventNormalizer("t1"), first_run()):
        transcript.apply(event)
    again = run(EventNormalizer("t1", seen_message_ids=transcript.message_ids()), resumed_run())
    assert completes(again) == [] and texts(again) == ""


def test_an_id_less_message_repeated_in_one_stream_is_emitted_once() -> None:
    normalizer = EventNormalizer("t1")
    events = run(normalizer, [updates_event(whole("ai", "no id", None))] * 2)
    values = {"messages": [whole("ai", "no id", None)]}
    events += normalizer.feed("values", json.dumps(values))  # baseline: nothing new
    events += normalizer.feed("values", json.dumps(values))
    assert [c.content for c in completes(events)] == ["no id"]


def test_the_transcript_keeps_one_item_per_message() -> None:
    transcript = Transcript()
    transcript.add_user(HUMAN)  # sent: no server id yet
    events = run(EventNormalizer("t1"), first_run())
    events += run(EventNormalizer("t1"), resumed_run())  # without seen ids: the rule still holds
    for event in events:
        transcript.apply(event)
    # the server echoes the user's message with its id: adopted, not repeated
    transcript.apply(MessageComplete("h1", "human", HUMAN))
    transcript.apply(MessageComplete("h1", "human", HUMAN))
    users = [i for i in transcript.items if isinstance(i, UserItem)]
    replies = [i for i in transcript.items if isinstance(i, AssistantItem)]
    assert [(u.text, u.message_id) for u in users] == [(HUMAN, "h1")]
    assert [r.text for r in replies] == [REPLY]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "fleet.db") as s:
        yield s


def test_the_store_keeps_one_row_per_message_through_runs_and_reconcile(store: Store) -> None:
    agent = store.ensure_agent("http://127.0.0.1:9", "agent")
    conversation = store.create_conversation(agent.id, thread_id="t1")
    for number, sse in enumerate((first_run(), first_run(), resumed_run())):
        # a run, the same run joined again from the start, a resume
        recorder = RunRecorder(store, conversation.id, human_text=HUMAN)
        if number == 0:
            recorder.add_human(HUMAN)
        for event in run(EventNormalizer("t1"), sse):
            recorder.handle(event)
        # the user's input echoed back (a `values` stream does): not stored twice
        recorder.handle(MessageComplete("h1", "human", HUMAN))
    rows = [(m.role, m.content, m.server_id) for m in store.messages(conversation.id)]
    assert rows == [("human", HUMAN, None), ("ai", REPLY, REPLY_ID)]
    # `/state` on reconcile: the human row takes its server id, nothing is added
    state = [whole("human", HUMAN, "h1"), whole("ai", REPLY, REPLY_ID)]
    result = reconcile_messages(store, conversation.id, state)
    assert (result.added, result.updated) == (0, 0)
    rows = [(m.role, m.content, m.server_id) for m in store.messages(conversation.id)]
    assert rows == [("human", HUMAN, "h1"), ("ai", REPLY, REPLY_ID)]
    assert reconcile_messages(store, conversation.id, state).added == 0


def test_reconcile_keeps_a_repeated_answer_as_two_messages(store: Store) -> None:
    agent = store.ensure_agent("http://127.0.0.1:9", "agent")
    conversation = store.create_conversation(agent.id, thread_id="t1")
    store.add_message(conversation.id, "human", "yes")
    state = [whole("human", "yes", "h1"), whole("human", "yes", "h2")]
    assert reconcile_messages(store, conversation.id, state).added == 1
    rows = [(m.content, m.server_id) for m in store.messages(conversation.id)]
    assert rows == [("yes", "h1"), ("yes", "h2")]
