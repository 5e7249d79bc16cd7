"""Deep agents (deepagents harness) on the real Agent Server: the wire facts the client relies on.

Every run streams with `stream_subgraphs: true` and `["messages-tuple", "updates"]`, as the
client does. The graphs are in tests/server/deep_graphs.py, their texts in deep_replies.py.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import re
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import httpx
import pytest
from httpx_sse import connect_sse
from server_fixture import SERVER_FOLDER, AgentServer

Events = list[tuple[str, Any]]
HEX32 = re.compile(r"\A[0-9a-f]{32}\Z")
TASK_NS = re.compile(r"\Atools:[0-9a-f-]{36}\Z")


def _load_deep_replies() -> ModuleType:
    # By path, like server_fixture's `replies`: the server knows it as a top-level module.
    name = "fleet_tui_test_deep_replies"
    spec = importlib.util.spec_from_file_location(name, SERVER_FOLDER / "deep_replies.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


dr = _load_deep_replies()


class Thread:
    """One thread of one graph: run turns on it and read its state."""

    def __init__(self, server: AgentServer, client: httpx.Client, graph: str) -> None:
        self.client = client
        self.assistant_id = server.assistant_id(graph)
        self.id = client.post("/threads", json={}).json()["thread_id"]

    def run(self, body: dict[str, Any]) -> Events:
        body = {
            "assistant_id": self.assistant_id,
            "stream_mode": ["messages-tuple", "updates"],
            "stream_subgraphs": True,
            **body,
        }
        path = f"/threads/{self.id}/runs/stream"
        with connect_sse(self.client, "POST", path, json=body) as source:
            source.response.raise_for_status()
            return [(sse.event, json.loads(sse.data)) for sse in source.iter_sse()]

    def say(self, text: str) -> Events:
        return self.run({"input": {"messages": [{"role": "user", "content": text}]}})

    def resume(self, value: Any) -> Events:
        return self.run({"command": {"resume": value}})

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.client.get(f"/threads/{self.id}/state").json()
        return state

    def pending(self) -> list[dict[str, Any]]:
        return list(self.state()["interrupts"])


@pytest.fixture
def client(agent_server: AgentServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=agent_server.url, headers=agent_server.headers(), trust_env=False, timeout=60.0
    ) as client:
        yield client


def _thread(server: AgentServer, client: httpx.Client, graph: str) -> Thread:
    return Thread(server, client, graph)


def _namespace(event: str) -> str:
    """`messages|tools:<id>` -> `tools:<id>`; "" at the root."""
    return event.partition("|")[2]


def _texts(events: Events, namespace: str = "") -> dict[str, str]:
    """Streamed AI text per message id, in one namespace."""
    texts: dict[str, str] = {}
    for name, data in events:
        if name.split("|")[0] == "messages" and _namespace(name) == namespace:
            chunk = data[0]
            if chunk["type"] == "AIMessageChunk":
                texts[chunk["id"]] = texts.get(chunk["id"], "") + chunk["content"]
    return texts


def _updates(events: Events, namespace: str = "") -> list[dict[str, Any]]:
    return [d for n, d in events if n.split("|")[0] == "updates" and _namespace(n) == namespace]


def _node_values(events: Events, node: str, key: str) -> list[Any]:
    return [u[node][key] for u in _updates(events) if key in (u.get(node) or {})]


def _interrupts(events: Events, namespace: str = "") -> list[dict[str, Any]]:
    return [i for u in _updates(events, namespace) for i in u.get("__interrupt__", [])]


def _sub_namespaces(events: Events) -> list[str]:
    seen: list[str] = []
    for name, _ in events:
        ns = _namespace(name)
        if name.startswith("messages|") and ns not in seen:
            seen.append(ns)
    return seen


def _root_tool_messages(events: Events, tool: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [
        (data[0], data[1])
        for name, data in events
        if name == "messages" and data[0]["type"] == "tool" and data[0]["name"] == tool
    ]


# --- deep: plan, two parallel sub-agents, a file ------------------------------------------


def test_deep_plan_parallel_subagents_and_files(
    agent_server: AgentServer, client: httpx.Client
) -> None:
    thread = _thread(agent_server, client, "deep")
    events = thread.say("go")

    # the plan: one `updates` event from the tools node
    assert _node_values(events, "tools", "todos") == [dr.DEEP_TODOS]

    # two sub-agents of the same type, each in its own namespace, each with its own text
    namespaces = _sub_namespaces(events)
    assert len(namespaces) == 2 and all(TASK_NS.match(ns) for ns in namespaces)
    findings = {
        ns: list(_texts(events, ns).values())[-1] for ns in namespaces
    }  # last AI message of each sub-agent
    expected = {dr.research_finding(dr.research_description(t)) for t in dr.DEEP_TOPICS}
    assert set(findings.values()) == expected
    for ns in namespaces:
        assert any("tools" in u for u in _updates(events, ns))  # its tool ran in there

    # the root `task` ToolMessage names the namespace it came from
    task_results = _root_tool_messages(events, "task")
    assert len(task_results) == 2
    for message, metadata in task_results:
        ns = metadata["langgraph_checkpoint_ns"]
        assert ns in namespaces
        assert message["content"] == findings[ns]

    # no sub-agent text leaks into the root's streamed messages
    root = list(_texts(events).values())
    assert root[-1] == dr.DEEP_FINAL
    assert not expected & set(root)

    # files: the write then the edit, as full records, in `updates` and in /state
    records = _node_values(events, "tools", "files")
    assert [r[dr.DEEP_FILE]["content"] for r in records] == [
        dr.DEEP_FILE_CONTENT,
        dr.DEEP_FILE_FINAL,
    ]
    record = thread.state()["values"]["files"][dr.DEEP_FILE]
    assert record["content"] == dr.DEEP_FILE_FINAL and record["encoding"] == "utf-8"
    assert record["created_at"] <= record["modified_at"]
    assert thread.state()["values"]["todos"] == dr.DEEP_TODOS


# --- deep_batched: one interrupt, two action requests -------------------------------------


def test_deep_batched_one_interrupt_two_requests(
    agent_server: AgentServer, client: httpx.Client
) -> None:
    thread = _thread(agent_server, client, "deep_batched")
    (interrupt,) = _interrupts(thread.say("go"))
    assert HEX32.match(interrupt["id"])
    value = interrupt["value"]
    assert [r["name"] for r in value["action_requests"]] == ["write_file", "send_email"]
    assert value["action_requests"][1]["args"] == dr.BATCHED_EMAIL
    assert value["review_configs"] == [
        {"action_name": "write_file", "allowed_decisions": dr.BATCHED_WRITE_DECISIONS},
        {"action_name": "send_email", "allowed_decisions": dr.BATCHED_EMAIL_DECISIONS},
    ]
    edited = {**dr.BATCHED_EMAIL, "subject": "Edited subject"}
    decisions = [
        {"type": "respond", "message": "no file needed"},
        {"type": "edit", "edited_action": {"name": "send_email", "args": edited}},
    ]
    events = thread.resume({"decisions": decisions})
    assert list(_texts(events).values())[-1] == dr.outcomes_text(
        [
            dr.outcome_line("write_file", "respond", "no file needed"),
            dr.outcome_line("send_email", "edit", dr.email_sent(edited)),
        ]
    )
    state = thread.state()
    assert dr.BATCHED_FILE not in state["values"].get("files", {})
    assert state["interrupts"] == []


# --- deep_per_call: one interrupt per gated call ------------------------------------------


def test_deep_per_call_two_interrupts_answered_one_by_one(
    agent_server: AgentServer, client: httpx.Client
) -> None:
    thread = _thread(agent_server, client, "deep_per_call")
    streamed = _interrupts(thread.say("go"))
    pending = {i["value"]["name"]: i for i in streamed}
    assert set(pending) == {"send_email", "write_file"}
    assert len({i["id"] for i in streamed}) == 2
    for name, interrupt in pending.items():
        assert HEX32.match(interrupt["id"])
        assert interrupt["value"]["type"] == "tool_approval"
        assert interrupt["value"]["tool_call_id"].startswith("call_")
        schema = interrupt["response_schema"]
        allowed = {ref["$ref"].rsplit("/", 1)[-1] for ref in schema["oneOf"]}
        expected = (
            dr.PER_CALL_EMAIL_DECISIONS if name == "send_email" else dr.PER_CALL_WRITE_DECISIONS
        )
        assert allowed == {f"{d.capitalize()}Decision" for d in expected}
    email, write = pending["send_email"], pending["write_file"]
    assert {i["id"] for i in thread.pending()} == {email["id"], write["id"]}

    # a bare resume value is refused while two are pending; both stay pending
    refused = thread.resume({"type": "approve"})
    (error,) = [d for n, d in refused if n == "error"]
    assert "multiple pending interrupts" in error["message"]
    assert {i["id"] for i in thread.pending()} == {email["id"], write["id"]}

    # answering one by id settles that call; the other is raised again with the same id
    events = thread.resume({email["id"]: {"type": "reject", "message": "too soon"}})
    (rejected,) = _node_values(events, "tools", "messages")
    assert rejected[0]["status"] == "error" and rejected[0]["content"].endswith("too soon")
    assert [i["id"] for i in _interrupts(events)] == [write["id"]]
    assert [i["id"] for i in thread.pending()] == [write["id"]]

    edited = {"file_path": dr.PER_CALL_FILE, "content": "edited\n"}
    edit = {"type": "edit", "edited_action": {"name": "write_file", "args": edited}}
    events = thread.resume({write["id"]: edit})
    assert list(_texts(events).values())[-1] == dr.outcomes_text(
        [
            dr.outcome_line("send_email", "reject", "too soon"),
            dr.outcome_line("write_file", "edit", f"Updated file {dr.PER_CALL_FILE}"),
        ]
    )
    state = thread.state()
    assert state["interrupts"] == []
    assert state["values"]["files"][dr.PER_CALL_FILE]["content"] == "edited\n"


# --- deep_sub_approval: the approval is raised inside a sub-agent -------------------------


def test_deep_sub_agent_approval_arrives_namespaced(
    agent_server: AgentServer, client: httpx.Client
) -> None:
    thread = _thread(agent_server, client, "deep_sub_approval")
    events = thread.say("go")
    (namespace,) = _sub_namespaces(events)
    (inner,) = _interrupts(events, namespace)
    (outer,) = _interrupts(events)  # the same interrupt, again at the root
    assert inner == outer and HEX32.match(inner["id"])
    assert inner["value"]["action_requests"][0]["args"] == dr.SUB_EMAIL
    assert inner["value"]["review_configs"][0]["allowed_decisions"] == dr.SUB_EMAIL_DECISIONS
    assert [i["id"] for i in thread.pending()] == [inner["id"]]
    # the task the interrupt belongs to is the namespace's id
    (task,) = thread.state()["tasks"]
    assert f"tools:{task['id']}" == namespace and task["interrupts"][0]["id"] == inner["id"]

    events = thread.resume({"decisions": [{"type": "approve"}]})
    line = dr.outcome_line("send_email", "approve", dr.email_sent(dr.SUB_EMAIL))
    task_result = dr.sub_done(line.removeprefix("- "))
    assert list(_texts(events).values())[-1] == dr.sub_final(task_result)
    assert thread.pending() == []


# --- deep_parallel / deep_big: the benchmark graphs, small -------------------------------


def test_deep_parallel_streams_each_sub_agent_apart(
    agent_server: AgentServer, client: httpx.Client
) -> None:
    events = _thread(agent_server, client, "deep_parallel").say("3x40")
    namespaces = _sub_namespaces(events)
    assert len(namespaces) == 3
    texts = sorted(list(_texts(events, ns).values())[-1] for ns in namespaces)
    assert texts == ["".join(dr.parallel_tokens(f"w{i}-", 40)) for i in (1, 2, 3)]
    assert list(_texts(events).values())[-1] == "".join(dr.parallel_tokens("main", 40))


def test_deep_big_file_todos_and_binary(agent_server: AgentServer, client: httpx.Client) -> None:
    size = 200_000
    thread = _thread(agent_server, client, "deep_big")
    events = thread.say(f"file {size}")
    assert list(_texts(events).values())[-1] == dr.big_file_done(dr.BIG_FILE, size)
    (record,) = [r[dr.BIG_FILE] for r in _node_values(events, "tools", "files")]
    assert record["content"] == dr.big_content(size) and len(record["content"].encode()) == size

    events = thread.say("todos 200")
    (todos,) = _node_values(events, "tools", "todos")
    assert todos == dr.big_todos(200)
    assert {t["status"] for t in todos} == {"pending", "in_progress", "completed"}

    events = thread.say("binary")
    (update,) = _node_values(events, "tools", "files")
    files = thread.state()["values"]["files"]
    assert update[dr.BINARY_FILE] == files[dr.BINARY_FILE]
    assert files[dr.BINARY_FILE]["encoding"] == "base64"
    assert base64.b64decode(files[dr.BINARY_FILE]["content"]) == dr.BINARY_PNG
    assert set(files) == {dr.BIG_FILE, dr.BINARY_FILE}


# --- the demo agent's deep tour -----------------------------------------------------------


def test_demo_agent_deep_tour_and_approval(agent_server: AgentServer, client: httpx.Client) -> None:
    from fleet_tui.demo.agent import REPORT_PATH, RESEARCHER

    thread = _thread(agent_server, client, "agent")
    events = thread.say("Please research terminal chat clients and write a report")
    plans = _node_values(events, "tools", "todos")
    assert len(plans) == 3
    assert [t["status"] for t in plans[0]] == ["in_progress", "pending", "pending", "pending"]
    assert {t["status"] for t in plans[-1]} == {"completed"}
    (namespace,) = _sub_namespaces(events)
    finding = list(_texts(events, namespace).values())[-1]
    assert "terminal chat clients" in finding
    (task,) = _root_tool_messages(events, "task")
    assert task[1]["langgraph_checkpoint_ns"] == namespace and task[0]["content"] == finding
    calls = [
        call
        for update in _updates(events)
        for message in (update.get("model") or {}).get("messages", [])
        for call in message.get("tool_calls", [])
    ]
    assert {"subagent_type": RESEARCHER}.items() <= calls[1]["args"].items()
    report = thread.state()["values"]["files"][REPORT_PATH]["content"]
    assert report.startswith("# Report: terminal chat clients") and "Status: reviewed" in report
    assert "Files" in list(_texts(events).values())[-1]

    (interrupt,) = _interrupts(thread.say("now send an email about it"))
    assert interrupt["value"]["action_requests"][0]["name"] == "send_email"
