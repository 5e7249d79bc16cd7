"""The background watch against the real Agent Server: two saved agents on different assistants
(`hitl`, `scripted`) and one whose token is not the owner's (404). Threads are changed by
"another client" (plain httpx to the server), as a schedule or the web UI would."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_fixture import AgentServer

from fleet_tui.agent_server.client import FleetClient
from fleet_tui.domain.inbox import InboxEntry
from fleet_tui.services import inbox
from fleet_tui.services.client_pool import ClientPool
from fleet_tui.services.conversation_service import ConversationService
from fleet_tui.services.watch import AgentLook, InboxWatch, Nudge
from fleet_tui.settings.config import AgentProfile
from fleet_tui.storage.store import Store


class Counting(httpx.AsyncBaseTransport):
    """The real transport, counting what goes through it."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(f"{request.method} {request.url.path}")
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class World:
    server: AgentServer
    store: Store
    profiles: list[AgentProfile]
    pool: ClientPool
    watch: InboxWatch
    http: httpx.AsyncClient
    counters: dict[str, Counting]
    nudges: list[Nudge] = field(default_factory=list)
    looks: list[AgentLook] = field(default_factory=list)
    screen: list[int | None] = field(default_factory=lambda: [None])

    def profile(self, name: str) -> AgentProfile:
        return next(p for p in self.profiles if p.name == name)

    def entries(self) -> list[InboxEntry]:
        return inbox.entries(self.store, self.profiles)

    def entry_of(self, thread_id: str) -> InboxEntry | None:
        return next((e for e in self.entries() if e.thread_id == thread_id), None)

    async def thread(self, graph: str, text: str) -> str:
        """A thread made by another client, with one run on it to its end."""
        created = await self.http.post("/threads", json={"metadata": {}})
        thread_id: str = created.json()["thread_id"]
        await self.run(
            thread_id, graph, {"input": {"messages": [{"role": "human", "content": text}]}}
        )
        return thread_id

    async def run(self, thread_id: str, graph: str, body: dict[str, Any]) -> None:
        response = await self.http.post(
            f"/threads/{thread_id}/runs/wait",
            json={"assistant_id": self.server.assistant_id(graph), **body},
        )
        response.raise_for_status()

    async def approve_elsewhere(self, thread_id: str) -> None:
        resume = {"command": {"resume": {"decisions": [{"type": "approve"}]}}}
        await self.run(thread_id, "hitl", resume)


PROFILES = (
    ("mail", "hitl", False),
    ("chat", "scripted", False),
    ("stranger", "inbox", True),
    ("boom", "fail", False),
)


@pytest.fixture
async def world(agent_server: AgentServer, tmp_path: Path) -> AsyncIterator[World]:
    store = Store.open(tmp_path / "fleet.db")
    profiles = [
        AgentProfile(
            name=name,
            url=agent_server.url,
            agent_id=agent_server.assistant_id(graph),
            api_key=agent_server.other_key if other else agent_server.owner_key,
        )
        for name, graph, other in PROFILES
    ]
    pool = ClientPool(store, lambda: profiles)
    counters: dict[str, Counting] = {}
    for profile in profiles:
        # the pool keeps a client made elsewhere: this one counts its requests
        counters[profile.name] = Counting()
        agent = store.ensure_agent(profile.url, profile.agent_id)
        client = FleetClient(
            profile.url, profile.agent_id, profile.api_key, transport=counters[profile.name]
        )
        pool.adopt(agent.id, profile, client)
    http = httpx.AsyncClient(base_url=agent_server.url, headers=agent_server.headers(), timeout=60)
    world = World(agent_server, store, profiles, pool, None, http, counters)  # type: ignore[arg-type]
    world.watch = InboxWatch(
        store,
        lambda: profiles,
        pool,
        interval=lambda: 60,
        on_screen=lambda: world.screen[0],
        on_look=world.looks.append,
        on_nudge=world.nudges.append,
    )
    try:
        yield world
    finally:
        await http.aclose()
        await pool.aclose()
        store.close()


