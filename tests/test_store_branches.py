"""The store's branches (schema step 7): the branch chosen, its points, switching rows aside
and back, surviving a restart, and an upgrade from step 6 that keeps every conversation."""

from __future__ import annotations

from pathlib import Path

from fleet_tui.storage.store import SCHEMA_VERSION, BranchPoint, Store, connect, migrate


def _conversation(store: Store) -> int:
    agent = store.ensure_agent("https://x.example.com", "agent")
    return store.create_conversation(agent.id, thread_id="t-1").id


def test_branch_choice_and_points_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with Store.open(path) as store:
        cid = _conversation(store)
        store.add_message(cid, "human", "first", server_id="h1")
        store.add_message(cid, "ai", "reply", server_id="a1")
        store.set_branch(cid, "cp-tip", 2, 3)
        store.save_branch_points(
            cid,
            [
                BranchPoint("h1", "cp-0", ("cp-a", "cp-b", "cp-c"), 1),
                BranchPoint("a1", "cp-1"),
            ],
        )
    with Store.open(path) as store:
        conversation = store.get_conversation(cid)
        assert conversation is not None
        assert (conversation.branch_tip, conversation.branch_label) == ("cp-tip", "2/3")
        points = store.branch_points(cid)
        assert points["h1"].label == "2/3" and points["h1"].before == "cp-0"
        assert points["a1"].label is None and points["a1"].before == "cp-1"
        # the sidebar's page carries it too
        assert store.list_conversations(conversation.agent_pk)[0].branch_label == "2/3"
        # replacing the points drops the old ones
        store.save_branch_points(cid, [BranchPoint("a1", "cp-9")])
        assert set(store.branch_points(cid)) == {"a1"}


def test_a_branch_left_waits_aside_and_comes_back_whole(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.db") as store:
        cid = _conversation(store)
        store.add_message(cid, "human", "first", server_id="h1")
        calls = [{"id": "call-1", "name": "task", "args": {"description": "look"}}]
        kept = store.add_message(cid, "ai", "", server_id="a1", tool_calls=calls, reasoning="why")
        store.add_message(cid, "ai", "sub-agent text", parent_call_id="call-1")
        store.add_message(cid, "tool", "done", server_id="t1", tool_call_id="call-1")
        store.add_message(cid, "ai", "final", server_id="a2")

        assert store.set_aside(cid, kept.seq) == 4
        assert [m.server_id for m in store.messages(cid)] == ["h1"]
        assert store.search_all_agents("sub-agent text") == []  # the index follows

        store.add_message(cid, "ai", "another reply", server_id="b1")
        store.set_aside(cid, store.messages(cid)[-1].seq)
        assert store.bring_back(cid, "a1")
        assert not store.bring_back(cid, "nope")
        restored = store.messages(cid)
        assert [(m.server_id, m.parent_call_id) for m in restored] == [
            ("h1", None),
            ("a1", None),
            (None, "call-1"),  # its sub-agent's message came with it
        ]
        assert restored[1].reasoning == "why" and restored[1].tool_calls == calls
        assert store.bring_back(cid, "t1") and store.bring_back(cid, "a2")
        assert [m.content for m in store.messages(cid)][-2:] == ["done", "final"]
        assert store.bring_back(cid, "b1")
        assert not store.bring_back(cid, "a1")  # moved back once only


def test_upgrade_from_step_6_keeps_every_conversation(tmp_path: Path) -> None:
    path = tmp_path / "six.db"
    conn = connect(path)
    migrate(conn, 6)
    conn.executescript(
        """
        INSERT INTO agents (id, url, agent_id, name, created_at)
            VALUES (1, 'https://old.example.com', 'a', 'Old', 1.0);
        INSERT INTO conversations (id, agent_pk, thread_id, title, created_at, updated_at, status)
            VALUES (1, 1, 't1', 'One', 1.0, 3.0, 'idle'), (2, 1, 't2', 'Two', 1.0, 2.0, NULL);
        INSERT INTO messages (id, conversation_id, seq, role, content, created_at, server_id, usage)
            VALUES (1, 1, 1, 'human', 'hello', 1.0, 'h1', NULL),
                   (2, 1, 2, 'ai', 'hi there', 2.0, 'a1', '{"input_tokens": 3}'),
                   (3, 2, 1, 'human', 'second thread', 1.0, NULL, NULL);
        INSERT INTO attachments (message_id, position, name, mime_type, size, data, created_at)
            VALUES (1, 0, 'a.png', 'image/png', 3, x'010203', 1.0);
        """
    )
    conn.close()
    with Store.open(path) as store:
        assert store._conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        conversations = store.list_conversations(1)
        assert [(c.id, c.title, c.message_count, c.branch_label) for c in conversations] == [
            (1, "One", 2, None),
            (2, "Two", 1, None),
        ]
        assert [m.content for m in store.messages(1)] == ["hello", "hi there"]
        assert store._conn.execute("SELECT usage FROM messages WHERE id = 2").fetchone()[0]
        assert store._conn.execute("SELECT COUNT(*) FROM attachments").fetchone()[0] == 1
        assert store.branch_points(1) == {}
        # and branches can be kept from now on
        store.set_branch(1, "cp", 1, 2)
        assert store.get_conversation(1).branch_label == "1/2"  # type: ignore[union-attr]


def test_deleting_a_conversation_drops_its_branch_data(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.db") as store:
        cid = _conversation(store)
        store.add_message(cid, "ai", "x", server_id="a1")
        store.save_branch_points(cid, [BranchPoint("a1", "cp")])
        store.set_aside(cid, 1)
        store.delete_conversation(cid)
        for table in ("branch_points", "branch_messages"):
            assert store._conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0


def test_a_branch_left_keeps_its_files(tmp_path: Path) -> None:
    from fleet_tui.domain.attachments import Attachment

    with Store.open(tmp_path / "s.db") as store:
        cid = _conversation(store)
        human = store.add_message(cid, "human", "look at these", server_id="h1")
        png = Attachment("chart.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"x" * 64)
        big = Attachment("report.pdf", "application/pdf", b"%PDF-1.7" + b"y" * 200, "/tmp/r.pdf")
        store.add_attachments(human.id, [png, big], copy_max_bytes=80)
        assert store.set_aside(cid, human.seq) == 1
        assert store._one("SELECT COUNT(*) FROM attachments")[0] == 0  # type: ignore[index]
        assert store.bring_back(cid, "h1")
        [back] = store.messages(cid)
        kept = store.attachments(back.id)
        assert [(a.info.name, a.info.size, a.data, a.path) for a in kept] == [
            ("chart.png", png.size, png.data, None),
            ("report.pdf", big.size, None, "/tmp/r.pdf"),
        ]
        assert [a.name for a in back.attachments] == ["chart.png", "report.pdf"]
