"""The background watch in the app, against the real Agent Server: an approval raised by another
client (a schedule, the web UI: plain httpx here) on a saved agent that is not on screen shows
in the badge and the inbox within one watch interval, is answered from the inbox and leaves; one
answered elsewhere leaves while the inbox is open; the agent whose token gets 404 is named."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from app_harness import SIZE, wait_until
from server_fixture import AgentServer, replies
from test_inbox_app import agents_app, connected, final_text, header, open_inbox, toasts

from fleet_tui.tui.app import FleetApp
from fleet_tui.tui.screens.inbox import InboxScreen

pytestmark = [pytest.mark.server, pytest.mark.watch]

# seconds between looks: shortened for the test (the settings allow 5 at least)
INTERVAL = 1.0
APPROVE = {"command": {"resume": {"decisions": [{"type": "approve"}]}}}


async def start_thread(http: httpx.AsyncClient, assistant: str, text: str) -> str:
    created = await http.post("/threads", json={"metadata": {}})
    thread_id: str = created.json()["thread_id"]
    await run(
        http, assistant, thread_id, {"input": {"messages": [{"role": "human", "content": text}]}}
    )
    return thread_id


async def run(
    http: httpx.AsyncClient, assistant: str, thread_id: str, body: dict[str, Any]
) -> None:
    response = await http.post(
        f"/threads/{thread_id}/runs/wait", json={"assistant_id": assistant, **body}
    )
    response.raise_for_status()


async def own_assistant(http: httpx.AsyncClient) -> str:
    """An assistant of the `hitl` graph for this test alone: the shared server holds the
    threads other tests left waiting on the graph's default one."""
    made = await http.post("/assistants", json={"graph_id": "hitl"})
    made.raise_for_status()
    assistant: str = made.json()["assistant_id"]
    return assistant


async def test_an_approval_raised_elsewhere_reaches_badge_and_inbox_within_one_interval(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    app = agents_app(agent_server, tmp_path, current="notes", watch_interval=60)
    app.settings.watch_interval = INTERVAL
    async with httpx.AsyncClient(
        base_url=agent_server.url, headers=agent_server.headers(), timeout=60
    ) as http:
        # the first look at an agent imports what is there, quietly; an agent with no thread
        # has no cursor to start from, so `mail` gets one (answered already) before it
        assistant = await own_assistant(http)
        app.settings.profiles["mail"].agent_id = assistant
        earlier = await start_thread(http, assistant, "an earlier one")
        await run(http, assistant, earlier, APPROVE)
        await watched(app, http, assistant)


async def watched(app: FleetApp, http: httpx.AsyncClient, assistant: str) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await connected(pilot)
        mail = app.settings.profiles["mail"]
        mail_pk = app.store.ensure_agent(mail.url, mail.agent_id).id
        await wait_until(pilot, lambda: app.store.watch_cursor(mail_pk), what="the first look")
        # the agent whose token is someone else's is named, in words
        await wait_until(pilot, lambda: dict(app.unchecked).get("stranger"), what="404 named")
        assert "1 agent not checked" in header(app)
        assert app.waiting_count == 0

        thread_id = await start_thread(http, assistant, "launch plan")
        raised = time.monotonic()
        await wait_until(pilot, lambda: app.waiting_count == 1, what="the badge", timeout=15)
        assert time.monotonic() - raised <= INTERVAL + 3  # within one look (and its work)
        assert "⚑ 1" in header(app)
        # (its title may not be known yet: the look can find the thread before its message)
        await wait_until(
            pilot,
            lambda: any(
                t.startswith("mail · ") and "waiting for approval" in t for t in toasts(app)
            ),
        )

        screen = await open_inbox(pilot)
        assert [(e.kind, e.agent, e.thread_id) for e in screen.entries] == [
            ("waiting", "mail", thread_id)
        ]
        unchecked = str(screen.query_one("#inbox-unchecked").render())
        assert "stranger" in unchecked
        cid = screen.entries[0].conversation_id
        await pilot.press("a")
        await wait_until(pilot, lambda: app.waiting_count == 0, what="answered from the inbox")
        await wait_until(
            pilot,
            lambda: (
                final_text(app, cid)
                == replies.hitl_final("approve", replies.hitl_args("launch plan"))
            ),
            what="the approval to reach the graph",
        )

        # raised and answered elsewhere while the inbox is open: it comes, then it leaves
        other = await start_thread(http, assistant, "second draft")
        await wait_until(
            pilot, lambda: any(e.thread_id == other and e.kind == "waiting" for e in screen.entries)
        )
        await run(http, assistant, other, APPROVE)
        await wait_until(
            pilot,
            lambda: not any(e.thread_id == other and e.kind == "waiting" for e in screen.entries),
            what="the approval answered elsewhere to leave",
        )
        assert isinstance(app.screen, InboxScreen)
        assert app.waiting_count == 0
