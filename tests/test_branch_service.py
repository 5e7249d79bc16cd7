"""The conversation service putting a conversation on a branch (no server: the tree is built
from a history like the server's): the messages, the marks, the plan and files follow."""

from __future__ import annotations

from pathlib import Path

from test_branches import History

from fleet_tui.domain.branches import BranchTree
from fleet_tui.domain.transcript import AssistantItem, UserItem
from fleet_tui.services.conversation_service import ConversationService
from fleet_tui.storage.store import Store

FILE = {"content": ["# A"], "created_at": "x", "modified_at": "x"}


def test_switching_moves_messages_marks_plan_and_files(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.db")
    service = ConversationService(
        store, lambda work, name: work.close(), client=lambda _: None, keep_choice=True
    )
    agent = store.ensure_agent("https://x.example.com", "a")
    state = service.create(agent.id, thread_id="t-1")

    h = History()
    root = h.add(None)
    s0 = h.add(root, "h1")
    tip_a = h.add(
        s0, "h1", "a1", todos=[{"content": "plan A", "status": "pending"}], files={"/a.md": FILE}
    )
    in_b = h.add(root)
    s_b = h.add(in_b, "h2")
    tip_b = h.add(s_b, "h2", "a2")
    tree = BranchTree(h.states())
    for mid in ("h1", "a1"):  # what the store held: branch A, with a local detail
        role = "human" if mid.startswith("h") else "ai"
        store.add_message(state.id, role, f"text {mid}", server_id=mid, reasoning="local")

    service.show_path(state, tree.path(tip_b))
    assert [m.server_id for m in store.messages(state.id)] == ["h2", "a2"]
    texts = [(i.text, i.branch) for i in state.transcript.items if isinstance(i, UserItem)]
    assert texts == [("h2", "2/2")]  # the server's copy (the history holds id as text)
    assert state.plan == () and state.files == {}
    conversation = store.get_conversation(state.id)
    assert conversation is not None and conversation.branch_tip == tip_b
    assert conversation.branch_label == "2/2"

    service.show_path(state, tree.path(tip_a))
    stored = store.messages(state.id)
    assert [m.server_id for m in stored] == ["h1", "a1"]
    assert stored[1].reasoning == "local"  # brought back as it was stored, not re-read
    assert [i.message_id for i in state.transcript.items if isinstance(i, AssistantItem)] == ["a1"]
    assert [t.content for t in state.plan] == ["plan A"] and set(state.files) == {"/a.md"}
    assert [t.content for t in store.thread_state(state.id).todos or ()] == ["plan A"]
    store.close()
