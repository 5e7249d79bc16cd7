"""A fault-injecting HTTP proxy on loopback, between the client and the real test server.

It forwards every request to the Agent Server unchanged. Streaming answers
(`text/event-stream`) pass event by event, and the proxy can cut a stream after N events,
stall it, or slip garbage into it. Faults apply to the next `faulty_streams` streams only,
so a test can prove that a rejoin recovers (or that the client gives up after its limit).
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class CutStream(Exception):
    """Raised inside a streaming body: uvicorn then drops the connection mid-response."""


@dataclass
class Faults:
    cut_after: int | None = None  # events passed through before the connection is cut
    rejoin_cut_after: int | None = None  # the same for rejoins (GET …/stream); None: cut_after
    stall_after: int | None = None
    stall_seconds: float = 0.0
    garbage_after: int | None = None
    garbage: bytes = b"event: messages\ndata: {not json at all\n\n"
    faulty_streams: int = 1  # how many streams (from now) get the faults
    streams_seen: int = 0
    requests: list[str] = field(default_factory=list)
    last_event_ids: list[str | None] = field(default_factory=list)

    def reset(self) -> None:
        self.cut_after = self.rejoin_cut_after = self.stall_after = self.garbage_after = None
        self.stall_seconds = 0.0
        self.faulty_streams = 1
        self.streams_seen = 0
        self.requests.clear()
        self.last_event_ids.clear()


_EVENT_END = re.compile(rb"\r\n\r\n|\n\n|\r\r")


def _events(buffer: bytearray) -> Iterator[bytes]:
    """Whole SSE events (ending in a blank line) taken off the front of `buffer`."""
    while match := _EVENT_END.search(buffer):
        event = bytes(buffer[: match.end()])
        del buffer[: match.end()]
        yield event


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.faults = Faults()
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def _app(self) -> Starlette:
        async def forward(request: Request) -> Response:
            faults = self.faults
            faults.requests.append(f"{request.method} {request.url.path}")
            headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS}
            if request.method == "GET" and request.url.path.endswith("/stream"):
                faults.last_event_ids.append(request.headers.get("last-event-id"))
            body = await request.body()
            client = httpx.AsyncClient(base_url=self.upstream, timeout=None)
            upstream_request = client.build_request(
                request.method,
                request.url.path,
                params=request.query_params,
                headers=headers,
                content=body,
            )
            upstream = await client.send(upstream_request, stream=True)
            out_headers = {
                k: v for k, v in upstream.headers.items() if k.lower() not in HOP_HEADERS
            }
            is_sse = upstream.headers.get("content-type", "").startswith("text/event-stream")
            if not is_sse:
                content = await upstream.aread()
                await upstream.aclose()
                await client.aclose()
                return Response(content, status_code=upstream.status_code, headers=out_headers)
            faulty = faults.streams_seen < faults.faulty_streams
            faults.streams_seen += 1
            cut_after = faults.cut_after
            if request.method == "GET" and faults.rejoin_cut_after is not None:
                cut_after = faults.rejoin_cut_after

            async def relay() -> AsyncIterator[bytes]:
                buffer = bytearray()
                passed = 0
                try:
                    async for piece in upstream.aiter_raw():
                        buffer.extend(piece)
                        for event in _events(buffer):
                            if faulty and cut_after is not None and passed >= cut_after:
                                raise CutStream
                            if faulty and faults.stall_after == passed and faults.stall_seconds:
                                await asyncio.sleep(faults.stall_seconds)
                            if faulty and faults.garbage_after == passed:
                                yield faults.garbage
                            yield event
                            passed += 1
                    if buffer:
                        yield bytes(buffer)
                finally:
                    await upstream.aclose()
                    await client.aclose()

            return StreamingResponse(relay(), status_code=upstream.status_code, headers=out_headers)

        methods = ["GET", "POST", "PATCH", "DELETE", "PUT"]
        return Starlette(routes=[Route("/{path:path}", forward, methods=methods)])

    def start(self) -> None:
        config = uvicorn.Config(
            self._app(), host="127.0.0.1", port=self.port, log_level="critical", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fault proxy did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def fault_proxy(upstream: str) -> Iterator[FaultProxy]:
    proxy = FaultProxy(upstream)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
