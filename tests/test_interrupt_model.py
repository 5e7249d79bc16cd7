"""The one interrupt model (`fleet_tui.domain.interrupt_model`): the shapes it is read from, and the
per-call `response_schema` kept when a conversation is reopened (against the real server)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from server_fixture import AgentServer, replies

from fleet_tui.agent_server.client import FleetClient
from fleet_tui.agent_server.normalizer import EventNormalizer
from fleet_tui.domain.events import InterruptRequest
from fleet_tui.domain.interrupt_model import Interrupt, parse_interrupts, pending_interrupts
from fleet_tui.domain.interrupts import HitlReview, classify, summary
from fleet_tui.services.sync import refresh_thread
from fleet_tui.storage.store import Store

SCHEMA = {"properties": {"type": {"const": "approve"}}}
ITEM = {"id": "i1", "value": {"question": "ok?"}, "response_schema": SCHEMA}


def test_updates_shape_with_namespace() -> None:
    normalizer = EventNormalizer("t")
    (request,) = normalizer.feed(
        "updates|tools:abc", json.dumps({"__interrupt__": [ITEM, ITEM]})
    )  # the same id twice: one request
    assert isinstance(request, InterruptRequest)
    assert request.interrupt == Interrupt("i1", {"question": "ok?"}, SCHEMA, ("tools:abc",))
    assert InterruptRequest.of(request.interrupt) == request


def test_bare_values_and_items_without_value() -> None:
    assert parse_interrupts("why?") == [Interrupt(None, "why?")]
    assert parse_interrupts([{"value": 1, "ns": ["sub:1"]}]) == [
        Interrupt(None, 1, None, ("sub:1",))
    ]
    assert pending_interrupts({"interrupts": [{"id": "x"}]}) == []  # no value: not an interrupt
    assert pending_interrupts(None) == []


def test_state_top_level_and_tasks_once_each_with_the_schema() -> None:
    top = {"id": "i1", "value": {"question": "ok?"}}  # this copy lacks the schema
    state = {
        "interrupts": [top],
        "tasks": [{"id": "task", "interrupts": [ITEM, {"id": "i2", "value": "more?"}]}, "odd"],
    }
    assert pending_interrupts(state) == [
        Interrupt("i1", {"question": "ok?"}, SCHEMA),
        Interrupt("i2", "more?"),
    ]


def test_thread_shape_is_keyed_by_task() -> None:
    thread = {"status": "interrupted", "interrupts": {"task-1": [ITEM], "task-2": "odd"}}
    assert pending_interrupts(thread) == [Interrupt("i1", {"question": "ok?"}, SCHEMA)]


@pytest.mark.server
async def test_a_reopened_per_call_interrupt_keeps_its_schema(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    client = FleetClient(
        agent_server.url, agent_server.assistant_id("hitl_per_call"), agent_server.owner_key
    )
    async with client:
        thread_id = (await client.create_thread())["thread_id"]
        streamed = [
            event
            async for event in client.stream_run(
                {"messages": [{"role": "user", "content": "Please send the report."}]},
                thread_id=thread_id,
            )
            if isinstance(event, InterruptRequest)
        ]
        (live,) = streamed
        assert live.response_schema  # the stream carries it
        with Store.open(tmp_path / "fleet.db") as store:
            agent = store.ensure_agent(agent_server.url, "hitl_per_call")
            conversation = store.create_conversation(agent.id, thread_id=thread_id)
            refreshed = await refresh_thread(client, store, conversation)
    # reopening reads `/state`: the same interrupt, schema and all
    assert refreshed.status == "interrupted"
    (interrupt,) = refreshed.interrupts
    assert interrupt == live.interrupt
    review = classify(interrupt.value, interrupt.response_schema)
    assert isinstance(review, HitlReview) and review.per_call
    assert review.actions[0].name == replies.HITL_TOOL
    assert review.actions[0].allowed == ["approve", "reject"]  # from the schema alone
    assert summary(interrupt.value, interrupt.response_schema).startswith(replies.HITL_TOOL)


def test_the_pane_says_what_the_one_summary_says() -> None:
    from fleet_tui.tui.widgets.item_render import interrupt_summary

    per_call = {"type": "tool_approval", "name": "send_email", "args": {"to": "a@b.c"}}
    for value in (per_call, {"action_requests": [{"name": "a"}, {"name": "b"}]}, "why?", None):
        assert interrupt_summary(value, SCHEMA) == summary(value, SCHEMA, limit=200)
