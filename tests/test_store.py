"""The local store: records, paging and search, upgrades, corruption, concurrency, crashes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from fleet_tui.domain.events import ToolCall
from fleet_tui.storage.store import (
    SCHEMA_VERSION,
    TITLE_MAX,
    Agent,
    Conversation,
    Store,
    StoredMessage,
    StoreError,
    StreamWriter,
    connect,
    default_db_path,
    migrate,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "fleet.db") as s:
        yield s


@pytest.fixture
def agent(store: Store) -> Agent:
    return store.ensure_agent("https://fleet.example.com", "6f1c0b7e-agent", "Helper")


def run_child(code: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


# -- opening ----------------------------------------------------------------------------------


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG applies on Linux")
def test_xdg_data_home_moves_the_default_path(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_db_path() == tmp_path / "data" / "fleet-tui" / "fleet.db"
    with Store.open() as s:
        assert s.path == tmp_path / "data" / "fleet-tui" / "fleet.db"
    assert (tmp_path / "data" / "fleet-tui" / "fleet.db").is_file()


def test_open_sets_wal_foreign_keys_timeout_and_current_schema(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "fleet.db"
    with Store.open(path) as s:
        db = s._conn
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert s.recovered_from is None
    assert path.stat().st_mode & 0o777 == 0o600


def test_store_module_does_not_import_textual() -> None:
    code = "import sys, fleet_tui.storage.store; sys.exit('textual' in sys.modules)"
    assert run_child(code).wait(timeout=30) == 0


# -- round trips ------------------------------------------------------------------------------


def test_agent_round_trip(store: Store) -> None:
    a = store.ensure_agent("https://x.example.com/", "id-1")
    assert isinstance(a, Agent)
    assert (a.url, a.agent_id, a.name) == ("https://x.example.com", "id-1", "")
    assert store.ensure_agent("https://x.example.com", "id-1") == a  # same url, trailing slash
    renamed = store.ensure_agent("https://x.example.com", "id-1", "Research")
    assert renamed.id == a.id and renamed.name == "Research"
    assert store.ensure_agent("https://x.example.com", "id-1").name == "Research"
    b = store.ensure_agent("https://x.example.com", "id-2", "Other")
    store.rename_agent(b.id, "Sales")
    assert store.get_agent(b.id) == Agent(b.id, b.url, "id-2", "Sales", b.created_at)
    assert [x.id for x in store.list_agents()] == [a.id, b.id]
    assert store.get_agent(999) is None


def test_conversation_round_trip(store: Store, agent: Agent) -> None:
    c = store.create_conversation(agent.id, thread_id="t-1", title="Plans", stateless=False)
    assert isinstance(c, Conversation)
    assert (c.agent_pk, c.thread_id, c.title, c.status, c.stateless, c.message_count) == (
        agent.id,
        "t-1",
        "Plans",
        None,
        False,
        0,
    )
    assert store.get_conversation(c.id) == c
    s = store.create_conversation(agent.id, stateless=True)
    assert s.stateless and s.thread_id is None and s.title == ""
    assert store.find_conversation_by_thread(agent.id, "t-1") == c
    assert store.find_conversation_by_thread(agent.id, "nope") is None
    assert store.latest_conversation(agent.id) == store.get_conversation(s.id)

    store.rename_conversation(c.id, "Better plans")
    store.set_status(c.id, "interrupted")
    store.set_thread_id(s.id, "t-2")
    store.touch(c.id)
    got = store.get_conversation(c.id)
    assert got is not None
    assert (got.title, got.status) == ("Better plans", "interrupted")
    assert got.updated_at >= c.updated_at
    assert store.latest_conversation(agent.id) == got  # touch moved it to the top
    assert store.find_conversation_by_thread(agent.id, "t-2").id == s.id  # type: ignore[union-attr]
    store.set_updated_at(s.id, 1_000.0)  # a synced thread keeps the server's time
    assert store.get_conversation(s.id).updated_at == 1_000.0  # type: ignore[union-attr]
    assert [x.id for x in store.list_conversations(agent.id)] == [c.id, s.id]

    other = store.ensure_agent("https://fleet.example.com", "another")
    assert store.list_conversations(other.id) == []
    assert store.latest_conversation(other.id) is None


def test_message_round_trip(store: Store, agent: Agent) -> None:
    c = store.create_conversation(agent.id, thread_id="t")
    human = store.add_message(c.id, "human", "What is on my calendar?", run_id="r1")
    ai = store.add_message(
        c.id,
        "ai",
        "",
        tool_calls=[ToolCall("call-1", "read_calendar", {"day": "today"})],
        run_id="r1",
        server_id="lc_run--1",
        complete=False,
        reasoning="think",
    )
    tool = store.add_message(
        c.id, "tool", '{"events": []}', tool_call_id="call-1", name="read_calendar"
    )
    error = store.add_message(c.id, "error", "ValueError: boom")
    assert isinstance(ai, StoredMessage)
    assert [m.seq for m in (human, ai, tool, error)] == [1, 2, 3, 4]
    assert ai.tool_calls == [{"id": "call-1", "name": "read_calendar", "args": {"day": "today"}}]
    assert (ai.complete, ai.reasoning, ai.server_id, ai.run_id) == (
        False,
        "think",
        "lc_run--1",
        "r1",
    )
    assert (tool.tool_call_id, tool.name) == ("call-1", "read_calendar")
    assert store.messages(c.id) == [human, ai, tool, error]
    assert store.get_message(ai.id) == ai
    assert store.message_count(c.id) == 4
    assert store.get_conversation(c.id).message_count == 4  # type: ignore[union-attr]

    store.update_message(
        ai.id,
        content="You have no events.",
        tool_calls=[{"id": "call-1", "name": "read_calendar", "args": {}}],
        complete=True,
        server_id="lc_run--2",
        reasoning="thought",
        run_id="r2",
    )
    updated = store.get_message(ai.id)
    assert updated is not None
    assert (updated.content, updated.complete, updated.server_id) == (
        "You have no events.",
        True,
        "lc_run--2",
    )
    assert (updated.reasoning, updated.run_id, updated.tool_calls[0]["args"]) == (
        "thought",
        "r2",
        {},
    )
    store.update_message(ai.id)  # nothing to change
    assert store.get_message(ai.id) == updated

    assert store.find_message_by_server_id(c.id, "lc_run--2") == updated
    assert store.find_message_by_server_id(c.id, "missing") is None
    with pytest.raises(ValueError, match="role"):
        store.add_message(c.id, "robot", "hi")


def test_records_survive_reopen(tmp_path: Path) -> None:
    path = tmp_path / "fleet.db"
    with Store.open(path) as s:
        a = s.ensure_agent("http://127.0.0.1:2024", "agent", "Local")
        c = s.create_conversation(a.id, thread_id="t")
        m = s.add_message(c.id, "human", "hello")
        saved = s.get_conversation(c.id)
    with Store.open(path) as s:
        assert s.list_agents() == [a]
        assert s.list_conversations(a.id) == [saved]
        assert s.messages(c.id) == [m]


def test_message_paging(store: Store, agent: Agent) -> None:
    c = store.create_conversation(agent.id)
    for i in range(25):
        store.add_message(c.id, "human" if i % 2 == 0 else "ai", f"m{i}")
    assert [m.content for m in store.messages(c.id, limit=5)] == [f"m{i}" for i in range(20, 25)]
    page = store.messages(c.id, limit=5, before_seq=21)  # seq is 1-based: m19 has seq 20
    assert [m.content for m in page] == [f"m{i}" for i in range(15, 20)]
    assert [m.content for m in store.messages(c.id, limit=5, before_seq=3)] == ["m0", "m1"]
    assert len(store.messages(c.id, before_seq=11)) == 10


def test_delete_conversation_cascades(store: Store, agent: Agent) -> None:
    c = store.create_conversation(agent.id)
    keep = store.create_conversation(agent.id)
    store.add_message(c.id, "human", "remove this unicorn")
    store.add_message(keep.id, "human", "keep this unicorn")
    store.delete_conversation(c.id)
    assert store.get_conversation(c.id) is None
    assert store.messages(c.id) == []
    assert [x.id for x in store.list_conversations(agent.id, query="unicorn")] == [keep.id]


# -- titles -----------------------------------------------------------------------------------


def test_title_comes_from_the_first_human_message(store: Store, agent: Agent) -> None:
    c = store.create_conversation(agent.id)
    store.add_message(c.id, "system", "You are helpful")
    store.add_message(c.id, "human", "   \n")  # blank: no title yet
    assert store.get_conversation(c.id).title == ""  # type: ignore[union-attr]
    store.add_message(c.id, "human", "\n  Plan   my\ttrip to Lisbon  \nwith details")
    store.add_message(c.id, "human", "Second question")
    assert store.get_conversation(c.id).title == "Plan my trip to Lisbon"  # type: ignore[union-attr]

    long = store.create_conversation(agent.id)
    store.add_message(long.id, "ai", "Hi, how can I help?")
    store.add_message(long.id, "human", "word " * 40)
    title = store.get_conversation(long.id).title  # type: ignore[union-attr]
    assert len(title) <= TITLE_MAX and title.endswith("…") and "\n" not in title

    named = store.create_conversation(agent.id, title="Kept")
    store.add_message(named.id, "human", "Not the title")
    assert store.get_conversation(named.id).title == "Kept"  # type: ignore[union-attr]


# -- listing and filtering at scale -----------------------------------------------------------

WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel")


def _bulk(store: Store, agent_pk: int, n: int) -> None:
    """n conversations of 2 messages; conversation i talks about WORDS[i % 8] and its title
    names WORDS[i % 7]; every 1000th mentions 'Zanzibar' in its reply only."""
    conv_rows, msg_rows = [], []
    for i in range(1, n + 1):
        conv_rows.append((i, agent_pk, f"t{i}", f"Note {i} about {WORDS[i % 7]}", 1e9, 1e9 + i))
        reply = f"We discussed {WORDS[i % 8]} at length."
        if i % 1000 == 0:
            reply += " Next stop: Zanzibar, 50%_off!"
        msg_rows.append((i, 1, "human", f"question {i}", 1e9))
        msg_rows.append((i, 2, "ai", reply, 1e9))
    with store._write() as db:
        db.executemany(
            "INSERT INTO conversations (id, agent_pk, thread_id, title, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            conv_rows,
        )
        db.executemany(
            "INSERT INTO messages (conversation_id, seq, role, content, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            msg_rows,
        )


def test_paging_and_filtering_10000_conversations(store: Store, agent: Agent) -> None:
    n = 10_000
    _bulk(store, agent.id, n)
    assert store.count_conversations(agent.id) == n

    seen: list[int] = []
    for offset in range(0, n, 500):
        page = store.list_conversations(agent.id, limit=500, offset=offset)
        seen.extend(c.id for c in page)
    assert seen == list(range(n, 0, -1))  # newest activity first, each exactly once
    first = store.list_conversations(agent.id, limit=3)
    assert [(c.id, c.message_count, c.thread_id) for c in first] == [
        (n, 2, f"t{n}"),
        (n - 1, 2, f"t{n - 1}"),
        (n - 2, 2, f"t{n - 2}"),
    ]

    def expected(pred) -> list[int]:
        return [i for i in range(n, 0, -1) if pred(i)]

    # message text, any case
    charlie = expected(lambda i: i % 8 == 2 or i % 7 == 2)
    assert store.count_conversations(agent.id, "CHARLIE") == len(charlie)
    assert [c.id for c in store.list_conversations(agent.id, query="charlie")] == charlie[:100]
    page3 = store.list_conversations(agent.id, query="Charlie", limit=50, offset=100)
    assert [c.id for c in page3] == charlie[100:150]
    # a substring from the middle of a word, as typed
    assert store.count_conversations(agent.id, "oxtr") == len(
        expected(lambda i: i % 8 == 5 or i % 7 == 5)
    )
    # only in the reply text, with LIKE and FTS syntax characters taken literally
    zanzibar = expected(lambda i: i % 1000 == 0)
    assert [c.id for c in store.list_conversations(agent.id, query="zanzibar")] == zanzibar
    assert store.count_conversations(agent.id, "50%_off!") == len(zanzibar)
    assert store.count_conversations(agent.id, "50%-off") == 0
    assert store.count_conversations(agent.id, "50_%off") == 0
    assert store.count_conversations(agent.id, 'stop: "Zan') == 0
    assert store.count_conversations(agent.id, "Note 1234 ") == 1  # title
    # fewer than 3 characters: titles only
    assert store.count_conversations(agent.id, "e 9") == len(
        expected(lambda i: str(i).startswith("9"))
    )
    assert store.count_conversations(agent.id, "  ") == n
    assert store.list_conversations(agent.id, query="no such words") == []

    # a keystroke-by-keystroke filter stays interactive
    slowest = 0.0
    for q in ("z", "za", "zan", "zanz", "e", "ec", "ech", "echo"):
        start = time.perf_counter()
        store.list_conversations(agent.id, query=q)
        store.count_conversations(agent.id, q)
        slowest = max(slowest, time.perf_counter() - start)
    assert slowest < 0.25  # ~5 ms here; generous for loaded CI machines

    # renaming and adding keep the search index in step
    store.rename_conversation(1, "Trip to Reykjavik")
    assert [c.id for c in store.list_conversations(agent.id, query="reykjavik")] == [1]
    store.add_message(2, "human", "and Reykjavik?")
    assert [c.id for c in store.list_conversations(agent.id, query="reykjavik")] == [2, 1]
    assert store.count_conversations(agent.id, "Note 1 about") == 0


# -- upgrades ---------------------------------------------------------------------------------


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
def test_upgrade_from_every_older_version(tmp_path: Path, version: int) -> None:
    path = tmp_path / "old.db"
    conn = connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    migrate(conn, version)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == version
    # only columns every version has
    conn.executescript(
        """
        INSERT INTO agents (id, url, agent_id, name, created_at)
            VALUES (1, 'https://old.example.com', 'old-agent', 'Old', 1.0);
        INSERT INTO conversations (id, agent_pk, thread_id, title, created_at, updated_at)
            VALUES (1, 1, 'thread-1', 'Quarterly numbers', 1.0, 3.0),
                   (2, 1, NULL, '', 1.0, 2.0);
        INSERT INTO messages (conversation_id, seq, role, content, tool_calls, tool_call_id,
                              name, run_id, server_id, complete, created_at)
            VALUES (1, 1, 'human', 'How did Q3 go?', '[]', NULL, NULL, 'r', 'h1', 1, 1.0),
                   (1, 2, 'ai', 'Revenue grew by 12 percent', '[{"id":"c","name":"sql","args":{}}]',
                    NULL, NULL, 'r', 'a1', 0, 2.0);
        """
    )
    conn.close()

    with Store.open(path) as s:
        assert s.recovered_from is None
        assert s._conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert s.list_agents() == [Agent(1, "https://old.example.com", "old-agent", "Old", 1.0)]
        convs = s.list_conversations(1)
        assert [(c.id, c.title, c.status, c.message_count) for c in convs] == [
            (1, "Quarterly numbers", None, 2),
            (2, "", None, 0),
        ]
        # a conversation from before branches shows the server's newest branch, unnumbered
        assert [(c.branch_tip, c.branch_label) for c in convs] == [(None, None)] * 2
        msgs = s.messages(1)
        assert [(m.content, m.complete, m.reasoning) for m in msgs] == [
            ("How did Q3 go?", True, ""),
            ("Revenue grew by 12 percent", False, ""),
        ]
        assert msgs[1].tool_calls == [{"id": "c", "name": "sql", "args": {}}]
        assert [c.id for c in s.list_conversations(1, query="revenue grew")] == [1]
        assert [c.id for c in s.list_conversations(1, query="quarterly")] == [1]
        s.set_status(1, "idle")
        s.add_message(2, "human", "New question after the upgrade")
        assert s.get_conversation(2).title == "New question after the upgrade"  # type: ignore[union-attr]


def test_newer_schema_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    with Store.open(path) as s:
        s._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer fleet-tui"):
        Store.open(path)
    assert path.exists()
    assert list(tmp_path.glob("*.corrupt-*")) == []


# -- corruption -------------------------------------------------------------------------------


def test_garbage_file_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "fleet.db"
    garbage = os.urandom(3000) + b"this is not sqlite"
    path.write_bytes(garbage)
    Path(str(path) + "-wal").write_bytes(b"stale wal")
    with Store.open(path) as s:
        moved = s.recovered_from
        assert moved is not None and moved.parent == tmp_path
        assert moved.name.startswith("fleet.db.corrupt-")
        assert moved.read_bytes() == garbage  # the user's file is kept, byte for byte
        assert Path(str(moved) + "-wal").read_bytes() == b"stale wal"
        a = s.ensure_agent("http://localhost", "a")
        s.create_conversation(a.id)
        assert s.count_conversations(a.id) == 1
    with Store.open(path) as s:
        assert s.recovered_from is None


def test_truncated_database_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "fleet.db"
    with Store.open(path) as s:
        a = s.ensure_agent("http://localhost", "a")
        for i in range(200):
            c = s.create_conversation(a.id)
            s.add_message(c.id, "human", f"message {i} " * 50)
        s._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.truncate(size // 2)
    with Store.open(path) as s:
        assert s.recovered_from is not None
        assert s.recovered_from.stat().st_size == size // 2
        assert s.list_agents() == []


def test_two_corruptions_in_one_second_keep_both_files(tmp_path: Path) -> None:
    path = tmp_path / "fleet.db"
    moved = []
    for content in (b"first garbage" * 100, b"second garbage" * 100):
        path.unlink(missing_ok=True)
        Path(str(path) + "-wal").unlink(missing_ok=True)
        path.write_bytes(content)
        with Store.open(path) as s:
            moved.append(s.recovered_from)
    assert moved[0] != moved[1]
    assert moved[0].read_bytes() == b"first garbage" * 100  # type: ignore[union-attr]


# -- streaming --------------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_stream_writer_batches_by_time(store: Store, agent: Agent) -> None:
    c = store.create_conversation(agent.id)
    m = store.add_message(c.id, "ai", complete=False)
    clock = FakeClock()
    w = StreamWriter(store, m.id, clock=clock)
    statements: list[str] = []
    store._conn.set_trace_callback(statements.append)
    for i in range(50):
        w.append(f"t{i} ")
        clock.now += 0.01
    w.append_reasoning("hmm")
    assert store.get_message(m.id).content == ""  # type: ignore[union-attr]
    clock.now += 0.6  # 1.1 s since the writer started
    w.append("last ")
    # one transaction and one UPDATE for 51 deltas (the trace repeats it for its triggers)
    assert statements.count("BEGIN IMMEDIATE") == 1
    assert len({s for s in statements if s.startswith("UPDATE")}) == 1
    got = store.get_message(m.id)
    assert got is not None
    assert got.content == "".join(f"t{i} " for i in range(50)) + "last "
    assert (got.reasoning, got.complete) == ("hmm", False)
    w.append("tail")
    assert not w.flush_if_due()
    w.close(complete=True)
    w.close(complete=False)  # closing twice changes nothing
    got = store.get_message(m.id)
    assert got is not None and got.content.endswith("last tail") and got.complete

    final = store.add_message(c.id, "ai", complete=False)
    with store.stream_writer(final.id) as w:
        w.append("Hello wor")
        w.close(content="Hello world!")  # the server's whole message wins, no doubled text
    assert store.get_message(final.id).content == "Hello world!"  # type: ignore[union-attr]


def test_stream_writer_context_marks_failed_stream_incomplete(store: Store, agent: Agent) -> None:
    c = store.create_conversation(agent.id)
    m = store.add_message(c.id, "ai", "Partial", complete=False)
    with pytest.raises(RuntimeError), store.stream_writer(m.id) as w:
        w.append(" reply")
        raise RuntimeError("connection lost")
    got = store.get_message(m.id)
    assert got is not None and (got.content, got.complete) == ("Partial reply", False)


_STREAM_CHILD = """
import os, sys, time
from pathlib import Path
from fleet_tui.storage.store import Store
store = Store.open(Path(sys.argv[1]))
agent = store.ensure_agent("http://localhost", "a")
conversation = store.create_conversation(agent.id)
message = store.add_message(conversation.id, "ai", complete=False)
log = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_APPEND)
writer = store.stream_writer(message.id)
i = 0
while True:
    os.write(log, f"{i} {time.time()}\\n".encode())
    writer.append(f"t{i} ")
    i += 1
    time.sleep(0.002)
