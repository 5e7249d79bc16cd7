"""SVG snapshots of the main views at a fixed size (pytest-textual-snapshot).

The app talks to a closed loopback port so the connection state settles at once, and stored
times are fixed relative to now, so each view draws the same every run.
Update after an intended change of look: `pytest tests/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from app_harness import make_app, wait_until
from textual.app import App
from textual.pilot import Pilot

from fleet_tui.domain.interrupt_model import Interrupt
from fleet_tui.settings.config import AgentProfile
from fleet_tui.tui.app import FleetApp
from fleet_tui.tui.screens.help import HelpScreen
from fleet_tui.tui.screens.review import ReviewScreen

SIZE = (120, 40)
URL = "http://127.0.0.1:9"
AGENT_ID = "5b0d4a1e-0000-4000-8000-00000000beef"

REPLY = """## Release checklist

1. Freeze the branch
2. Run the **full** test suite
3. Tag the release

```python
def release(version: str) -> None:
    print(f"releasing {version}")
```

| step | owner |
|------|-------|
| tag  | Ada   |
"""


def build_app(tmp_path: Path) -> FleetApp:
    profile = AgentProfile(
        name="snapshot", url=URL, agent_id=AGENT_ID, api_key="fake-pat-snapshot-000000"
    )
    app = make_app(tmp_path, profile)
    store = app.store
    agent = store.ensure_agent(URL, AGENT_ID)
    hours_ago = time.time() - 5 * 3600
    for n, title in enumerate(["Plan the release", "Weather in Lisbon", "Email Ada"]):
        conversation = store.create_conversation(agent.id, thread_id=f"thread-{n}", title=title)
        store.add_message(conversation.id, "human", f"{title}, please")
        store.set_updated_at(conversation.id, hours_ago - n * 86400)
    first = store.list_conversations(agent.id)[0]
    store.add_message(first.id, "ai", REPLY)
    store.add_message(
        first.id,
        "ai",
        "",
        tool_calls=[{"id": "c1", "name": "get_weather", "args": {"city": "Lisbon"}}],
    )
    store.add_message(first.id, "tool", "Lisbon: 17°C, fog", tool_call_id="c1", name="get_weather")
    store.add_message(first.id, "ai", "It is foggy in Lisbon.")
    store.set_updated_at(first.id, hours_ago)
    return app


async def settle(pilot: Pilot[object]) -> None:
    app = pilot.app
    assert isinstance(app, FleetApp)
    await wait_until(pilot, lambda: app.connection_state == "unreachable", timeout=10)
    app.clear_notifications()
    await pilot.pause(0.2)


async def freeze(pilot: Pilot[object]) -> None:
    """A blinking cursor would be caught on or off at random."""
    app = pilot.app
    for screen in app.screen_stack:
        for widget in screen.query("Input, TextArea"):
            widget.cursor_blink = False  # type: ignore[attr-defined]
    await pilot.pause(0.1)


@pytest.fixture
def snapshot_app(tmp_path: Path) -> FleetApp:
    return build_app(tmp_path)


def test_main_view(snap_compare, snapshot_app: FleetApp) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        await settle(pilot)
        app = snapshot_app
        agent = app.agent
        assert agent is not None
        app.chat.open_conversation(app.store.list_conversations(agent.id)[0].id)
        await pilot.pause(0.3)
        await freeze(pilot)

    assert snap_compare(snapshot_app, terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (60, 24)], ids=["80x24", "60x24"])
def test_main_view_narrow(snap_compare, snapshot_app: FleetApp, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    """80 columns: a narrower sidebar; 60: the sidebar shown over the chat (ctrl+b). The
    composer's hint and the footer's keys whole."""

    async def run_before(pilot: Pilot[object]) -> None:
        await settle(pilot)
        app = snapshot_app
        agent = app.agent
        assert agent is not None
        app.chat.open_conversation(app.store.list_conversations(agent.id)[1].id)
        if size[0] < 70:
            await pilot.press("ctrl+b")
        await pilot.pause(0.3)
        await freeze(pilot)

    assert snap_compare(snapshot_app, terminal_size=size, run_before=run_before)


def test_help_screen(snap_compare, snapshot_app: FleetApp) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        await settle(pilot)
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(snapshot_app.screen, HelpScreen))
        await pilot.pause(0.2)
        await freeze(pilot)

    assert snap_compare(snapshot_app, terminal_size=SIZE, run_before=run_before)


def test_settings_screen(snap_compare, snapshot_app: FleetApp) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        await settle(pilot)
        await pilot.press("ctrl+o")
        await pilot.pause(0.3)
        await freeze(pilot)

    assert snap_compare(snapshot_app, terminal_size=SIZE, run_before=run_before)


def test_review_panel(snap_compare, snapshot_app: FleetApp) -> None:  # type: ignore[no-untyped-def]
    value = {
        "action_requests": [
            {
                "name": "send_email",
                "args": {"to": "ada@example.com", "subject": "Launch", "body": "Ready?"},
                "description": "Review the email before it is sent.",
            }
        ],
        "review_configs": [
            {"action_name": "send_email", "allowed_decisions": ["approve", "edit", "reject"]}
        ],
    }

    async def run_before(pilot: Pilot[object]) -> None:
        await settle(pilot)
        snapshot_app.push_screen(ReviewScreen([Interrupt("interrupt-1", value)]))
        await wait_until(pilot, lambda: isinstance(snapshot_app.screen, ReviewScreen))
        await pilot.pause(0.3)
        await freeze(pilot)

    assert snap_compare(snapshot_app, terminal_size=SIZE, run_before=run_before)


def deep_card_app(expanded: bool) -> App[None]:
    """A message pane with a sub-agent card (a plan, a nested reply, tool calls and a result)."""
    from test_message_pane import Host

    from fleet_tui.domain.events import (
        MessageComplete,
        SubagentBound,
        SubagentEvent,
        TextDelta,
        ToolCall,
        ToolCallStarted,
        ToolResult,
    )
    from fleet_tui.domain.transcript import Transcript

    transcript = Transcript()
    transcript.add_user("Research the release and write a report")
    todos = [
        {"content": "Research the release", "status": "completed"},
        {"content": "Write the report", "status": "in_progress"},
    ]
    transcript.apply(ToolCallStarted("m0", ToolCall("plan", "write_todos", {"todos": todos})))
    transcript.apply(ToolResult("r0", "plan", "write_todos", "Updated todo list"))
    args = {"subagent_type": "researcher", "description": "Research what changed in the release"}
    transcript.apply(ToolCallStarted("m1", ToolCall("call-a", "task", args)))
    transcript.apply(SubagentBound("tools:a", "call-a", "researcher"))

    def sub(event: object) -> SubagentEvent:
        return SubagentEvent("tools:a", event)  # type: ignore[arg-type]

    words = "Looking at the **changelog** first.\n\n- three fixes\n- one feature"
    transcript.apply(sub(TextDelta("s1", words, "model")))
    transcript.apply(sub(MessageComplete("s1", "ai", words)))
    transcript.apply(sub(ToolCallStarted("s1", ToolCall("c1", "ls", {"path": "/"}))))
    transcript.apply(sub(ToolResult("t1", "c1", "ls", "['/CHANGELOG.md', '/notes.md']")))
    edit = {"file_path": "/notes.md", "old_string": "draft", "new_string": "final"}
    transcript.apply(sub(ToolCallStarted("s2", ToolCall("c2", "edit_file", edit))))
    transcript.apply(sub(ToolResult("t2", "c2", "edit_file", "Updated /notes.md")))
    summary = "## Summary\n\nThree fixes, **one** feature."
    transcript.apply(ToolResult("r1", "call-a", "task", summary))
    for item in transcript.items:
        item.expanded = expanded and item.__class__.__name__ == "ToolItem" and item.is_subagent  # type: ignore[attr-defined]
    return Host(transcript)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
@pytest.mark.parametrize("expanded", [False, True], ids=["collapsed", "expanded"])
def test_subagent_card(snap_compare, size: tuple[int, int], expanded: bool) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        await pilot.pause(0.3)

    assert snap_compare(deep_card_app(expanded), terminal_size=size, run_before=run_before)


def inbox_app(tmp_path: Path) -> FleetApp:
    """The snapshot app with a second saved agent and an inbox of each kind of entry."""
    app = build_app(tmp_path)
    other = AgentProfile(
        name="research",
        url=URL,
        agent_id="5b0d4a1e-0000-4000-8000-00000000cafe",
        api_key="fake-pat-snapshot-000000",
    )
    app.settings.replace_profile(other)
    store = app.store
    ours = store.ensure_agent(URL, AGENT_ID)
    theirs = store.ensure_agent(URL, other.agent_id)
    now = time.time()

    def email(to: str, subject: str) -> dict[str, object]:
        return {
            "action_requests": [
                {
                    "name": "send_email",
                    "args": {"to": to, "subject": subject, "body": "Hello"},
                    "description": "Review the email before it is sent.",
                }
            ],
            "review_configs": [
                {"action_name": "send_email", "allowed_decisions": ["approve", "edit", "reject"]}
            ],
        }

    rows = [
        (
            theirs,
            "Weekly digest for the board",
            "interrupted",
            2 * 60,
            email("board@example.com", "Digest"),
        ),
        (
            ours,
            "Chase the Globex invoice",
            "interrupted",
            40 * 60,
            email("ap@globex.example", "Invoice 4411"),
        ),
        (theirs, "Summarise the incident report", "error", 3 * 3600, None),
        (ours, "Plan the offsite", "idle", 26 * 3600, None),
    ]
    for n, (agent, title, status, age, value) in enumerate(rows):
        conversation = store.create_conversation(agent.id, thread_id=f"inbox-{n}", title=title)
        store.set_status(conversation.id, status)
        if value is not None:
            store.set_waiting(conversation.id, [Interrupt(f"interrupt-{n}", value)])
        failure = "RateLimitError: the model is overloaded" if status == "error" else None
        store.mark_changed(conversation.id, now - age, failure=failure)
    return app


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_inbox(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    from fleet_tui.tui.screens.inbox import InboxScreen

    app = inbox_app(tmp_path)

    async def run_before(pilot: Pilot[object]) -> None:
        await settle(pilot)
        await pilot.press("f4")
        await wait_until(pilot, lambda: isinstance(app.screen, InboxScreen))
        await pilot.pause(0.3)
        await freeze(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
