"""Dropped, stalled and garbled streams between the client and the real server."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fault_proxy import FaultProxy, fault_proxy
from server_fixture import AgentServer, replies
from test_ask import agent_env, isolated_env

from fleet_tui.agent_server.client import FleetClient
from fleet_tui.domain.events import Event, Reconnecting, RunEnded, RunError, TextDelta
from fleet_tui.services.runner import TurnRunner
from fleet_tui.storage.store import Store

pytestmark = pytest.mark.server

SLOW = "tokens=60 delay=0.01"


@pytest.fixture
def proxy(agent_server: AgentServer) -> Iterator[FaultProxy]:
    with fault_proxy(agent_server.url) as running:
        yield running


def client_for(
    server: AgentServer, proxy: FaultProxy, graph: str = "slow", **kw: object
) -> FleetClient:
    return FleetClient(
        proxy.url,
        server.assistant_id(graph),
        server.owner_key,
        backoff_base=0.05,
        **kw,  # type: ignore[arg-type]
    )


async def run_on_thread(client: FleetClient, text: str) -> list[Event]:
    thread = await client.create_thread()
    payload = {"messages": [{"role": "user", "content": text}]}
    return [e async for e in client.stream_run(payload, thread_id=thread["thread_id"])]


def reply_text(events: list[Event]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


async def test_cut_stream_is_rejoined_with_the_exact_text(
    agent_server: AgentServer, proxy: FaultProxy
) -> None:
    proxy.faults.cut_after = 12
    async with client_for(agent_server, proxy) as client:
        events = await run_on_thread(client, SLOW)
    assert reply_text(events) == replies.slow_reply(60)
    assert [e.attempt for e in events if isinstance(e, Reconnecting)] == [1]
    assert not any(isinstance(e, RunError) for e in events)
    assert isinstance(events[-1], RunEnded) and events[-1].status == "success"
    rejoin_ids = [i for i in proxy.faults.last_event_ids if i is not None]
    assert rejoin_ids, "the client rejoined with a Last-Event-ID"


async def test_many_cuts_still_give_the_exact_text(
    agent_server: AgentServer, proxy: FaultProxy
) -> None:
    proxy.faults.cut_after = 7
    proxy.faults.faulty_streams = 4  # the first stream and three rejoins are each cut
    async with client_for(agent_server, proxy, max_reconnects=6) as client:
        events = await run_on_thread(client, SLOW)
    assert reply_text(events) == replies.slow_reply(60)
    assert sum(isinstance(e, Reconnecting) for e in events) == 4


async def test_stall_does_not_kill_a_healthy_run(
    agent_server: AgentServer, proxy: FaultProxy
) -> None:
    proxy.faults.stall_after = 5
    proxy.faults.stall_seconds = 2.0
    async with client_for(agent_server, proxy) as client:
        events = await run_on_thread(client, "tokens=20 delay=0.01")
    assert reply_text(events) == replies.slow_reply(20)
    assert not any(isinstance(e, Reconnecting) for e in events)


async def test_garbage_event_is_an_error_block_and_the_text_survives(
    agent_server: AgentServer, proxy: FaultProxy
) -> None:
    proxy.faults.garbage_after = 4
    async with client_for(agent_server, proxy) as client:
        events = await run_on_thread(client, "tokens=20 delay=0.01")
    assert reply_text(events) == replies.slow_reply(20)
    errors = [e for e in events if isinstance(e, RunError)]
    assert len(errors) == 1 and "not valid JSON" in errors[0].message


async def test_after_the_retry_limit_the_partial_reply_is_saved_and_marked(
    agent_server: AgentServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    proxy.faults.cut_after = 10
    proxy.faults.rejoin_cut_after = 0
    proxy.faults.faulty_streams = 100
    store = Store.open(tmp_path / "store.db")
    agent = store.ensure_agent(proxy.url, agent_server.assistant_id("slow"))
    conversation = store.create_conversation(agent.id)
    seen: list[Event] = []
    async with client_for(agent_server, proxy, max_reconnects=2) as client:
        runner = TurnRunner(client, store, conversation, seen.append)
        status = await runner.send(SLOW)
    assert status == "error"
    assert sum(isinstance(e, Reconnecting) for e in seen) == 2
    messages = store.messages(conversation.id)
    ai = [m for m in messages if m.role == "ai"]
    assert len(ai) == 1 and not ai[0].complete
    assert ai[0].content and replies.slow_reply(60).startswith(ai[0].content)
    assert ai[0].content == reply_text(seen)  # nothing printed twice, nothing lost
    errors = [m for m in messages if m.role == "error"]
    assert errors and "partial reply is kept" in errors[0].content
    store.close()


def ask_through(
    proxy: FaultProxy, server: AgentServer, home: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    env = agent_env(server, "slow") | {"FLEET_API_URL": proxy.url}
    return subprocess.run(
        [sys.executable, "-m", "fleet_tui", "ask", *args],
        capture_output=True,
        text=True,
        timeout=90,
        env=isolated_env(home, env),
        cwd=home,
        stdin=subprocess.DEVNULL,
    )


def test_ask_recovers_from_a_cut_and_prints_once(
    agent_server: AgentServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    proxy.faults.cut_after = 15
    result = ask_through(proxy, agent_server, tmp_path, "--thread", "new", SLOW)
    assert result.returncode == 0, result.stderr
    assert result.stdout == replies.slow_reply(60) + "\n"
    assert "reconnecting (1/" in result.stderr


def test_ask_gives_up_with_exit_5_and_clean_stdout(
    agent_server: AgentServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    proxy.faults.cut_after = 10
    proxy.faults.rejoin_cut_after = 0
    proxy.faults.faulty_streams = 100
    result = ask_through(proxy, agent_server, tmp_path, "--thread", "new", SLOW)
    assert result.returncode == 5, result.stderr
    assert replies.slow_reply(60).startswith(result.stdout.rstrip("\n"))
    assert "partial reply is kept" in result.stderr
