"""Storage faults end to end: `ask`, `threads`, the TUI's runner and the TUI itself, against the
real Agent Server or the small hostile one, with a store that is read-only, full or damaged,
and server text with lone surrogates or an echoed token."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
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
from server_fixture import OWNER_KEY, AgentServer, replies
from store_faults import READ_ONLY, fill_disk, read_only
from store_hostile_server import ECHO_HEADERS, HostileServer, hostile_server
from test_ask import isolated_env

from fleet_tui import main as cli
from fleet_tui.agent_server.client import FleetClient
from fleet_tui.cli.ask import run_ask
from fleet_tui.common import redaction
from fleet_tui.common.exit_codes import ExitCode
from fleet_tui.domain.events import Event, RunEnded, RunError
from fleet_tui.services.export import export_json, export_markdown, write_export
from fleet_tui.services.runner import TurnRunner
from fleet_tui.services.sync import sync_threads
from fleet_tui.settings.config import AgentProfile
from fleet_tui.storage.store import Store, encodable

AGENT = "0b5d3c1e-2f4a-4b6c-8d9e-0123456789ab"  # the hostile server takes any agent id
HOSTILE_REPLY = "The tool says: lookup result for 'what is the answer\ufffd?': 42 \ufffd"
HOSTILE_RESULT = "lookup result for 'what is the answer\ufffd?': 42 \ufffd"


@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileServer]:
    with hostile_server() as server:
        yield server


def store_path(home: Path) -> Path:
    return home / "data" / "fleet-tui" / "fleet.db"


def fleet(home: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`fleet-tui ARGS` as a user runs it, with its own settings and store under `home`."""
    return subprocess.run(
        [sys.executable, "-m", "fleet_tui", *args],
        capture_output=True,
        text=True,
        timeout=90,
        env=isolated_env(home, env),
        cwd=home,
        stdin=subprocess.DEVNULL,
    )


def server_env(url: str, agent_id: str, key: str = OWNER_KEY) -> dict[str, str]:
    return {"FLEET_API_URL": url, "FLEET_AGENT_ID": agent_id, "LANGGRAPH_API_KEY": key}


def notes(stderr: str, text: str) -> list[str]:
    return [line for line in stderr.splitlines() if text in line]


# -- lone surrogates from a hostile server ----------------------------------------------------


def test_ask_saves_a_reply_and_tool_result_with_lone_surrogates(
    hostile: HostileServer, tmp_path: Path
) -> None:
    env = server_env(hostile.url, AGENT)
    result = fleet(tmp_path, "ask", "--thread", "new", "what is the answer?", env=env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == HOSTILE_REPLY + "\n"
    with Store.open(store_path(tmp_path)) as store:
        (conversation,) = store.list_conversations(store.list_agents()[0].id)
        assert conversation.status == "idle"
        stored = store.messages(conversation.id)
    assert [(m.role, m.content, m.complete) for m in stored] == [
        ("human", "what is the answer?", True),
        ("ai", "", True),
        ("tool", HOSTILE_RESULT, True),
        ("ai", HOSTILE_REPLY, True),
    ]
    assert stored[1].tool_calls[0]["args"] == {"query": "what is the answer\ufffd?"}


async def test_the_tui_runner_keeps_streaming_past_a_lone_surrogate(
    hostile: HostileServer, tmp_path: Path
) -> None:
    events: list[Event] = []
    with Store.open(tmp_path / "fleet.db") as store:
        agent = store.ensure_agent(hostile.url, AGENT)
        conversation = store.create_conversation(agent.id)
        async with FleetClient(hostile.url, AGENT, OWNER_KEY) as client:
            runner = TurnRunner(client, store, conversation, events.append)
            assert await runner.send("what is the answer?") == "success"
            # the sidebar's sync brings a thread whose title holds a lone surrogate
            report = await sync_threads(client, store, agent, AGENT)
        assert isinstance(events[-1], RunEnded) and events[-1].status == "success"
        assert not [e for e in events if isinstance(e, RunError)]
        saved = store.get_conversation(conversation.id)
        assert saved is not None and saved.status == "idle"
        assert [m.content for m in store.messages(conversation.id)][-1] == HOSTILE_REPLY
        assert report.added == 1
        titles = [c.title for c in store.list_conversations(agent.id)]
        assert "Report \ufffd draft" in titles


async def test_the_tui_shows_and_saves_a_reply_with_lone_surrogates(
    hostile: HostileServer, tmp_path: Path
) -> None:
    profile = AgentProfile(name="hostile", url=hostile.url, agent_id=AGENT, api_key=OWNER_KEY)
    app = make_app(tmp_path, profile)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.connection_state == "connected", what="connected")
        await type_and_send(pilot, "what is the answer?")
        await wait_until(
            pilot, lambda: idle(app) and assistant_texts(app.chat.pane.transcript.items)
        )
        # on screen as the server sent it (the pane cleans it when drawing), stored encodable
        assert encodable(assistant_texts(app.chat.pane.transcript.items)[-1]) == HOSTILE_REPLY
        conversation = app.store.get_conversation(app.chat.current.conversation.id)  # type: ignore[union-attr]
        assert conversation is not None and conversation.status == "idle"
        assert app.store.messages(conversation.id)[-1].content == HOSTILE_REPLY
        assert app.store.get_agent(conversation.agent_pk).name == "Hostile \ufffd agent"  # type: ignore[union-attr]


