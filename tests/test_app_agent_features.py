"""Tool blocks, approvals, server threads, export and snippets in the app, against the real
Agent Server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from app_harness import (
    SIZE,
    assistant_texts,
    idle,
    make_app,
    profile_for,
    type_and_send,
    wait_until,
)
from langgraph_sdk import get_client
from server_fixture import AgentServer, replies
from textual.widgets import Input, TextArea

from fleet_tui.domain.transcript import InterruptItem, ToolItem
from fleet_tui.storage.store import Store
from fleet_tui.tui.screens.export import ExportScreen
from fleet_tui.tui.screens.review import ReviewScreen
from fleet_tui.tui.screens.snippets import SnippetsScreen

pytestmark = pytest.mark.server


async def test_tool_call_and_result_blocks_collapse_and_expand(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    app = make_app(tmp_path, profile_for(agent_server, "tools"))
    async with app.run_test(size=SIZE) as pilot:
        await type_and_send(pilot, "meaning of life")
        await wait_until(
            pilot, lambda: idle(app) and assistant_texts(app.chat.pane.transcript.items)
        )
        tools = [i for i in app.chat.pane.transcript.items if isinstance(i, ToolItem)]
        assert len(tools) == 1
        tool = tools[0]
        assert tool.name == replies.TOOL_NAME and tool.state == "done"
        assert tool.result == replies.tool_result("meaning of life")
        assert not tool.expanded  # collapsed to one line by default
        assert assistant_texts(app.chat.pane.transcript.items)[-1] == replies.tools_answer(
            "meaning of life"
        )
        index = app.chat.pane.transcript.items.index(tool)
        collapsed = "\n".join(app.chat.pane.line_texts(index))
        drawn = [line for line in app.chat.pane.line_texts(index) if line.strip()]
        assert drawn[-1].startswith("▸ ⚙ lookup(") and "✓ done" in drawn[-1]  # one line
        assert replies.tool_result("meaning of life") not in collapsed
        await pilot.press("ctrl+t")
        assert tool.expanded
        await pilot.pause(0.1)
        expanded = "\n".join(app.chat.pane.line_texts(index))
        assert replies.tool_result("meaning of life") in expanded
        await pilot.press("ctrl+t")
        assert not tool.expanded


async def answer_review(pilot, keys: list[str], *, edit: dict | None = None) -> None:  # type: ignore[no-untyped-def]
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, ReviewScreen), what="the review panel")
    await pilot.pause(0.1)
    for key in keys:
        await pilot.press(key)
    if edit is not None:
        editor = app.screen.query_one("#edit-0", TextArea)
        editor.text = json.dumps(edit)
        await pilot.pause(0.05)
    await pilot.press("ctrl+s")


@pytest.mark.parametrize("decision", ["approve", "edit", "reject"])
async def test_hitl_decisions_resume_the_run(
    agent_server: AgentServer, tmp_path: Path, decision: str
) -> None:
    app = make_app(tmp_path, profile_for(agent_server, "hitl"))
    async with app.run_test(size=SIZE) as pilot:
        await type_and_send(pilot, "quarterly numbers")
        args = replies.hitl_args("quarterly numbers")
        edited = dict(args, to="bob@example.com", subject="Edited by test")
        if decision == "approve":
            await answer_review(pilot, ["a"])
            expected = replies.hitl_final("approve", args)
        elif decision == "edit":
            await answer_review(pilot, ["e"], edit=edited)
            expected = replies.hitl_final("edit", edited)
        else:
            await answer_review(pilot, ["r"])
            reject_box = (
                app.screen.query_one("#message-0", Input)
                if isinstance(app.screen, ReviewScreen)
                else None
            )
            assert reject_box is None  # ctrl+s already sent the rejection without a message
            expected = replies.hitl_final("reject", reason="")
        await wait_until(
            pilot,
            lambda: idle(app) and expected in assistant_texts(app.chat.pane.transcript.items)[-1:],
            what=f"the {decision} to reach the graph",
        )
        pending = [
            i
            for i in app.chat.pane.transcript.items
            if isinstance(i, InterruptItem) and not i.resolved
        ]
        assert not pending


async def test_pending_review_survives_a_restart(agent_server: AgentServer, tmp_path: Path) -> None:
    profile = profile_for(agent_server, "hitl")
    app = make_app(tmp_path, profile)
    async with app.run_test(size=SIZE) as pilot:
        await type_and_send(pilot, "send it later")
        await wait_until(pilot, lambda: isinstance(app.screen, ReviewScreen))
        await pilot.press("escape")  # not now
        conversation = app.chat.current.conversation
        await wait_until(
            pilot, lambda: app.store.get_conversation(conversation.id).status == "interrupted"
        )
    app.store.close()
    again = make_app(tmp_path, profile, store=Store.open(tmp_path / "store.db"))
    async with again.run_test(size=SIZE) as pilot:
        again.chat.open_conversation(conversation.id)
        await wait_until(
            pilot,
            lambda: any(isinstance(i, InterruptItem) for i in again.chat.pane.transcript.items),
            what="the pending approval from the server",
        )
        await pilot.press("ctrl+r")
        await answer_review(pilot, ["a"])
        expected = replies.hitl_final("approve", replies.hitl_args("send it later"))
        await wait_until(
            pilot,
            lambda: idle(again) and expected in assistant_texts(again.chat.pane.transcript.items),
        )


async def test_inbox_and_json_interrupts(agent_server: AgentServer, tmp_path: Path) -> None:
    app = make_app(tmp_path / "inbox", profile_for(agent_server, "inbox"))
    async with app.run_test(size=SIZE) as pilot:
        await type_and_send(pilot, "inbox please")
        await answer_review(pilot, ["a"])
        expected = replies.inbox_final([{"type": "accept", "args": None}])
        await wait_until(
            pilot, lambda: idle(app) and expected in assistant_texts(app.chat.pane.transcript.items)
        )
    app = make_app(tmp_path / "raw", profile_for(agent_server, "json_interrupt"))
    async with app.run_test(size=SIZE) as pilot:
        await type_and_send(pilot, "ask me")
        await wait_until(pilot, lambda: isinstance(app.screen, ReviewScreen))
        await pilot.pause(0.1)
        answer = app.screen.query(TextArea).first()
        answer.text = '{"pick": 2}'
        await pilot.pause(0.05)
        await pilot.press("ctrl+s")
        expected = replies.json_final({"pick": 2})
        await wait_until(
            pilot, lambda: idle(app) and expected in assistant_texts(app.chat.pane.transcript.items)
        )


async def test_threads_made_with_the_sdk_appear_after_sync(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    assistant = agent_server.assistant_id("echo")
    sdk = get_client(
        url=agent_server.url,
        api_key=agent_server.owner_key,
        headers={"X-Auth-Scheme": "langsmith-api-key"},
    )
    gate = asyncio.Semaphore(10)

    async def one(n: int) -> str:
        async with gate:
            thread = await sdk.threads.create()
            await sdk.runs.wait(
                thread["thread_id"],
                assistant,
                input={"messages": [{"role": "user", "content": f"sdk thread {n}"}]},
            )
            return str(thread["thread_id"])

    made = set(await asyncio.gather(*(one(n) for n in range(105))))
    profile = profile_for(agent_server, "echo")
    app = make_app(tmp_path, profile)
    async with app.run_test(size=SIZE) as pilot:
        # first use of the agent syncs by itself
        agent = app.agent
        assert agent is not None
        await wait_until(pilot, lambda: app.store.count_conversations(agent.id) >= 105, timeout=60)
        threads = {c.thread_id for c in app.store.list_conversations(agent.id, limit=1000)}
        assert made <= threads
        titles = {c.title for c in app.store.list_conversations(agent.id, limit=1000)}
        assert "sdk thread 104" in titles and "sdk thread 0" in titles
        before = app.store.count_conversations(agent.id)
        app.action_sync()  # a second sync adds nothing twice
        await pilot.pause(2)
        await app.workers.wait_for_complete()
        assert app.store.count_conversations(agent.id) == before


async def test_export_contains_every_message_tool_call_and_result(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    app = make_app(tmp_path, profile_for(agent_server, "tools"))
    async with app.run_test(size=SIZE) as pilot:
        await type_and_send(pilot, "export me")
        await wait_until(
            pilot, lambda: idle(app) and assistant_texts(app.chat.pane.transcript.items)
        )
        app.action_export()
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, ExportScreen) and app.screen.query("#export-path"),
        )
        target = tmp_path / "out" / "conversation.md"
        path_input = app.screen.query_one("#export-path", Input)
        path_input.value = str(target)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: target.exists())
    text = target.read_text()
    assert "export me" in text
    assert replies.TOOL_NAME in text and "export me" in text
    assert replies.tool_result("export me") in text
    assert replies.tools_answer("export me") in text
    assert agent_server.owner_key not in text


async def test_snippets_screen_has_no_token(agent_server: AgentServer, tmp_path: Path) -> None:
    profile = profile_for(agent_server, "scripted")
    app = make_app(tmp_path, profile)
    async with app.run_test(size=SIZE) as pilot:
        app.action_snippets()
        await wait_until(pilot, lambda: isinstance(app.screen, SnippetsScreen))
        await pilot.press("c")
        assert profile.agent_id in (app.clipboard or "")
        assert profile.api_key not in (app.clipboard or "")
        assert profile.api_key not in app.export_screenshot()
