"""The launcher, the Fleet-like auth and the demo agent, against LangChain's real Agent Server."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx_sse import connect_sse
from server_fixture import SERVER_FOLDER, AgentServer, replies

from fleet_tui.demo import server as launcher
from fleet_tui.demo.server import (
    INSTALL_HINT,
    DemoUnavailable,
    ServerHandle,
    ServerStartError,
    start_demo,
    start_server,
)

BAD_KEY = "fake-pat-wrong-9999999999"
DEMO_FOLDER = Path(launcher.__file__).parent


def _client(url: str, headers: dict[str, str] | None = None) -> httpx.Client:
    return httpx.Client(base_url=url, headers=headers or {}, trust_env=False, timeout=30.0)


def _stream(client: httpx.Client, path: str, body: dict[str, Any]) -> list[tuple[str, Any]]:
    body = {"stream_mode": ["messages-tuple", "updates"], **body}
    with connect_sse(client, "POST", path, json=body) as source:
        source.response.raise_for_status()
        return [(sse.event, json.loads(sse.data)) for sse in source.iter_sse()]


def _user(text: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}]}


def _streamed_text(events: list[tuple[str, Any]]) -> dict[str, str]:
    """Concatenated `messages` chunk contents per AI message id."""
    texts: dict[str, str] = {}
    for name, data in events:
        if name == "messages" and data[0]["type"] == "AIMessageChunk":
            texts[data[0]["id"]] = texts.get(data[0]["id"], "") + data[0]["content"]
    return texts


def _updates(events: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    return [data for name, data in events if name == "updates"]


def _interrupts(events: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    return [i for update in _updates(events) for i in update.get("__interrupt__", [])]


# --- the session server: auth --------------------------------------------------------------


def test_ok_answers_without_a_key(agent_server: AgentServer) -> None:
    with _client(agent_server.url) as client:
        assert client.get("/ok").status_code == 200


def test_owner_gets_an_assistant_by_uuid(agent_server: AgentServer) -> None:
    uuid = agent_server.assistant_id("scripted")
    with _client(agent_server.url, agent_server.headers()) as client:
        response = client.get(f"/assistants/{uuid}")
        assert response.status_code == 200
        assert response.json()["graph_id"] == "scripted"
        # A graph name is not an assistant id for this endpoint (DESIGN §2).
        assert client.get("/assistants/scripted").status_code == 422


def test_bad_key_is_401(agent_server: AgentServer) -> None:
    uuid = agent_server.assistant_id("scripted")
    with _client(agent_server.url, agent_server.headers(BAD_KEY)) as client:
        assert client.get(f"/assistants/{uuid}").status_code == 401


def test_missing_key_is_401(agent_server: AgentServer) -> None:
    headers = {"X-Auth-Scheme": "langsmith-api-key"}
    with _client(agent_server.url, headers) as client:
        assert client.post("/threads/search", json={}).status_code == 401


def test_right_key_without_auth_scheme_is_401(agent_server: AgentServer) -> None:
    uuid = agent_server.assistant_id("scripted")
    with _client(agent_server.url, {"X-Api-Key": agent_server.owner_key}) as client:
        assert client.get(f"/assistants/{uuid}").status_code == 401


@pytest.mark.parametrize("scheme", ["langsmith", "bearer", ""])
def test_wrong_auth_scheme_is_401(agent_server: AgentServer, scheme: str) -> None:
    # "langsmith" is the Studio scheme, which a dev server lets through unless the
    # config sets disable_studio_auth.
    headers = {"X-Api-Key": agent_server.owner_key, "X-Auth-Scheme": scheme}
    with _client(agent_server.url, headers) as client:
        assert client.post("/threads/search", json={}).status_code == 401


def test_other_users_key_is_404_everywhere(agent_server: AgentServer) -> None:
    uuid = agent_server.assistant_id("scripted")
    with _client(agent_server.url, agent_server.headers(agent_server.other_key)) as client:
        assert client.get(f"/assistants/{uuid}").status_code == 404
        assert client.post("/threads/search", json={}).status_code == 404
        assert client.post("/threads", json={}).status_code == 404
        response = client.post("/runs/stream", json={"assistant_id": uuid, "input": _user("hi")})
        assert response.status_code == 404


# --- the session server: threads and graphs ------------------------------------------------


def test_owner_runs_a_thread_and_finds_it_by_metadata(agent_server: AgentServer) -> None:
    uuid = agent_server.assistant_id("scripted")
    with _client(agent_server.url, agent_server.headers()) as client:
        created = client.post("/threads", json={"metadata": {"graph_id": "scripted"}})
        assert created.status_code == 200
        thread_id = created.json()["thread_id"]
        path = f"/threads/{thread_id}/runs/stream"
        for turn, text in enumerate(["first question", "second question"], start=1):
            events = _stream(client, path, {"assistant_id": uuid, "input": _user(text)})
            assert events[0][0] == "metadata"
            assert list(_streamed_text(events).values()) == [replies.echo_reply(text, turn)]
        # The server records assistant_id itself once a run happened (clients cannot set it).
        for metadata in ({"assistant_id": uuid}, {"graph_id": "scripted"}):
            found = client.post("/threads/search", json={"metadata": metadata, "limit": 1000})
            assert found.status_code == 200
            assert thread_id in [t["thread_id"] for t in found.json()]
        state = client.get(f"/threads/{thread_id}/state").json()
        assert [m["type"] for m in state["values"]["messages"]] == ["human", "ai", "human", "ai"]


def test_tools_graph_calls_the_tool_then_answers(agent_server: AgentServer) -> None:
    with _client(agent_server.url, agent_server.headers()) as client:
        events = _stream(
            client,
            "/runs/stream",
            {"assistant_id": agent_server.assistant_id("tools"), "input": _user("the answer")},
        )
    messages = [m for update in _updates(events) for v in update.values() for m in v["messages"]]
    assert messages[0]["tool_calls"][0]["name"] == replies.TOOL_NAME
    assert messages[1]["content"] == replies.tool_result("the answer")
    assert messages[2]["content"] == replies.tools_answer("the answer")


def test_hitl_edit_reaches_the_tool(agent_server: AgentServer) -> None:
    uuid = agent_server.assistant_id("hitl")
    with _client(agent_server.url, agent_server.headers()) as client:
        thread_id = client.post("/threads", json={}).json()["thread_id"]
        path = f"/threads/{thread_id}/runs/stream"
        events = _stream(client, path, {"assistant_id": uuid, "input": _user("body text")})
        (interrupt,) = _interrupts(events)
        assert interrupt["value"] == {
            "action_requests": [
                {
                    "name": replies.HITL_TOOL,
                    "args": replies.hitl_args("body text"),
                    "description": replies.HITL_DESCRIPTION,
                }
            ],
            "review_configs": [
                {
                    "action_name": replies.HITL_TOOL,
                    "allowed_decisions": replies.HITL_ALLOWED_DECISIONS,
                }
            ],
        }
        edited = {"to": "eve@example.com", "subject": "Edited", "body": "new body"}
        decision = {"type": "edit", "edited_action": {"name": "send_email", "args": edited}}
        events = _stream(
            client, path, {"assistant_id": uuid, "command": {"resume": {"decisions": [decision]}}}
        )
        state = client.get(f"/threads/{thread_id}/state").json()
    assert state["values"]["messages"][-1]["content"] == replies.hitl_final("edit", edited)
    assert not _interrupts(events)


def test_fail_graph_sends_an_error_event(agent_server: AgentServer) -> None:
    with _client(agent_server.url, agent_server.headers()) as client:
        events = _stream(
            client,
            "/runs/stream",
            {"assistant_id": agent_server.assistant_id("fail"), "input": _user("x")},
        )
    assert events[-1] == ("error", {"error": "ValueError", "message": replies.FAIL_MESSAGE})


def _run(server: AgentServer, graph: str, text: str, **extra: Any) -> list[tuple[str, Any]]:
    with _client(server.url, server.headers()) as client:
        body = {"assistant_id": server.assistant_id(graph), "input": _user(text), **extra}
        return _stream(client, "/runs/stream", body)


@pytest.mark.parametrize(
    ("graph", "resume", "expected"),
    [
        (
            "inbox",
            [{"type": "edit", "args": {"to": "x@example.com"}}],
            replies.inbox_final([{"type": "edit", "args": {"to": "x@example.com"}}]),
        ),
        ("json_interrupt", {"n": 2}, replies.json_final({"n": 2})),
    ],
)
def test_other_interrupt_shapes_resume(
    agent_server: AgentServer, graph: str, resume: Any, expected: str
) -> None:
    uuid = agent_server.assistant_id(graph)
    with _client(agent_server.url, agent_server.headers()) as client:
        thread_id = client.post("/threads", json={}).json()["thread_id"]
        path = f"/threads/{thread_id}/runs/stream"
        (interrupt,) = _interrupts(
            _stream(client, path, {"assistant_id": uuid, "input": _user("x")})
        )
        assert interrupt["value"] == (
            replies.inbox_request() if graph == "inbox" else replies.JSON_INTERRUPT_VALUE
        )
        _stream(client, path, {"assistant_id": uuid, "command": {"resume": resume}})
        state = client.get(f"/threads/{thread_id}/state").json()
    assert state["values"]["messages"][-1]["content"] == expected


def test_hostile_graph_sends_what_replies_predicts(agent_server: AgentServer) -> None:
    events = _run(agent_server, "hostile", "x")
    wire = replies.on_the_wire
    assert list(_streamed_text(events).values()) == [
        wire(replies.hostile_reply()),
        wire(replies.hostile_final()),
    ]
    messages = [m for update in _updates(events) for v in update.values() for m in v["messages"]]
    assert messages[1]["content"] == wire(replies.hostile_tool_result())
    assert replies.HUGE_TOKEN in [data[0]["content"] for name, data in events if name == "messages"]


def test_slow_long_and_subgraph_graphs(agent_server: AgentServer) -> None:
    slow = _run(agent_server, "slow", "tokens=5 delay=0.01")
    assert list(_streamed_text(slow).values()) == [replies.slow_reply(5)]
    long = _streamed_text(_run(agent_server, "long", "go"))
    assert list(long.values()) == [replies.long_reply()]
    nested = _run(agent_server, "subgraph", "hi", stream_subgraphs=True)
    names = {name.split("|")[0] for name, _ in nested if "|" in name}
    assert names == {"messages", "updates"}
    text = "".join(d[0]["content"] for name, d in nested if name.startswith("messages|"))
    assert text == replies.subgraph_reply("hi")


def test_runs_leave_no_state_in_the_source_tree(agent_server: AgentServer) -> None:
    assert not (SERVER_FOLDER / ".langgraph_api").exists()
    assert not (DEMO_FOLDER / ".langgraph_api").exists()


# --- the bundled demo agent ----------------------------------------------------------------


@pytest.fixture(scope="module")
def demo() -> Iterator[ServerHandle]:
    with start_demo(env={"FLEET_DEMO_TOKEN_DELAY": "0"}) as handle:
        yield handle


@pytest.mark.server
def test_demo_has_a_random_key_and_a_uuid_agent_id(demo: ServerHandle) -> None:
    assert demo.api_key.startswith("fleet-demo-") and len(demo.api_key) > 30
    assert demo.agent_id == launcher.demo_agent_id(demo)
    with _client(demo.url, demo.headers()) as client:
        assert client.get(f"/assistants/{demo.agent_id}").json()["graph_id"] == "agent"
    with _client(demo.url, demo.headers(BAD_KEY)) as client:
        assert client.get(f"/assistants/{demo.agent_id}").status_code == 401


@pytest.mark.server
def test_demo_streams_markdown_calls_a_tool_and_asks_for_approval(demo: ServerHandle) -> None:
    from fleet_tui.demo.agent import MARKDOWN_REPLY

    with _client(demo.url, demo.headers()) as client:
        thread_id = client.post("/threads", json={}).json()["thread_id"]
        path = f"/threads/{thread_id}/runs/stream"

        def turn(body: dict[str, Any]) -> list[tuple[str, Any]]:
            return _stream(client, path, {"assistant_id": demo.agent_id, **body})

        events = turn({"input": _user("hello")})
        (text,) = _streamed_text(events).values()
        assert text == MARKDOWN_REPLY
        chunks = [e for e in events if e[0] == "messages"]
        assert len(chunks) > 50  # token by token, not one blob
        for marker in ("# ", "\n- ", "```python", "|---|"):
            assert marker in text

        events = turn({"input": _user("What's the weather in Lisbon?")})
        tool_calls = [
            tc
            for update in _updates(events)
            for v in update.values()
            for m in (v or {}).get("messages", [])
            for tc in m.get("tool_calls", [])
        ]
        assert tool_calls[0]["name"] == "get_weather"
        assert tool_calls[0]["args"] == {"city": "Lisbon"}
        final = list(_streamed_text(events).values())[-1]
        assert "Lisbon: " in final and "(demo data)" in final

        events = turn({"input": _user("Now send an email about it")})
        (interrupt,) = _interrupts(events)
        request = interrupt["value"]["action_requests"][0]
        assert request["name"] == "send_email"
        assert set(request["args"]) == {"to", "subject", "body"}
        assert interrupt["value"]["review_configs"] == [
            {"action_name": "send_email", "allowed_decisions": ["approve", "edit", "reject"]}
        ]
        assert client.get(f"/threads/{thread_id}").json()["status"] == "interrupted"

        events = turn({"command": {"resume": {"decisions": [{"type": "approve"}]}}})
        final = list(_streamed_text(events).values())[-1]
        assert final.startswith(f"Done: Email sent to {request['args']['to']}")
        assert client.get(f"/threads/{thread_id}").json()["status"] == "idle"


# --- the launcher ----------------------------------------------------------------------


def test_missing_demo_extra_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real = launcher.importlib.util.find_spec
    monkeypatch.setattr(
        launcher.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "langgraph_api" else real(name, *a),
    )
    with pytest.raises(DemoUnavailable) as info:
        start_demo()
    assert INSTALL_HINT == "pip install 'fleet-tui[demo]'"
    assert INSTALL_HINT in str(info.value)


@pytest.mark.server
def test_a_taken_port_is_retried_on_another(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        ports = iter([taken])
        real_free_port = launcher.free_port
        monkeypatch.setattr(launcher, "free_port", lambda: next(ports, None) or real_free_port())
        with start_server(SERVER_FOLDER, owner_keys=["fake-pat-retry"]) as handle:
            assert handle.port != taken
            with _client(handle.url) as client:
                assert client.get("/ok").status_code == 200


@pytest.mark.server
def test_an_explicit_taken_port_is_an_error() -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        with pytest.raises(ServerStartError, match="already in use"):
            start_server(SERVER_FOLDER, owner_keys=["fake-pat-port"], port=taken)


@pytest.mark.server
def test_a_server_that_dies_reports_its_log(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("raise RuntimeError('broken graph for tests')\n")
    (tmp_path / "langgraph.json").write_text(
        json.dumps({"dependencies": ["."], "graphs": {"broken": "./broken.py:graph"}})
    )
    with pytest.raises(ServerStartError) as info:
        start_server(tmp_path, owner_keys=["fake-pat-broken"], timeout=30)
    assert "broken graph for tests" in str(info.value)
    assert not (tmp_path / ".langgraph_api").exists()


@pytest.mark.server
def test_stop_ends_the_process_and_frees_the_port() -> None:
    handle = start_server(SERVER_FOLDER, owner_keys=["fake-pat-stop"])
    handle.stop()
    handle.stop()  # idempotent
    assert handle.process.poll() is not None
    with _client(handle.url) as client, pytest.raises(httpx.ConnectError):
        client.get("/ok")


@pytest.mark.parametrize(
    ("message", "topic"),
    [
        ("research on keyboards", "keyboards"),
        ("Please research terminal chat clients and write a report", "terminal chat clients"),
        ("research into ferns.", "ferns"),
        ("plan a report about owls", "owls"),
    ],
)
def test_the_research_tour_names_its_topic_once(message: str, topic: str) -> None:
    from fleet_tui.demo.agent import _topic

    assert _topic(message) == topic
