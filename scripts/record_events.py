"""Record raw SSE streams from the real Agent Server into tests/data/*.sse.

    python scripts/record_events.py [--out tests/data]

Starts the tests' own server (tests/server/) on loopback, runs one request per scenario and
writes the response body byte for byte as received. `recordings.json` lists, per file, the
request that produced it and the response's status and headers.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fleet_tui.demo.server import ServerHandle, start_server  # noqa: E402

SERVER_FOLDER = ROOT / "tests" / "server"
OWNER_KEY = "fake-pat-owner-0000000000"
DEFAULT_MODES = ["messages-tuple", "updates"]
MAX_BYTES = 200_000
KEPT_HEADERS = ("content-type", "location", "content-location")


def _user(text: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}]}


class Recorder:
    def __init__(self, server: ServerHandle, out: Path) -> None:
        self.server = server
        self.out = out
        self.client = httpx.Client(
            base_url=server.url, headers=server.headers(), trust_env=False, timeout=60.0
        )
        self.index: dict[str, Any] = {}

    def new_thread(self, graph: str) -> str:
        response = self.client.post("/threads", json={"metadata": {"graph_id": graph}})
        response.raise_for_status()
        return str(response.json()["thread_id"])

    def record(
        self,
        name: str,
        description: str,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Headers:
        raw = bytearray()
        with self.client.stream(method, path, json=body, headers=headers) as response:
            for chunk in response.iter_raw():
                raw.extend(chunk)
        if len(raw) > MAX_BYTES:
            raise SystemExit(f"{name}: {len(raw)} bytes is too large for tests/data")
        (self.out / f"{name}.sse").write_bytes(bytes(raw))
        events = [
            line[len(b"event: ") :].decode()
            for line in bytes(raw).splitlines()
            if line.startswith(b"event: ")
        ]
        self.index[f"{name}.sse"] = {
            "description": description,
            "request": {"method": method, "path": path, "body": body, "headers": headers or {}},
            "status": response.status_code,
            "headers": {k: response.headers[k] for k in KEPT_HEADERS if k in response.headers},
            "events": events,
        }
        print(f"{name}.sse: {len(raw)} bytes, {len(events)} events", file=sys.stderr)
        return response.headers

    def stateless(self, name: str, description: str, graph: str, text: str, **extra: Any) -> None:
        body = {
            "assistant_id": self.server.agent_id_for(graph),
            "input": _user(text),
            "stream_mode": DEFAULT_MODES,
            **extra,
        }
        self.record(name, description, "POST", "/runs/stream", body)

    def on_thread(
        self, name: str, description: str, thread_id: str, graph: str, **body: Any
    ) -> httpx.Headers:
        payload = {"assistant_id": self.server.agent_id_for(graph), **body}
        payload.setdefault("stream_mode", DEFAULT_MODES)
        return self.record(name, description, "POST", f"/threads/{thread_id}/runs/stream", payload)


def scenarios(rec: Recorder) -> list[Callable[[], None]]:
    def scripted() -> None:
        rec.stateless(
            "scripted_stateless",
            "Stateless run of `scripted`, modes messages-tuple + updates: a markdown reply "
            "streamed token by token, then the whole message again in `updates`.",
            "scripted",
            "Hello, agent!",
        )

    def tools() -> None:
        rec.stateless(
            "tools_stateless",
            "`tools`: an AI message with only a tool call (streamed as tool_call_chunks), "
            "the tool result, then the final answer.",
            "tools",
            "what is the answer?",
        )

    def hitl() -> None:
        thread = rec.new_thread("hitl")
        rec.on_thread(
            "hitl_interrupt",
            "`hitl` on a thread: a send_email tool call, then an `__interrupt__` update "
            "with the HumanInTheLoopMiddleware shape.",
            thread,
            "hitl",
            input=_user("Please send the report."),
        )
        rec.on_thread(
            "hitl_resume_edit",
            "Resuming the `hitl_interrupt` thread with an edit decision: the tool result "
            "(with langchain's edit notice) and the final answer naming the edited args.",
            thread,
            "hitl",
            command={
                "resume": {
                    "decisions": [
                        {
                            "type": "edit",
                            "edited_action": {
                                "name": "send_email",
                                "args": {"to": "bob@example.com", "subject": "Edited", "body": "B"},
                            },
                        }
                    ]
                }
            },
        )

    def inbox() -> None:
        rec.on_thread(
            "inbox_interrupt",
            "`inbox`: an interrupt in the older agent-inbox shape (a list of requests).",
            rec.new_thread("inbox"),
            "inbox",
            input=_user("check my inbox"),
        )

    def json_interrupt() -> None:
        rec.on_thread(
            "json_interrupt",
            "`json_interrupt`: an interrupt whose value is arbitrary JSON.",
            rec.new_thread("json_interrupt"),
            "json_interrupt",
            input=_user("ask me something"),
        )

    def fail() -> None:
        rec.stateless(
            "fail_error",
            "`fail`: metadata, then an `error` event; the stream then closes (no `end`).",
            "fail",
            "please fail",
        )

    def values() -> None:
        thread = rec.new_thread("scripted")
        rec.on_thread(
            "values_mode_turn1",
            "stream_mode values on a thread, first turn: full state after each step.",
            thread,
            "scripted",
            input=_user("first"),
            stream_mode=["values"],
        )
        rec.on_thread(
            "values_mode_turn2",
            "stream_mode values, second turn on the same thread: the state carries turn 1.",
            thread,
            "scripted",
            input=_user("second"),
            stream_mode=["values"],
        )

    def legacy_messages() -> None:
        rec.stateless(
            "legacy_messages_mode",
            "Legacy stream_mode messages: messages/metadata, messages/partial (accumulated "
            "so far), messages/complete.",
            "scripted",
            "legacy please",
            stream_mode=["messages"],
        )

    def subgraphs() -> None:
        rec.stateless(
            "subgraph_stream",
            "`subgraph` with stream_subgraphs: event names become `mode|namespace`.",
            "subgraph",
            "from the parent",
            stream_subgraphs=True,
        )

    def resumable() -> None:
        thread = rec.new_thread("scripted")
        headers = rec.on_thread(
            "resumable_thread_run",
            "A thread run with stream_resumable: every event has an `id:` line.",
            thread,
            "scripted",
            input=_user("resumable"),
            stream_resumable=True,
        )
        location = headers["location"]
        rec.record(
            "resumable_rejoin_replay",
            "Rejoining the finished run above: GET its Location with Last-Event-ID `-` "
            "replays the stream from the start.",
            "GET",
            location,
            headers={"Last-Event-ID": "-"},
        )

    return [
        scripted,
        tools,
        hitl,
        inbox,
        json_interrupt,
        fail,
        values,
        legacy_messages,
        subgraphs,
        resumable,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "data")
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    with start_server(
        SERVER_FOLDER, owner_keys=[OWNER_KEY], env={"FLEET_DEMO_TOKEN_DELAY": "0"}
    ) as server:
        rec = Recorder(server, out)
        for scenario in scenarios(rec):
            scenario()
    (out / "recordings.json").write_text(
        json.dumps(rec.index, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
