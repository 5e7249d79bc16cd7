"""A fleet-tui app with stored conversations whose plan and files the tests set by hand, the
way the conversation service does: state first, then its `PlanChanged` / `FilesUpdated` event.

The app talks to a closed loopback port, so no run starts and the connection state settles.
"""

from __future__ import annotations

import base64
import time
from pathlib import Path

from app_harness import make_app, wait_until
from textual.pilot import Pilot

from fleet_tui.domain.deep_state import StateFile, Todo
from fleet_tui.services.conversation_state import ConversationState
from fleet_tui.services.service_events import FilesUpdated, PlanChanged
from fleet_tui.settings.config import AgentProfile
from fleet_tui.tui.app import FleetApp

URL = "http://127.0.0.1:9"
AGENT_ID = "5b0d4a1e-0000-4000-8000-00000000d33b"
STAMP = "2026-03-04T09:15:00+00:00"

PLAN = (
    Todo("Research the topic", "completed"),
    Todo("Write the report", "in_progress"),
    Todo("Review the report", "pending"),
    Todo("Send it to Ada", "pending"),
)

REPORT_MD = """# Quarterly report

Revenue grew **12%** this quarter.

- North: up
- South: flat

```python
print("hello")
```
"""

CODE_PY = '''def greet(name: str) -> str:
    """Say hello."""
    return f"hello {name}"
'''

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def files_of(*files: StateFile) -> dict[str, StateFile]:
    return {file.path: file for file in files}


def sample_files() -> dict[str, StateFile]:
    return files_of(
        StateFile("/report.md", REPORT_MD, modified_at=STAMP),
        StateFile("/src/greet.py", CODE_PY, modified_at=STAMP),
        StateFile("/notes.txt", "first line\nsecond line\n", modified_at=STAMP),
        StateFile(
            "/chart.png",
            base64.b64encode(PNG_BYTES).decode(),
            encoding="base64",
            modified_at=STAMP,
        ),
    )


def build_app(tmp_path: Path, titles: tuple[str, ...] = ("Quarterly report", "Other")) -> FleetApp:
    profile = AgentProfile(name="deep", url=URL, agent_id=AGENT_ID, api_key="fake-pat-deep-0000")
    app = make_app(tmp_path, profile)
    store = app.store
    agent = store.ensure_agent(URL, AGENT_ID)
    base = time.time() - 3600
    for n, title in enumerate(titles):
        conversation = store.create_conversation(agent.id, thread_id=f"thread-{n}", title=title)
        store.add_message(conversation.id, "human", f"{title}, please")
        store.add_message(conversation.id, "ai", f"Working on {title.lower()}.")
        store.set_updated_at(conversation.id, base - n * 60)
    return app


def conversation_ids(app: FleetApp) -> list[int]:
    assert app.agent is not None
    return [c.id for c in app.store.list_conversations(app.agent.id)]


async def ready(pilot: Pilot[object]) -> FleetApp:
    app = pilot.app
    assert isinstance(app, FleetApp)
    await wait_until(pilot, lambda: app.connection_state == "unreachable", timeout=10)
    app.clear_notifications()
    await pilot.pause(0.1)
    return app


async def open_first(pilot: Pilot[object]) -> ConversationState:
    app = pilot.app
    assert isinstance(app, FleetApp)
    app.chat.open_conversation(conversation_ids(app)[0])
    await pilot.pause(0.1)
    state = app.chat.current
    assert state is not None
    return state


def set_plan(app: FleetApp, state: ConversationState, todos: tuple[Todo, ...]) -> None:
    state.plan = todos
    app.chat.service._emit(PlanChanged(state.id, todos))


def set_files(app: FleetApp, state: ConversationState, files: dict[str, StateFile]) -> None:
    state.files = dict(files)
    app.chat.service._emit(FilesUpdated(state.id, dict(files)))
