"""One run's stream of events: read, bounded, watched for silence, rejoined when it breaks.

`FleetClient.stream_run` and `join_stream` make a `RunStream`; iterating it gives domain events
(`events.py`). No Textual import.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
from httpx_sse import ServerSentEvent, SSEError

from fleet_tui.agent_server.normalizer import EventNormalizer
from fleet_tui.agent_server.sse_bytes import EventTooLarge, SSEBytesDecoder, check_event_stream
from fleet_tui.common.errors import FleetError, ServerError, StreamBroken, UnreachableError
from fleet_tui.domain.events import (
    Event,
    Reconnecting,
    RunEnded,
    RunError,
    RunStarted,
    StreamQuiet,
)

if TYPE_CHECKING:
    from fleet_tui.agent_server.client import FleetClient

# A tool can be silent for minutes while a run is healthy, so a stream's read timeout is long
# (the silence is reported long before it, see `StreamQuiet`); plain requests get a short one.
STREAM_TIMEOUT = httpx.Timeout(connect=15.0, read=30 * 60.0, write=30.0, pool=30.0)


def run_ref(response: httpx.Response) -> tuple[str | None, str | None]:
    """(run id, thread id) from `Content-Location: /threads/{tid}/runs/{rid}`."""
    path = response.headers.get("content-location") or response.headers.get("location") or ""
    parts = [p for p in urlsplit(path).path.split("/") if p]
    thread_id = run_id = None
    if "threads" in parts and parts.index("threads") + 1 < len(parts):
        thread_id = parts[parts.index("threads") + 1]
    if "runs" in parts and parts.index("runs") + 1 < len(parts):
        candidate = parts[parts.index("runs") + 1]
        if candidate != "stream":
            run_id = candidate
    return run_id, thread_id


class RunStream:
    """An async iterator of domain events for one run; rejoins a broken resumable stream."""

    def __init__(
        self,
        client: FleetClient,
        path: str,
        body: dict[str, Any] | None,
        thread_id: str | None,
        seen_message_ids: Sequence[str],
        *,
        run_id: str | None = None,
        joined_from: str | None = None,
    ):
        """A new run (`body` is what starts it), or with `joined_from` (an event id, `-` for
        the start) one going on: `run_id` on `thread_id`."""
        self._client = client
        self._path = path
        self._body = body
        self.thread_id = thread_id
        self.run_id = run_id
        self.last_event_id: str | None = None
        self.normalizer = EventNormalizer(thread_id, seen_message_ids=seen_message_ids)
        self.resumable = bool(body and body.get("stream_resumable"))
        self.status: str | None = None
        # set by whoever cancels the run: the stream then ends with open messages left open
        self.cancelled = False
        # Event ids ("ms-seq") can repeat within one millisecond, and the server replays only
        # ids greater than Last-Event-ID, so a rejoin asks from the id *before* the last one.
        # The server also subscribes to the live run before it replays, so a rejoined stream
        # can deliver an event twice: after a rejoin, older ids are dropped, and so are events
        # with the last id whose content was already received.
        self._resume_from = joined_from if joined_from != "-" else None
        self._last_key: tuple[int, ...] | None = None
        self._at_last_id: list[tuple[str, str]] = []
        # a join can deliver an event twice, like a rejoin
        self._rejoined = joined_from is not None

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._events()

    async def _events(self) -> AsyncIterator[Event]:
        client = self._client
        attempt = 0
        started = False
        while True:
            try:
                if self._body is not None and not started:
                    # a reply's wall time counts from here (a joined run's is not known)
                    self.normalizer.request_started = self.normalizer.clock()
                    response = await client.open_stream(
                        "POST", self._path, what="start a run", json_body=self._body
                    )
                    run_id, thread_id = run_ref(response)
                    self.run_id = self.run_id or run_id
                    self.thread_id = self.thread_id or thread_id
                    self.normalizer.thread_id = self.thread_id
                    started = True
                else:
                    response = await self._rejoin()
                    self._rejoined = True
                    started = True
                try:
                    async with contextlib.aclosing(self._read(response)) as batches:
                        async for batch in batches:
                            for event in batch:
                                yield event
                finally:
                    await response.aclose()
                break
            except (httpx.TransportError, SSEError, UnreachableError, ServerError) as exc:
                # the stream broke after it started (a failed start is the caller's error):
                # rejoin while the run can be rejoined and attempts remain
                if not started:
                    raise
                rejoinable = bool(self.thread_id and self.run_id)
                rejoinable = rejoinable and (self.resumable or not self._body)
                attempt += 1
                if not rejoinable or attempt > client.max_reconnects:
                    yield from_broken(exc, self, resumable=rejoinable)
                    self.status = "error"
                    yield RunEnded(self.run_id, "error")
                    return
                yield Reconnecting(attempt, client.max_reconnects)
                await asyncio.sleep(client.reconnect_delay(attempt - 1))
            except (httpx.HTTPError, EventTooLarge) as exc:
                # what the server sent cannot be read, and would not be on a rejoin either
                if not started:
                    raise
                yield from_unreadable(exc, client.url)
                self.status = "error"
                yield RunEnded(self.run_id, "error")
                return
        if self.cancelled:
            self.status = "cancelled"
            yield RunEnded(self.run_id, "cancelled")
            return
        for event in self.normalizer.finish():
            yield event
        if self.normalizer.errored:
            self.status = "error"
        elif self.normalizer.interrupted:
            self.status = "interrupted"
        else:
            self.status = "success"
        yield RunEnded(self.run_id, self.status)  # type: ignore[arg-type]

    async def _rejoin(self) -> httpx.Response:
        assert self.thread_id and self.run_id
        return await self._client.open_stream(
            "GET",
            f"/threads/{self.thread_id}/runs/{self.run_id}/stream",
            what="rejoin the run",
            headers={"Last-Event-ID": self._resume_from or "-"},
        )

    def _is_repeat(self, event_id: str, event: str, data: str) -> bool:
        """Track the position in the run's event sequence; True for an event had before.

        This is about SSE events (their ids and bytes), not messages: a message that comes
        again in another event is the normaliser's to drop, by `message_identity`'s rule."""
        if event_id == self.last_event_id:
            seen = self._at_last_id
            if self._rejoined and (event, data) in seen:
                return True
            seen.append((event, data))
            return False
        if self._rejoined:
            # ids are only compared after a rejoin: one stream delivers them in order
            key = _event_key(event_id)
            last = self._last_key
            if last is None and self.last_event_id:
                last = _event_key(self.last_event_id)
            if last is not None and key < last:
                return True
            self._last_key = key
        self._resume_from = self.last_event_id
        self.last_event_id = event_id
        self._at_last_id = [(event, data)]
        return False

    async def _read(self, response: httpx.Response) -> AsyncGenerator[list[Event], None]:
        """The events of each chunk as it arrives, in one list: one async step per chunk,
        not per event. A long silence comes as a `StreamQuiet` of its own."""
        check_event_stream(response)
        client = self._client
        decoder = SSEBytesDecoder(client.max_event_bytes)
        async with contextlib.aclosing(_watched(response, client.quiet_after)) as steps:
            async for step in steps:
                if type(step) is not list:
                    yield [step]  # type: ignore[list-item]
                    continue
                for chunk in step:
                    long_lines = decoder.long_lines
                    batch = decoder.feed(chunk)
                    if decoder.long_lines != long_lines:
                        # an event of megabytes: decoding it, parsing it and what follows
                        # it each get a turn of the event loop of their own
                        for sse in batch:
                            await asyncio.sleep(0)
                            if events := self._events_of([sse]):
                                yield events
                    elif events := self._events_of(batch):
                        yield events
                    if decoder.overflowed:
                        raise EventTooLarge(decoder.max_event_bytes)
        # a line with no end after it cannot end an event: an event cut off by the end of
        # the stream is dropped, as SSE says

    def _events_of(self, batch: list[ServerSentEvent]) -> list[Event]:
        out: list[Event] = []
        feed = self.normalizer.feed
        for sse in batch:
            if sse.id and self._is_repeat(sse.id, sse.event, sse.data):
                continue
            if events := feed(sse.event, sse.data):
                # a `metadata` event gives RunStarted alone; it carries this stream's ids
                if type(events[0]) is RunStarted:
                    self.run_id = self.run_id or events[0].run_id
                    events[0] = RunStarted(self.run_id, self.thread_id)
                out += events
        return out


# How many chunks the reader may get ahead of whoever handles them.
READ_AHEAD = 64


async def _watched(
    response: httpx.Response, quiet_after: float
) -> AsyncGenerator[list[bytes] | StreamQuiet, None]:
    """The response's chunks, those that came since the last step in one list; while none
    comes, a `StreamQuiet` every `quiet_after` seconds.

    The body is read by a task of its own: waiting for the next chunk with a timeout would
    cancel the read (and break the connection) each time it expires. A task per chunk would
    cost more than decoding the chunk, so one task reads them all into a queue, and one timer,
    re-armed from the time of the latest chunk, wakes the iterator when the silence is long.
    """
    loop = asyncio.get_running_loop()
    chunks: collections.deque[bytes] = collections.deque()
    failure: list[BaseException] = []
    finished = False
    waiter: asyncio.Future[None] | None = None
    room: asyncio.Future[None] | None = None
    last_data = loop.time()
    quiet_due = False

    def wake() -> None:
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def read() -> None:
        nonlocal finished, last_data, room
        try:
            async for chunk in response.aiter_bytes():
                if chunk:
                    chunks.append(chunk)
                    last_data = loop.time()
                    wake()
                    if len(chunks) >= READ_AHEAD:
                        room = loop.create_future()
                        await room
        except Exception as exc:  # handed to the iterator, which raises it as the read would
            failure.append(exc)
        finally:
            finished = True
            wake()

    timer: asyncio.TimerHandle  # set below, re-armed by the watchdog

    def watchdog() -> None:
        nonlocal timer, quiet_due
        if finished:
            return
        now = loop.time()
        due = last_data + quiet_after
        if now >= due:
            quiet_due = True
            wake()
            due = now + quiet_after
        timer = loop.call_at(due, watchdog)

    reader = asyncio.ensure_future(read())
    timer = loop.call_at(last_data + quiet_after, watchdog)
    silent_since: float | None = None
    try:
        while True:
            if chunks:
                batch = list(chunks)  # all that came: one step of this generator, not one each
                chunks.clear()
                if room is not None and not room.done():
                    room.set_result(None)
                if silent_since is not None:
                    yield StreamQuiet(last_data - silent_since, resumed=True)
                    silent_since = None
                quiet_due = False
                yield batch
            elif finished:
                if failure:
                    raise failure[0]
                return
            elif quiet_due:
                quiet_due = False
                if silent_since is None:
                    silent_since = last_data
                yield StreamQuiet(loop.time() - silent_since)
            else:
                waiter = loop.create_future()
                await waiter
                waiter = None
    finally:
        timer.cancel()
        if not reader.done():
            reader.cancel()
            await asyncio.wait((reader,))


def _event_key(event_id: str) -> tuple[int, ...]:
    """Order of an event id: the server's ids are "milliseconds-sequence"."""
    ms, _, seq = event_id.partition("-")
    try:
        return (int(ms), int(seq or 0))
    except ValueError:
        return tuple(ord(c) for c in event_id)


