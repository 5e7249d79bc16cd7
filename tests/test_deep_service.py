"""The conversation service with a deep agent: the plan and files live, saved, restored on
reopening (from the store, and from `/state` into a fresh store), and the status line naming the
sub-agents at work. The server is a replay of runs recorded from the real one (tests/data)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import httpx
import pytest

from fleet_tui.agent_server.client import FleetClient
from fleet_tui.domain.deep_state import StateFile, Todo
from fleet_tui.domain.transcript import AssistantItem
from fleet_tui.services.conversation_service import ConversationService
from fleet_tui.services.service_events import (
    Activity,
    ActivityChanged,
    FilesUpdated,
    PlanChanged,
    ServiceEvent,
    activity_label,
    subagents_detail,
)
from fleet_tui.storage.store import Store

DATA = Path(__file__).parent / "data"
THREAD = "01a23442-479e-708a-97a0-b1a873e642ae"


class Replay:
    """A server that answers every run with one recorded stream and `/state` with a
    recorded state."""

    def __init__(self, recording: str, state: dict[str, Any]) -> None:
        self.body = (DATA / recording).read_bytes()
        first = self.body.split(b"data: ", 1)[1].split(b"\n", 1)[0]
        self.run_id = json.loads(first)["run_id"]
        self.state = state
        self.requests: list[str] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.requests.append(f"{request.method} {path}")
        if request.method == "POST" and path == "/threads":
            return httpx.Response(200, json={"thread_id": THREAD, "status": "idle"})
        if path.endswith("/runs/stream"):
            headers = {
                "content-type": "text/event-stream",
                "Content-Location": f"/threads/{THREAD}/runs/{self.run_id}",
                "Location": f"/threads/{THREAD}/runs/{self.run_id}/stream",
            }
            return httpx.Response(200, content=self.body, headers=headers)
        if path == f"/threads/{THREAD}/state":
            return httpx.Response(200, json=self.state)
        if path == f"/threads/{THREAD}":
            return httpx.Response(200, json={"thread_id": THREAD, "status": "idle"})
        if path.startswith(f"/threads/{THREAD}/runs/"):
            return httpx.Response(200, json={"run_id": self.run_id, "status": "success"})
        return httpx.Response(404, json={"detail": f"not replayed: {path}"})


class Harness:
    def __init__(self, replay: Replay, path: Path) -> None:
        self.store = Store.open(path)
        self.replay = replay
        transport = httpx.MockTransport(replay.handle)
        self.client = FleetClient("http://replay", "deep", "key", transport=transport)
        self.agent = self.store.ensure_agent("http://replay", "deep")
        self.tasks: list[asyncio.Task[Any]] = []
        self.events: list[ServiceEvent] = []
        self.service = ConversationService(
            self.store, self.spawn, client=lambda _agent: self.client
        )
        self.service.subscribe(self.events.append)

    def spawn(self, work: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(work, name=name)
        self.tasks.append(task)
        return task

    async def settle(self) -> None:
        async with asyncio.timeout(30):
            while pending := [t for t in self.tasks if not t.done()]:
                await asyncio.wait(pending)

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    async def close(self) -> None:
        await self.client.aclose()
        self.store.close()


def _state(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text())


PLAN = (Todo("Mail Ada", "in_progress"), Todo("Report", "pending"))
PLAN_STATE = {
    "values": {
        "messages": [],
        "todos": [{"content": t.content, "status": t.status} for t in PLAN],
        "files": {},
    },
    "tasks": [],
}


async def test_the_plan_is_live_saved_and_back_on_reopening(tmp_path: Path) -> None:
    replay = Replay("deep_plan_subagent_approval.sse", PLAN_STATE)
    h = Harness(replay, tmp_path / "s.db")
    state = h.service.create(h.agent.id)
    h.service.send(state.id, "mail ada")
    await h.settle()
    assert state.plan == PLAN
    assert [e.todos for e in h.of(PlanChanged)][-1] == PLAN
    assert h.store.thread_state(state.id).todos == PLAN
    await h.close()

    # a new service over the same store: the plan is there at once, before any refresh
    again = Harness(replay, tmp_path / "s.db")
    reopened = again.service.open(state.id, refresh=False)
    assert reopened is not None and reopened.plan == PLAN
    assert [e.todos for e in again.of(PlanChanged)] == [PLAN]
    await again.close()


async def test_a_fresh_store_gets_the_plan_and_files_from_the_server(tmp_path: Path) -> None:
    files = {"/report.md": {"content": "# Report\n", "encoding": "utf-8", "modified_at": "x"}}
    replay = Replay("deep_plan_subagent_approval.sse", {
        "values": {"messages": [], "todos": PLAN_STATE["values"]["todos"], "files": files},
        "tasks": [],
    })  # fmt: skip
    h = Harness(replay, tmp_path / "fresh.db")
    state = h.service.attach_thread(h.agent.id, THREAD)
    assert state.plan == () and h.of(PlanChanged) == []
    h.service.refresh(state.id)
    await h.settle()
    expected = {"/report.md": StateFile("/report.md", "# Report\n", "utf-8", None, "x")}
    assert state.plan == PLAN and state.files == expected
    assert h.of(PlanChanged)[-1].todos == PLAN
    assert h.of(FilesUpdated)[-1].files == expected
    assert h.store.thread_state(state.id).todos == PLAN
    assert h.store.thread_state(state.id).files == expected
    await h.close()


async def test_files_written_by_a_run_are_saved_once_at_its_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    replay = Replay("deep_resume_writes_file.sse", _state("deep_parallel_subagents.state.json"))
    h = Harness(replay, tmp_path / "s.db")
    saves: list[int] = []
    save_files = h.store.save_files

    def counted(cid: int, files: dict[str, StateFile]) -> None:
        saves.append(cid)
        save_files(cid, files)

    monkeypatch.setattr(h.store, "save_files", counted)
    state = h.service.create(h.agent.id)
    h.service.send(state.id, "write it")
    await h.settle()
    assert list(state.files) == ["/report.md"]
    assert list(h.of(FilesUpdated)[-1].files) == ["/report.md"]
    assert saves == [state.id]
    assert list(h.store.thread_state(state.id).files) == ["/report.md"]
    await h.close()


async def test_the_status_line_names_the_sub_agents_at_work(tmp_path: Path) -> None:
    replay = Replay("deep_parallel_subagents.sse", _state("deep_parallel_subagents.state.json"))
    h = Harness(replay, tmp_path / "s.db")
    state = h.service.create(h.agent.id)
    h.service.send(state.id, "do it")
    await h.settle()
    labels = [e.label for e in h.of(ActivityChanged)]
    # from the `task` calls until both results are in, the line names the sub-agents
    start = labels.index("tool task") + 1
    end = labels.index("thinking", start)
    assert labels[start:end] == [
        "researcher: starting",
        "2 sub-agents: researcher ×2",
        "researcher: writing",  # one has its result; the other writes its findings
    ]
    # the sub-agents' text is in their cards, not in the reply
    main = " ".join(i.text for i in state.transcript.items if isinstance(i, AssistantItem))
    assert "Researching" not in main
    cards = [t for t in state.transcript.tools if t.name == "task"]
    assert len(cards) == 2 and all(c.subagent is not None for c in cards)
    assert cards[0].subagent is not cards[1].subagent
    await h.close()


def test_activity_wording() -> None:
    assert subagents_detail([("researcher", "calling ls")]) == "researcher: calling ls"
    assert (
        subagents_detail([("researcher", "writing"), ("critic", "x"), ("researcher", "y")])
        == "3 sub-agents: researcher ×2, critic"
    )
    assert activity_label(Activity.SUBAGENT, "researcher: writing") == "researcher: writing"
    assert activity_label(Activity.SUBAGENT) == "sub-agent"


async def test_sub_agent_runs_are_back_in_their_cards_after_a_restart(tmp_path: Path) -> None:
    replay = Replay("deep_parallel_subagents.sse", _state("deep_parallel_subagents.state.json"))
    h = Harness(replay, tmp_path / "s.db")
    state = h.service.create(h.agent.id)
    h.service.send(state.id, "do it")
    await h.settle()
    await h.close()

    again = Harness(replay, tmp_path / "s.db")
    reopened = again.service.open(state.id, refresh=False)
    assert reopened is not None
    cards = [t for t in reopened.transcript.tools if t.name == "task"]
    runs = [c.subagent for c in cards]
    assert [c.agent for c in cards] == ["researcher", "researcher"]
    texts = [next(i.text for i in r.items if isinstance(i, AssistantItem)) for r in runs if r]
    assert texts == ["Researching research topic A", "Researching research topic B"]
    main = " ".join(i.text for i in reopened.transcript.items if isinstance(i, AssistantItem))
    assert "Researching" not in main
    await again.close()


def test_a_megabyte_file_rewritten_twenty_times_in_a_run_is_written_once(tmp_path: Path) -> None:
    from fleet_tui.domain.events import FilesChanged, RunEnded, RunStarted
    from fleet_tui.domain.transcript import Transcript
    from fleet_tui.services.conversation_state import ConversationState
    from fleet_tui.services.deep_tracking import DeepTracking

    store = Store.open(tmp_path / "s.db")
    conversation = store.create_conversation(store.ensure_agent("http://x", "a").id)
    state = ConversationState(conversation, Transcript())
    emitted: list[ServiceEvent] = []
    tracking = DeepTracking(store, emitted.append)
    writes: list[int] = []
    save_files = store.save_files
    store.save_files = lambda cid, files: (writes.append(cid), save_files(cid, files))[1]  # type: ignore[method-assign]
    tracking.deliver(state, RunStarted("r", "t"), running=True)
    for n in range(20):
        content = str(n) * 1_000_000
        tracking.deliver(
            state, FilesChanged({"/big.md": StateFile("/big.md", content)}), running=True
        )
    assert writes == [] and len([e for e in emitted if isinstance(e, FilesUpdated)]) == 20
    tracking.deliver(state, RunEnded("r", "success"), running=True)
    tracking.run_finished(state)
    assert writes == [conversation.id]
    assert store.thread_state(conversation.id).files["/big.md"].content == "19" * 1_000_000
    store.close()
