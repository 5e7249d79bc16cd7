"""The background watch: every saved agent looked at now and then for threads that changed
elsewhere (a schedule, the web UI, another client), so the inbox and the sidebar stay current
and the user is nudged when a conversation not on screen starts waiting, finishes or fails.
Shared by the TUI and `fleet-tui inbox`. No Textual import.

One look at an agent is `watch_look.Look`. Here: a client per saved agent (`ClientPool`),
looks at every agent concurrently but never two at one agent, a gentle interval read from the
settings each time, a doubling wait after errors (up to an hour), and the agents that cannot be
checked now with the reason in words (`problems()`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Callable, Collection, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from fleet_tui.common.errors import FleetError
from fleet_tui.common.redaction import redact
from fleet_tui.domain.inbox import Nudge as Nudge  # re-exported: the watch's API
from fleet_tui.services.client_pool import usable
from fleet_tui.services.watch_look import AgentWatchState, Look

if TYPE_CHECKING:
    from fleet_tui.agent_server.client import FleetClient
    from fleet_tui.services.client_pool import ClientPool
    from fleet_tui.settings.config import AgentProfile
    from fleet_tui.storage.store import Store

__all__ = ["MAX_WAIT", "AgentLook", "InboxWatch", "Nudge", "Schedule"]

log = logging.getLogger("fleet_tui.services.watch")
T = TypeVar("T")

# The longest wait between two looks at an agent that keeps failing.
MAX_WAIT = 3600.0
# first imports going on at once (the others wait; looks at agents already imported do not)
IMPORTS_AT_ONCE = 2
UNUSABLE = "Its settings cannot be used as they are; fix them in the settings."


@dataclass(frozen=True, slots=True)
class AgentLook:
    """One look at one saved agent."""

    profile: str
    agent_pk: int
    ok: bool
    problem: str = ""
    requests: int = 0
    imported: int = 0
    changed: tuple[int, ...] = ()


@dataclass
class Schedule:
    """When an agent is looked at next: `interval` after a look that went well; while looks
    fail, twice the last wait (from twice the interval, at most `MAX_WAIT`). An interval of 0
    turns the watch off: only `now_please` brings a look."""

    due: float = 0.0
    wait: float = 0.0
    failures: int = 0
    # asked for while a look was going on: the next look starts when that one ends
    again: bool = False

    def done(self, now: float, interval: float, ok: bool) -> None:
        if ok:
            self.failures, self.wait = 0, interval
        else:
            self.failures += 1
            self.wait = min(MAX_WAIT, max(interval, self.wait) * 2)
        self.due = now + self.wait if interval > 0 else float("inf")
        if self.again:
            self.again, self.due = False, now

    def now_please(self, now: float, *, going: bool = False) -> None:
        """Look at once (the user fixed the settings); the backoff starts over."""
        self.due, self.failures, self.wait = now, 0, 0.0
        self.again = going


class InboxWatch:
    def __init__(
        self,
        store: Store,
        profiles: Callable[[], Iterable[AgentProfile]],
        clients: ClientPool,
        *,
        interval: Callable[[], float],
        on_screen: Callable[[], int | None] = lambda: None,
        on_look: Callable[[AgentLook], None] | None = None,
        on_nudge: Callable[[Nudge], None] | None = None,
        running: Callable[[], Collection[int]] = lambda: (),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self._profiles = profiles
        self.clients = clients
        self.interval = interval
        self.on_screen = on_screen
        self.on_look = on_look
        self.on_nudge = on_nudge
        # conversations whose run this process is streaming: their end is marked by the run
        self.running = running
        self._clock = clock
        self._memory: dict[int, AgentWatchState] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        self._problems: dict[str, str] = {}
        self._schedules: dict[str, Schedule] = {}
        self._going: dict[str, asyncio.Task[AgentLook]] = {}
        self._wake = asyncio.Event()
        # The store's writes run in one thread of their own, one after another: the event loop
        # (the UI) never waits on the store's lock for more than one short transaction.
        self._store_thread = ThreadPoolExecutor(1, thread_name_prefix="fleet-watch-store")
        self._importing = asyncio.Semaphore(IMPORTS_AT_ONCE)

    async def _offload(self, work: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._store_thread, functools.partial(work, *args))

    # -- one look -----------------------------------------------------------------------------
    def problems(self) -> dict[str, str]:
        """Saved agent → why it cannot be checked now."""
        return dict(self._problems)

    def _saved(self) -> dict[str, AgentProfile]:
        return {p.name: p for p in self._profiles() if p.url and p.agent_id}

    async def look(self, profile: AgentProfile) -> AgentLook:
        """One look at one saved agent (waits for a look at it already going on)."""
        agent = await self._offload(self.store.ensure_agent, profile.url, profile.agent_id)
        lock = self._locks.setdefault(agent.id, asyncio.Lock())
        async with lock:
            result = await self._look(profile, agent.id)
        if result.ok:
            self._problems.pop(profile.name, None)
        else:
            self._problems[profile.name] = result.problem
        self._tell(self.on_look, result)
        return result

    async def _look(self, profile: AgentProfile, agent_pk: int) -> AgentLook:
        if not usable(profile):
            return AgentLook(profile.name, agent_pk, False, UNUSABLE)
        memory = self._memory.setdefault(agent_pk, AgentWatchState())
        requests = 0
        try:
            client = self.clients.for_profile(profile, agent_pk)
            if memory.assistant_id is None:
                requests = await self._resolve(client, memory)
            look = Look(
                self.store,
                client,
                agent_pk,
                memory,
                on_screen=self.on_screen(),
                running=set(self.running()),
                offload=self._offload,
                importing=self._importing,
            )
            try:
                report = await look.run()
            finally:
                requests += look.report.requests
        except FleetError as exc:
            return AgentLook(profile.name, agent_pk, False, redact(str(exc)), requests)
        for change in report.nudges:
            self._tell(
                self.on_nudge,
                Nudge(change.kind, change.conversation_id, profile.name, change.title),
            )
        return AgentLook(
            profile.name,
            agent_pk,
            True,
            requests=requests,
            imported=report.imported,
            changed=tuple(report.changed),
        )

    @staticmethod
    async def _resolve(client: FleetClient, memory: AgentWatchState) -> int:
        """The assistant id threads carry in their metadata: the agent id itself when it is a
        UUID (Fleet), else what the server calls it (a graph name on a local dev server)."""
        from fleet_tui.agent_server.client import is_uuid

        if is_uuid(client.agent_id):
            memory.assistant_id = client.agent_id
            return 0
        memory.assistant_id = (await client.check_connection()).assistant_id
        return 1

    @staticmethod
    def _tell(callback: Callable[[T], None] | None, value: T) -> None:
        if callback is None:
            return
        try:
            callback(value)
        except Exception:  # whoever shows it must not stop the watch
            log.exception("watch callback failed")

    async def look_all(self) -> list[AgentLook]:
        """Every saved agent, concurrently."""
        return list(await asyncio.gather(*(self.look(p) for p in self._saved().values())))

    # -- the background loop ------------------------------------------------------------------
    def retry_now(self, profile_name: str | None = None) -> None:
        """Look again at once: one agent, or every one (the settings were saved)."""
        now = self._clock()
        for name, schedule in self._schedules.items():
            if profile_name is None or name == profile_name:
                going = name in self._going and not self._going[name].done()
                schedule.now_please(now, going=going)
        self._wake.set()

    async def run(self) -> None:
        """Look at every agent at once, then each every `interval()` seconds (0: only when
        `retry_now` asks), until cancelled."""
        going = self._going
        try:
            while True:
                self._wake.clear()
                now = self._clock()
                saved = self._saved()
                for name, task in list(going.items()):
                    if task.done():
                        del going[name]
                for name in list(self._schedules):
                    if name not in saved:  # a saved agent removed meanwhile
                        del self._schedules[name]
                        self._problems.pop(name, None)
                        removed = going.pop(name, None)
                        if removed is not None:
                            removed.cancel()
                for name, profile in saved.items():
                    schedule = self._schedules.get(name)
                    if schedule is None:
                        first = now if self.interval() > 0 else float("inf")
                        schedule = self._schedules[name] = Schedule(due=first)
                    if name not in going and schedule.due <= now:
                        going[name] = asyncio.create_task(self._scheduled(profile, schedule))
                        going[name].add_done_callback(lambda _t: self._wake.set())
                pending = [s.due for n, s in self._schedules.items() if n not in going]
                timeout = max(0.0, min(pending, default=float("inf")) - self._clock())
                # `asyncio.timeout`, not `wait_for`: 3.11's `wait_for` can swallow a cancel
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(min(timeout, 60.0)):
                        await self._wake.wait()
        finally:
            for task in going.values():
                task.cancel()

    async def _scheduled(self, profile: AgentProfile, schedule: Schedule) -> AgentLook:
        try:
            result = await self.look(profile)
        except Exception as exc:  # a bug in one look must not stop the watch of the others
            log.exception("watch look failed")
            result = AgentLook(profile.name, 0, False, redact(str(exc)) or type(exc).__name__)
            self._problems[profile.name] = result.problem
        schedule.done(self._clock(), self.interval(), result.ok)
        return result
