"""A deep agent's plan, files and sub-agent runs kept in the store, rebuilt, reconciled,
searched and exported — over streams recorded from the real server (tests/data/deep_*.sse:
two `researcher` sub-agents in parallel; a plan and a `mailer` sub-agent whose approval waits;
a resumed run that writes a file)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from test_events import recorded

from fleet_tui.domain.deep_state import StateFile, Todo, human_size
from fleet_tui.domain.events import (
    Event,
    FilesChanged,
    MessageComplete,
    PlanUpdated,
    RunStarted,
    SubagentBound,
    SubagentEvent,
    ToolCall,
)
from fleet_tui.domain.transcript import AssistantItem, ToolItem, Transcript
from fleet_tui.services.export import export_json, export_markdown
from fleet_tui.services.recorder import RunRecorder
from fleet_tui.services.sync import reconcile_messages
from fleet_tui.storage.store import Store, ThreadState

DATA = Path(__file__).parent / "data"
PARALLEL = "deep_parallel_subagents.sse"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(tmp_path / "s.db")


def record(store: Store, events: list[Event], human: str = "do it") -> int:
    agent = store.ensure_agent("http://x", "a")
    conversation = store.create_conversation(agent.id, thread_id="t1")
    recorder = RunRecorder(store, conversation.id, human_text=human)
    recorder.add_human(human)
    for event in events:
        recorder.handle(event)
    recorder.finish("idle")
    return conversation.id


def task_calls(events: list[Event]) -> list[ToolCall]:
    return [
        call
        for e in events
        if isinstance(e, MessageComplete)
        for call in e.tool_calls
        if call.name == "task"
    ]


# -- the store ----------------------------------------------------------------------------
def test_plan_and_files_round_trip_through_the_store(store: Store) -> None:
    agent = store.ensure_agent("http://x", "a")
    cid = store.create_conversation(agent.id).id
    assert store.thread_state(cid) == ThreadState()
    todos = (Todo("Research A", "completed"), Todo("Write report", "in_progress"))
    files = {
        "/report.md": StateFile("/report.md", "# Report\n", "utf-8", "2026-12-01", "2026-12-02"),
        "/logo.png": StateFile("/logo.png", "iVBORw0KGgo=", "base64"),
    }
    store.save_plan(cid, todos)
    assert store.thread_state(cid) == ThreadState(todos, {})
    store.save_files(cid, files)
    assert store.thread_state(cid) == ThreadState(todos, files)
    store.save_plan(cid, ())
    assert store.thread_state(cid).todos == ()  # an emptied plan is not "no plan stored"
    store.delete_conversation(cid)
    assert store.thread_state(cid) == ThreadState()


def test_saving_a_megabyte_file_twenty_times_costs_twenty_writes_not_more(store: Store) -> None:
    agent = store.ensure_agent("http://x", "a")
    cid = store.create_conversation(agent.id).id
    big = {"/big.md": StateFile("/big.md", "x" * 1_000_000)}
    started = time.perf_counter()
    store.save_files(cid, big)
    one = time.perf_counter() - started
    assert store.thread_state(cid).files == big
    # what the service avoids doing per event during a run (it saves once at the run's end)
    assert one < 0.5, f"one save of a 1 MB file took {one * 1000:.0f} ms"


# -- the recorder -------------------------------------------------------------------------
def test_sub_agent_messages_are_stored_under_their_task_call(store: Store) -> None:
    events = recorded(PARALLEL)
    cid = record(store, events)
    call_a, call_b = task_calls(events)
    rows = store.messages(cid)
    by_parent: dict[str | None, list[str]] = {}
    for row in rows:
        by_parent.setdefault(row.parent_call_id, []).append(row.content)
    assert [c for c in by_parent[call_a.id] if c.startswith("Researching")] == [
        "Researching research topic A"
    ]
    assert any(c.startswith("Findings for research topic A") for c in by_parent[call_a.id])
    assert all("topic B" not in c for c in by_parent[call_a.id])
    assert any(c.startswith("Findings for research topic B") for c in by_parent[call_b.id])
    own = by_parent[None]
    assert not any(c.startswith("Researching") for c in own)
    # the sub-agents' tool calls and results are kept with them
    ls_rows = [r for r in rows if r.parent_call_id and r.role == "tool"]
    assert [r.name for r in ls_rows] == ["ls", "ls"]
    assert store.get_conversation(cid).title == "do it"  # type: ignore[union-attr]


def _sub(namespace: str, message_id: str, text: str) -> SubagentEvent:
    return SubagentEvent(namespace, MessageComplete(message_id, "ai", text))


def test_messages_wait_for_their_tie_and_move_when_it_is_corrected(store: Store) -> None:
    events: list[Event] = [
        RunStarted("run-1", "t1"),
        _sub("tools:a", "m1", "first, before any tie"),
        SubagentBound("tools:a", "call-1", "researcher"),
        _sub("tools:a", "m2", "second"),
        SubagentBound("tools:b", "call-2", "researcher"),
        _sub("tools:b", "m3", "other run"),
        # the server names each call's task: the guesses were the wrong way round
        SubagentBound("tools:a", "call-2", "researcher", exact=True),
        SubagentBound("tools:b", "call-1", "researcher", exact=True),
    ]
    cid = record(store, events)
    parents = {r.content: r.parent_call_id for r in store.messages(cid) if r.parent_call_id}
    assert parents == {
        "first, before any tie": "call-2",
        "second": "call-2",
        "other run": "call-1",
    }


def test_a_nested_sub_agent_s_messages_belong_to_the_innermost_call(store: Store) -> None:
    inner_call = ToolCall("call-inner", "task", {"subagent_type": "critic", "description": "d"})
    events: list[Event] = [
        RunStarted("run-1", "t1"),
        MessageComplete(
            "main",
            "ai",
            "Delegating.",
            (ToolCall("call-outer", "task", {"subagent_type": "researcher"}),),
        ),
        SubagentBound("tools:a", "call-outer", "researcher"),
        SubagentEvent("tools:a", MessageComplete("sub", "ai", "Asking a critic.", (inner_call,))),
        SubagentBound("tools:a|tools:b", "call-inner", "critic"),
        _sub("tools:a|tools:b", "deep", "The critic's view."),
    ]
    cid = record(store, events)
    rows = store.messages(cid)
    parents = {r.content: r.parent_call_id for r in rows}
    assert parents["Asking a critic."] == "call-outer"
    assert parents["The critic's view."] == "call-inner"
    # rebuilt: the critic's card is inside the researcher's run
    transcript = Transcript.from_messages(rows)
    outer = transcript.run_for("call-outer")
    assert outer is not None
    inner = outer.run_for("call-inner")
    assert inner is not None
    assert [i.text for i in inner.items if isinstance(i, AssistantItem)] == ["The critic's view."]
    inner_card = next(t for t in outer.tools if t.call_id == "call-inner")
    assert inner_card.agent == "critic"


# -- rebuilding the transcript ------------------------------------------------------------
def test_the_cards_are_rebuilt_from_the_store_each_with_its_own_run(store: Store) -> None:
    events = recorded(PARALLEL)
    cid = record(store, events)
    call_a, call_b = task_calls(events)
    transcript = Transcript.from_messages(store.messages(cid))
    main_text = " ".join(i.text for i in transcript.items if isinstance(i, AssistantItem))
    assert "Researching" not in main_text
    cards = [t for t in transcript.tools if t.name == "task"]
    assert [c.call_id for c in cards] == [call_a.id, call_b.id]
    for card, topic in zip(cards, "AB", strict=True):
        assert card.agent == "researcher" and card.is_subagent and card.state == "done"
        run = card.subagent
        assert run is not None
        texts = [i.text for i in run.items if isinstance(i, AssistantItem)]
        assert texts[0] == f"Researching research topic {topic}"
        assert texts[-1].startswith(f"Findings for research topic {topic}")
        (ls,) = [t for t in run.tools]
        assert ls.name == "ls" and ls.result == "No files found"


def test_rows_of_a_card_not_shown_yet_wait_for_it() -> None:
    rows = [
        _row(1, "ai", "Delegating.", calls=[{"id": "c1", "name": "task", "args": {}}]),
        _row(2, "ai", "from the sub-agent", parent="c9"),
    ]
    transcript = Transcript.from_messages(rows)
    assert transcript.run_for("c1") is None
    changed = transcript.add_messages(
        [_row(3, "ai", "Later.", calls=[{"id": "c9", "name": "task", "args": {}}])]
    )
    run = transcript.run_for("c9")
    assert run is not None and [i.text for i in run.items if isinstance(i, AssistantItem)] == [
        "from the sub-agent"
    ]
    card_index = next(
        i for i, t in enumerate(transcript.items) if isinstance(t, ToolItem) and t.call_id == "c9"
    )
    assert card_index in changed


def _row(
    row_id: int,
    role: str,
    content: str,
    *,
    calls: list[dict[str, object]] | None = None,
    parent: str | None = None,
) -> object:
    from fleet_tui.storage.store_records import StoredMessage

    return StoredMessage(
        row_id, 1, row_id, role, content, calls or [], None, None, None, f"s{row_id}", True, "",
        0.0, parent,
    )  # fmt: skip


# -- the server's messages, search --------------------------------------------------------
def test_a_refresh_neither_re_adds_nor_touches_sub_agent_rows(store: Store) -> None:
    events = recorded(PARALLEL)
    cid = record(store, events)
    nested = [m for m in store.messages(cid) if m.parent_call_id]
    assert len(nested) == 6  # per sub-agent: a call of `ls`, its result, the findings
    state = json.loads((DATA / "deep_parallel_subagents.state.json").read_text())
    result = reconcile_messages(store, cid, state["values"]["messages"])
    assert (result.added, result.updated) == (0, 0)
    assert [m for m in store.messages(cid) if m.parent_call_id] == nested
    own = [m for m in store.messages(cid) if not m.parent_call_id]
    assert [m.server_id for m in own] == [m["id"] for m in state["values"]["messages"]]


def test_sub_agent_text_is_found_by_search(store: Store) -> None:
    cid = record(store, recorded(PARALLEL))
    conversation = store.get_conversation(cid)
    assert conversation is not None
    hits = store.list_conversations(conversation.agent_pk, query="Researching research topic B")
    assert [c.id for c in hits] == [cid]


# -- export -------------------------------------------------------------------------------
def test_markdown_export_nests_sub_agents_and_ends_with_the_plan_and_files(store: Store) -> None:
    cid = record(store, recorded(PARALLEL))
    conversation = store.get_conversation(cid)
    assert conversation is not None
    state = ThreadState(
        (Todo("Research A", "completed"), Todo("Write report", "in_progress")),
        {"/report.md": StateFile("/report.md", "# Report\n", modified_at="2026-12-02T00:57")},
    )
    text = export_markdown(
        conversation, store.messages(cid), agent_name="Deep", url="http://x", thread_state=state
    )
    section_a = text.index("> #### Sub-agent researcher: research topic A")
    section_b = text.index("> #### Sub-agent researcher: research topic B")
    assert section_a < section_b
    assert "> Researching research topic A" in text[section_a:section_b]
    # outside the quoted sections no line of a sub-agent appears
    loose = [ln for ln in text.splitlines() if "Researching" in ln and not ln.startswith(">")]
    assert loose == []
    tail = text[text.index("## Plan") :]
    assert "- [x] Research A" in tail and "- [ ] Write report *(in progress)*" in tail
    assert "## Files" in tail and "`/report.md` — 9 B, changed 2026-12-02T00:57" in tail


def test_json_export_puts_a_subagent_list_on_its_task_call(store: Store) -> None:
    events = recorded(PARALLEL)
    cid = record(store, events)
    conversation = store.get_conversation(cid)
    assert conversation is not None
    state = ThreadState((Todo("Research A"),), {"/a.md": StateFile("/a.md", "hi")})
    doc = json.loads(
        export_json(
            conversation, store.messages(cid), agent_name="Deep", url="u", thread_state=state
        )
    )
    assert all(m["role"] != "ai" or "Researching" not in m["content"] for m in doc["messages"])
    calls = [c for m in doc["messages"] for c in m["tool_calls"] if c["name"] == "task"]
    assert [c["subagent"][0]["content"] for c in calls] == [
        "Researching research topic A",
        "Researching research topic B",
    ]
    assert doc["plan"] == [{"content": "Research A", "status": "pending"}]
    assert doc["files"]["/a.md"]["content"] == "hi"


def test_the_recordings_carry_what_the_tests_rely_on() -> None:
    plan = recorded("deep_plan_subagent_approval.sse")
    assert [e.todos for e in plan if isinstance(e, PlanUpdated)][-1] == (
        Todo("Mail Ada", "in_progress"),
        Todo("Report", "pending"),
    )
    written = recorded("deep_resume_writes_file.sse")
    (change,) = [e for e in written if isinstance(e, FilesChanged)]
    assert list(change.files) == ["/report.md"]


def test_sizes_are_shown_in_decimal_units() -> None:
    assert human_size(0) == "0 B"
    assert human_size(999) == "999 B"
    assert human_size(1000) == "1.0 KB"
    assert human_size(4_200) == "4.2 KB"
    assert human_size(999_949) == "999.9 KB"
    assert human_size(999_950) == "1.0 MB"  # never "1000.0 KB"
    assert human_size(1_000_000) == "1.0 MB"
    assert human_size(20_000_000) == "20.0 MB"
    assert human_size(2_500_000_000) == "2.5 GB"
