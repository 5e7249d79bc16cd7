"""What a reply cost, against the real Agent Server: graphs whose scripted model reports
`usage_metadata` and its name (`usage`, `usage_tools`, and the demo's deep agent, whose
sub-agent reports too) and one whose model reports nothing (`scripted`).

Checked: the normaliser, the store and the transcript agree with what `/state` keeps; totals
count every model call once, a tool-calling step and the sub-agents' included; everything
survives a restart; a reply made elsewhere brings its cost on refresh; the pane shows it on `u`
(and the status line the totals), and a reply without usage shows nothing.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import httpx
import pytest
from app_harness import idle, make_app, profile_for, type_and_send, wait_until
from server_fixture import AgentServer, replies
from test_ask import agent_env, run_ask
from test_message_pane import screen_text

from fleet_tui.agent_server.client import FleetClient
from fleet_tui.domain.transcript import AssistantItem
from fleet_tui.domain.transcript_usage import conversation_usage
from fleet_tui.domain.usage import Usage, usage_of, usage_words
from fleet_tui.services.conversation_service import ConversationService
from fleet_tui.storage.store import Store
from fleet_tui.tui.widgets.message_pane import MessagePane
from fleet_tui.tui.widgets.status import RunStatus

pytestmark = pytest.mark.server

MODEL = "scripted-usage-1"  # tests/server/graphs.py
DEMO_MODEL = "demo-scripted-1"  # fleet_tui/demo/agent.py


class Service:
    """The conversation service as `ask` runs it: asyncio tasks."""

    def __init__(self, server: AgentServer, graph: str, path: Path) -> None:
        self.store = Store.open(path)
        self.agent_id = server.assistant_id(graph)
        self.client = FleetClient(server.url, self.agent_id, server.owner_key)
        self.agent = self.store.ensure_agent(server.url, self.agent_id)
        self.tasks: list[asyncio.Task[Any]] = []
        self.service = ConversationService(
            self.store, self.spawn, client=lambda _agent: self.client
        )

    def spawn(self, work: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(work, name=name)
        self.tasks.append(task)
        return task

    async def settle(self, timeout: float = 60) -> None:
        async with asyncio.timeout(timeout):
            while pending := [t for t in self.tasks if not t.done()]:
                await asyncio.wait(pending)

    async def server_usage(self, thread_id: str) -> dict[str, Usage | None]:
        """Each AI message's cost as `/state` keeps it, by id."""
        state = await self.client.get_thread_state(thread_id)
        return {m["id"]: usage_of(m) for m in state["values"]["messages"] if m.get("type") == "ai"}

    async def close(self) -> None:
        await self.client.aclose()
        self.store.close()


def same_counts(a: Usage | None, b: Usage | None) -> bool:
    """Model and tokens equal (the wall time is only known of replies streamed here)."""
    if a is None or b is None:
        return a is b
    return (a.model, a.input_tokens, a.output_tokens, a.total_tokens) == (
        b.model,
        b.input_tokens,
        b.output_tokens,
        b.total_tokens,
    )


