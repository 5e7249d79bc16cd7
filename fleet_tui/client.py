"""Async client for a LangGraph Agent Server (what a LangSmith Fleet agent runs on).

Every request carries `X-Api-Key` and `X-Auth-Scheme` as the Fleet documentation shows.
Errors are typed and worded for a person; the token never appears in any of them.
No Textual import here.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from httpx_sse import ServerSentEvent, SSEError
from httpx_sse._decoders import SSEDecoder

from fleet_tui import __version__, redaction
from fleet_tui.errors import (  # re-exported: the client's errors
    AuthenticationError,
    FleetError,
    NotFoundError,
    RateLimitedError,
    RedirectRefused,
    RequestRejected,
    ServerError,
    ThreadBusyError,
    UnreachableError,
)
from fleet_tui.events import (
    Event,
    EventNormalizer,
    Reconnecting,
    RunEnded,
    RunError,
    RunStarted,
)

log = logging.getLogger("fleet_tui.client")

DEFAULT_AUTH_SCHEME = "langsmith-api-key"
DEFAULT_STREAM_MODES: tuple[str, ...] = ("messages-tuple", "updates")
# A tool can be silent for minutes while a run is healthy, so a stream's read timeout is long;
# plain requests get a short one.
STREAM_TIMEOUT = httpx.Timeout(connect=15.0, read=30 * 60.0, write=30.0, pool=30.0)
REQUEST_TIMEOUT = httpx.Timeout(connect=15.0, read=60.0, write=30.0, pool=30.0)
MAX_SAME_ORIGIN_REDIRECTS = 3


# --------------------------------------------------------------------------- records
@dataclass(frozen=True, slots=True)
class AgentInfo:
    assistant_id: str
    graph_id: str
    name: str


@dataclass(frozen=True, slots=True)
class RunRef:
    run_id: str | None
    thread_id: str | None


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _detail_of(response: httpx.Response) -> str:
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError):
        text = response.text.strip()
        return text[:500]
    if isinstance(body, dict):
        detail = body.get("detail", body.get("message", body))
        if isinstance(detail, list):
            parts = []
            for item in detail:
                if isinstance(item, dict):
                    loc = ".".join(str(p) for p in item.get("loc", ()) if p != "body")
                    parts.append(f"{loc}: {item.get('msg', item)}" if loc else str(item.get("msg")))
                else:
                    parts.append(str(item))
            return "; ".join(parts)
        return detail if isinstance(detail, str) else json.dumps(detail)
    return str(body)[:500]


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def error_for_response(response: httpx.Response, *, what: str, url: str) -> FleetError:
    """Turn an unsuccessful response into an error a person can act on."""
    status = response.status_code
    detail = _detail_of(response)
    if status in (401, 403):
        return AuthenticationError(
            f"Authentication failed ({status}) at {url}: check the Personal Access Token and that "
            f"the auth scheme header is '{DEFAULT_AUTH_SCHEME}'.",
            status=status,
            detail=detail,
        )
    if status == 404:
        return NotFoundError(
            f"Not found (404) while trying to {what}: the agent id or thread id may be wrong, or "
            "the Personal Access Token is not tied to the owner of this agent (Fleet answers 404 "
            "to a token that does not belong to the agent's owner).",
            status=status,
            detail=detail,
        )
    if status == 422 and "invalid assistant" in detail.lower():
        # a local server names its graphs here; Fleet answers 404 for an unknown agent
        return NotFoundError(
            f"Not found: the agent id is not an agent on {url}. {detail}",
            status=status,
            detail=detail,
        )
    if status == 409:
        return ThreadBusyError(
            "The thread is busy with another run (409): wait for it to finish, join it, "
            "or cancel it.",
            status=status,
            detail=detail,
        )
    if status == 429:
        wait = _retry_after(response)
        hint = f" retry in {wait:.0f} s" if wait is not None else " wait a moment and retry"
        return RateLimitedError(
            f"Rate limited by the server (429):{hint}.",
            status=status,
            detail=detail,
            retry_after=wait,
        )
    if status >= 500:
        return ServerError(
            f"The server failed ({status}) while trying to {what}: {detail or 'no detail given'}. "
            "Try again; if it persists, check the deployment in LangSmith.",
            status=status,
            detail=detail,
        )
    return RequestRejected(
        f"The server rejected the request to {what} ({status}): {detail or 'no detail given'}",
        status=status,
        detail=detail,
    )


def _unreachable(url: str, exc: Exception) -> UnreachableError:
    if isinstance(exc, httpx.TimeoutException):
        reason = "the connection timed out"
    elif isinstance(exc, httpx.ConnectError):
        text = str(exc).lower()
        if "name or service" in text or "nodename" in text or "getaddrinfo" in text:
            reason = "the host name could not be resolved"
        elif "refused" in text or "all connection attempts failed" in text:
            reason = "the connection was refused (is the server running?)"
        elif "certificate" in text or "ssl" in text:
            reason = "the TLS certificate could not be verified"
        else:
            reason = "the connection failed"
    else:
        reason = f"the connection failed ({type(exc).__name__})"
    return UnreachableError(
        f"Cannot reach {url}: {reason}. Check the deployment URL and your network."
    )


def _run_ref(response: httpx.Response) -> RunRef:
    """Run and thread ids from `Content-Location: /threads/{tid}/runs/{rid}`."""
    path = response.headers.get("content-location") or response.headers.get("location") or ""
    parts = [p for p in urlsplit(path).path.split("/") if p]
    thread_id = run_id = None
    if "threads" in parts and parts.index("threads") + 1 < len(parts):
        thread_id = parts[parts.index("threads") + 1]
    if "runs" in parts and parts.index("runs") + 1 < len(parts):
        candidate = parts[parts.index("runs") + 1]
        if candidate != "stream":
            run_id = candidate
    return RunRef(run_id, thread_id)


class FleetClient:
    """One connection to one agent on one deployment."""

    def __init__(
        self,
        url: str,
        agent_id: str,
        api_key: str | None,
        *,
        auth_scheme: str = DEFAULT_AUTH_SCHEME,
        custom_header: tuple[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        max_reconnects: int = 5,
        backoff_base: float = 0.5,
        read_retries: int = 3,
    ):
        self.url = url.rstrip("/")
        self.agent_id = agent_id
        self.max_reconnects = max_reconnects
        self.backoff_base = backoff_base
        self.read_retries = read_retries
        redaction.remember(api_key, custom_header[1] if custom_header else None)
        headers = {"User-Agent": f"fleet-tui/{__version__}"}
        if auth_scheme:
            headers["X-Auth-Scheme"] = auth_scheme
        if api_key:
            headers["X-Api-Key"] = api_key
        if custom_header and custom_header[0] and custom_header[1]:
            headers[custom_header[0]] = custom_header[1]
        # Redirects are followed by hand (same origin only): httpx strips only `Authorization`
        # on a cross-origin redirect, so it would hand `X-Api-Key` to another host.
        self._http = httpx.AsyncClient(
            base_url=self.url,
            headers=headers,
            timeout=REQUEST_TIMEOUT,
            follow_redirects=False,
            verify=True,
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"FleetClient(url={self.url!r}, agent_id={self.agent_id!r})"

    async def __aenter__(self) -> FleetClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ----------------------------------------------------------------- plumbing
    def _full(self, path: str) -> str:
        return f"{self.url}{path}"

    async def _send(
        self,
        method: str,
        path: str,
        *,
        what: str,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
        timeout: httpx.Timeout | None = None,
    ) -> httpx.Response:
        """Send one request, following same-origin redirects only; raise typed errors."""
        url = self._full(path)
        origin = urlsplit(url)[:2]
        for _ in range(MAX_SAME_ORIGIN_REDIRECTS + 1):
            request = self._http.build_request(
                method,
                url,
                json=json_body,
                params=params,
                headers=headers,
                timeout=timeout or REQUEST_TIMEOUT,
            )
            try:
                response = await self._http.send(request, stream=stream)
            except httpx.TransportError as exc:
                raise _unreachable(self.url, exc) from None
            if response.is_redirect:
                location = response.headers.get("location", "")
                await response.aclose()
                target = urljoin(url, location)
                if urlsplit(target)[:2] != origin:
                    raise RedirectRefused(
                        f"The server at {self.url} redirected to another host "
                        f"({urlsplit(target).netloc}); the token was not sent there. If that host "
                        "is the right deployment, use its URL in the settings."
                    )
                url = target
                continue
            if response.is_success:
                return response
            if stream:
                await response.aread()
            raise error_for_response(response, what=what, url=self.url)
        raise RedirectRefused(f"Too many redirects from {self.url}.")

    async def _json(self, method: str, path: str, *, what: str, **kw: Any) -> Any:
        """A request whose answer is JSON. GETs and searches retry on 5xx/429 with backoff."""
        idempotent = method == "GET" or kw.pop("idempotent", False)
        attempts = self.read_retries + 1 if idempotent else 1
        for attempt in range(attempts):
            try:
                response = await self._send(method, path, what=what, **kw)
            except (ServerError, RateLimitedError, UnreachableError) as exc:
                if attempt + 1 >= attempts:
                    raise
                delay = getattr(exc, "retry_after", None)
                await asyncio.sleep(delay if delay is not None else self._backoff(attempt))
                continue
            if response.status_code == 204 or not response.content:
                return None
            try:
                return response.json()
            except ValueError:
                raise ServerError(
                    f"The server's answer to '{what}' was not JSON; is {self.url} an Agent "
                    "Server deployment URL?"
                ) from None
        raise AssertionError("unreachable")

    def _backoff(self, attempt: int) -> float:
        return min(30.0, self.backoff_base * (2**attempt)) * (0.75 + random.random() / 2)

    # ----------------------------------------------------------------- operations
    async def check_connection(self) -> AgentInfo:
        """Prove the agent exists and the token works; return what the server calls it."""
        if is_uuid(self.agent_id):
            body = await self._json(
                "GET", f"/assistants/{self.agent_id}", what=f"read agent {self.agent_id}"
            )
        else:
            # a local dev server accepts a graph name as the assistant id
            found = await self._json(
                "POST",
                "/assistants/search",
                what="search agents",
                json_body={"graph_id": self.agent_id, "limit": 1},
                idempotent=True,
            )
            if not found:
                raise NotFoundError(
                    f"No agent '{self.agent_id}' on {self.url}: check the agent id (Fleet agent "
                    "ids are UUIDs), or the Personal Access Token is not tied to the agent's owner."
                )
            body = found[0]
        if not isinstance(body, dict):
            raise ServerError(f"Unexpected answer from {self.url} when reading the agent.")
        return AgentInfo(
            assistant_id=str(body.get("assistant_id", self.agent_id)),
            graph_id=str(body.get("graph_id", "")),
            name=str(body.get("name") or body.get("graph_id") or self.agent_id),
        )

    async def create_thread(self, metadata: Mapping[str, Any] | None = None) -> dict[str, Any]:
        body = {"metadata": dict(metadata or {})}
        return await self._json("POST", "/threads", what="create a thread", json_body=body)

    async def get_thread(self, thread_id: str) -> dict[str, Any]:
        return await self._json("GET", f"/threads/{thread_id}", what=f"read thread {thread_id}")

    async def get_thread_state(self, thread_id: str) -> dict[str, Any]:
        return await self._json(
            "GET", f"/threads/{thread_id}/state", what=f"read the state of thread {thread_id}"
        )

    async def update_thread(self, thread_id: str, metadata: Mapping[str, Any]) -> dict[str, Any]:
        return await self._json(
            "PATCH",
            f"/threads/{thread_id}",
            what=f"update thread {thread_id}",
            json_body={"metadata": dict(metadata)},
        )

    async def delete_thread(self, thread_id: str) -> None:
        await self._json("DELETE", f"/threads/{thread_id}", what=f"delete thread {thread_id}")

    async def search_threads(
        self,
        metadata: Mapping[str, Any] | None = None,
        *,
        page_size: int = 100,
        status: str | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """Every matching thread, newest first, page after page until the end."""
        offset = 0
        while True:
            body: dict[str, Any] = {
                "limit": page_size,
                "offset": offset,
                "sort_by": "updated_at",
                "sort_order": "desc",
            }
            if metadata:
                body["metadata"] = dict(metadata)
            if status:
                body["status"] = status
            page = await self._json(
                "POST", "/threads/search", what="list threads", json_body=body, idempotent=True
            )
            if not isinstance(page, list):
                return
            for thread in page:
                if isinstance(thread, dict):
                    yield thread
            if len(page) < page_size:
                return
            offset += len(page)

    async def cancel_run(self, thread_id: str, run_id: str, *, wait: bool = False) -> None:
        await self._send(
            "POST",
            f"/threads/{thread_id}/runs/{run_id}/cancel",
            what="cancel the run",
            params={"action": "interrupt", "wait": "true" if wait else "false"},
        )

    async def list_runs(self, thread_id: str, *, status: str | None = None) -> list[dict[str, Any]]:
        params = {"status": status} if status else None
        runs = await self._json(
            "GET", f"/threads/{thread_id}/runs", what="list the thread's runs", params=params
        )
        return [r for r in runs or () if isinstance(r, dict)]

    async def get_run(self, thread_id: str, run_id: str) -> dict[str, Any]:
        return await self._json("GET", f"/threads/{thread_id}/runs/{run_id}", what="read the run")

    # ----------------------------------------------------------------- streaming
    def stream_run(
        self,
        input: Any = None,
        *,
        thread_id: str | None = None,
        command: Mapping[str, Any] | None = None,
        stream_modes: Sequence[str] | None = None,
        resumable: bool | None = None,
        multitask_strategy: str | None = None,
        config: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        seen_message_ids: Sequence[str] = (),
    ) -> RunStream:
        """Start a run (stateless without `thread_id`) and stream its events.

        Runs on a thread are resumable by default, so a broken stream is rejoined.
        """
        body: dict[str, Any] = {
            "assistant_id": self.agent_id,
            "stream_mode": list(stream_modes or DEFAULT_STREAM_MODES),
        }
        if command is not None:
            body["command"] = dict(command)
        else:
            body["input"] = input
        if config:
            body["config"] = dict(config)
        if metadata:
            body["metadata"] = dict(metadata)
        if thread_id:
            body["stream_resumable"] = True if resumable is None else resumable
            if multitask_strategy:
                body["multitask_strategy"] = multitask_strategy
            path = f"/threads/{thread_id}/runs/stream"
        else:
            path = "/runs/stream"
        return RunStream(self, path, body, thread_id, seen_message_ids)

    def join_stream(
        self,
        thread_id: str,
        run_id: str,
        *,
        last_event_id: str = "-",
    ) -> RunStream:
        """Rejoin a run that is going on (`-` replays it from the start)."""
        stream = RunStream(self, "", None, thread_id, ())
        stream.run_id = run_id
        stream._rejoined = True  # a join can deliver an event twice, like a rejoin
        if last_event_id != "-":
            stream._resume_from = last_event_id
        return stream


class RunStream:
    """An async iterator of domain events for one run; rejoins a broken resumable stream."""

    def __init__(
        self,
        client: FleetClient,
        path: str,
        body: dict[str, Any] | None,
        thread_id: str | None,
        seen_message_ids: Sequence[str],
    ):
        self._client = client
        self._path = path
        self._body = body
        self.thread_id = thread_id
        self.run_id: str | None = None
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
        self._resume_from: str | None = None
        self._last_key: tuple[int, ...] | None = None
        self._at_last_id: list[tuple[str, str]] = []
        self._rejoined = False

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._events()

    async def _events(self) -> AsyncIterator[Event]:
        client = self._client
        attempt = 0
        started = False
        while True:
            try:
                if self._body is not None and not started:
                    response = await client._send(
                        "POST",
                        self._path,
                        what="start a run",
                        json_body=self._body,
                        headers={"Accept": "text/event-stream"},
                        stream=True,
                        timeout=STREAM_TIMEOUT,
                    )
                    ref = _run_ref(response)
                    self.run_id = self.run_id or ref.run_id
                    self.thread_id = self.thread_id or ref.thread_id
                    self.normalizer.thread_id = self.thread_id
                    started = True
                else:
                    response = await self._rejoin()
                    self._rejoined = True
                    started = True
                try:
                    async for batch in self._read(response):
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
                await asyncio.sleep(client._backoff(attempt - 1))
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
        return await self._client._send(
            "GET",
            f"/threads/{self.thread_id}/runs/{self.run_id}/stream",
            what="rejoin the run",
            headers={"Accept": "text/event-stream", "Last-Event-ID": self._resume_from or "-"},
            stream=True,
            timeout=STREAM_TIMEOUT,
        )

    def _is_repeat(self, event_id: str, event: str, data: str) -> bool:
        """Track the position in the run's event sequence; True for an event had before."""
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

    async def _read(self, response: httpx.Response) -> AsyncIterator[list[Event]]:
        """The events of each chunk as it arrives, in one list: one async step per chunk,
        not per event."""
        check_event_stream(response)
        decoder = SSEBytesDecoder()
        async for chunk in response.aiter_bytes():
            if batch := self._events_of(decoder.feed(chunk)):
                yield batch
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


