"""One look of the background watch at one agent: which of its server threads changed since the
last look, and what that means for the inbox. No Textual import; `watch.InboxWatch` schedules
the looks.

The thread search has no "since" filter: threads come newest `updated_at` first, and paging
stops at the first one not newer than the agent's cursor, so a look that finds nothing new
costs one request. Pages leave out `values` (a deep agent's files, every message): a thread the
store lacks gets its first message through the search's `extract`, for a title.

Who changed a thread decides what the inbox does with it:
- a change elsewhere (a schedule, the web UI, another client) marks the conversation changed
  and nudges, unless the user has it on screen (then it is seen too);
- the end of a run of this app (`inbox_marks.run_ended` marked it already) must not come back
  as unread or nudge twice. Rule: a thread whose status and pending interrupts are what the
  store holds, and whose conversation was marked changed since the previous look began, was
  changed by us (or by a look that failed half-way): nothing more is marked;
- a change of metadata only (a rename: `state_updated_at` not newer than the cursor, status
  unchanged) marks nothing;
- the first look at an agent imports what is there without marking or nudging anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from fleet_tui.agent_server.client import FleetClient, RequestRejected
from fleet_tui.domain.inbox import InboxKind
from fleet_tui.domain.interrupt_model import Interrupt, pending_interrupts
from fleet_tui.services.sync import (
    FIRST_MESSAGE,
    UNTITLED,
    known_status,
    server_time,
    thread_title,
)
from fleet_tui.storage.store import Store
from fleet_tui.storage.store_watch import (
    KnownThread,
    NewThread,
    ThreadUpdate,
    add_threads,
    known_threads,
    update_threads,
)

# What a page asks for: enough to tell what changed, without `values`.
SELECT = ["thread_id", "updated_at", "state_updated_at", "status", "metadata"]
EXTRACT = {FIRST_MESSAGE: "values.messages[0]"}
# A look that finds nothing new reads one small page; a look that finds many reads bigger ones.
LOOK_PAGES = (10, 100, 500)
# The first look imports everything: big pages, few round trips.
IMPORT_PAGES = (1000,)
FAILED_WORDS = "the run ended with an error"
# the cursor of an agent that had no thread at its last look
EMPTY_CURSOR = "1970-01-01T00:00:00+00:00"

Offload = Callable[..., Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Change:
    """A conversation whose thread changed elsewhere, as a nudge names it."""

    kind: InboxKind
    conversation_id: int
    title: str


@dataclass
class LookReport:
    requests: int = 0
    imported: int = 0
    changed: list[int] = field(default_factory=list)
    nudges: list[Change] = field(default_factory=list)
    cursor: str | None = None


@dataclass
class AgentWatchState:
    """What the watch remembers of one agent between looks (in memory)."""

    # the assistant id the server writes in a thread's metadata (a graph name is resolved once)
    assistant_id: str | None = None
    # this machine's clock when the last look that moved the cursor began
    looked_at: float | None = None
    # the server refused `select`/`extract`/`ids`: ask for whole threads
    plain: bool = False
    # the `changed_at` each conversation got from the watch itself since `looked_at`: a mark
    # of ours is not a run of ours
    marked: dict[int, float] = field(default_factory=dict)


def parse_time(text: str | None) -> dt.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _pages(sizes: tuple[int, ...]) -> Iterator[int]:
    yield from sizes
    while True:
        yield sizes[-1]


class Look:
    """One look at one agent; `run()` once."""

    def __init__(
        self,
        store: Store,
        client: FleetClient,
        agent_pk: int,
        memory: AgentWatchState,
        *,
        on_screen: int | None,
        running: Collection[int] = (),
        clock: Callable[[], float] = time.time,
        offload: Offload = asyncio.to_thread,
        importing: asyncio.Semaphore | None = None,
    ) -> None:
        self.store = store
        self.client = client
        self.agent_pk = agent_pk
        self.memory = memory
        self.on_screen = on_screen
        self.running = running
        self.clock = clock
        # runs store work away from the event loop (the watch: one thread for all its looks)
        self.offload = offload
        # first imports share this: big pages from many agents at once would arrive together,
        # and decoding them all in one turn of the event loop stalls it
        self.importing = importing or asyncio.Semaphore(1)
        self.report = LookReport()
        self.cursor: str | None = None
        self.since: dt.datetime | None = None
        self.first = True
        # a conversation marked changed after this (this machine's clock) was marked by us
        self.reference: float | None = None
        self.marked: dict[int, float] = {}  # what this look marks (see `AgentWatchState.marked`)

    # -- requests ---------------------------------------------------------------------------
    async def _search(self, body: dict[str, Any], *, extract: bool) -> list[dict[str, Any]]:
        """One page; `extract` asks for each thread's first message (for a title)."""
        if not self.memory.plain:
            self.report.requests += 1
            lean = {**body, "select": SELECT, **({"extract": EXTRACT} if extract else {})}
            try:
                return await self.client.search_page(lean)
            except RequestRejected:
                self.memory.plain = True  # an older server: whole threads from now on
        self.report.requests += 1
        return await self.client.search_page(body)

    async def _threads(self, sizes: tuple[int, ...]) -> AsyncIterator[list[dict[str, Any]]]:
        """Pages of the agent's threads, newest change first, until the cursor."""
        offset = 0
        for size in _pages(sizes):
            body: dict[str, Any] = {
                "metadata": {"assistant_id": self.memory.assistant_id},
                "sort_by": "updated_at",
                "sort_order": "desc",
                "limit": size,
                "offset": offset,
            }
            page = await self._search(body, extract=self.first)
            fresh = [t for t in page if self._newer(t) and isinstance(t.get("thread_id"), str)]
            if fresh:
                yield fresh
            if len(page) < size or len(fresh) < len(page):
                return
            offset += len(page)

    def _newer(self, thread: dict[str, Any]) -> bool:
        updated = parse_time(thread.get("updated_at"))
        if updated is None:
            return True
        newest = parse_time(self.report.cursor)
        if newest is None or updated > newest:
            self.report.cursor = thread["updated_at"]
        return self.since is None or updated > self.since

    async def _pending(self, thread_id: str) -> list[Interrupt]:
        """What a thread waits on, from `/state` (a thread's own list can be incomplete)."""
        self.report.requests += 1
        return pending_interrupts(await self.client.get_thread_state(thread_id))

    async def _failure(self, thread_id: str) -> str:
        """The words of a failed thread's error, as the server keeps them on the thread."""
        self.report.requests += 1
        thread = await self.client.get_thread(thread_id)
        error = thread.get("error") if isinstance(thread, dict) else None
        if isinstance(error, dict):
            kind, message = error.get("error"), error.get("message")
            words = ": ".join(str(p) for p in (kind, message) if isinstance(p, str) and p)
            return words[:500] or FAILED_WORDS
        return error[:500] if isinstance(error, str) and error else FAILED_WORDS

    # -- the look -------------------------------------------------------------------------
    async def run(self) -> LookReport:
        started = self.clock()
        self.cursor = await self.offload(self.store.watch_cursor, self.agent_pk)
        self.since = parse_time(self.cursor)
        self.first = self.since is None
        self.reference = self.memory.looked_at
        if self.reference is None and self.since is not None and self.cursor != EMPTY_CURSOR:
            # another process looked last: its cursor, in the server's clock, will do
            self.reference = self.since.timestamp()
        if self.first:
            async with self.importing:
                await self._import_all()
        else:
            changed: list[dict[str, Any]] = []
            async for page in self._threads(LOOK_PAGES):
                changed.extend(page)
            if changed:
                await self._apply_changes(changed)
        if self.report.cursor is None and self.first:
            # no thread yet: the next look is not a first one (its threads are news)
            self.report.cursor = EMPTY_CURSOR
        if self.report.cursor is not None and self.report.cursor != self.cursor:
            await self.offload(self.store.set_watch_cursor, self.agent_pk, self.report.cursor)
        self.memory.looked_at = started
        self.memory.marked = self.marked
        return self.report

    async def _import_all(self) -> None:
        """The first look: everything stored, nothing marked, what waits read from `/state`."""
        waiting: list[tuple[int, str]] = []
        # A page is stored in a worker thread while the next one is on its way: the store's
        # full-text index makes a page's writes cost about what its request does.
        writing: asyncio.Future[tuple[dict[str, int], list[str]]] | None = None
        try:
            async for page in self._threads(IMPORT_PAGES):
                if writing is not None:
                    ids, interrupted = await writing
                    waiting.extend((ids[t], t) for t in interrupted)
                writing = asyncio.ensure_future(self.offload(self._import_page, page))
            if writing is not None:
                ids, interrupted = await writing
                waiting.extend((ids[t], t) for t in interrupted)
                writing = None
        finally:
            if writing is not None and not writing.done():
                # the look failed while a page was being stored: let it finish (no cursor is
                # saved, so the next look stores the rest)
                with contextlib.suppress(Exception):
                    await asyncio.shield(writing)
        updates = []
        for conversation_id, thread_id in waiting:
            pending = await self._pending(thread_id)
            status = "interrupted" if pending else "cancelled"
            updates.append(ThreadUpdate(conversation_id, status=status, waiting=pending))
        await self.offload(update_threads, self.store, updates)

    def _import_page(self, page: list[dict[str, Any]]) -> tuple[dict[str, int], list[str]]:
        """Store a page of the first look (in a worker thread: a page is one transaction)."""
        known = known_threads(self.store, self.agent_pk, (t["thread_id"] for t in page))
        new, updates, interrupted = [], [], []
        for thread in page:
            thread_id, status = thread["thread_id"], thread.get("status")
            if status == "interrupted":
                interrupted.append(thread_id)
            stored_status = known_status(status) if status != "interrupted" else None
            k = known.get(thread_id)
            if k is None:
                title = thread_title(thread)
                new.append(
                    NewThread(
                        thread_id, title, server_time(thread.get("updated_at")), stored_status
                    )
                )
            elif stored_status is not None and stored_status != k.status:
                updates.append(ThreadUpdate(k.conversation_id, status=stored_status, waiting=()))
        ids = {t: k.conversation_id for t, k in known.items()}
        ids.update(add_threads(self.store, self.agent_pk, new, self.clock()))
        update_threads(self.store, updates)
        self.report.imported += len(new)
        return ids, interrupted

    async def _apply_changes(self, threads: list[dict[str, Any]]) -> None:
        by_id = {t["thread_id"]: t for t in threads}
        # store work in a worker thread: after days away an agent may bring thousands
        known = await self.offload(known_threads, self.store, self.agent_pk, by_id)
        missing = [t for t in by_id if t not in known]
        # a thread seen before its first message was stored got no title: it may have one now
        untitled = [t for t, k in known.items() if k.title in (UNTITLED, "")]
        titled = await self._titles(missing + untitled)
        if missing:
            await self._import_new(missing, by_id, titled)
            known = await self.offload(known_threads, self.store, self.agent_pk, by_id)
        updates: list[ThreadUpdate] = []
        for thread_id, thread in by_id.items():
            k = known.get(thread_id)
            if k is None or k.conversation_id in self.running:
                continue  # a run of ours: its end marks it
            self.report.changed.append(k.conversation_id)
            title = thread_title(titled.get(thread_id, thread)) if thread_id in untitled else None
            if title is not None and title != UNTITLED:
                k = replace(k, title=title)
                updates.append(await self._change(k, thread, thread_id in missing, retitled=True))
            else:
                updates.append(await self._change(k, thread, thread_id in missing))
        await self.offload(update_threads, self.store, updates)

    async def _titles(self, thread_ids: list[str]) -> dict[str, dict[str, Any]]:
        """These threads with their metadata and first message (for a title), by id."""
        titled: dict[str, dict[str, Any]] = {}
        for start in range(0, len(thread_ids), IMPORT_PAGES[-1]):
            chunk = thread_ids[start : start + IMPORT_PAGES[-1]]
            body: dict[str, Any] = {"ids": chunk, "limit": len(chunk)}
            found = await self._search(body, extract=True)
            titled.update((t["thread_id"], t) for t in found if isinstance(t.get("thread_id"), str))
        return titled

    async def _import_new(
        self,
        thread_ids: list[str],
        by_id: dict[str, dict[str, Any]],
        titled: dict[str, dict[str, Any]],
    ) -> None:
        """Threads made elsewhere since the last look: stored with a title."""
        new = [
            NewThread(
                t,
                thread_title(titled.get(t, by_id[t])),
                server_time(by_id[t].get("updated_at")),
                None,  # set below, as for every changed thread
            )
            for t in thread_ids
        ]
        await self.offload(add_threads, self.store, self.agent_pk, new, self.clock())
        self.report.imported += len(new)
        # an idle thread made without a run yet (no message) has nothing to tell: no news
        for t in thread_ids:
            source = titled.get(t, by_id[t])
            extracted = source.get("extracted")
            values = source.get("values")
            empty = (isinstance(extracted, dict) and extracted.get(FIRST_MESSAGE) is None) or (
                isinstance(values, dict) and not values.get("messages")
            )
            if empty:
                by_id[t] = {**by_id[t], "_no_run": True}

    async def _change(
        self, k: KnownThread, thread: dict[str, Any], new: bool, *, retitled: bool = False
    ) -> ThreadUpdate:
        """What one changed thread means: the update to store, and a nudge when it is news."""
        raw = thread.get("status")
        pending: list[Interrupt] = []
        if raw == "interrupted":
            pending = await self._pending(k.thread_id)
            status = "interrupted" if pending else "cancelled"
        else:
            status = known_status(raw) or k.status or ""
        waiting_ids = tuple(i.id for i in pending)
        same = status == k.status and waiting_ids == k.waiting
        state_at = parse_time(thread.get("state_updated_at"))
        metadata_only = (
            not new
            and same
            and state_at is not None
            and self.since is not None
            and state_at <= self.since
        )
        ours = (
            same
            and k.changed_at is not None
            and self.reference is not None
            and k.changed_at >= self.reference
            and self.memory.marked.get(k.conversation_id) != k.changed_at
        )
        update = ThreadUpdate(
            k.conversation_id,
            status=status or None,
            waiting=pending,
            updated_at=None if metadata_only else server_time(thread.get("updated_at")),
            title=k.title if retitled else None,
        )
        if metadata_only or ours or (thread.get("_no_run") and status == "idle"):
            return update
        kind: InboxKind | None = None
        failure: str | None = None
        if status == "interrupted" and waiting_ids != k.waiting:
            kind = "waiting"
        elif status == "idle":
            kind = "finished"
        elif status == "error":
            kind = "failed"
            failure = await self._failure(k.thread_id)
        if kind is None:
            return update
        now = self.clock()
        self.marked[k.conversation_id] = now
        on_screen = k.conversation_id == self.on_screen
        if not on_screen:
            self.report.nudges.append(Change(kind, k.conversation_id, k.title))
        return replace(update, changed_at=now, failure=failure, seen_at=now if on_screen else None)
