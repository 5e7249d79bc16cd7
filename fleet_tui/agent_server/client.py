"""Async client for a LangGraph Agent Server (what a LangSmith Fleet agent runs on).

Every request carries `X-Api-Key` and `X-Auth-Scheme` as the Fleet documentation shows.
Errors are typed and worded for a person; the token never appears in any of them.
No Textual import here.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from fleet_tui import __version__
from fleet_tui.agent_server.http_errors import (  # re-exported: failures as typed errors
    Reachability,
    error_for_response,
    http_failure,
    reachability_of,
)
from fleet_tui.agent_server.run_stream import (  # re-exported: the stream of a run
    STREAM_TIMEOUT,
    RunStream,
    from_broken,
)
from fleet_tui.agent_server.sse_bytes import (  # re-exported: the SSE decoder and its bound
    MAX_EVENT_BYTES,
    EventTooLarge,
    SSEBytesDecoder,
    check_event_stream,
)
from fleet_tui.common import redaction
from fleet_tui.common.errors import (  # re-exported: the client's errors
    AuthenticationError,
    BadResponse,
    FleetError,
    NotFoundError,
    RateLimitedError,
    RedirectRefused,
    RequestRejected,
    ServerError,
    ThreadBusyError,
    UnreachableError,
)
from fleet_tui.domain.events import ServerWait
from fleet_tui.domain.wire import DEFAULT_AUTH_SCHEME, DEFAULT_STREAM_MODES

log = logging.getLogger("fleet_tui.agent_server.client")

REQUEST_TIMEOUT = httpx.Timeout(connect=15.0, read=60.0, write=30.0, pool=30.0)
MAX_SAME_ORIGIN_REDIRECTS = 3
# A server can ask for any wait (`Retry-After: 99999`); one request waits at most this long in
# all, and says so through `on_wait`.
MAX_RETRY_WAIT = 60.0
# After this long without a byte on a run's stream, the stream says so (`StreamQuiet`).
QUIET_AFTER = 30.0

__all__ = [
    "DEFAULT_AUTH_SCHEME",
    "DEFAULT_STREAM_MODES",
    "MAX_EVENT_BYTES",
    "MAX_RETRY_WAIT",
    "QUIET_AFTER",
    "STREAM_TIMEOUT",
    "AgentInfo",
    "AuthenticationError",
    "BadResponse",
    "EventTooLarge",
    "FleetClient",
    "FleetError",
    "NotFoundError",
    "RateLimitedError",
    "Reachability",
    "RedirectRefused",
    "RequestRejected",
    "RunRef",
    "RunStream",
    "SSEBytesDecoder",
    "ServerError",
    "ThreadBusyError",
    "UnreachableError",
    "check_event_stream",
    "error_for_response",
    "from_broken",
    "is_uuid",
    "reachability_of",
]


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
        max_retry_wait: float | None = None,
        quiet_after: float | None = None,
        max_event_bytes: int = MAX_EVENT_BYTES,
        on_wait: Callable[[ServerWait], None] | None = None,
        on_outcome: Callable[[Reachability, FleetError | None], None] | None = None,
    ):
        self.url = url.rstrip("/")
        self.agent_id = agent_id
        self.max_reconnects = max_reconnects
        self.backoff_base = backoff_base
        self.read_retries = read_retries
        self.max_retry_wait = MAX_RETRY_WAIT if max_retry_wait is None else max_retry_wait
        self.quiet_after = QUIET_AFTER if quiet_after is None else quiet_after
        self.max_event_bytes = max_event_bytes
        # told before every wait the server asked for (the TUI's header, `ask`'s stderr)
        self.on_wait = on_wait
        # told after every request what it says about the connection (the TUI's header)
        self.on_outcome = on_outcome
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
        **kw: Any,
    ) -> httpx.Response:
        """`_send_once`, and what its outcome says about the connection, to `on_outcome`."""
        try:
            response = await self._send_once(method, path, what=what, **kw)
        except FleetError as exc:
            self._tell_outcome(reachability_of(exc, path), exc)
            raise
        self._tell_outcome("connected", None)
        return response

    def _tell_outcome(self, outcome: Reachability | None, error: FleetError | None) -> None:
        if self.on_outcome is None or outcome is None:
            return
        try:
            self.on_outcome(outcome, error)
        except Exception:  # whoever shows it must not stop the request
            log.exception("on_outcome failed")

    async def _send_once(
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
            try:
                request = self._http.build_request(
                    method,
                    url,
                    json=json_body,
                    params=params,
                    headers=headers,
                    timeout=timeout or REQUEST_TIMEOUT,
                )
            except httpx.InvalidURL as exc:  # an id (from a server, a flag) no URL can carry
                raise RequestRejected(
                    f"Could not make the request to {what}: {exc} Check the id it was given."
                ) from None
            try:
                response = await self._http.send(request, stream=stream)
            except httpx.HTTPError as exc:
                raise http_failure(self.url, what, exc) from None
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
                try:
                    await response.aread()
                except httpx.HTTPError as exc:
                    raise http_failure(self.url, what, exc) from None
                finally:
                    await response.aclose()
            raise error_for_response(response, what=what, url=self.url)
        raise RedirectRefused(f"Too many redirects from {self.url}.")

    async def _json(self, method: str, path: str, *, what: str, **kw: Any) -> Any:
        """A request whose answer is JSON. GETs and searches retry on 5xx/429 with backoff."""
        idempotent = method == "GET" or kw.pop("idempotent", False)
        attempts = self.read_retries + 1 if idempotent else 1
        budget = self.max_retry_wait  # for the waits the server asks for
        for attempt in range(attempts):
            try:
                response = await self._send(method, path, what=what, **kw)
            except (ServerError, RateLimitedError, UnreachableError) as exc:
                if attempt + 1 >= attempts:
                    raise
                asked = getattr(exc, "retry_after", None)
                if asked is None:
                    delay = self._backoff(attempt)
                elif budget <= 0:
                    raise  # waited all this request may wait; the error says how long it asked
                else:
                    delay = min(asked, budget)
                    budget -= delay
                    self._tell_wait(ServerWait(what, asked, delay, time.time() + delay))
                await asyncio.sleep(delay)
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

    def _tell_wait(self, wait: ServerWait) -> None:
        if self.on_wait is None:
            return
        try:
            self.on_wait(wait)
        except Exception:  # whoever shows it must not stop the request
            log.exception("on_wait failed")

    def _backoff(self, attempt: int) -> float:
        return min(30.0, self.backoff_base * (2**attempt)) * (0.75 + random.random() / 2)

    # ----------------------------------------------------------------- for RunStream
    async def open_stream(
        self,
        method: str,
        path: str,
        *,
        what: str,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Open an event stream (typed errors for a refusal); the caller reads and closes it."""
        return await self._send(
            method,
            path,
            what=what,
            json_body=json_body,
            headers={"Accept": "text/event-stream", **(headers or {})},
            stream=True,
            timeout=STREAM_TIMEOUT,
        )

    def reconnect_delay(self, attempt: int) -> float:
        """How long to wait before rejoin `attempt` (from 0): exponential, jittered."""
        return self._backoff(attempt)

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

    async def thread_history(
        self, thread_id: str, *, limit: int = 50, before: str | None = None
    ) -> list[dict[str, Any]]:
        """A page of the thread's checkpoints, newest first; `before` pages on past one."""
        body: dict[str, Any] = {"limit": limit}
        if before is not None:
            body["before"] = {"configurable": {"checkpoint_id": before}}
        page = await self._json(
            "POST",
            f"/threads/{thread_id}/history",
            what=f"read the history of thread {thread_id}",
            json_body=body,
            idempotent=True,
        )
        return [s for s in page or () if isinstance(s, dict)]

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
            page = await self.search_page(body)
            for thread in page:
                yield thread
            if len(page) < page_size:
                return
            offset += len(page)

    async def search_page(self, body: Mapping[str, Any]) -> list[dict[str, Any]]:
        """One `POST /threads/search` with `body` as given (`select`, `extract`, `ids`…)."""
        page = await self._json(
            "POST", "/threads/search", what="list threads", json_body=dict(body), idempotent=True
        )
        return [t for t in page if isinstance(t, dict)] if isinstance(page, list) else []

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
        checkpoint: str | None = None,
    ) -> RunStream:
        """Start a run (stateless without `thread_id`) and stream its events.

        Runs on a thread are resumable by default, so a broken stream is rejoined. With
        `checkpoint` the run starts from that checkpoint of the thread (a fork).
        """
        body: dict[str, Any] = {
            "assistant_id": self.agent_id,
            "stream_mode": list(stream_modes or DEFAULT_STREAM_MODES),
            # sub-agents (deep agents' `task` tool) stream their own text and tool calls
            "stream_subgraphs": True,
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
            if checkpoint:
                body["checkpoint"] = {"checkpoint_id": checkpoint}
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
        return RunStream(self, "", None, thread_id, (), run_id=run_id, joined_from=last_event_id)
