"""The TUI driven by Pilot against the real Agent Server."""

from __future__ import annotations

from pathlib import Path

import httpx
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
from server_fixture import AgentServer, replies

from fleet_tui.domain.transcript import AssistantItem, ErrorItem, UserItem
from fleet_tui.storage.store import Store
from fleet_tui.tui.screens.settings import SettingsScreen

pytestmark = pytest.mark.server


async def test_send_streams_the_reply_and_saves_it(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    app = make_app(tmp_path, profile_for(agent_server, "scripted"))
    async with app.run_test(size=SIZE) as pilot:
        assert app.focused is app.chat.composer  # the composer has focus on start
        await type_and_send(pilot, "hello tui")
        await wait_until(
            pilot, lambda: idle(app) and assistant_texts(app.chat.pane.transcript.items)
        )
        items = app.chat.pane.transcript.items
        users = [i for i in items if isinstance(i, UserItem)]
        assert [u.text for u in users] == ["hello tui"]
        assert assistant_texts(items) == [replies.echo_reply("hello tui", 1)]
        conversation = app.chat.current.conversation
        assert conversation.thread_id and conversation.title == "hello tui"
        stored = app.store.messages(conversation.id)
        assert [m.role for m in stored] == ["human", "ai"]
        assert stored[1].content == replies.echo_reply("hello tui", 1) and stored[1].complete
        assert app.chat.sidebar.conversations[0].id == conversation.id
        assert app.connection_state == "connected"


async def test_enter_sends_and_ctrl_j_inserts_a_newline(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    app = make_app(tmp_path, profile_for(agent_server, "scripted"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a", "ctrl+j", "b")
        assert app.chat.composer.text == "a\nb"
        await pilot.press("enter")
        assert app.chat.composer.text == ""
        await wait_until(
            pilot, lambda: idle(app) and assistant_texts(app.chat.pane.transcript.items)
        )
        assert assistant_texts(app.chat.pane.transcript.items) == [replies.echo_reply("a\nb", 1)]


async def test_second_turn_sees_the_first(agent_server: AgentServer, tmp_path: Path) -> None:
    app = make_app(tmp_path, profile_for(agent_server, "scripted"))
    async with app.run_test(size=SIZE) as pilot:
        await type_and_send(pilot, "one")
        await wait_until(
            pilot, lambda: idle(app) and len(assistant_texts(app.chat.pane.transcript.items)) == 1
        )
        await type_and_send(pilot, "two")
        await wait_until(
            pilot, lambda: idle(app) and len(assistant_texts(app.chat.pane.transcript.items)) == 2
        )
        assert assistant_texts(app.chat.pane.transcript.items)[1] == replies.echo_reply("two", 2)


async def test_escape_cancels_and_keeps_the_partial_reply(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    app = make_app(tmp_path, profile_for(agent_server, "slow"))
    async with app.run_test(size=SIZE) as pilot:
        await type_and_send(pilot, "tokens=300 delay=0.05")
        await wait_until(
            pilot, lambda: any(len(t) > 10 for t in assistant_texts(app.chat.pane.transcript.items))
        )
        await pilot.press("escape")
        await wait_until(pilot, lambda: idle(app), what="the run to stop")
        replies_shown = [i for i in app.chat.pane.transcript.items if isinstance(i, AssistantItem)]
        assert replies_shown and replies_shown[0].interrupted
        partial = replies_shown[0].text
        assert replies.slow_reply(300).startswith(partial) and partial != replies.slow_reply(300)
        conversation = app.chat.current.conversation
        stored = [m for m in app.store.messages(conversation.id) if m.role == "ai"]
        assert stored and not stored[0].complete
        assert replies.slow_reply(300).startswith(stored[0].content)
        runs = httpx.get(
            f"{agent_server.url}/threads/{conversation.thread_id}/runs",
            headers=agent_server.headers(),
        ).json()
        assert runs[0]["status"] != "running"


async def test_switching_conversations_keeps_each_stream_in_its_own(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    app = make_app(tmp_path, profile_for(agent_server, "slow"))
    async with app.run_test(size=SIZE) as pilot:
        await type_and_send(pilot, "tokens=40 delay=0.05")
        await wait_until(pilot, lambda: any(assistant_texts(app.chat.pane.transcript.items)))
        first = app.chat.current
        await pilot.press("ctrl+n")
        assert app.chat.current is None
        await type_and_send(pilot, "tokens=5 delay=0.01")
        second = app.chat.current
        assert second is not first
        await wait_until(
            pilot, lambda: first.runner is None and second.runner is None, what="both runs"
        )
        assert assistant_texts(second.transcript.items) == [replies.slow_reply(5)]
        app.chat.open_conversation(first.conversation.id)
        await pilot.pause(0.2)
        assert assistant_texts(app.chat.pane.transcript.items) == [replies.slow_reply(40)]
        stored = [m.content for m in app.store.messages(first.conversation.id) if m.role == "ai"]
        assert stored == [replies.slow_reply(40)]


async def test_stateless_conversation(agent_server: AgentServer, tmp_path: Path) -> None:
    app = make_app(tmp_path, profile_for(agent_server, "scripted"))
    async with app.run_test(size=SIZE) as pilot:
        app.chat.action_new_stateless()
        await type_and_send(pilot, "no memory")
        await wait_until(
            pilot, lambda: idle(app) and assistant_texts(app.chat.pane.transcript.items)
        )
        await type_and_send(pilot, "again")
        await wait_until(
            pilot, lambda: idle(app) and len(assistant_texts(app.chat.pane.transcript.items)) == 2
        )
        conversation = app.chat.current.conversation
        assert conversation.stateless and conversation.thread_id is None
        # each message is sent on its own: the agent sees one human message each time
        assert assistant_texts(app.chat.pane.transcript.items)[1] == replies.echo_reply("again", 1)


async def test_reopen_after_restart_shows_history_and_reconciles(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    profile = profile_for(agent_server, "scripted")
    app = make_app(tmp_path, profile)
    async with app.run_test(size=SIZE) as pilot:
        await type_and_send(pilot, "remember me")
        await wait_until(
            pilot, lambda: idle(app) and assistant_texts(app.chat.pane.transcript.items)
        )
        conversation = app.chat.current.conversation
    app.store.close()
    # a turn added elsewhere (the web UI, the SDK) while the app was closed
    response = httpx.post(
        f"{agent_server.url}/threads/{conversation.thread_id}/runs/wait",
        headers=agent_server.headers(),
        json={
            "assistant_id": profile.agent_id,
            "input": {"messages": [{"role": "user", "content": "from elsewhere"}]},
        },
        timeout=30,
    )
    assert response.status_code == 200
    again = make_app(tmp_path, profile, store=Store.open(tmp_path / "store.db"))
    async with again.run_test(size=SIZE) as pilot:
        # the newest activity first (threads of other tests on the shared server may follow)
        assert again.chat.sidebar.conversations[0].id == conversation.id
        again.chat.open_conversation(conversation.id)
        texts = assistant_texts(again.chat.pane.transcript.items)
        assert texts == [replies.echo_reply("remember me", 1)]  # at once, from the store
        await wait_until(pilot, lambda: len(assistant_texts(again.chat.pane.transcript.items)) == 2)
        users = [i.text for i in again.chat.pane.transcript.items if isinstance(i, UserItem)]
        assert users == ["remember me", "from elsewhere"]
        assert assistant_texts(again.chat.pane.transcript.items)[1] == replies.echo_reply(
            "from elsewhere", 2
        )


async def test_first_run_opens_settings(tmp_path: Path) -> None:
    app = make_app(tmp_path, None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.2)
        assert isinstance(app.screen, SettingsScreen)


@pytest.mark.parametrize(
    ("key_kind", "words"),
    [("bad", "Authentication failed"), ("other", "not tied to the owner")],
)
async def test_errors_show_in_the_conversation_with_retry(
    agent_server: AgentServer, tmp_path: Path, key_kind: str, words: str
) -> None:
    key = "fake-pat-wrong-0000000000" if key_kind == "bad" else agent_server.other_key
    app = make_app(tmp_path, profile_for(agent_server, "scripted", key=key))
    state = "authentication failed" if key_kind == "bad" else "not found"
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.connection_state == state)
        await type_and_send(pilot, "hi")
        await wait_until(
            pilot,
            lambda: (
                idle(app) and any(isinstance(i, ErrorItem) for i in app.chat.pane.transcript.items)
            ),
        )
        errors = [i for i in app.chat.pane.transcript.items if isinstance(i, ErrorItem)]
        assert words in errors[0].message and errors[0].retryable
        assert key not in app.export_screenshot()


async def test_closed_port_is_reported(
    tmp_path: Path, closed_url: str, agent_server: AgentServer
) -> None:
    profile = profile_for(agent_server, "scripted")
    profile.url = closed_url
    app = make_app(tmp_path, profile)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.connection_state == "unreachable")
        assert "Cannot reach" in app.connection_detail
        await type_and_send(pilot, "hi")
        await wait_until(
            pilot,
            lambda: (
                idle(app) and any(isinstance(i, ErrorItem) for i in app.chat.pane.transcript.items)
            ),
        )


async def test_sidebar_filter_and_open(agent_server: AgentServer, tmp_path: Path) -> None:
    app = make_app(tmp_path, profile_for(agent_server, "scripted"))
    store = app.store
    agent = store.ensure_agent(agent_server.url, agent_server.assistant_id("scripted"))
    for title in ("alpha project", "beta launch", "gamma rays"):
        conversation = store.create_conversation(agent.id, title=title)
        store.add_message(conversation.id, "human", f"about {title}")
        store.add_message(conversation.id, "ai", f"reply on {title}")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+f")
        assert app.focused is app.chat.sidebar.filter_input
        await pilot.press(*"launch")
        await pilot.pause(0.1)
        assert [c.title for c in app.chat.sidebar.conversations] == ["beta launch"]
        await pilot.press("enter", "enter")  # to the list, then open the highlighted row
        await pilot.pause(0.2)
        assert app.chat.current is not None and app.chat.current.conversation.title == "beta launch"
        assert assistant_texts(app.chat.pane.transcript.items) == ["reply on beta launch"]
        await pilot.press("ctrl+b")
        assert not app.chat.sidebar.display


async def test_theme_choice_is_saved(agent_server: AgentServer, tmp_path: Path) -> None:
    from fleet_tui.settings.config import load_settings

    app = make_app(tmp_path, profile_for(agent_server, "scripted"))
    async with app.run_test(size=SIZE) as pilot:
        app.theme = "nord"
        await pilot.pause(0.1)
    settings, _warnings = load_settings(tmp_path / "settings.json")
    assert settings.theme == "nord"
    again = make_app(tmp_path, profile_for(agent_server, "scripted"), settings=settings)
    async with again.run_test(size=SIZE):
        assert again.theme == "nord"


@pytest.mark.parametrize("choice", ["w", "s", "j"])
async def test_busy_thread_offers_wait_stop_or_watch(
    agent_server: AgentServer, tmp_path: Path, choice: str
) -> None:
    from fleet_tui.tui.screens.busy import BusyScreen

    profile = profile_for(agent_server, "slow")
    app = make_app(tmp_path, profile)
    async with app.run_test(size=SIZE) as pilot:
        await type_and_send(pilot, "tokens=2 delay=0.01")
        await wait_until(
            pilot, lambda: idle(app) and assistant_texts(app.chat.pane.transcript.items)
        )
        thread_id = app.chat.current.conversation.thread_id
        # someone else (the web UI, another terminal) starts a long run on the same thread
        other = httpx.post(
            f"{agent_server.url}/threads/{thread_id}/runs",
            headers=agent_server.headers(),
            json={
                "assistant_id": profile.agent_id,
                "input": {"messages": [{"role": "user", "content": "tokens=40 delay=0.05"}]},
                # with a messages stream mode the scripted model streams at its own pace
                "stream_mode": ["messages-tuple"],
                "stream_resumable": True,
            },
            timeout=30,
        ).json()

        def other_status() -> str:
            return httpx.get(
                f"{agent_server.url}/threads/{thread_id}/runs/{other['run_id']}",
                headers=agent_server.headers(),
            ).json()["status"]

        await wait_until(pilot, lambda: other_status() == "running", timeout=15)
        await type_and_send(pilot, "tokens=3 delay=0.01")
        await wait_until(pilot, lambda: isinstance(app.screen, BusyScreen), what="the 409 question")
        await pilot.press(choice)
        await wait_until(
            pilot,
            lambda: (
                idle(app)
                and assistant_texts(app.chat.pane.transcript.items)[-1] == replies.slow_reply(3)
            ),
            timeout=40,
            what="our reply after the other run",
        )
        texts = assistant_texts(app.chat.pane.transcript.items)
        if choice == "j":
            assert replies.slow_reply(40) in texts  # we watched the other run stream
        if choice == "s":
            assert other_status() in ("interrupted", "error")
        else:
            assert other_status() == "success"
        users = [i.text for i in app.chat.pane.transcript.items if isinstance(i, UserItem)]
        assert users.count("tokens=3 delay=0.01") == 1  # shown once, whatever was chosen
        stored = [m.content for m in app.store.messages(app.chat.current.conversation.id)]
        assert stored.count("tokens=3 delay=0.01") == 1


async def test_retry_after_an_error_resends_once(agent_server: AgentServer, tmp_path: Path) -> None:
    profile = profile_for(agent_server, "scripted", key="fake-pat-wrong-0000000000")
    app = make_app(tmp_path, profile)
    async with app.run_test(size=SIZE) as pilot:
        await type_and_send(pilot, "try me")
        await wait_until(
            pilot,
            lambda: (
                idle(app) and any(isinstance(i, ErrorItem) for i in app.chat.pane.transcript.items)
            ),
        )
        # the user fixes the token, then retries from the error block
        app.client._http.headers["X-Api-Key"] = agent_server.owner_key  # type: ignore[union-attr]
        app.chat.pane.focus()
        await pilot.press("r")
        await wait_until(
            pilot, lambda: idle(app) and assistant_texts(app.chat.pane.transcript.items)
        )
        assert assistant_texts(app.chat.pane.transcript.items) == [replies.echo_reply("try me", 1)]
        users = [i.text for i in app.chat.pane.transcript.items if isinstance(i, UserItem)]
        assert users == ["try me"]


async def test_the_collector_is_off_until_the_first_frame_only(tmp_path: Path) -> None:
    import gc

    from fleet_tui.main import main

    # a start that fails before the app runs turns it back on
    assert main(["--env-file", str(tmp_path / "missing.env")]) == 2
    assert gc.isenabled()
    gc.disable()  # as `fleet-tui` starts the app
    try:
        app = make_app(tmp_path, None)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert gc.isenabled()
    finally:
        gc.enable()
