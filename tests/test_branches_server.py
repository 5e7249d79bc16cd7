"""Edit and resend, regenerate, branches — the conversation service against the real Agent
Server. The echo graph counts the human messages it sees, so a reply says which branch's
state it was made from."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest
from langgraph_sdk import get_client
from server_fixture import AgentServer, replies

from fleet_tui.agent_server.client import FleetClient
from fleet_tui.domain.transcript import AssistantItem, UserItem
from fleet_tui.services.conversation_service import ConversationService
from fleet_tui.services.conversation_state import ConversationState
from fleet_tui.services.service_events import Problem, ServiceEvent, TranscriptReplaced
from fleet_tui.storage.store import Store

pytestmark = pytest.mark.server

echo = replies.echo_reply


class Harness:
    """A service as the TUI builds one (the branch shown is the user's choice)."""

    def __init__(self, server: AgentServer, path: Path, *, keep_choice: bool = True) -> None:
        self.store = Store.open(path)
        self.assistant = server.assistant_id("echo")
        self.client = FleetClient(server.url, self.assistant, server.owner_key)
        self.agent = self.store.ensure_agent(server.url, self.assistant)
        self.tasks: list[asyncio.Task[Any]] = []
        self.events: list[ServiceEvent] = []
        self.service = ConversationService(
            self.store, self.spawn, client=lambda _agent: self.client, keep_choice=keep_choice
        )
        self.service.subscribe(self.events.append)

    def spawn(self, work: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(work, name=name)
        self.tasks.append(task)
        return task

    async def settle(self, timeout: float = 60) -> None:
        async with asyncio.timeout(timeout):
            while pending := [t for t in self.tasks if not t.done()]:
                await asyncio.wait(pending)

    async def close(self) -> None:
        await self.client.aclose()
        self.store.close()

    def problems(self) -> list[Problem]:
        return [e for e in self.events if isinstance(e, Problem)]


def shown(state: ConversationState) -> list[tuple[str, str, str | None]]:
    """(who, text, branch mark) of each message on screen."""
    out: list[tuple[str, str, str | None]] = []
    for item in state.transcript.items:
        if isinstance(item, UserItem):
            out.append(("you", item.text, item.branch))
        elif isinstance(item, AssistantItem):
            out.append(("agent", item.text, item.branch))
    return out


async def two_turns(h: Harness) -> ConversationState:
    state = h.service.create(h.agent.id)
    for text in ("one", "two"):
        h.service.send(state.id, text)
        await h.settle()
    assert shown(state) == [
        ("you", "one", None),
        ("agent", echo("one", 1), None),
        ("you", "two", None),
        ("agent", echo("two", 2), None),
    ]
    return state


async def test_edit_the_first_message_then_switch_back_and_forth(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    h = Harness(agent_server, tmp_path / "s.db")
    state = await two_turns(h)

    h.service.edit(state.id, 0, "uno")
    await h.settle()
    state = h.service.states[state.id]
    # the forked state holds one human message: the echo counts 1
    assert shown(state) == [("you", "uno", "2/2"), ("agent", echo("uno", 1), None)]
    assert state.conversation.branch_label == "2/2"
    assert [m.content for m in h.store.messages(state.id)] == ["uno", echo("uno", 1)]
    assert any(isinstance(e, TranscriptReplaced) for e in h.events)

    h.service.switch_branch(state.id, 0, -1)
    await h.settle()
    assert shown(state) == [
        ("you", "one", "1/2"),
        ("agent", echo("one", 1), None),
        ("you", "two", None),
        ("agent", echo("two", 2), None),
    ]
    assert state.conversation.branch_label == "1/2"
    assert [m.role for m in h.store.messages(state.id)] == ["human", "ai", "human", "ai"]

    h.service.switch_branch(state.id, 0, +1)
    await h.settle()
    assert shown(state)[0] == ("you", "uno", "2/2")
    assert h.problems() == []
    await h.close()


async def test_regenerate_a_reply_and_come_back_to_the_first_one(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    h = Harness(agent_server, tmp_path / "s.db")
    state = await two_turns(h)
    first_reply = h.store.messages(state.id)[3].server_id

    h.service.regenerate(state.id, 3)
    await h.settle()
    assert shown(state)[2:] == [("you", "two", None), ("agent", echo("two", 2), "2/2")]
    regenerated = h.store.messages(state.id)[3].server_id
    assert regenerated and regenerated != first_reply

    h.service.switch_branch(state.id, 3, -1)
    await h.settle()
    assert shown(state)[3] == ("agent", echo("two", 2), "1/2")
    assert h.store.messages(state.id)[3].server_id == first_reply
    await h.close()


async def test_sending_on_an_older_branch_forks_from_its_tip(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    h = Harness(agent_server, tmp_path / "s.db")
    state = await two_turns(h)
    h.service.edit(state.id, 2, "deux")
    await h.settle()
    assert shown(state)[2:] == [("you", "deux", "2/2"), ("agent", echo("deux", 2), None)]
    h.service.switch_branch(state.id, 2, -1)
    await h.settle()
    assert shown(state)[2][1] == "two"

    # the server's head is the edited branch; this one goes on from its own tip
    h.service.send(state.id, "three")
    await h.settle()
    assert shown(state)[2:] == [
        ("you", "two", "1/2"),
        ("agent", echo("two", 2), None),
        ("you", "three", None),
        ("agent", echo("three", 3), None),
    ]
    assert state.conversation.branch_label == "1/2"
    await h.close()


async def test_a_fork_made_with_the_sdk_appears_after_a_refresh(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    h = Harness(agent_server, tmp_path / "s.db")
    state = await two_turns(h)
    thread_id = state.conversation.thread_id
    assert thread_id
    sdk = get_client(
        url=agent_server.url,
        api_key=agent_server.owner_key,
        headers={"X-Auth-Scheme": "langsmith-api-key"},
    )
    history = await sdk.threads.get_history(thread_id, limit=20)
    # the checkpoint before the first human message, as the web UI forks from it
    first_id = history[0]["values"]["messages"][0]["id"]
    first_seen = next(
        s for s in reversed(history) if any(m["id"] == first_id for m in s["values"]["messages"])
    )
    await sdk.runs.wait(
        thread_id,
        h.assistant,
        input={"messages": [{"role": "user", "content": "from the web"}]},
        checkpoint=first_seen["parent_checkpoint"],
    )

    h.service.refresh(state.id)
    await h.settle()
    state = h.service.states[state.id]
    # no branch was chosen here: the server's newest is shown, with its sibling
    assert shown(state) == [
        ("you", "from the web", "2/2"),
        ("agent", echo("from the web", 1), None),
    ]
    h.service.switch_branch(state.id, 0, -1)
    await h.settle()
    assert [t for _, t, _ in shown(state)] == ["one", echo("one", 1), "two", echo("two", 2)]
    await h.close()


async def test_branches_survive_a_restart_and_ask_follows_the_head(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    path = tmp_path / "s.db"
    h = Harness(agent_server, path)
    state = await two_turns(h)
    cid = state.id
    h.service.edit(cid, 0, "uno")
    await h.settle()
    h.service.switch_branch(cid, 0, -1)
    await h.settle()
    await h.close()

    # a new store on the same file, no server needed to show the branch chosen
    again = Harness(agent_server, path)
    reopened = again.service.open(cid, refresh=False)
    assert reopened is not None
    assert shown(reopened)[0] == ("you", "one", "1/2") and len(shown(reopened)) == 4
    assert reopened.conversation.branch_label == "1/2"
    # and a refresh keeps the user's choice although the server's head is the other branch
    again.service.refresh(cid)
    await again.settle()
    assert shown(again.service.states[cid])[0] == ("you", "one", "1/2")
    await again.close()

    # `ask --thread` follows the server's head
    ask = Harness(agent_server, path, keep_choice=False)
    opened = ask.service.open(cid, refresh=False)
    assert opened is not None
    ask.service.refresh(cid)
    await ask.settle()
    assert [t for _, t, _ in shown(ask.service.states[cid])] == ["uno", echo("uno", 1)]
    ask.service.send(cid, "dos")
    await ask.settle()
    assert shown(ask.service.states[cid])[-1] == ("agent", echo("dos", 2), None)
    conversation = ask.store.get_conversation(cid)
    assert conversation is not None and conversation.branch_tip is not None  # still the TUI's
    await ask.close()
