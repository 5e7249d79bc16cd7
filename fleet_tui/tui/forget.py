"""Forgetting an agent here: its local conversations, messages, plan, files and decisions go
from the store (never anything on the server). Offered when a saved agent is removed in the
settings, and from the palette for the agent in use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fleet_tui.common.sanitize import for_row
from fleet_tui.tui.widgets.notices import tell

if TYPE_CHECKING:
    from fleet_tui.tui.app import FleetApp


def conversations_phrase(count: int) -> str:
    return f"{count} local conversation{'s' if count != 1 else ''}"


class AgentData:
    """The store's data of a saved agent, as the settings screen sees it (by URL and id)."""

    def __init__(self, app: FleetApp) -> None:
        self._app = app

    def count(self, url: str, agent_id: str) -> int:
        agent = self._app.store.find_agent(url, agent_id) if url and agent_id else None
        return self._app.store.count_conversations(agent.id) if agent is not None else 0

    def forget(self, url: str, agent_id: str) -> int:
        """Delete the agent's local data; the number of conversations deleted."""
        app = self._app
        agent = app.store.find_agent(url, agent_id) if url and agent_id else None
        if agent is None:
            return 0
        in_use = app.agent is not None and app.agent.id == agent.id
        count = app.chat.service.delete_agent_data(agent.id, forget_agent=not in_use)
        if in_use:
            app.chat.start_new(stateless=False)
        app.chat.conversations_changed()
        return count


def ask_delete_agent_data(app: FleetApp) -> None:
    """Palette: delete every local conversation of the agent in use, after saying how many."""
    from fleet_tui.tui.screens.confirm import ConfirmScreen

    agent = app.agent
    if agent is None or app.profile is None:
        tell(app, "Set up the agent first (ctrl+o).", severity="warning")
        return
    count = app.store.count_conversations(agent.id)
    if count == 0:
        tell(app, "This agent has no local conversations.", timeout=4)
        return
    name = for_row(app.agent_name or app.profile.name) or "this agent"
    phrase = conversations_phrase(count)

    def done(confirmed: object) -> None:
        if not confirmed or app.profile is None:
            return
        deleted = AgentData(app).forget(app.profile.url, app.profile.agent_id)
        tell(
            app,
            f"Deleted {conversations_phrase(deleted)} of {name}; the server's threads are "
            "untouched (ctrl+p → Sync from server brings them back).",
            timeout=6,
        )

    app.push_screen(
        ConfirmScreen(
            "Delete all local data of this agent",
            f"Delete the {phrase} of {name} from this computer, with their messages, plans, "
            "files and decisions? Nothing on the server is touched.",
            confirm_label=f"Delete {count}",
            danger=True,
        ),
        done,
    )