# -- a token echoed back by the server ------------------------------------------------------


async def test_an_echoed_token_is_masked_in_the_store_and_in_exports(
    hostile: HostileServer, tmp_path: Path
) -> None:
    masked = redaction.mask_secret(OWNER_KEY)
    events: list[Event] = []
    path = tmp_path / "fleet.db"
    with Store.open(path) as store:
        agent = store.ensure_agent(hostile.url, AGENT)
        conversation = store.create_conversation(agent.id)
        async with FleetClient(hostile.url, AGENT, OWNER_KEY) as client:
            runner = TurnRunner(client, store, conversation, events.append)
            assert await runner.send(ECHO_HEADERS) == "error"
        (error,) = [m for m in store.messages(conversation.id) if m.role == "error"]
        assert f"x-api-key: {masked}" in error.content
        conversation = store.get_conversation(conversation.id)  # type: ignore[assignment]
        messages = store.messages(conversation.id)
    assert OWNER_KEY.encode() not in path.read_bytes()
    # the secret guard also reads these files after the test
    for render, name in ((export_markdown, "x.md"), (export_json, "x.json")):
        text = render(conversation, messages, agent_name="a", url=hostile.url)
        written = write_export(tmp_path / name, text).read_text()
        assert OWNER_KEY not in written and f"x-api-key: {masked}" in written


def test_ask_stores_an_echoed_token_masked(hostile: HostileServer, tmp_path: Path) -> None:
    env = server_env(hostile.url, AGENT)
    result = fleet(tmp_path, "ask", "--thread", "new", ECHO_HEADERS, env=env)
    assert result.returncode != 0
    path = store_path(tmp_path)
    with Store.open(path) as store:
        (error,) = [m for m in store.messages(1) if m.role == "error"]
    assert f"x-api-key: {redaction.mask_secret(OWNER_KEY)}" in error.content
    assert OWNER_KEY.encode() not in path.read_bytes()


# -- a read-only store ------------------------------------------------------------------------


def _seed_with_ask(server: AgentServer, home: Path, *messages: str) -> Path:
    env = server_env(server.url, server.assistant_id("scripted"))
    for message in messages:
        assert fleet(home, "ask", "--thread", "new", message, env=env).returncode == 0
    return store_path(home)


@pytest.mark.server
def test_threads_and_ask_on_a_read_only_store(agent_server: AgentServer, tmp_path: Path) -> None:
    path = _seed_with_ask(agent_server, tmp_path, "first question", "second question")
    env = server_env(agent_server.url, agent_server.assistant_id("scripted"))
    said = READ_ONLY.format(path=path)
    with read_only(path):
        listing = fleet(tmp_path, "threads", env=env)
        asked = fleet(tmp_path, "ask", "--thread", "last", "third question", env=env)
    assert listing.returncode == 0, listing.stderr
    assert "Traceback" not in listing.stderr
    assert "second question" in listing.stdout and "first question" in listing.stdout
    assert notes(listing.stderr, "read-only") == [f"fleet-tui: {said}"]
    assert asked.returncode == 0, asked.stderr
    assert "Traceback" not in asked.stderr
    assert asked.stdout.strip() == replies.echo_reply("third question", 2).strip()
    assert notes(asked.stderr, "read-only") == [f"fleet-tui: {said}"]


@pytest.mark.server
async def test_the_tui_on_a_read_only_store(agent_server: AgentServer, tmp_path: Path) -> None:
    path = _seed_with_ask(agent_server, tmp_path, "first question")
    with read_only(path):
        app = make_app(tmp_path, profile_for(agent_server, "scripted"), store=Store.open(path))
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: app.connection_state == "connected")
            said = READ_ONLY.format(path=path)
            toasts = [n.message for n in app._notifications]
            assert toasts.count(said[:1].upper() + said[1:]) == 1
            assert [c.title for c in app.chat.sidebar.conversations] == ["first question"]
            await type_and_send(pilot, "hello")
            await wait_until(
                pilot, lambda: idle(app) and assistant_texts(app.chat.pane.transcript.items)
            )
            assert assistant_texts(app.chat.pane.transcript.items) == [
                replies.echo_reply("hello", 1)
            ]
            assert len(app.chat.sidebar.conversations) == 2
        app.store.close()


