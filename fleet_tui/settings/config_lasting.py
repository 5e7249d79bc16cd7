"""Saving what outlasts a session: the demo runs on the user's own settings plus an agent of
its own, and whatever the user changes there, except that agent, goes to the real file.

The demo's agent (a profile marked session-only) and the theme stay out of the file: the
theme is the demo's to try, the agent points at a server that stops with the demo.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from fleet_tui.settings.config_file import load_settings, save_settings
from fleet_tui.settings.config_model import Settings


@dataclass
class Kept:
    """What a save put in the lasting settings file."""

    path: Path | None = None
    saved: list[str] = field(default_factory=list)
    """Saved agents added or changed."""
    removed: list[str] = field(default_factory=list)
    current: str | None = None
    """The saved agent that became the current one, if that changed."""

    @property
    def anything(self) -> bool:
        return bool(self.saved or self.removed or self.current)


def lasting_names(settings: Settings) -> set[str]:
    """The saved agents that are not the session's own."""
    return {name for name, p in settings.profiles.items() if not p.session_only}


def save_lasting(
    settings: Settings,
    path: Path | None,
    *,
    known: Iterable[str],
    notes: list[str] | None = None,
) -> Kept:
    """Write the lasting part of `settings` into the file at `path` (the default when None).

    `known`: the lasting agents the session started from; one of them missing from
    `settings` was removed (or renamed) by the user. Agents the file gained meanwhile from
    elsewhere are left alone, and so are its theme and debug flag. Writes only when something
    changed. Raises ConfigError if the file cannot be written.
    """
    on_disk, _ = load_settings(path)
    kept = Kept()
    for name, profile in settings.profiles.items():
        if profile.session_only:
            continue
        if on_disk.profiles.get(name) != profile:
            on_disk.replace_profile(profile.copy())
            kept.saved.append(name)
    for name in sorted(set(known) - set(settings.profiles)):
        if name in on_disk.profiles:
            on_disk.remove_profile(name)
            kept.removed.append(name)
    wanted = settings.current_profile()
    if wanted is not None and not wanted.session_only and on_disk.current != wanted.name:
        on_disk.current = wanted.name
        kept.current = wanted.name
    if kept.anything:
        kept.path = save_settings(on_disk, path, notes=notes)
    return kept