def _event_key(event_id: str) -> tuple[int, ...]:
    """Order of an event id: the server's ids are "milliseconds-sequence"."""
    ms, _, seq = event_id.partition("-")
    try:
        return (int(ms), int(seq or 0))
    except ValueError:
        return tuple(ord(c) for c in event_id)


def check_event_stream(response: httpx.Response) -> None:
    content_type = response.headers.get("content-type", "").partition(";")[0]
    if "text/event-stream" not in content_type:
        raise SSEError(f"Expected Content-Type text/event-stream, got {content_type!r}")


class SSEBytesDecoder:
    """httpx-sse's event decoder fed with lines cut from the raw bytes.

    EventSource.aiter_sse decodes the body to text incrementally and splits str lines with a
    buffer, two async generator layers per event: that is 2/3 of its time. `bytes.splitlines`
    ends lines at exactly SSE's three line ends (CRLF, LF, CR) in one pass, and each whole line
    is decoded on its own, so a UTF-8 sequence split between chunks is never cut.
    """

    def __init__(self) -> None:
        self._decoder = SSEDecoder()
        # a line longer than a chunk, gathered without quadratic copies
        self._pending: list[bytes] = []
        # the last chunk ended with CR: an LF starting the next one is the rest of that CRLF
        self._after_cr = False

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        if not chunk:
            # nothing arrived: a CR at the end of the last chunk may still be half a CRLF
            return []
        if self._after_cr:
            self._after_cr = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        if b"\n" not in chunk and b"\r" not in chunk:
            if chunk:
                self._pending.append(chunk)
            return []
        if self._pending:
            self._pending.append(chunk)
            chunk = b"".join(self._pending)
            self._pending.clear()
        lines = chunk.splitlines()
        last = chunk[-1]
        if last == 13:  # CR
            self._after_cr = True
        elif last != 10:  # LF
            self._pending.append(lines.pop())
        decode = self._decoder.decode
        out: list[ServerSentEvent] = []
        for line in lines:
            if (sse := decode(line.decode("utf-8", "replace"))) is not None:
                out.append(sse)
        return out


def from_broken(exc: Exception, stream: RunStream, *, resumable: bool) -> RunError:
    if resumable:
        message = (
            "The connection dropped and the run could not be rejoined after "
            f"{stream._client.max_reconnects} attempts; the partial reply is kept."
        )
    else:
        message = "The connection dropped in the middle of the reply; the partial reply is kept."
    return RunError("StreamBroken", f"{message} ({type(exc).__name__})")
