"""Removing a saved agent in the settings screen: the question (which offers to delete the
agent's local conversations too), the removal from the working copy, and that deletion, done
only when the settings are saved."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import OptionList

from fleet_tui.settings.config import DEFAULT_PROFILE_NAME, AgentProfile
from fleet_tui.tui.forget import conversations_phrase
from fleet_tui.tui.screens.confirm import ConfirmResult, ConfirmScreen
from fleet_tui.tui.widgets.notices import tell

if TYPE_CHECKING:
    from fleet_tui.tui.screens.settings import SettingsScreen


def ask_removal(screen: SettingsScreen) -> None:
    """Ask before removing the highlighted saved agent (the edited one when none is)."""
    option_list = screen.query_one("#agent-list", OptionList)
    target = screen._editing
    if option_list.highlighted is not None:
        target = option_list.get_option_at_index(option_list.highlighted).id or target

    profile = screen._working.profiles.get(target)
    where = (profile.url, profile.agent_id) if profile is not None else ("", "")
    # another saved agent for the same server agent keeps its conversations: none offered
    shared = any(
        (p.url.rstrip("/"), p.agent_id) == (where[0].rstrip("/"), where[1])
        for n, p in screen._working.profiles.items()
        if n != target
    )
    count = 0
    if screen._local_data is not None and not shared:
        count = screen._local_data.count(*where)

    def answered(confirmed: bool | ConfirmResult | None) -> None:
        if confirmed:
            if isinstance(confirmed, ConfirmResult) and confirmed.checked:
                screen._forget.append(where)
            remove(screen, target)

    screen.app.push_screen(
        ConfirmScreen(
            "Remove agent?",
            f"Remove the saved agent {target!r}? Its settings, including a saved Personal "
            "Access Token, leave the settings file when you save.",
            confirm_label="Remove",
            checkbox_label=(
                f"Also delete its {conversations_phrase(count)} (on save; the server's "
                "threads stay)"
                if count
                else None
            ),
            danger=True,
        ),
        answered,
    )


def remove(screen: SettingsScreen, pname: str) -> None:
    """Remove `pname` from the working copy; the form moves on when it was the edited one."""
    working = screen._working
    if pname not in working.profiles:
        return
    if pname != screen._editing:
        working.remove_profile(pname)
        screen._new_names.discard(pname)
        screen._refresh_agent_list()
        return
    working.remove_profile(pname)
    screen._new_names.discard(pname)
    if not working.profiles:
        fresh = AgentProfile(name=DEFAULT_PROFILE_NAME)
        working.replace_profile(fresh)
        screen._new_names.add(fresh.name)
    screen._load_form(working.current or next(iter(working.profiles)))


def forget_removed(screen: SettingsScreen) -> None:
    """Delete the local conversations of the removed agents the user asked to forget."""
    if screen._local_data is None:
        return
    kept = {(p.url.rstrip("/"), p.agent_id) for p in screen._working.profiles.values()}
    deleted = sum(
        screen._local_data.forget(url, agent_id)
        for url, agent_id in dict.fromkeys(screen._forget)
        if (url.rstrip("/"), agent_id) not in kept
    )
    if deleted:
        tell(screen.app, f"Deleted {conversations_phrase(deleted)} of the removed agent.")
