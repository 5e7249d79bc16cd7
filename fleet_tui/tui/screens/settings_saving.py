"""What Save does in the settings screen once the form is valid: drop the agents added and never
filled in, write the settings file (in the demo only the user's own agents, to their real
file), tell what the saving noticed, delete what removed agents left behind, and close."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from fleet_tui.settings.config import ConfigError, save_settings
from fleet_tui.settings.config_lasting import save_lasting
from fleet_tui.tui.screens import settings_watch
from fleet_tui.tui.screens.settings_parts import demo_save_message
from fleet_tui.tui.screens.settings_removal import forget_removed
from fleet_tui.tui.widgets.notices import tell

if TYPE_CHECKING:
    from fleet_tui.tui.screens.settings import SettingsScreen

# the settings screen's logger: its log lines keep the name they always had
log = logging.getLogger("fleet_tui.tui.screens.settings")


def write(screen: SettingsScreen) -> None:
    problem = screen._store_form()
    if problem:
        screen._show_problems([problem])
        return
    if not settings_watch.apply(screen):
        screen._set_line("general-message", "Not saved: fix the watch interval.", "error")
        return
    working = screen._working
    for pname in list(screen._new_names):
        profile = working.profiles.get(pname)
        if (
            pname != screen._editing
            and profile is not None
            and not (profile.url or profile.agent_id or profile.api_key)
        ):
            working.remove_profile(pname)
    working.current = screen._editing
    notes: list[str] = []
    try:
        if screen._demo:
            kept = save_lasting(working, screen._config_path, known=screen._lasting, notes=notes)
            tell(screen.app, demo_save_message(kept), timeout=10)
        else:
            path = save_settings(working, screen._config_path, notes=notes)
            log.info("saved settings for agent %r to %s", screen._editing, path)
    except ConfigError as exc:
        screen._set_line("general-message", f"Not saved: {exc}", "error")
        return
    for note in notes:  # e.g. a locked keyring: the token went to the settings file
        tell(screen.app, note, severity="warning", timeout=15)
    forget_removed(screen)
    screen.dismiss(working)
