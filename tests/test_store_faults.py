"""Storage faults at the store and recorder level: unencodable text, a read-only file or folder,
a full disk, an unexpected SQLite error mid-run, and secrets reaching the disk."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from store_faults import READ_ONLY, digest, fill_disk, read_only

from fleet_tui.common import redaction
from fleet_tui.domain.events import MessageComplete, RunEnded, RunStarted, TextDelta, ToolCall
from fleet_tui.services.recorder import RunRecorder
from fleet_tui.storage.store import Store

BIG = "lorem ipsum dolor " * 2_000  # 36 KB: needs new pages
CANARY = "canary-store-token-9f8e7d6c5b4a"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "fleet.db"


def _seed(path: Path) -> None:
    with Store.open(path) as store:
        agent = store.ensure_agent("http://127.0.0.1:1", "agent")
        for title in ("first question", "second question"):
            conversation = store.create_conversation(agent.id, thread_id=f"t-{title[:5]}")
            store.add_message(conversation.id, "human", title)
            store.add_message(conversation.id, "ai", f"answer to {title}")


# -- unencodable text ---------------------------------------------------------------------


def test_lone_surrogates_are_stored_as_replacement_characters(path: Path) -> None:
    with Store.open(path) as store:
        agent = store.ensure_agent("http://127.0.0.1:1", "agent", "Agent \udc80")
        conversation = store.create_conversation(agent.id, thread_id="thread-\udc80")
        store.add_message(conversation.id, "human", "title \udc80 from the question")
        reply = store.add_message(conversation.id, "ai", complete=False)
        with store.stream_writer(reply.id) as writer:
            writer.append("streamed \udc80 ")
            writer.append_reasoning("thinking \udcff")
        tool = store.add_message(
            conversation.id,
            "tool",
            "result \udc80",
            name="lookup\udc80",
            tool_call_id="call-\udc80",
        )
        calls = [ToolCall("call-\udc80", "lookup", {"query": "what \udc81?"})]
        store.update_message(reply.id, tool_calls=calls, content="final \udc80 reply")
        assert agent.name == "Agent \ufffd"
        got = store.get_message(reply.id)
        assert got is not None
        assert (got.content, got.reasoning) == ("final \ufffd reply", "thinking \ufffd")
        assert got.tool_calls == [
            {"id": "call-\ufffd", "name": "lookup", "args": {"query": "what \ufffd?"}}
        ]
        got_tool = store.get_message(tool.id)
        assert got_tool is not None
        assert (got_tool.content, got_tool.name) == ("result \ufffd", "lookup\ufffd")
        assert store.get_conversation(conversation.id).title == "title \ufffd from the question"  # type: ignore[union-attr]
        store.rename_conversation(conversation.id, "renamed \udc80")
        assert store.get_conversation(conversation.id).title == "renamed \ufffd"  # type: ignore[union-attr]
        # a lookup with the same text finds what was written
        found = store.find_conversation_by_thread(agent.id, "thread-\udc80")
        assert found is not None and found.id == conversation.id
        # a pair of surrogates is one character, joined rather than lost
        pair = store.add_message(conversation.id, "ai", "smile \ud83d\ude00")
        assert pair.content == "smile \U0001f600"


# -- a file or folder that cannot be written ----------------------------------------------


def test_a_read_only_store_is_read_and_said_and_the_app_keeps_working(path: Path) -> None:
    _seed(path)
    before = digest(path)
    told: list[str] = []
    with read_only(path):
        with Store.open(path) as store:
            store.on_problem = told.append
            assert store.problem == READ_ONLY.format(path=path)
            agent = store.ensure_agent("http://127.0.0.1:1", "agent")
            titles = [c.title for c in store.list_conversations(agent.id)]
            assert sorted(titles) == ["first question", "second question"]
            # writes go on in memory: a new conversation is shown, and nothing is said twice
            conversation = store.create_conversation(agent.id)
            store.add_message(conversation.id, "human", "written while read-only")
            assert store.get_conversation(conversation.id).title == "written while read-only"  # type: ignore[union-attr]
            assert store.count_conversations(agent.id) == 3
        assert told == []
        assert digest(path) == before
    with Store.open(path) as store:  # writable again: the file is as it was
        assert store.problem is None
        assert store.count_conversations(store.list_agents()[0].id) == 2


def test_a_folder_that_cannot_be_written_gives_a_store_in_memory(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "fleet.db"
    with read_only(folder), Store.open(path) as store:
        assert store.problem == READ_ONLY.format(path=folder)
        agent = store.ensure_agent("http://127.0.0.1:1", "agent")
        store.create_conversation(agent.id, title="kept in memory")
        assert [c.title for c in store.list_conversations(agent.id)] == ["kept in memory"]
    assert not path.exists()


def test_a_store_in_a_folder_that_cannot_be_written_is_read(path: Path) -> None:
    # SQLite cannot make its -wal and -shm files there: the file is read, never written
    _seed(path)
    before = digest(path)
    with read_only(path.parent), Store.open(path) as store:
        assert store.problem == READ_ONLY.format(path=path.parent)
        agent = store.ensure_agent("http://127.0.0.1:1", "agent")
        assert store.count_conversations(agent.id) == 2
        store.create_conversation(agent.id, title="kept in memory")
        assert store.count_conversations(agent.id) == 3
    assert digest(path) == before


def test_a_damaged_store_that_cannot_be_moved_aside_is_said(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "fleet.db"
    path.write_bytes(b"not a database " * 300)
    with read_only(folder), Store.open(path) as store:
        assert store.recovered_from is None
        assert store.problem is not None
        assert store.problem.startswith(f"the local store {path} is damaged and could not be")
        agent = store.ensure_agent("http://127.0.0.1:1", "agent")
        assert store.count_conversations(agent.id) == 0
    assert path.read_bytes() == b"not a database " * 300


# -- a full disk ----------------------------------------------------------------------------


def test_a_full_disk_moves_the_store_into_memory_and_says_so_once(path: Path) -> None:
    told: list[str] = []
    with Store.open(path) as store:
        store.on_problem = told.append
        agent = store.ensure_agent("http://127.0.0.1:1", "agent")
        conversation = store.create_conversation(agent.id)
        store.add_message(conversation.id, "human", "saved before the disk filled up")
        fill_disk(store)
        reply = store.add_message(conversation.id, "ai", BIG)  # refused by the file
        assert store.get_message(reply.id).content == BIG  # type: ignore[union-attr]
        assert len(told) == 1
        assert told[0].startswith("not saved locally: disk is full — free some space")
        assert str(path) in told[0] and store.problem == told[0]
        store.add_message(conversation.id, "human", BIG)
        store.rename_conversation(conversation.id, "renamed later")
        assert store.message_count(conversation.id) == 3
        assert len(told) == 1
    with Store.open(path) as store:
        assert store.recovered_from is None and store.problem is None
        assert [m.content for m in store.messages(1)] == ["saved before the disk filled up"]


def test_a_full_disk_is_not_hidden_by_a_failed_rollback(path: Path) -> None:
    # A one-row write without triggers: SQLite rolls the whole transaction back itself.
    with Store.open(path) as store:
        agent = store.ensure_agent("http://127.0.0.1:1", "agent")
        fill_disk(store)
        full = pytest.raises(sqlite3.OperationalError, match="database or disk is full")
        with full, store._write() as db:
            db.execute("UPDATE agents SET name = ? WHERE id = ?", (BIG, agent.id))


def _run(reply_id: str, text: str) -> list[object]:
    words = [text[i : i + 500] for i in range(0, len(text), 500)]
    return [
        RunStarted("run-1"),
        *(TextDelta(reply_id, word) for word in words),
        MessageComplete(reply_id, "ai", text),
        RunEnded("run-1", "success"),
    ]


def test_the_recorder_keeps_the_reply_when_the_disk_fills_mid_run(path: Path) -> None:
    told: list[str] = []
    with Store.open(path) as store:
        store.on_problem = told.append
        agent = store.ensure_agent("http://127.0.0.1:1", "agent")
        conversation = store.create_conversation(agent.id)
        recorder = RunRecorder(store, conversation.id, human_text="hi")
        recorder.add_human("hi")
        events = _run("lc_run--1", BIG)
        for n, event in enumerate(events):
            if n == 3:
                fill_disk(store)
            recorder.handle(event)  # never raises
            recorder.flush_due()
        assert recorder.failure is None
        assert len(told) == 1 and "disk is full" in told[0]
        stored = store.messages(conversation.id)
        assert [(m.role, m.content, m.complete) for m in stored] == [
            ("human", "hi", True),
            ("ai", BIG, True),
        ]
        assert store.get_conversation(conversation.id).status == "idle"  # type: ignore[union-attr]


def test_any_other_sqlite_error_stops_the_recording_once_and_the_run_goes_on(path: Path) -> None:
    told: list[str] = []
    with Store.open(path) as store:
        store.on_problem = told.append
        agent = store.ensure_agent("http://127.0.0.1:1", "agent")
        conversation = store.create_conversation(agent.id)
        store._conn.execute(
            "CREATE TEMP TRIGGER refuse BEFORE INSERT ON main.messages"
            " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        )
        recorder = RunRecorder(store, conversation.id)
        for event in _run("lc_run--2", "a reply that cannot be stored"):
            recorder.handle(event)
            recorder.flush_due()
        recorder.finish("idle")
        assert told == [recorder.failure]
        assert told[0] == (
            "not saved locally: refused by the test — this reply is still shown, but it is "
            "not in the local store"
        )
        assert store.messages(conversation.id) == []


# -- secrets at rest ------------------------------------------------------------------------


def test_known_secrets_never_reach_the_disk(path: Path) -> None:
    redaction.remember(CANARY)
    masked = redaction.mask_secret(CANARY)
    with Store.open(path) as store:
        agent = store.ensure_agent("http://127.0.0.1:1", "agent")
        conversation = store.create_conversation(agent.id, title=f"about {CANARY}")
        store.add_message(conversation.id, "human", f"my token is {CANARY}")
        store.add_message(conversation.id, "error", f"RequestRejected: headers were {CANARY}")
        store.add_message(conversation.id, "tool", f"echo {CANARY}", name="echo")
        reply = store.add_message(conversation.id, "ai", complete=False)
        writer = store.stream_writer(reply.id, interval=0)
        half = len(CANARY) // 2
        writer.append(f"split {CANARY[:half]}")  # each part reaches the disk on its own
        writer.append(f"{CANARY[half:]} across deltas")
        writer.close(complete=False)
        calls = [ToolCall("c1", "login", {"token": CANARY})]
        final = store.add_message(conversation.id, "ai", complete=False)
        store.update_message(final.id, content=f"final {CANARY}", tool_calls=calls)
        store.rename_conversation(conversation.id, f"renamed {CANARY}")
    assert CANARY.encode() not in path.read_bytes()  # not even in a page freed since
    with Store.open(path) as store:
        texts = [m.content for m in store.messages(1)]
        assert texts == [
            f"my token is {masked}",
            f"RequestRejected: headers were {masked}",
            f"echo {masked}",
            f"split {masked} across deltas",
            f"final {masked}",
        ]
        assert store.messages(1)[-1].tool_calls[0]["args"] == {"token": masked}
        assert store.get_conversation(1).title == f"renamed {masked}"  # type: ignore[union-attr]
