"""The conversation service against the real Agent Server: send, queue, cancel, resume, the
409 "thread busy" question, refresh — and `ask` and the TUI hearing the same events."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest
from app_harness import idle, make_app, profile_for, type_and_send, wait_until
from server_fixture import AgentServer, replies

from fleet_tui import main as cli
from fleet_tui.agent_server.client import FleetClient
from fleet_tui.domain.events import InterruptRequest, RunStarted, TextDelta
from fleet_tui.domain.transcript import AssistantItem, InterruptItem, UserItem
from fleet_tui.services.conversation_service import ConversationService
from fleet_tui.services.service_events import (
    BusyChoice,
    InterruptsPending,
    Queued,
    RunBegan,
    RunEventFor,
    RunFinished,
    ServiceEvent,
    ThreadBusy,
    event_summary,
)
from fleet_tui.storage.store import Store

pytestmark = pytest.mark.server


class Harness:
    """A service as `ask` builds one: asyncio tasks, every event kept."""

    def __init__(self, server: AgentServer, graph: str, path: Path) -> None:
        self.store = Store.open(path)
        agent_id = server.assistant_id(graph)
        self.client = FleetClient(server.url, agent_id, server.owner_key)
        self.agent = self.store.ensure_agent(server.url, agent_id)
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

    async def settle(self, timeout: float = 60) -> None:
        """Until every task (and those they started) is done."""
        async with asyncio.timeout(timeout):
            while pending := [t for t in self.tasks if not t.done()]:
                await asyncio.wait(pending)

    async def until(self, predicate: Any, timeout: float = 30) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                await asyncio.sleep(0.02)

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    def stream(self, kind: type[Any]) -> list[Any]:
        return [e.event for e in self.of(RunEventFor) if isinstance(e.event, kind)]

    async def close(self) -> None:
        await self.client.aclose()
        self.store.close()


def texts(items: list[Any]) -> list[str]:
    return [i.text for i in items if isinstance(i, AssistantItem)]


async def test_send_streams_records_and_reports(agent_server: AgentServer, tmp_path: Path) -> None:
    h = Harness(agent_server, "scripted", tmp_path / "s.db")
    state = h.service.create(h.agent.id)
    h.service.send(state.id, "hello there")
    await h.settle()
    assert texts(state.transcript.items) == [replies.echo_reply("hello there", 1)]
    assert isinstance(h.events[0], RunBegan)
    (finished,) = h.of(RunFinished)
    assert finished.status == "success" and not finished.busy and finished.failure is None
    assert state.runner is None and state.conversation.thread_id
    stored = h.store.messages(state.id)
    assert [m.role for m in stored] == ["human", "ai"]
    assert stored[1].content == replies.echo_reply("hello there", 1)
    await h.close()


async def test_a_message_sent_during_a_run_is_queued_then_sent(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    h = Harness(agent_server, "slow", tmp_path / "s.db")
    state = h.service.create(h.agent.id)
    h.service.send(state.id, "tokens=10 delay=0.05")
    assert h.service.send(state.id, "tokens=3 delay=0") is None
    assert [q.text for q in state.queued] == ["tokens=3 delay=0"]
    assert h.of(Queued)
    await h.settle()
    assert [f.status for f in h.of(RunFinished)] == ["success", "success"]
    assert texts(state.transcript.items) == [replies.slow_reply(10), replies.slow_reply(3)]
    users = [i.text for i in state.transcript.items if isinstance(i, UserItem)]
    assert users == ["tokens=10 delay=0.05", "tokens=3 delay=0"]
    await h.close()


async def test_cancel_stops_the_run_on_the_server_and_keeps_the_partial_reply(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    h = Harness(agent_server, "slow", tmp_path / "s.db")
    state = h.service.create(h.agent.id)
    h.service.send(state.id, "tokens=300 delay=0.05")
    await h.until(lambda: len(h.stream(TextDelta)) >= 3)
    runner = state.runner
    assert runner is not None
    assert await h.service.cancel(state.id) is None
    await h.settle()
    assert runner.cancel_confirmed
    assert [f.status for f in h.of(RunFinished)] == ["cancelled"]
    partial = texts(state.transcript.items)[0]
    assert partial and replies.slow_reply(300).startswith(partial)
    saved = h.store.get_conversation(state.id)
    assert saved is not None and saved.status == "cancelled"
    (ai,) = [m for m in h.store.messages(state.id) if m.role == "ai"]
    assert replies.slow_reply(300).startswith(ai.content) and not ai.complete
    await h.close()


async def test_resume_answers_each_interrupt_by_its_id(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    h = Harness(agent_server, "hitl", tmp_path / "s.db")
    state = h.service.create(h.agent.id)
    h.service.send(state.id, "please send the report")
    await h.settle()
    assert h.of(RunFinished)[-1].status == "interrupted"
    (pending,) = h.of(InterruptsPending)
    (request,) = pending.interrupts
    assert isinstance(request, InterruptRequest) and request.id
    assert state.interrupts == {request.id: request}  # held with its response schema
    (item,) = state.pending_items()
    assert isinstance(item, InterruptItem) and item.id == request.id
    # the answer keyed by the interrupt's id, as with several pending
    approve = {"decisions": [{"type": "approve"}]}
    h.service.resume(state.id, {request.id: approve})
    await h.settle()
    assert h.of(RunFinished)[-1].status == "success"
    args = replies.hitl_args("please send the report")
    assert texts(state.transcript.items)[-1] == replies.hitl_final("approve", args)
    assert not state.interrupts
    await h.close()


async def test_a_busy_thread_is_a_question_then_the_choice_is_carried_out(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    first = Harness(agent_server, "slow", tmp_path / "a.db")
    other = Harness(agent_server, "slow", tmp_path / "b.db")
    running = first.service.create(first.agent.id)
    first.service.send(running.id, "tokens=40 delay=0.05")
    await first.until(lambda: first.stream(RunStarted))
    thread_id = running.conversation.thread_id
    assert thread_id
    mine = other.service.attach_thread(other.agent.id, thread_id)
    other.service.send(mine.id, "tokens=3 delay=0")
    await other.settle()
    (busy,) = other.of(ThreadBusy)
    assert busy.text == "tokens=3 delay=0"
    assert other.of(RunFinished)[-1].busy
    other.service.answer_busy(mine.id, busy.text, BusyChoice.ENQUEUE)
    await asyncio.gather(first.settle(), other.settle())
    assert first.of(RunFinished)[-1].status == "success"
    assert other.of(RunFinished)[-1].status == "success"
    assert texts(mine.transcript.items)[-1] == replies.slow_reply(3)
    # the message was shown and stored once, not again after the question
    users = [m for m in other.store.messages(mine.id) if m.role == "human"]
    assert [m.content for m in users] == ["tokens=3 delay=0"]
    await first.close()
    await other.close()


async def test_refresh_brings_what_was_added_elsewhere(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    elsewhere = Harness(agent_server, "scripted", tmp_path / "a.db")
    here = Harness(agent_server, "scripted", tmp_path / "b.db")
    state = elsewhere.service.create(elsewhere.agent.id)
    elsewhere.service.send(state.id, "first words")
    await elsewhere.settle()
    thread_id = state.conversation.thread_id
    assert thread_id
    mine = here.service.attach_thread(here.agent.id, thread_id)
    assert here.service.open(mine.id) is mine  # opening reconciles with the server
    await here.settle()
    assert texts(mine.transcript.items) == [replies.echo_reply("first words", 1)]
    assert [m.role for m in here.store.messages(mine.id)] == ["human", "ai"]
    await elsewhere.close()
    await here.close()


# -- one service for both: ask and the TUI hear the same events ----------------------------


def _recording_services(monkeypatch: pytest.MonkeyPatch) -> list[list[ServiceEvent]]:
    heard: list[list[ServiceEvent]] = []
    original = ConversationService.__init__

    def init(self: ConversationService, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        log: list[ServiceEvent] = []
        heard.append(log)
        self.subscribe(log.append)

    monkeypatch.setattr(ConversationService, "__init__", init)
    return heard


def test_ask_and_the_tui_go_through_the_same_service(
    agent_server: AgentServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    heard = _recording_services(monkeypatch)
    # ask, in this process
    for name in ("FLEET_API_URL", "FLEET_AGENT_ID", "LANGGRAPH_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("FLEET_API_URL", agent_server.url)
    monkeypatch.setenv("FLEET_AGENT_ID", agent_server.assistant_id("tools"))
    monkeypatch.setenv("LANGGRAPH_API_KEY", agent_server.owner_key)
    from fleet_tui.cli.ask import run_ask

    args = cli.build_parser().parse_args(["ask", "--thread", "new", "the same question"])
    out, err = io.StringIO(), io.StringIO()
    assert run_ask(args, stdin=io.StringIO(), out=out, err=err) == 0, err.getvalue()
    ask_events = [e for log in heard for e in log]
    heard.clear()

    # the TUI, sending the same message to the same graph
    async def tui() -> None:
        app = make_app(tmp_path / "tui", profile_for(agent_server, "tools"))
        async with app.run_test() as pilot:
            await wait_until(pilot, lambda: app.connection_state == "connected")
            await type_and_send(pilot, "the same question")
            await wait_until(pilot, lambda: idle(app), what="the run to end")

    (tmp_path / "tui").mkdir()
    asyncio.run(tui())
    tui_events = [e for log in heard for e in log]
    ask_run = [event_summary(e) for e in ask_events]
    tui_run = [event_summary(e) for e in tui_events]
    assert any(kind == "run" for kind, *_ in ask_run)
    assert ask_run == tui_run
    assert replies.tool_result("the same question") is not None


async def test_retry_sends_again_the_message_of_the_chosen_error(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    from fleet_tui.domain.transcript import ErrorItem

    h = Harness(agent_server, "fail", tmp_path / "s.db")
    state = h.service.create(h.agent.id, stateless=True)
    for text in ("first question", "second question"):
        h.service.send(state.id, text)
        await h.settle()
    errors = [i for i, item in enumerate(state.transcript.items) if isinstance(item, ErrorItem)]
    assert len(errors) == 2
    # the agent works again; the user retries the *first* failure, not the latest message
    failing = h.client
    h.client = FleetClient(
        agent_server.url, agent_server.assistant_id("scripted"), agent_server.owner_key
    )
    h.service.retry(state.id, errors[0])
    await h.settle()
    assert texts(state.transcript.items) == [replies.echo_reply("first question", 1)]
    await failing.aclose()
    await h.close()