# -- a full disk --------------------------------------------------------------------------------


def _full_store_open(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every store opened from now on sits on a disk that is full."""
    original = Store.open.__func__  # type: ignore[attr-defined]

    def open_on_a_full_disk(cls, path=None, **kw):  # type: ignore[no-untyped-def]
        store = original(cls, path, **kw)
        fill_disk(store)
        return store

    monkeypatch.setattr(Store, "open", classmethod(open_on_a_full_disk))


@pytest.mark.server
def test_ask_on_a_full_disk_prints_the_whole_reply_and_one_note(
    agent_server: AgentServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in isolated_env(tmp_path, server_env(agent_server.url, "")).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("FLEET_AGENT_ID", agent_server.assistant_id("long"))
    _full_store_open(monkeypatch)
    args = cli.build_parser().parse_args(["ask", "--thread", "new", "write the report"])
    out, err = io.StringIO(), io.StringIO()
    assert run_ask(args, out=out, err=err) == ExitCode.OK, err.getvalue()
    assert out.getvalue() == replies.long_reply().rstrip("\n") + "\n"
    full = notes(err.getvalue(), "not saved locally")
    assert len(full) == 1
    assert full[0].startswith("fleet-tui: not saved locally: disk is full — free some space")


@pytest.mark.server
async def test_the_tui_on_a_full_disk_keeps_the_reply_and_sends_the_next(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    store = Store.open(tmp_path / "store.db")
    app = make_app(tmp_path, profile_for(agent_server, "long"), store=store)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.connection_state == "connected")
        fill_disk(store)
        for n, text in enumerate(("write the report", "and once more"), start=1):
            await type_and_send(pilot, text)
            await wait_until(
                pilot,
                lambda n=n: idle(app) and len(assistant_texts(app.chat.pane.transcript.items)) == n,
                what=f"reply {n}",
            )
        assert assistant_texts(app.chat.pane.transcript.items) == [replies.long_reply()] * 2
        toasts = [n.message for n in app._notifications if "disk is full" in n.message]
        assert len(toasts) == 1 and toasts[0].startswith("Not saved locally: disk is full")
        conversation = app.chat.current.conversation  # type: ignore[union-attr]
        saved = app.store.get_conversation(conversation.id)
        assert saved is not None and saved.status == "idle"  # not left "busy"
        assert [m.role for m in app.store.messages(conversation.id)] == ["human", "ai"] * 2
    store.close()


# -- a damaged store --------------------------------------------------------------------------


def test_threads_says_where_a_damaged_store_went(tmp_path: Path) -> None:
    path = store_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not a database " * 200)
    env = {"FLEET_API_URL": "http://127.0.0.1:9", "FLEET_AGENT_ID": "agent"}
    result = fleet(tmp_path, "threads", env=env)
    assert result.returncode == 0, result.stderr
    (moved,) = path.parent.glob("fleet.db.corrupt-*")
    assert notes(result.stderr, "damaged") == [
        f"fleet-tui: the local store was damaged; it was moved to {moved} and a fresh one "
        "was started."
    ]


@pytest.mark.server
def test_ask_says_where_a_damaged_store_went(agent_server: AgentServer, tmp_path: Path) -> None:
    path = store_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not a database " * 200)
    env = server_env(agent_server.url, agent_server.assistant_id("scripted"))
    result = fleet(tmp_path, "ask", "--thread", "new", "hello", env=env)
    assert result.returncode == 0, result.stderr
    (moved,) = path.parent.glob("fleet.db.corrupt-*")
    assert len(notes(result.stderr, f"moved to {moved}")) == 1
    assert result.stdout.strip() == replies.echo_reply("hello", 1).strip()


def test_a_store_from_a_newer_fleet_tui_is_a_message_for_every_command(tmp_path: Path) -> None:
    import os
    import sqlite3
    import subprocess
    import sys

    data = tmp_path / "data" / "fleet-tui"
    data.mkdir(parents=True)
    conn = sqlite3.connect(data / "fleet.db")
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
        "FLEET_TUI_LOG_DIR": str(tmp_path / "logs"),
        "FLEET_API_URL": "http://127.0.0.1:9",
        "FLEET_AGENT_ID": "agent",
    }
    for argv in ([], ["threads"]):
        done = subprocess.run(
            [sys.executable, "-m", "fleet_tui", *argv],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        assert done.returncode == 1, (argv, done.stderr)
        assert "Traceback" not in done.stderr and "internal error" not in done.stderr
        assert "cannot open the local store" in done.stderr