def from_broken(exc: Exception, stream: RunStream, *, resumable: bool) -> RunError:
    if resumable:
        message = (
            "The connection dropped and the run could not be rejoined after "
            f"{stream._client.max_reconnects} attempts; the partial reply is kept."
        )
    else:
        message = "The connection dropped in the middle of the reply; the partial reply is kept."
    return RunError(StreamBroken.__name__, f"{message} ({type(exc).__name__})")


def from_unreadable(exc: Exception, url: str) -> RunError:
    """A stream whose bytes cannot be read (or are too many): said for a person."""
    if isinstance(exc, FleetError):
        return RunError(type(exc).__name__, str(exc))
    message = unreadable_message(exc, url, "a run's stream")
    return RunError("BadResponse", f"{message} The reply so far is kept.")


def unreadable_message(exc: Exception, url: str, what: str) -> str:
    """`what` the server sent (e.g. "an answer to 'list threads'") could not be read."""
    if isinstance(exc, httpx.DecodingError):
        problem = "its body is not in the encoding its headers declare (Content-Encoding)"
    else:
        problem = f"{type(exc).__name__}"
    return (
        f"The server at {url} sent {what} that cannot be read: {problem}. Check that the URL "
        "is the Agent Server deployment itself, not a proxy in front of it."
    )