"""


def test_sigkill_mid_stream_loses_at_most_the_last_second(tmp_path: Path) -> None:
    path, log = tmp_path / "fleet.db", tmp_path / "sent.log"
    child = run_child(_STREAM_CHILD, str(path), str(log))
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            lines = log.read_text().splitlines() if log.exists() else []
            if len(lines) > 2 and float(lines[-2].split()[1]) - float(lines[0].split()[1]) > 2.7:
                break
            assert child.poll() is None, child.stderr.read()  # type: ignore[union-attr]
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL

    sent = {}
    for line in log.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2:  # the last line may have been cut by the kill
            sent[int(parts[0])] = float(parts[1])
    with Store.open(path) as s:
        assert s.recovered_from is None
        (message,) = s.messages(1)
    tokens = message.content.split()
    assert tokens, "nothing reached the database in ~3 s"
    kept = len(tokens)
    assert message.content == "".join(f"t{i} " for i in range(kept))  # an exact prefix
    assert not message.complete
    last = max(sent)
    lost_span = sent[last] - sent[kept] if kept <= last else 0.0
    assert lost_span <= 1.3, f"lost {lost_span:.2f} s of text"


# -- concurrency ------------------------------------------------------------------------------

_WRITER_CHILD = """
import sys, time
from pathlib import Path
from fleet_tui.storage.store import Store
path, shared, tag, go = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
store = Store.open(path)
agent = store.ensure_agent("http://localhost", "a")
mine = store.create_conversation(agent.id, thread_id=tag)
while not go.exists():
    time.sleep(0.005)