def conversation_of(world: World, thread_id: str) -> int:
    for agent in world.store.list_agents():
        found = world.store.find_conversation_by_thread(agent.id, thread_id)
        if found is not None:
            return found.id
    raise AssertionError(f"thread {thread_id} was not imported")


async def test_first_look_imports_what_is_there_without_nudging(world: World) -> None:
    waiting = await world.thread("hitl", "email bob about the first look")
    finished = await world.thread("scripted", "hello before the first look")

    looks = {look.profile: look for look in await world.watch.look_all()}

    assert looks["mail"].ok and looks["chat"].ok
    assert looks["mail"].imported >= 1 and looks["chat"].imported >= 1
    assert world.nudges == []
    entry = world.entry_of(waiting)
    assert entry is not None and entry.kind == "waiting"
    assert entry.agent == "mail"
    assert entry.quick_action is not None and entry.quick_action.tool == "send_email"
    assert entry.title == "email bob about the first look"
    # an old finished thread is imported, not unread
    assert world.entry_of(finished) is None
    assert conversation_of(world, finished)


async def test_a_token_of_someone_else_is_a_problem_in_words(world: World) -> None:
    looks = {look.profile: look for look in await world.watch.look_all()}

    stranger = looks["stranger"]
    assert not stranger.ok and stranger.requests == 1
    assert "not tied to the agent's owner" in stranger.problem or "404" in stranger.problem
    assert world.watch.problems() == {"stranger": stranger.problem}
    assert world.server.other_key not in stranger.problem
    assert all(look.ok for name, look in looks.items() if name != "stranger")


async def test_an_interrupt_elsewhere_shows_nudges_and_leaves_when_answered_elsewhere(
    world: World,
) -> None:
    await world.watch.look(world.profile("mail"))  # the first look
    thread_id = await world.thread("hitl", "email carol about the watch")

    look = await world.watch.look(world.profile("mail"))

    entry = world.entry_of(thread_id)
    assert entry is not None and entry.kind == "waiting"
    cid = entry.conversation_id
    assert cid in look.changed and look.imported == 1
    assert [(n.kind, n.conversation_id, n.agent) for n in world.nudges] == [
        ("waiting", cid, "mail")
    ]
    assert world.nudges[0].title == "email carol about the watch"

    await world.approve_elsewhere(thread_id)
    await world.watch.look(world.profile("mail"))

    entry = world.entry_of(thread_id)
    assert entry is not None and entry.kind == "finished"  # no longer waiting: unread
    assert [n.kind for n in world.nudges] == ["waiting", "finished"]


async def test_a_run_finished_elsewhere_is_an_unread_entry_and_a_nudge(world: World) -> None:
    await world.watch.look(world.profile("chat"))
    thread_id = await world.thread("scripted", "hello from a schedule")

    await world.watch.look(world.profile("chat"))

    entry = world.entry_of(thread_id)
    assert entry is not None and entry.kind == "finished" and entry.agent == "chat"
    assert [(n.kind, n.conversation_id) for n in world.nudges] == [
        ("finished", entry.conversation_id)
    ]
    # a second run on the same thread, elsewhere, after the user read it: unread again
    world.store.mark_seen(entry.conversation_id)
    assert world.entry_of(thread_id) is None
    await world.run(
        thread_id, "scripted", {"input": {"messages": [{"role": "human", "content": "again"}]}}
    )
    await world.watch.look(world.profile("chat"))
    assert world.entry_of(thread_id) is not None
    assert len(world.nudges) == 2


async def test_a_look_that_finds_nothing_new_costs_one_request(world: World) -> None:
    await world.thread("scripted", "hello, something to page past")
    await world.watch.look(world.profile("chat"))
    counter = world.counters["chat"]
    counter.paths.clear()

    look = await world.watch.look(world.profile("chat"))

    assert look.ok and look.requests == 1 and look.changed == ()
    assert counter.paths == ["POST /threads/search"]


