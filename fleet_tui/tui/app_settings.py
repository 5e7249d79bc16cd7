"""The app's saved settings: writing them after a switch or a theme change, and naming saved
agents the way the rest of the app does."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fleet_tui.domain.agent_names import agent_label
from fleet_tui.settings.config import ConfigError, save_settings
from fleet_tui.settings.config_lasting import lasting_names, save_lasting
from fleet_tui.tui.widgets.notices import tell

if TYPE_CHECKING:
    from fleet_tui.tui.app import FleetApp


def save_app_settings(app: FleetApp, what: str) -> None:
    """Save the app's settings; `what` names the change in a failure message."""
    notes: list[str] = []
    try:
        if app.demo:  # the demo's agent and its theme are not kept
            known = lasting_names(app.settings)
            save_lasting(app.settings, app.config_path, known=known, notes=notes)
        else:
            save_settings(app.settings, app.config_path, notes=notes)
    except ConfigError as exc:
        tell(app, f"Could not save {what}: {exc}", severity="warning")
    for note in notes:  # e.g. the keyring refused the token and the file keeps it
        tell(app, note, severity="warning", timeout=10)


def label_of_saved(app: FleetApp, profile_name: str) -> str:
    """`agent_label` of a saved agent: the server's name from this session or the store."""
    profile = app.settings.profiles.get(profile_name)
    if profile is None or not profile.url or not profile.agent_id:
        return agent_label(profile_name)
    where = (profile.url.rstrip("/"), profile.agent_id)
    current = app.profile
    if current is not None and (current.url.rstrip("/"), current.agent_id) == where:
        return agent_label(profile_name, app.agent_name)
    known = next((a.name for a in app.store.list_agents() if (a.url, a.agent_id) == where), None)
    return agent_label(profile_name, known)
