"""A small hostile Agent Server on loopback, for what the real one cannot be made to send.

The real server (orjson) refuses to write a lone surrogate, and it never echoes request headers.
This one replays a real recorded run (`data/tools_stateless.sse`: a tool call, its result and
the final reply) with lone surrogates slipped into the tool call's args, the tool result and
the reply; gives the agent a name and lists one thread with a title, both holding a lone
surrogate; and answers a run whose message contains ECHO_HEADERS with a 400 whose `detail`
repeats every request header (the token included), as a careless proxy or server does.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

RECORDING = Path(__file__).resolve().parent / "data" / "tools_stateless.sse"
ECHO_HEADERS = "echo my headers"
# JSON escapes as the wire carries them: `"\udc80"` decodes to a lone surrogate.
REPLY_SURROGATE = "\udc80"
ARGS_SURROGATE = "\udc81"
TITLE = "Report \udc82 draft"
AGENT_NAME = "Hostile \udc83 agent"
SEARCH_THREAD_ID = "5b0c1a8e-0000-4000-8000-00000000beef"


def hostile_recording() -> bytes:
    """The recorded run with lone surrogates in the tool call's args, its result and the reply."""
    data = RECORDING.read_bytes()
    data = data.replace(b'42"', b'42 \\udc80"')
    return data.replace(b"answer?", b"answer\\udc81?")


def _recorded_run_id(data: bytes) -> str:
    first = data.split(b"data: ", 1)[1].split(b"\r\n", 1)[0]
    return str(json.loads(first)["run_id"])


class HostileServer:
    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.body = hostile_recording()
        self.run_id = _recorded_run_id(self.body)
        self.threads: list[str] = []
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def _app(self) -> Starlette:
        async def create_thread(request: Request) -> Response:
            thread_id = str(uuid.uuid4())
            self.threads.append(thread_id)
            return JSONResponse({"thread_id": thread_id, "metadata": {}, "status": "idle"})

        async def run_stream(request: Request) -> Response:
            body = await request.body()
            if ECHO_HEADERS.encode() in body:
                sent = ", ".join(f"{k}: {v}" for k, v in request.headers.items())
                return JSONResponse({"detail": f"bad request; headers were {sent}"}, 400)
            thread_id = request.path_params.get("thread_id")
            where = f"/threads/{thread_id}" if thread_id else ""
            headers = {
                "Content-Location": f"{where}/runs/{self.run_id}",
                "Location": f"{where}/runs/{self.run_id}/stream",
            }

            async def events() -> AsyncIterator[bytes]:
                yield self.body

            return StreamingResponse(events(), media_type="text/event-stream", headers=headers)

        async def search_threads(request: Request) -> Response:
            offset = (await request.json()).get("offset", 0)
            if offset:
                return JSONResponse([])
            thread = {
                "thread_id": SEARCH_THREAD_ID,
                "status": "idle",
                "metadata": {"title": TITLE},
                "updated_at": "2026-01-02T03:04:05+00:00",
                "values": {"messages": []},
                "interrupts": {},
            }
            # written by hand: Starlette's JSONResponse cannot encode a lone surrogate
            return Response(json.dumps([thread]), media_type="application/json")

        async def assistant(request: Request) -> Response:
            agent = {
                "assistant_id": request.path_params["assistant_id"],
                "graph_id": "tools",
                "name": AGENT_NAME,
            }
            return Response(json.dumps(agent), media_type="application/json")

        return Starlette(
            routes=[
                Route("/assistants/{assistant_id}", assistant, methods=["GET"]),
                Route("/threads", create_thread, methods=["POST"]),
                Route("/threads/search", search_threads, methods=["POST"]),
                Route("/threads/{thread_id}/runs/stream", run_stream, methods=["POST"]),
                Route("/runs/stream", run_stream, methods=["POST"]),
            ]
        )

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
                raise RuntimeError("the hostile server did not start")
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
def hostile_server() -> Iterator[HostileServer]:
    server = HostileServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