async def test_usage_is_read_stored_summed_and_survives_a_restart(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    h = Service(agent_server, "usage", tmp_path / "s.db")
    state = h.service.create(h.agent.id)
    h.service.send(state.id, "hello there")
    await h.settle()
    h.service.send(state.id, "and again")
    await h.settle()
    thread_id = state.conversation.thread_id
    assert thread_id
    on_server = await h.server_usage(thread_id)
    assert len(on_server) == 2 and all(
        u is not None and u.model == MODEL for u in on_server.values()
    )

    replies_shown = [i for i in state.transcript.items if isinstance(i, AssistantItem)]
    assert [r.text for r in replies_shown] == [
        replies.echo_reply("hello there", 1),
        replies.echo_reply("and again", 2),
    ]
    for reply in replies_shown:
        assert same_counts(reply.usage, on_server[reply.message_id])
        assert reply.usage is not None and reply.usage.seconds is not None
        assert 0 < reply.usage.seconds < 30
    # the second turn reads the first: it costs more to read
    first, second = (r.usage for r in replies_shown)
    assert first and second and (second.input_tokens or 0) > (first.input_tokens or 0)
    totals = conversation_usage(state.transcript)
    assert totals.calls == 2
    assert totals.input_tokens == sum(u.input_tokens or 0 for u in on_server.values() if u)
    assert totals.output_tokens == sum(u.output_tokens or 0 for u in on_server.values() if u)

    stored = {m.server_id: m.usage for m in h.store.messages(state.id) if m.role == "ai"}
    assert stored == {r.message_id: r.usage for r in replies_shown}  # wall time included
    await h.close()

    # a restart: a new store connection and service rebuild it all from the file
    again = Service(agent_server, "usage", tmp_path / "s.db")
    reopened = again.service.open(state.id, refresh=True)
    assert reopened is not None
    await again.settle()
    shown = {
        i.message_id: i.usage for i in reopened.transcript.items if isinstance(i, AssistantItem)
    }
    assert shown == stored
    assert conversation_usage(reopened.transcript) == totals
    await again.close()


async def test_a_tool_calling_step_counts_in_the_totals(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    h = Service(agent_server, "usage_tools", tmp_path / "s.db")
    state = h.service.create(h.agent.id)
    h.service.send(state.id, "the answer")
    await h.settle()
    assert state.conversation.thread_id
    on_server = await h.server_usage(state.conversation.thread_id)
    assert len(on_server) == 2  # the call, then the answer: two model calls
    totals = conversation_usage(state.transcript)
    assert totals.calls == 2
    assert totals.total_tokens == sum(u.total_tokens or 0 for u in on_server.values() if u)
    # only the answer has text to show its cost under
    (answer,) = [i for i in state.transcript.items if isinstance(i, AssistantItem)]
    assert answer.text == replies.tools_answer("the answer")
    assert same_counts(answer.usage, on_server[answer.message_id])
    await h.close()


async def test_a_reply_without_usage_has_none(agent_server: AgentServer, tmp_path: Path) -> None:
    h = Service(agent_server, "scripted", tmp_path / "s.db")
    state = h.service.create(h.agent.id)
    h.service.send(state.id, "hello there")
    await h.settle()
    (reply,) = [i for i in state.transcript.items if isinstance(i, AssistantItem)]
    assert reply.usage is None and usage_words(reply.usage) == ""
    assert not conversation_usage(state.transcript)
    assert all(m.usage is None for m in h.store.messages(state.id))
    await h.close()


async def test_a_reply_made_elsewhere_brings_its_cost_on_refresh(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    h = Service(agent_server, "usage", tmp_path / "s.db")
    state = h.service.create(h.agent.id)
    h.service.send(state.id, "hello there")
    await h.settle()
    thread_id = state.conversation.thread_id
    assert thread_id
    # another client (the web UI, the SDK) runs a turn on the same thread
    async with httpx.AsyncClient(
        base_url=agent_server.url, headers=agent_server.headers(), timeout=60
    ) as web:
        body = {
            "assistant_id": h.agent_id,
            "input": {"messages": [{"role": "user", "content": "from the web"}]},
        }
        response = await web.post(f"/threads/{thread_id}/runs/wait", json=body)
        assert response.status_code == 200
    await h.service.refresh_now(state.id)
    on_server = await h.server_usage(thread_id)
    elsewhere = [m for m in h.store.messages(state.id) if m.role == "ai"][-1]
    assert elsewhere.content == replies.echo_reply("from the web", 2)
    assert elsewhere.usage is not None and elsewhere.usage.seconds is None  # not timed here
    assert same_counts(elsewhere.usage, on_server[elsewhere.server_id or ""])
    totals = conversation_usage(state.transcript)
    assert totals.calls == 2
    assert totals.input_tokens == sum(u.input_tokens or 0 for u in on_server.values() if u)
    await h.close()


async def test_subagents_count_in_the_totals(agent_server: AgentServer, tmp_path: Path) -> None:
    h = Service(agent_server, "agent", tmp_path / "s.db")  # the demo's deep agent
    state = h.service.create(h.agent.id)
    h.service.send(state.id, "research the history of tea")
    await h.settle(120)
    assert state.conversation.thread_id
    on_server = await h.server_usage(state.conversation.thread_id)
    # a deep agent's `/state` keeps each reply's model name but not its usage_metadata
    # (deepagents rebuilds the messages of its state): the stream is where the counts are
    assert on_server and all(u == Usage(DEMO_MODEL) for u in on_server.values())
    own = conversation_usage(state.transcript, subagents=False)
    every = conversation_usage(state.transcript)
    # the agent's own replies are the thread's; the researcher's are on top of them
    assert own.calls == len(on_server) and own.models == [DEMO_MODEL]
    assert set(state.transcript.usage) == set(on_server)
    assert own.input_tokens > 0 and own.output_tokens > 0
    nested = [m for m in h.store.messages(state.id) if m.parent_call_id and m.role == "ai"]
    assert nested and all(m.usage is not None for m in nested)
    assert every.calls == own.calls + len(nested)
    assert every.output_tokens == own.output_tokens + sum(
        m.usage.output_tokens or 0 for m in nested if m.usage
    )
    await h.close()

    again = Service(agent_server, "agent", tmp_path / "s.db")  # restart: sub-agents from rows
    reopened = again.service.open(state.id, refresh=False)
    assert reopened is not None
    assert conversation_usage(reopened.transcript) == every
    await again.close()


# -- the TUI ---------------------------------------------------------------------------------


def usage_lines(text: str) -> list[str]:
    return [line.strip(" ▎▌│") for line in text.splitlines() if " in · " in line and "out" in line]


async def test_u_shows_each_replys_cost_and_the_totals(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    app = make_app(tmp_path, profile_for(agent_server, "usage"))
    async with app.run_test(size=(120, 40)) as pilot:
        await type_and_send(pilot, "hello there")
        await wait_until(pilot, lambda: idle(app) and app.chat.current is not None)
        await wait_until(pilot, lambda: not app.chat.pane.has_pending_render)
        assert usage_lines(screen_text(app)) == []  # hidden until asked for
        pane = app.chat.query_one(MessagePane)
        pane.focus()
        await pilot.press("u")
        await pilot.pause(0.1)
        state = app.chat.current
        assert state is not None
        (reply,) = [i for i in state.transcript.items if isinstance(i, AssistantItem)]
        words = usage_words(reply.usage)
        assert words.startswith(f"{MODEL} · ") and words.endswith(" s")
        assert words in screen_text(app)
        status = str(app.chat.query_one(RunStatus).render())
        totals = conversation_usage(state.transcript)
        assert (
            f"Σ {totals.input_tokens:,} in · {totals.output_tokens:,} out · 1 model call" in status
        )
        await pilot.press("u")
        await pilot.pause(0.1)
        assert words not in screen_text(app)
        assert "Σ" not in str(app.chat.query_one(RunStatus).render())
        conversation_id = state.id
    app.store.close()

    # a restart: the same store, the cost shown again from it (and at 80x24)
    again = make_app(tmp_path, profile_for(agent_server, "usage"))
    async with again.run_test(size=(80, 24)) as pilot:
        again.chat.open_conversation(conversation_id)
        again.chat.action_toggle_usage()  # the palette's "Show usage"
        await wait_until(pilot, lambda: words in screen_text(again), what="the usage line")
        status = str(again.chat.query_one(RunStatus).render())
        assert f"Σ {totals.input_tokens:,} in" in status
    again.store.close()


async def test_a_reply_without_usage_shows_no_line(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    app = make_app(tmp_path, profile_for(agent_server, "scripted"))
    async with app.run_test(size=(120, 40)) as pilot:
        await type_and_send(pilot, "hello there")
        await wait_until(pilot, lambda: idle(app))
        app.chat.action_toggle_usage()
        await pilot.pause(0.2)
        assert app.chat.pane.show_usage
        text = screen_text(app)
        assert "Echo 1" in text
        assert usage_lines(text) == [] and " 0 in" not in text
        assert "Σ" not in str(app.chat.query_one(RunStatus).render())
    app.store.close()


# -- ask --json --------------------------------------------------------------------------------


def test_ask_json_ends_with_what_the_run_cost(agent_server: AgentServer, tmp_path: Path) -> None:
    result = run_ask(tmp_path, "--json", "the answer", env=agent_env(agent_server, "usage_tools"))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    costs = [
        line["usage"]
        for line in lines
        if line["kind"] == "message_complete" and line["usage"] is not None
    ]
    assert len(costs) == 2 and all(c["model"] == MODEL and c["seconds"] > 0 for c in costs)
    assert lines[-1] == {
        "kind": "usage",
        "namespace": "",
        "model_calls": 2,
        "input_tokens": sum(c["input_tokens"] for c in costs),
        "output_tokens": sum(c["output_tokens"] for c in costs),
        "total_tokens": sum(c["total_tokens"] for c in costs),
        "models": [MODEL],
    }
    # a model that reports nothing: no usage line at all
    plain = run_ask(tmp_path, "--json", "hi", env=agent_env(agent_server, "scripted"))
    assert plain.returncode == 0, plain.stderr
    assert all(json.loads(line)["kind"] != "usage" for line in plain.stdout.splitlines())