async def test_the_conversation_on_screen_is_marked_seen_without_a_nudge(world: World) -> None:
    await world.watch.look(world.profile("chat"))
    thread_id = await world.thread("scripted", "hello, on screen")
    await world.watch.look(world.profile("chat"))
    cid = conversation_of(world, thread_id)
    world.store.mark_seen(cid)
    world.nudges.clear()
    world.screen[0] = cid

    await world.run(
        thread_id, "scripted", {"input": {"messages": [{"role": "human", "content": "more"}]}}
    )
    look = await world.watch.look(world.profile("chat"))

    assert cid in look.changed
    assert world.nudges == []
    assert world.entry_of(thread_id) is None  # changed, and seen at once


async def test_answered_from_the_inbox_leaves_and_our_own_run_is_not_news(world: World) -> None:
    await world.watch.look(world.profile("mail"))
    thread_id = await world.thread("hitl", "email dave from the inbox")
    await world.watch.look(world.profile("mail"))
    entry = world.entry_of(thread_id)
    assert entry is not None and entry.kind == "waiting"
    tasks: list[asyncio.Task[Any]] = []

    def spawn(work: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(work, name=name)
        tasks.append(task)
        return task

    service = ConversationService(world.store, spawn, client=world.pool.get)
    world.nudges.clear()

    assert await inbox.answer_waiting(service, entry, "approve") == []
    await asyncio.wait_for(asyncio.gather(*tasks), 60)

    after = world.entry_of(thread_id)
    assert after is None or after.kind != "waiting"
    if after is not None:  # our run's end left it unread: the user reads it
        world.store.mark_seen(after.conversation_id)
    look = await world.watch.look(world.profile("mail"))
    assert entry.conversation_id in look.changed
    assert world.nudges == []  # our own run's end is no news
    assert world.entry_of(thread_id) is None  # and it does not come back as unread


async def wait_for(condition: Any, timeout: float = 30) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


async def test_run_looks_at_once_backs_off_a_failing_agent_and_retries_when_asked(
    world: World,
) -> None:
    now = [1000.0]
    world.watch._clock = lambda: now[0]
    task = asyncio.create_task(world.watch.run())
    try:
        await wait_for(
            lambda: {look.profile for look in world.looks} == {"mail", "chat", "stranger", "boom"}
        )
        schedules = world.watch._schedules
        await wait_for(lambda: schedules["stranger"].failures == 1)
        assert schedules["stranger"].due == 1000.0 + 120  # twice the interval
        assert schedules["mail"].due == 1000.0 + 60
        assert "stranger" in world.watch.problems()

        # the next failure doubles the wait
        now[0] = 1120.0
        world.watch._wake.set()
        await wait_for(lambda: schedules["stranger"].failures == 2)
        assert schedules["stranger"].due == 1120.0 + 240
        await wait_for(lambda: sum(look.profile == "mail" for look in world.looks) == 2)
        assert schedules["mail"].due == 1120.0 + 60  # due at 1060: looked at again

        # the user fixed the token: looked at at once, and it works now
        world.profile("stranger").api_key = world.server.owner_key
        world.watch.retry_now("stranger")
        await wait_for(lambda: world.looks[-1].profile == "stranger" and world.looks[-1].ok)
        await wait_for(lambda: schedules["stranger"].due == 1120.0 + 60)
        assert "stranger" not in world.watch.problems()
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_a_failure_elsewhere_is_a_failed_entry_with_its_words(world: World) -> None:
    old = await world.thread("fail", "boom before the first look")
    await world.watch.look(world.profile("boom"))
    assert world.entry_of(old) is None  # an old failure is not news

    thread_id = await world.thread("fail", "boom while watched")
    look = await world.watch.look(world.profile("boom"))

    entry = world.entry_of(thread_id)
    assert entry is not None and entry.kind == "failed"
    assert entry.failure == "ValueError: " + world.server.replies.FAIL_MESSAGE
    assert entry.what == "failed: " + entry.failure
    assert [(n.kind, n.agent) for n in world.nudges] == [("failed", "boom")]
    # the search, and the thread read for the error's words
    assert look.requests == 3


async def test_a_rename_elsewhere_is_no_news(world: World) -> None:
    thread_id = await world.thread("scripted", "hello, to be renamed")
    await world.watch.look(world.profile("chat"))

    renamed = await world.http.patch(f"/threads/{thread_id}", json={"metadata": {"title": "new"}})
    renamed.raise_for_status()
    look = await world.watch.look(world.profile("chat"))

    assert conversation_of(world, thread_id) in look.changed
    assert world.nudges == []
    assert world.entry_of(thread_id) is None


async def test_an_agent_without_threads_at_its_first_look_gets_news_of_its_first(
    world: World,
) -> None:
    made = await world.http.post("/assistants", json={"graph_id": "scripted", "name": "new one"})
    assistant_id = made.json()["assistant_id"]
    fresh = AgentProfile(
        name="fresh", url=world.server.url, agent_id=assistant_id, api_key=world.server.owner_key
    )
    world.profiles.append(fresh)
    first = await world.watch.look(fresh)
    assert first.ok and first.imported == 0

    created = await world.http.post("/threads", json={"metadata": {}})
    thread_id = created.json()["thread_id"]
    body = {"input": {"messages": [{"role": "human", "content": "hello, first ever"}]}}
    response = await world.http.post(
        f"/threads/{thread_id}/runs/wait", json={"assistant_id": assistant_id, **body}
    )
    response.raise_for_status()
    await world.watch.look(fresh)

    entry = world.entry_of(thread_id)
    assert entry is not None and entry.kind == "finished" and entry.agent == "fresh"
    assert [(n.kind, n.title) for n in world.nudges] == [("finished", "hello, first ever")]


async def test_a_thread_seen_before_its_first_message_gets_its_title_later(world: World) -> None:
    await world.watch.look(world.profile("chat"))
    created = await world.http.post("/threads", json={"metadata": {}})
    thread_id = created.json()["thread_id"]
    # a run that has not started yet: the thread carries the agent, no message
    later = {
        "assistant_id": world.server.assistant_id("scripted"),
        "input": {"messages": [{"role": "human", "content": "hello, named late"}]},
        "after_seconds": 3600,
    }
    (await world.http.post(f"/threads/{thread_id}/runs", json=later)).raise_for_status()
    await world.watch.look(world.profile("chat"))
    cid = conversation_of(world, thread_id)
    stored = world.store.get_conversation(cid)
    assert stored is not None and stored.title == "Untitled thread"
    assert world.nudges == []

    await world.run(
        thread_id,
        "scripted",
        {
            "input": {"messages": [{"role": "human", "content": "hello, named late"}]},
            "multitask_strategy": "interrupt",
        },
    )
    await world.watch.look(world.profile("chat"))

    stored = world.store.get_conversation(cid)
    assert stored is not None and stored.title == "hello, named late"
    assert [(n.kind, n.title) for n in world.nudges] == [("finished", "hello, named late")]


async def test_settings_that_cannot_be_used_are_a_problem_without_a_request(world: World) -> None:
    broken = AgentProfile(name="broken", url="http://example.com", agent_id="x", api_key="k")
    world.profiles.append(broken)  # a token over plain http to another host: not without a yes

    look = await world.watch.look(broken)

    assert not look.ok and look.requests == 0
    assert "settings" in world.watch.problems()["broken"]


async def test_a_conversation_running_here_is_left_to_its_run(world: World) -> None:
    await world.watch.look(world.profile("chat"))
    thread_id = await world.thread("scripted", "hello, running here")
    await world.watch.look(world.profile("chat"))
    cid = conversation_of(world, thread_id)
    world.store.mark_seen(cid)
    world.nudges.clear()
    world.watch.running = lambda: {cid}

    await world.run(
        thread_id, "scripted", {"input": {"messages": [{"role": "human", "content": "more"}]}}
    )
    look = await world.watch.look(world.profile("chat"))

    assert cid not in look.changed and world.nudges == []
    assert world.entry_of(thread_id) is None