for i in range(300):
    store.add_message(shared, "human", f"{tag}-{i}")
    store.add_message(mine.id, "ai", f"{tag}-{i}")
    if i % 50 == 0:
        store.list_conversations(agent.id, query=tag)
store.close()
"""


def test_two_processes_write_at_once(tmp_path: Path) -> None:
    path, go = tmp_path / "fleet.db", tmp_path / "go"
    with Store.open(path) as s:
        a = s.ensure_agent("http://localhost", "a")
        shared = s.create_conversation(a.id)
    children = [run_child(_WRITER_CHILD, str(path), str(shared.id), t, str(go)) for t in "AB"]
    time.sleep(0.5)
    go.touch()
    for child in children:
        _, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
    with Store.open(path) as s:
        msgs = s.messages(shared.id)
        assert [m.seq for m in msgs] == list(range(1, 601))
        assert sorted(m.content for m in msgs) == sorted(
            f"{t}-{i}" for t in "AB" for i in range(300)
        )
        for tag in "AB":
            mine = s.find_conversation_by_thread(a.id, tag)
            assert mine is not None and mine.message_count == 300


def test_threads_can_share_one_store(store: Store, agent: Agent) -> None:
    c = store.create_conversation(agent.id)
    errors: list[BaseException] = []

    def work(tag: str) -> None:
        try:
            for i in range(100):
                store.add_message(c.id, "human", f"{tag}{i}")
                store.list_conversations(agent.id, query=tag)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in ("x", "y", "z")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.message_count(c.id) == 300


def test_sqlite_errors_other_than_corruption_are_said_not_hidden(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:  # a directory, not a file
        assert store.problem is not None
        assert f"{tmp_path} is a folder, not a file" in store.problem
        assert tmp_path.is_dir() and list(tmp_path.iterdir()) == []  # nothing moved or made
        agent = store.ensure_agent("http://127.0.0.1:1", "a")  # works, in memory
        assert store.create_conversation(agent.id, title="kept").title == "kept"


def _damage_middle_pages(path: Path) -> None:
    data = bytearray(path.read_bytes())
    page = 4096
    data[page * 10 : page * 12] = b"\xab" * (page * 2)
    path.write_bytes(bytes(data))


def _store_with_pages(path: Path) -> None:
    with Store.open(path) as store:
        agent = store.ensure_agent("http://127.0.0.1:1", "agent")
        for i in range(300):
            conversation = store.create_conversation(agent.id, title=f"t{i}")
            store.add_message(conversation.id, "human", "hello " * 200)


def test_deferred_check_finds_damage_and_recover_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "fleet.db"
    _store_with_pages(path)
    _damage_middle_pages(path)
    store = Store.open(path, full_check=False)  # the fast open only reads the schema
    assert store.recovered_from is None
    problem = store.verify()
    assert problem and "malformed" in problem
    moved = store.recover()
    assert moved.exists() and moved.name.startswith("fleet.db.corrupt-")
    assert store.recovered_from == moved
    assert store.verify() is None
    agent = store.ensure_agent("http://127.0.0.1:1", "agent")
    assert store.count_conversations(agent.id) == 0
    store.close()


def test_full_check_at_open_moves_a_damaged_file_aside(tmp_path: Path) -> None:
    path = tmp_path / "fleet.db"
    _store_with_pages(path)
    _damage_middle_pages(path)
    with Store.open(path) as store:
        assert store.recovered_from is not None and store.recovered_from.exists()
