"""The background watch in the app: started after the first frame, never before it.

The process that holds the data dir's `WatchLock` runs `InboxWatch.run()` as an asyncio task
on the app's loop (one request in flight per agent, each look's store writes batched by the
watch). Not a Textual worker: it never completes, and `app.workers.wait_for_complete()` must
still return; the app stops it when it unmounts. Its looks and nudges reach the inbox hub,
which recounts the badge and bumps the inbox's version; the agents it cannot check go to the
app's `unchecked` reactive, in words. A process that does not get the lock (another fleet-tui
watches the same store) reads the store again every interval instead, and tries the lock then.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from fleet_tui.domain.inbox import Nudge

if TYPE_CHECKING:
    from textual.timer import Timer

    from fleet_tui.services.watch import AgentLook, InboxWatch
    from fleet_tui.services.watch_lock import WatchLock
    from fleet_tui.tui.app import FleetApp

# how often a process without the lock reads the store again when the watch is off here
FOLLOW_SECONDS_WHEN_OFF = 60.0


class Watching:
    def __init__(self, app: FleetApp) -> None:
        self.app = app
        self.watch: InboxWatch | None = None
        self.lock: WatchLock | None = None
        self._follow: Timer | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def watching(self) -> bool:
        """This process is the one that watches."""
        return self.watch is not None

    def start(self) -> None:
        """Watch if this process gets the lock, else follow what the watcher stores."""
        from fleet_tui.services.watch_lock import WatchLock, lock_path_for

        app = self.app
        if self.lock is None and str(app.store.path) != ":memory:":
            # a store of its own in memory (`ask`-like uses) has nobody to share the watch with
            self.lock = WatchLock(lock_path_for(app.store.path))
        if self.lock is None or self.lock.acquire():
            self._stop_following()
            self._run()
        else:
            self._following()

    # ----------------------------------------------------------------- the watcher
    def _run(self) -> None:
        from fleet_tui.services.watch import InboxWatch

        app = self.app
        self.watch = InboxWatch(
            app.store,
            lambda: list(app.settings.profiles.values()),
            app.clients,
            interval=lambda: app.settings.watch_interval,
            on_screen=self._on_screen,
            on_look=self._looked,
            on_nudge=self._nudged,
            running=self._running,
        )
        self._task = asyncio.create_task(self._watch(self.watch), name="the background watch")

    async def _watch(self, watch: InboxWatch) -> None:
        try:
            await watch.run()
        except Exception:  # the watch keeps its looks' errors; this is a bug: the app goes on
            import logging

            logging.getLogger(__name__).exception("the background watch stopped")
        finally:
            if self.lock is not None:
                self.lock.release()

    async def stop(self) -> None:
        """The app is closing: stop watching, let the lock go."""
        self._stop_following()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.lock is not None:
            self.lock.release()

    def _on_screen(self) -> int | None:
        current = self.app.chat.current
        return current.id if current is not None else None

    def _running(self) -> list[int]:
        return [state.id for state in self.app.chat.service.running()]

    def _looked(self, look: AgentLook) -> None:
        app = self.app
        if self.watch is not None:
            app.unchecked = tuple(sorted(self.watch.problems().items()))
        if look.imported or look.changed:
            app.inbox.changed()
            if app.agent is not None and look.agent_pk == app.agent.id:
                app.chat.conversations_changed(keep=self._on_screen())

    def _nudged(self, nudge: Nudge) -> None:
        self.app.inbox.nudge(nudge)

    def retry_now(self) -> None:
        """The settings were saved (a token fixed, an agent added, the interval changed)."""
        if self.watch is not None:
            self.watch.retry_now()
        elif self._follow is not None:
            self._stop_following()
            self.start()

    # ----------------------------------------------------------------- the follower
    def _following(self) -> None:
        interval = self.app.settings.watch_interval or FOLLOW_SECONDS_WHEN_OFF
        self._stop_following()
        self._follow = self.app.set_timer(interval, self._follow_tick)

    def _follow_tick(self) -> None:
        self._follow = None
        self.app.inbox.changed()  # what the other process stored meanwhile
        if self.app.agent is not None:
            self.app.chat.conversations_changed(keep=self._on_screen())
        self.start()  # the other process may have quit: the lock is free then

    def _stop_following(self) -> None:
        if self._follow is not None:
            self._follow.stop()
            self._follow = None
