"""A small hostile "Agent Server" on loopback: every misbehaviour a real server can show.

The first path segment picks the behaviour; the rest is the Agent Server API path the client
appends to its deployment URL. So pointing a client (or the app) at
`http://127.0.0.1:PORT/<behaviour>` makes every request it sends meet that behaviour:

| behaviour        | what requests under it get                                              |
|------------------|-------------------------------------------------------------------------|
| `ok`             | a small well-behaved server: the agent, threads, a 5-token streamed run |
| `markup-detail`  | 400, JSON `detail` = `MARKUP_DETAIL`: Rich markup (`[/]`,                |
|                  | `[@click=app.screenshot('x.svg','~')]`) and escapes (OSC 52, OSC 0, CSI 2J) |
| `echo-headers`   | 400, `detail` echoes every request header (the token included)          |
| `gzip-lie`       | 200 with `Content-Encoding: gzip` and a body that is not gzip (JSON, or |
|                  | SSE for a run)                                                          |
| `retry-after`    | 429 with `Retry-After: 99999`                                           |
| `big-event[-N]`  | as `ok`, but a run sends one `messages` event of N MB (default 20) of   |
|                  | reply text between its first and last tokens                            |
| `surrogate`      | as `ok`, but the reply holds a lone surrogate (`\\udc80` in the JSON)   |
| `silent[-N]`     | as `ok`, but a run goes silent after its first tokens: for N seconds,   |
|                  | then it finishes; without N until the client hangs up                   |
| `error-event`    | as `ok`, but a run ends with an `error` event whose message is          |
|                  | `MARKUP_DETAIL`                                                         |

"As `ok`" means the agent, thread and search requests answer like a real server, so the app
connects and only the run misbehaves. Every request is recorded in `HostileServer.requests`
(method, path, headers).

In tests: the `hostile_server` fixture (re-exported by conftest.py); `hostile_server.url(name)`.
By hand: `python tests/hostile_server.py [--port N]` prints the base URL and serves until ^C.
Plain asyncio, HTTP/1.1 with `Connection: close`: nothing between the bytes written here and
the client, so a lie stays a lie. Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

HOST = "127.0.0.1"
AGENT_ID = "0badc0de-0000-4000-8000-00000000beef"
MARKUP_DETAIL = (
    "[/] [@click=app.screenshot('x.svg','~')]click me[/] [bold red]loud[/] "
    "\x1b]52;c;cHduZWQ=\x07 \x1b]0;pwned title\x07 \x1b[2J cleared"
)
TOKENS = ["Hello", " from", " the", " hostile", " server."]
REPLY = "".join(TOKENS)
SURROGATE_REPLY_JSON = " bad \\udc80 char"  # as written in the JSON: a lone low surrogate
BIG_EVENT_MB = 20
BIG_LINE = "a line of a very large reply, repeated to fill megabytes of one event\n"


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""


@dataclass
class HostileServer:
    port: int
    requests: list[Request] = field(default_factory=list)
    _loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _server: asyncio.Server | None = field(default=None, repr=False)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set, repr=False)

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def url(self, behaviour: str) -> str:
        """The deployment URL whose every request meets `behaviour`."""
        return f"{self.base}/{behaviour}"

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> HostileServer:
        ready = threading.Event()

        def run() -> None:
            loop = self._loop = asyncio.new_event_loop()
            self._server = loop.run_until_complete(
                asyncio.start_server(self._accept, HOST, self.port)
            )
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, name="hostile-server", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the hostile server did not start")
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is None or self._thread is None:
            return

        async def shut() -> None:
            assert self._server is not None
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            loop.stop()

        asyncio.run_coroutine_threadsafe(shut(), loop)
        self._thread.join(10)

    # ----------------------------------------------------------------- HTTP
    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            request = await _read_request(reader)
            if request is not None:
                self.requests.append(request)
                await self._answer(request, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client hung up: that is its right
        finally:
            self._tasks.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    async def _answer(self, request: Request, writer: asyncio.StreamWriter) -> None:
        behaviour, _, rest = request.path.lstrip("/").partition("/")
        path = "/" + rest.partition("?")[0]
        if behaviour.rsplit("-", 1)[-1].isdigit():
            name, number = behaviour.rsplit("-", 1)
        else:
            name, number = behaviour, ""
        if name == "markup-detail":
            await _send_json(writer, 400, {"detail": MARKUP_DETAIL})
        elif name == "echo-headers":
            await _send_json(writer, 400, {"detail": f"bad request; you sent {request.headers}"})
        elif name == "gzip-lie":
            await _gzip_lie(writer, path)
        elif name == "retry-after":
            await _send_json(writer, 429, {"detail": "slow down"}, extra={"Retry-After": "99999"})
        elif name in ("ok", "big-event", "surrogate", "silent", "error-event"):
            await _agent(writer, request, path, name, int(number) if number else None)
        else:
            await _send_json(writer, 404, {"detail": f"no behaviour {behaviour!r} here"})


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) < 2:
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
    length = int(headers.get("content-length") or 0)
    body = await reader.readexactly(length) if length else b""
    return Request(parts[0], parts[1], headers, body)


def _head(status: int, headers: dict[str, str]) -> bytes:
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 429: "Too Many Requests"}
    lines = [f"HTTP/1.1 {status} {reason.get(status, 'Status')}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _send_json(
    writer: asyncio.StreamWriter, status: int, body: Any, extra: dict[str, str] | None = None
) -> None:
    data = json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "Content-Length": str(len(data))}
    writer.write(_head(status, {**headers, **(extra or {})}) + data)
    await writer.drain()


async def _gzip_lie(writer: asyncio.StreamWriter, path: str) -> None:
    if path.endswith("/stream"):
        body = b'event: metadata\ndata: {"run_id": "r"}\n\n'
        headers = {"Content-Type": "text/event-stream"}
    else:
        body = b'{"assistant_id": "this is not gzip at all"}'
        headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
    writer.write(_head(200, {**headers, "Content-Encoding": "gzip"}) + body)
    await writer.drain()


def _sse(event: str, data: str) -> bytes:
    return f"event: {event}\ndata: {data}\n\n".encode()


def _chunk(message_id: str, content_json: str, last: bool = False) -> bytes:
    """A `messages` event whose content is `content_json` (already JSON-encoded)."""
    position = ', "chunk_position": "last"' if last else ""
    return _sse(
        "messages",
        f'[{{"type": "AIMessageChunk", "id": "{message_id}", "content": {content_json}'
        f'{position}}}, {{"langgraph_node": "model"}}]',
    )


async def _agent(
    writer: asyncio.StreamWriter, request: Request, path: str, name: str, number: int | None
) -> None:
    """Enough of the Agent Server API for the app to connect, list and run."""
    method = request.method
    parts = [p for p in path.split("/") if p]
    assistant = {"assistant_id": AGENT_ID, "graph_id": "hostile", "name": f"Hostile {name}"}
    if method == "GET" and parts[:1] == ["assistants"]:
        await _send_json(writer, 200, assistant)
    elif method == "POST" and parts == ["assistants", "search"]:
        await _send_json(writer, 200, [assistant])
    elif method == "POST" and parts == ["threads"]:
        await _send_json(writer, 200, _thread(str(uuid.uuid4())))
    elif method == "POST" and parts == ["threads", "search"]:
        await _send_json(writer, 200, [])
    elif method == "POST" and parts[-1:] == ["stream"]:
        await _run(writer, parts, name, number)
    elif method == "POST" and parts[-1:] == ["cancel"]:
        await _send_json(writer, 200, {})
    elif method == "GET" and len(parts) == 3 and parts[2] == "state":
        await _send_json(writer, 200, {"values": {"messages": []}, "tasks": [], "next": []})
    elif method == "GET" and len(parts) == 3 and parts[2] == "runs":
        await _send_json(writer, 200, [])
    elif method in ("GET", "PATCH") and len(parts) == 2 and parts[0] == "threads":
        await _send_json(writer, 200, _thread(parts[1]))
    elif method == "DELETE":
        await _send_json(writer, 200, {})
    else:
        await _send_json(writer, 404, {"detail": "Not Found"})


def _thread(thread_id: str) -> dict[str, Any]:
    return {"thread_id": thread_id, "status": "idle", "metadata": {}, "interrupts": {}}


async def _run(
    writer: asyncio.StreamWriter, parts: list[str], name: str, number: int | None
) -> None:
    run_id = str(uuid.uuid4())
    thread_id = parts[1] if parts[0] == "threads" else None
    where = f"/threads/{thread_id}/runs/{run_id}" if thread_id else f"/runs/{run_id}"
    writer.write(
        _head(200, {"Content-Type": "text/event-stream", "Content-Location": where})
        + _sse("metadata", json.dumps({"run_id": run_id, "attempt": 1}))
    )
    message_id = f"lc_run--{run_id}"
    first, rest = TOKENS[:2], TOKENS[2:]
    for token in first:
        writer.write(_chunk(message_id, json.dumps(token)))
    await writer.drain()
    if name == "big-event":
        size = (number or BIG_EVENT_MB) * 1_000_000
        text = BIG_LINE * (size // len(BIG_LINE) + 1)
        writer.write(_chunk(message_id, json.dumps(text[:size])))
        await writer.drain()
    elif name == "surrogate":
        writer.write(_chunk(message_id, f'"{SURROGATE_REPLY_JSON}"'))
    elif name == "silent":
        # nothing more until the time is up, or until the client hangs up (forever)
        await asyncio.sleep(number if number is not None else 10**9)
    elif name == "error-event":
        writer.write(_sse("error", json.dumps({"error": "ValueError", "message": MARKUP_DETAIL})))
        await writer.drain()
        return
    for index, token in enumerate(rest):
        writer.write(_chunk(message_id, json.dumps(token), last=index == len(rest) - 1))
    await writer.drain()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def hostile_server() -> Iterator[HostileServer]:
    server = HostileServer(free_port()).start()
    try:
        yield server
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: free)")
    args = parser.parse_args()
    server = HostileServer(args.port or free_port()).start()
    print(f"hostile server at {server.base}/<behaviour> (see the top of {__file__})", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
