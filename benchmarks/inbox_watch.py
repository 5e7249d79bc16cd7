"""The inbox's background watch at scale: 20 agents x 1,000 server threads, and one agent's
5,000-thread first import against langgraph_sdk's own paging loop.

    python benchmarks/inbox_watch.py [--agents 20] [--threads 1000] [--import-threads 5000]

Starts the tests' Agent Server (tests/server/, loopback only; its in-memory runtime) and seeds
it: `--agents` assistants (graph `scripted`, POST /assistants) with `--threads` threads each,
and one more assistant with `--import-threads` threads. The server keeps `assistant_id` out of
the metadata a client sends (a thread gets it when a run is made on it), so one thread per
assistant gets a run scheduled a day ahead (it never runs here) and is copied
(POST /threads/{id}/copy, metadata and all, 32 at once). The copies are idle, titled by their
metadata, with no values. Then, in one event loop with a 10 ms ticker measuring the longest
stall:

- the first pass over the agents (`InboxWatch.look_all`, an empty store: every thread
  imported);
- a pass when nothing changed: requests per agent (counted at the transport), time, stall;
- a pass after 5 threads per agent changed elsewhere (PATCH by another client);
- the first import of the big agent's threads (an empty store) against
  `langgraph_sdk.get_client().threads.search` paged to the end with limit 100 (the page size
  of a usual paging loop, and of fleet-tui's own sync), 500 and 1000 (the watch's import page)
  — medians of `--runs`.

Targets (issue 15): <= 1 request per agent when nothing changed; longest stall <= 50 ms; the
import within 1.5x of the SDK loop (reported against each page size: the store's full-text
index costs about as much as the requests do, so the ratio depends on the loop's page size).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from _fleet import (
    add_server_flags,
    agent_server,
    median,
    ms,
    server_headers,
    table,
    verdict,
    write_results,
)
from _harness import StallMeter

from fleet_tui.agent_server.client import FleetClient
from fleet_tui.services.client_pool import ClientPool
from fleet_tui.services.watch import InboxWatch
from fleet_tui.settings.config import AgentProfile
from fleet_tui.storage.store import Store


class Counting(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.count = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def seed(url: str, key: str, agents: int, threads: int, big: int) -> list[str]:
    """`agents` assistants with `threads` threads each, then one with `big` threads; their ids
    (the big one last)."""
    limits = httpx.Limits(max_connections=32)
    async with httpx.AsyncClient(
        base_url=url, headers=server_headers(key), timeout=120, limits=limits
    ) as http:
        ids = []
        for n in range(agents + 1):
            body = {"graph_id": "scripted", "name": f"bench agent {n}", "if_exists": "do_nothing"}
            made = await http.post("/assistants", json=body)
            made.raise_for_status()
            ids.append(made.json()["assistant_id"])
        gate = asyncio.Semaphore(32)
        # The server keeps `assistant_id` out of the metadata a client sends: a thread gets it
        # when a run is made on it. So one thread per assistant gets a run (scheduled a day
        # ahead: it never runs here) and is copied, metadata and all. A copy of a thread with
        # no checkpoint is cheap; the copies are idle, titled by their metadata.
        templates = {}
        for n, assistant_id in enumerate(ids):
            metadata = {"title": f"a thread of bench agent {n}"}
            template = (await http.post("/threads", json={"metadata": metadata})).json()
            run = {"assistant_id": assistant_id, "input": {"messages": []}, "after_seconds": 86400}
            made = await http.post(f"/threads/{template['thread_id']}/runs", json=run)
            made.raise_for_status()
            templates[assistant_id] = template["thread_id"]

        async def thread(assistant_id: str, n: int) -> None:
            async with gate:
                for attempt in range(5):
                    try:
                        copied = await http.post(f"/threads/{templates[assistant_id]}/copy")
                    except httpx.TransportError:  # a kept-alive connection the server closed
                        if attempt == 4:
                            raise
                        continue
                    copied.raise_for_status()
                    return

        work = [thread(a, n) for a in ids[:-1] for n in range(threads - 1)]
        work += [thread(ids[-1], n) for n in range(big - 1)]
        started = time.perf_counter()
        await asyncio.gather(*work)
        print(f"(seeded {len(work) + len(ids):,} threads in {time.perf_counter() - started:.0f} s)")
        return ids


def profiles_for(url: str, key: str, ids: list[str]) -> list[AgentProfile]:
    return [
        AgentProfile(name=f"agent {n}", url=url, agent_id=assistant_id, api_key=key)
        for n, assistant_id in enumerate(ids)
    ]


def make_watch(
    store: Store, profiles: list[AgentProfile]
) -> tuple[InboxWatch, ClientPool, dict[str, Counting]]:
    pool = ClientPool(store, lambda: profiles)
    counters: dict[str, Counting] = {}
    for profile in profiles:
        counters[profile.name] = Counting()
        agent = store.ensure_agent(profile.url, profile.agent_id)
        client = FleetClient(
            profile.url, profile.agent_id, profile.api_key, transport=counters[profile.name]
        )
        pool.adopt(agent.id, profile, client)
    watch = InboxWatch(store, lambda: profiles, pool, interval=lambda: 60)
    return watch, pool, counters


async def timed_pass(watch: InboxWatch) -> tuple[float, float, list[Any]]:
    meter = StallMeter().start()
    started = time.perf_counter()
    looks = await watch.look_all()
    seconds = time.perf_counter() - started
    stall = await meter.stop()
    assert all(look.ok for look in looks), [look.problem for look in looks if not look.ok]
    return seconds, stall, looks


async def passes(url: str, key: str, ids: list[str], tmp: Path, offset: int) -> dict[str, Any]:
    profiles = profiles_for(url, key, ids[:-1])
    store = Store.open(tmp / "passes.db")
    watch, pool, counters = make_watch(store, profiles)
    try:
        first, first_stall, looks = await timed_pass(watch)
        imported = sum(look.imported for look in looks)
        for counter in counters.values():
            counter.count = 0
        quiet, quiet_stall, looks = await timed_pass(watch)
        per_agent = max(counter.count for counter in counters.values())
        async with httpx.AsyncClient(base_url=url, headers=server_headers(key)) as http:
            for assistant_id in ids[:-1]:
                found = await http.post(
                    "/threads/search",
                    json={"metadata": {"assistant_id": assistant_id}, "limit": 5, "offset": offset},
                )
                for thread in found.json():
                    patch = {"metadata": {"touched": time.time()}}
                    await http.patch(f"/threads/{thread['thread_id']}", json=patch)
        for counter in counters.values():
            counter.count = 0
        changed, changed_stall, looks = await timed_pass(watch)
        changed_count = sum(len(look.changed) for look in looks)
        changed_requests = sum(counter.count for counter in counters.values())
    finally:
        await pool.aclose()
        store.close()
    return {
        "first": first,
        "first_stall": first_stall,
        "imported": imported,
        "quiet": quiet,
        "quiet_stall": quiet_stall,
        "quiet_requests": per_agent,
        "changed": changed,
        "changed_stall": changed_stall,
        "changed_count": changed_count,
        "changed_requests": changed_requests,
    }


async def our_import(
    url: str, key: str, assistant_id: str, tmp: Path, n: int
) -> tuple[float, float, int]:
    profiles = profiles_for(url, key, [assistant_id])
    store = Store.open(tmp / f"import-{n}.db")
    watch, pool, _counters = make_watch(store, profiles)
    try:
        meter = StallMeter().start()
        started = time.perf_counter()
        look = await watch.look(profiles[0])
        seconds = time.perf_counter() - started
        stall = await meter.stop()
        assert look.ok, look.problem
        return seconds, stall, look.imported
    finally:
        await pool.aclose()
        store.close()


async def sdk_import(url: str, key: str, assistant_id: str, limit: int) -> tuple[float, int]:
    from langgraph_sdk import get_client

    client = get_client(url=url, headers=server_headers(key))
    started = time.perf_counter()
    seen = 0
    offset = 0
    while True:
        page = await client.threads.search(
            metadata={"assistant_id": assistant_id},
            limit=limit,
            offset=offset,
            sort_by="updated_at",
            sort_order="desc",
        )
        seen += len(page)
        if len(page) < limit:
            break
        offset += len(page)
    seconds = time.perf_counter() - started
    await client.http.client.aclose()
    return seconds, seen


async def main_async(args: argparse.Namespace) -> None:
    with agent_server(args.url, args.key) as (url, key), tempfile.TemporaryDirectory() as tmp:
        ids = await seed(url, key, args.agents, args.threads, args.import_threads)
        figures = await passes(url, key, ids, Path(tmp), args.threads // 2)
        ours: list[float] = []
        stalls: list[float] = []
        sdk: dict[int, list[float]] = {100: [], 500: [], 1000: []}
        for n in range(args.runs):
            seconds, stall, imported = await our_import(url, key, ids[-1], Path(tmp), n)
            assert imported == args.import_threads, imported
            ours.append(seconds)
            stalls.append(stall)
            for limit, into in sdk.items():
                seconds, seen = await sdk_import(url, key, ids[-1], limit)
                assert seen == args.import_threads, seen
                into.append(seconds)
    ratios = {limit: median(ours) / median(times) for limit, times in sdk.items()}
    n = f"{args.import_threads:,}"
    rows = [
        [
            f"first pass, {args.agents} agents, empty store",
            ms(figures["first"]),
            ms(figures["first_stall"]),
            f"{figures['imported']:,} imported",
        ],
        [
            "pass, nothing changed",
            ms(figures["quiet"]),
            ms(figures["quiet_stall"]),
            f"{figures['quiet_requests']} request(s) per agent at most",
        ],
        [
            "pass, 5 threads per agent changed elsewhere",
            ms(figures["changed"]),
            ms(figures["changed_stall"]),
            f"{figures['changed_count']} changed, {figures['changed_requests']} requests",
        ],
        [f"first import of {n} threads: fleet-tui", ms(median(ours)), ms(max(stalls)), ""],
    ]
    rows += [
        [
            f"  langgraph_sdk threads.search loop, limit {limit}",
            ms(median(times)),
            "",
            f"{ratios[limit]:.2f}x",
        ]
        for limit, times in sdk.items()
    ]
    print(table(rows, ["what", "time", "longest stall", "note"]))
    worst = max(figures["first_stall"], figures["quiet_stall"], figures["changed_stall"], *stalls)
    quiet = figures["quiet_requests"]
    print()
    print(f"requests per agent, nothing changed: {quiet} (<= 1: {verdict(quiet <= 1)})")
    print(f"longest stall during a pass: {ms(worst)} (<= 50 ms: {verdict(worst <= 0.050)})")
    for limit, ratio in ratios.items():
        print(
            f"first import vs langgraph_sdk at limit {limit}: {ratio:.2f}x "
            f"(<= 1.5x: {verdict(ratio <= 1.5)})"
        )
    write_results(
        args.json,
        "inbox_watch",
        {
            **figures,
            "import": median(ours),
            "import_stall": max(stalls),
            "sdk": {str(limit): median(times) for limit, times in sdk.items()},
            "ratios": {str(limit): ratio for limit, ratio in ratios.items()},
            "stall": worst,
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_server_flags(parser)
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1000)
    parser.add_argument("--import-threads", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", help="also write the figures to this file (run_all.py)")
    args = parser.parse_args()
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
