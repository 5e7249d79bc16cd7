"""A hostile or broken server is bounded: the client against tests/hostile_server.py.

Every misbehaviour ends as a `FleetError` or a `RunError` worded for a person, in bounded time
and memory; none escapes as an httpx exception.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from hostile_server import BIG_EVENT_MB, HostileServer

from fleet_tui.agent_server.client import (
    MAX_EVENT_BYTES,
    MAX_RETRY_WAIT,
    BadResponse,
    FleetClient,
    FleetError,
    RateLimitedError,
)
from fleet_tui.domain.events import (
    Event,
    RunEnded,
    RunError,
    ServerWait,
    StreamQuiet,
    TextDelta,
)

PAT = "fake-pat-bounded-test-4242424242"
AGENT = "0badc0de-0000-4000-8000-00000000beef"


def client(server: HostileServer, behaviour: str, **kw: object) -> FleetClient:
    return FleetClient(server.url(behaviour), AGENT, PAT, backoff_base=0.001, **kw)  # type: ignore[arg-type]


async def collect(events: AsyncIterator[Event], timeout: float = 30) -> list[Event]:
    async def run() -> list[Event]:
        return [event async for event in events]

    return await asyncio.wait_for(run(), timeout)


def text_of(events: list[Event]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


# ------------------------------------------------------------------ a body that lies
async def test_a_gzip_lie_in_an_answer_is_a_worded_error(hostile_server: HostileServer) -> None:
    async with client(hostile_server, "gzip-lie") as fleet:
        with pytest.raises(BadResponse) as caught:
            await fleet.check_connection()
    message = str(caught.value)
    assert "Content-Encoding" in message and hostile_server.url("gzip-lie") in message
    assert PAT not in message


async def test_a_gzip_lie_in_a_stream_ends_the_run_with_an_error(
    hostile_server: HostileServer,
) -> None:
    async with client(hostile_server, "gzip-lie") as fleet:
        events = await collect(fleet.stream_run({"messages": []}))
    errors = [e for e in events if isinstance(e, RunError)]
    assert [e.error for e in errors] == ["BadResponse"]
    assert "Content-Encoding" in errors[0].message
    assert events[-1] == RunEnded(None, "error")


# ------------------------------------------------------------------ Retry-After
async def test_retry_after_is_capped_and_said(hostile_server: HostileServer) -> None:
    waits: list[ServerWait] = []
    async with client(hostile_server, "retry-after", max_retry_wait=0.2) as fleet:
        fleet.on_wait = waits.append
        started = time.monotonic()
        with pytest.raises(RateLimitedError) as caught:
            await fleet.get_thread("00000000-0000-4000-8000-000000000001")
    # one capped wait, then the budget is spent: the error, not a day of sleep
    assert time.monotonic() - started < 5
    assert [(w.asked, w.seconds) for w in waits] == [(99999.0, 0.2)]
    assert "27 h 46 min" in str(caught.value)


async def test_the_default_cap_is_a_minute_and_is_announced_before_the_wait(
    hostile_server: HostileServer,
) -> None:
    assert MAX_RETRY_WAIT == 60
    waits: list[ServerWait] = []
    told = asyncio.Event()

    def on_wait(wait: ServerWait) -> None:
        waits.append(wait)
        told.set()

    async with client(hostile_server, "retry-after") as fleet:
        fleet.on_wait = on_wait
        request = asyncio.create_task(fleet.get_thread("00000000-0000-4000-8000-000000000001"))
        await asyncio.wait_for(told.wait(), 10)
        request.cancel()
        with pytest.raises(asyncio.CancelledError):
            await request
    wait = waits[0]
    assert (wait.asked, wait.seconds) == (99999.0, 60.0)
    assert 55 < wait.until - time.time() <= 60
    line = wait.describe()
    assert "asked to wait 27 h 46 min" in line and "retrying at" in line
    assert "capped at 1 min" in line


# ------------------------------------------------------------------ one huge event
async def test_an_event_over_the_limit_closes_the_stream_and_keeps_the_reply(
    hostile_server: HostileServer,
) -> None:
    assert BIG_EVENT_MB * 1_000_000 > MAX_EVENT_BYTES == 16_000_000
    async with client(hostile_server, "big-event") as fleet:
        events = await collect(fleet.stream_run({"messages": []}))
    assert text_of(events) == "Hello from"  # what came before it is kept
    errors = [e for e in events if isinstance(e, RunError)]
    assert [e.error for e in errors] == ["EventTooLarge"]
    assert "16 MB" in errors[0].message and "kept" in errors[0].message
    assert events[-1].status == "error"  # type: ignore[union-attr]


async def test_an_event_under_the_limit_arrives_whole(hostile_server: HostileServer) -> None:
    async with client(hostile_server, "big-event-2") as fleet:
        events = await collect(fleet.stream_run({"messages": []}))
    text = text_of(events)
    assert len(text) == 2_000_000 + len("Hello from the hostile server.")
    assert events[-1] == RunEnded(events[0].run_id, "success")  # type: ignore[union-attr]


async def test_a_lone_surrogate_arrives_as_text(hostile_server: HostileServer) -> None:
    async with client(hostile_server, "surrogate") as fleet:
        events = await collect(fleet.stream_run({"messages": []}))
    assert "bad \udc80 char" in text_of(events)
    assert events[-1].status == "success"  # type: ignore[union-attr]


# ------------------------------------------------------------------ silence
async def test_a_silent_stream_says_so_and_keeps_reading(hostile_server: HostileServer) -> None:
    async with client(hostile_server, "silent", quiet_after=0.3) as fleet:
        stream = fleet.stream_run({"messages": []}, thread_id=None)
        seen: list[Event] = []
        iterator = aiter(stream)
        try:
            while len([e for e in seen if isinstance(e, StreamQuiet)]) < 2:
                seen.append(await asyncio.wait_for(anext(iterator), 10))
        finally:
            await iterator.aclose()  # type: ignore[attr-defined]
    quiet = [e for e in seen if isinstance(e, StreamQuiet)]
    assert text_of(seen) == "Hello from"
    # counted from the last data, and counting up
    assert 0.25 <= quiet[0].seconds < quiet[1].seconds
    assert not any(e.resumed for e in quiet)


async def test_data_after_a_silence_says_the_silence_is_over(
    hostile_server: HostileServer,
) -> None:
    async with client(hostile_server, "silent-1", quiet_after=0.3) as fleet:
        events = await collect(fleet.stream_run({"messages": []}))
    quiet = [e for e in events if isinstance(e, StreamQuiet)]
    assert quiet and quiet[-1].resumed and quiet[-1].seconds >= 0.9
    assert text_of(events) == "Hello from the hostile server."
    assert events[-1].status == "success"  # type: ignore[union-attr]


async def test_a_silent_stream_is_cancelled_at_once(hostile_server: HostileServer) -> None:
    """Cancelling the task that reads a silent stream (what escape does) ends it now."""
    async with client(hostile_server, "silent", quiet_after=0.2) as fleet:
        got_quiet = asyncio.Event()

        async def read() -> None:
            async for event in fleet.stream_run({"messages": []}):
                if isinstance(event, StreamQuiet):
                    got_quiet.set()

        task = asyncio.create_task(read())
        await asyncio.wait_for(got_quiet.wait(), 10)
        task.cancel()
        started = time.monotonic()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert time.monotonic() - started < 1


@pytest.mark.parametrize("behaviour", ["markup-detail", "echo-headers"])
async def test_hostile_error_details_are_fleet_errors(
    hostile_server: HostileServer, behaviour: str
) -> None:
    async with client(hostile_server, behaviour) as fleet:
        with pytest.raises(FleetError):
            await fleet.check_connection()


async def test_an_error_event_arrives_as_a_run_error(hostile_server: HostileServer) -> None:
    async with client(hostile_server, "error-event") as fleet:
        events = await collect(fleet.stream_run({"messages": []}))
    errors = [e for e in events if isinstance(e, RunError)]
    assert [e.error for e in errors] == ["ValueError"] and "[/]" in errors[0].message
    assert events[-1].status == "error"  # type: ignore[union-attr]
