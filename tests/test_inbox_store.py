"""The inbox's store and values: what makes a conversation waiting, failed or unread, when it
leaves, across agents, and the one-line summaries and quick answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleet_tui.common import redaction
from fleet_tui.domain.inbox import (
    InboxEntry,
    WaitingAction,
    age_words,
    newest_first,
    quick_answer,
    waiting_actions,
)
from fleet_tui.domain.interrupt_model import Interrupt
from fleet_tui.services.client_pool import ClientPool
from fleet_tui.services.inbox import entries, saved_agents
from fleet_tui.settings.config import AgentProfile
from fleet_tui.storage.store import Store

TOKEN = "lsv2_pt_" + "a" * 32 + "_" + "b" * 10


def batched(*tools: str, allowed: tuple[str, ...] = ("approve", "edit", "reject")) -> dict:
    return {
        "action_requests": [{"name": t, "args": {"to": "ann@example.com"}} for t in tools],
        "review_configs": [{"action_name": t, "allowed_decisions": list(allowed)} for t in tools],
    }


def per_call(tool: str) -> tuple[dict, dict]:
    value = {"type": "tool_approval", "name": tool, "args": {"q": "x"}, "tool_call_id": "c1"}
    schema = {"decisions": ["approve", "reject"]}
    return value, schema


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "fleet.db") as s:
        yield s


def profile(name: str, url: str, agent_id: str) -> AgentProfile:
    return AgentProfile(name=name, url=url, agent_id=agent_id, api_key=TOKEN)


def test_membership_follows_status_changes_and_looks(store: Store) -> None:
    agent = store.ensure_agent("https://a.example.com", "agent-a")
    waiting = store.create_conversation(agent.id, thread_id="t1", title="Email Ann")
    failed = store.create_conversation(agent.id, thread_id="t2", title="Report")
    finished = store.create_conversation(agent.id, thread_id="t3", title="Summary")
    cancelled = store.create_conversation(agent.id, thread_id="t4", title="Stopped")
    quiet = store.create_conversation(agent.id, thread_id="t5", title="Old")
    assert store.inbox_rows() == []

    store.set_status(waiting.id, "interrupted")
    store.set_waiting(waiting.id, [Interrupt("i1", batched("send_email"))])
    store.mark_changed(waiting.id, 150.0)
    store.set_status(failed.id, "error")
    store.mark_changed(failed.id, 100.0, failure="ValueError: boom")
    store.set_status(finished.id, "idle")
    store.mark_changed(finished.id, 200.0)
    store.set_status(cancelled.id, "cancelled")
    store.mark_changed(cancelled.id, 300.0)
    store.set_status(quiet.id, "idle")
    store.mark_changed(quiet.id, 50.0)
    store.mark_seen(quiet.id, 60.0)  # seen after its change: read

    rows = {r.conversation.id: r for r in store.inbox_rows()}
    assert set(rows) == {waiting.id, failed.id, finished.id}
    assert rows[failed.id].failure == "ValueError: boom"
    assert rows[waiting.id].waiting[0].id == "i1"
    assert [r.conversation.id for r in store.inbox_rows()] == [finished.id, waiting.id, failed.id]

    # opening leaves; answering leaves; a status without pending interrupts is not waiting
    store.mark_seen(failed.id, 101.0)
    store.mark_seen(finished.id, 201.0)
    store.set_waiting(waiting.id, [])
    assert store.inbox_rows() == []
    store.set_waiting(waiting.id, [Interrupt("i2", batched("send_email"))])
    store.set_status(waiting.id, "cancelled")
    assert store.inbox_rows() == []


def test_entries_name_the_saved_agent_and_skip_unsaved_ones(store: Store) -> None:
    a = store.ensure_agent("https://a.example.com", "agent-a")
    b = store.ensure_agent("https://b.example.com", "agent-b")
    gone = store.ensure_agent("https://c.example.com", "forgotten")
    for pk, title in ((a.id, "One"), (b.id, "Two"), (gone.id, "Three")):
        c = store.create_conversation(pk, thread_id=f"t-{pk}", title=title)
        store.set_status(c.id, "interrupted")
        value, schema = per_call("search")
        store.set_waiting(c.id, [Interrupt(f"i-{pk}", value, schema)])
        store.mark_changed(c.id, float(pk))
    profiles = [
        profile("work", "https://a.example.com/", "agent-a"),
        profile("home", "https://b.example.com", "agent-b"),
    ]
    assert saved_agents(store, profiles) == {a.id: "work", b.id: "home"}
    found = entries(store, profiles)
    assert [(e.agent, e.title, e.kind) for e in found] == [
        ("home", "Two", "waiting"),
        ("work", "One", "waiting"),
    ]
    assert found[0].what == "search(q='x')"
    assert found[0].quick_action is not None


@pytest.fixture
def known_token():
    redaction.remember(TOKEN)
    yield TOKEN
    redaction.forget_all()


@pytest.mark.usefixtures("known_token")
def test_waiting_json_keeps_schemas_and_masks_secrets(store: Store) -> None:
    agent = store.ensure_agent("https://a.example.com", "agent-a")
    c = store.create_conversation(agent.id, thread_id="t1")
    store.set_status(c.id, "interrupted")
    value = batched("send_email")
    value["action_requests"][0]["args"]["body"] = f"token {TOKEN}"
    store.set_waiting(c.id, [Interrupt("i1", value, {"x": 1}, ("tools:abc",))])
    [row] = store.inbox_rows()
    [interrupt] = row.waiting
    assert interrupt.response_schema == {"x": 1}
    assert interrupt.namespace == ("tools:abc",)
    assert TOKEN not in str(interrupt.value)


def test_huge_interrupt_values_are_folded(store: Store) -> None:
    agent = store.ensure_agent("https://a.example.com", "agent-a")
    c = store.create_conversation(agent.id, thread_id="t1")
    store.set_status(c.id, "interrupted")
    store.set_waiting(c.id, [Interrupt("i1", {"blob": "x" * 500_000})])
    text = store._one("SELECT waiting FROM conversations WHERE id = ?", [c.id])[0]  # type: ignore[index]
    assert len(text) < 100_000
    assert store.inbox_rows()[0].waiting[0].id == "i1"


def test_watch_cursor_per_agent(store: Store) -> None:
    a = store.ensure_agent("https://a.example.com", "agent-a")
    b = store.ensure_agent("https://b.example.com", "agent-b")
    assert store.watch_cursor(a.id) is None
    store.set_watch_cursor(a.id, "2026-12-02T03:00:00+00:00")
    assert store.watch_cursor(a.id) == "2026-12-02T03:00:00+00:00"
    assert store.watch_cursor(b.id) is None


def test_search_all_agents(store: Store) -> None:
    a = store.ensure_agent("https://a.example.com", "agent-a")
    b = store.ensure_agent("https://b.example.com", "agent-b")
    one = store.create_conversation(a.id, title="Quarterly numbers")
    two = store.create_conversation(b.id, title="Holiday plan")
    store.add_message(two.id, "human", "what about the quarterly offsite?")
    assert {c.id for c in store.search_all_agents("quarterly")} == {one.id, two.id}
    assert store.search_all_agents("  ") == []


def test_waiting_actions_and_what() -> None:
    batch = Interrupt("i1", batched("send_email", "post_slack"))
    actions = waiting_actions([batch])
    assert [a.tool for a in actions] == ["send_email", "post_slack"]
    entry = InboxEntry("waiting", 1, "work", 1, "t", "x", 0.0, actions, (batch,))
    assert entry.what.startswith("send_email(to='ann@example.com')") and entry.what.endswith(
        "+1 more"
    )
    assert entry.quick_action is None  # two calls: the review decides each
    question = Interrupt("i2", "Which region?")
    [free] = waiting_actions([question])
    assert free.tool == "" and free.summary == "Which region?"
    failed = InboxEntry("failed", 1, "w", 2, "t", "x", 0.0, failure="boom")
    assert failed.what == "failed: boom"
    assert InboxEntry("finished", 1, "w", 3, None, "x", 0.0).what == "finished"
    no_reject = Interrupt("i3", batched("rm", allowed=("approve",)))
    actions = waiting_actions([no_reject])
    one = InboxEntry("waiting", 1, "w", 4, "t", "x", 0.0, actions, (no_reject,))
    assert one.quick_action is None


def test_quick_answers_fit_each_shape() -> None:
    assert quick_answer(Interrupt("i", batched("send")), "approve") == {
        "decisions": [{"type": "approve"}]
    }
    value, schema = per_call("search")
    assert quick_answer(Interrupt("i", value, schema), "reject", "no") == {
        "type": "reject",
        "message": "no",
    }
    assert quick_answer(Interrupt("i", "free question"), "approve") is None
    assert quick_answer(Interrupt("i", batched("rm", allowed=("approve",))), "reject") is None


def test_order_and_age_words() -> None:
    old = InboxEntry("finished", 1, "w", 1, None, "old", 10.0)
    new = InboxEntry("finished", 1, "w", 2, None, "new", 20.0)
    assert newest_first([old, new]) == [new, old]
    assert [age_words(s) for s in (-5, 30, 60, 3599, 3600, 86_399, 86_400 * 3)] == [
        "now",
        "now",
        "1 min",
        "59 min",
        "1 h",
        "23 h",
        "3 d",
    ]
    assert WaitingAction(None, "t", "s").allowed == ()


def test_client_pool_serves_each_saved_agent_and_follows_token_changes(store: Store) -> None:
    a = store.ensure_agent("https://a.example.com", "agent-a")
    b = store.ensure_agent("http://b.example.com", "agent-b")
    orphan = store.ensure_agent("https://c.example.com", "agent-c")
    work = profile("work", "https://a.example.com", "agent-a")
    # a token over plain http to another host: never used before the user agrees
    broken = profile("broken", "http://b.example.com", "agent-b")
    pool = ClientPool(store, lambda: [work, broken])
    first = pool.get(a.id)
    assert first is not None and pool.get(a.id) is first
    assert pool.get(b.id) is None
    assert pool.get(orphan.id) is None
    work.api_key = "lsv2_pt_" + "c" * 32 + "_" + "d" * 10
    second = pool.get(a.id)
    assert second is not None and second is not first


def test_threads_stored_at_once_are_searchable_and_single_ones_still_are(store: Store) -> None:
    import time

    from fleet_tui.storage.store_watch import NewThread, add_threads

    agent = store.ensure_agent("https://a.example.com", "agent-a")
    threads = [NewThread(f"t-{i}", f"Quarterly plan {i}", None, "idle") for i in range(600)]
    ids = add_threads(store, agent.id, threads, time.time())
    assert len(ids) == 600
    hits = {c.id for c in store.search_all_agents("plan 59", limit=1000)}
    assert hits == {ids[f"t-{i}"] for i in (59, *range(590, 600))}
    # the pause of the per-row index is over with the transaction
    assert store._one("SELECT COUNT(*) FROM search_deferred") == (0,)
    single = store.create_conversation(agent.id, title="Holiday notes")
    assert [c.id for c in store.search_all_agents("holiday")] == [single.id]
    # and nothing is indexed twice: a rename leaves one entry
    store.rename_conversation(ids["t-59"], "Renamed")
    assert ids["t-59"] not in {c.id for c in store.search_all_agents("plan 59", limit=1000)}
