"""The one way an agent is named on screen, in exports and on stderr.

A saved agent has two names: the one the user gave its settings (the profile) and the one the
server gives the assistant. The user's name leads, since it is the one they type and pick from
lists; the server's follows in brackets when it says something more.
"""

from __future__ import annotations


def agent_label(profile_name: str | None, assistant_name: str | None = None) -> str:
    """ "demo (fleet-demo)", "demo" when the server's name is missing or the same, the server's
    name alone when the settings have none, "" when neither is known."""
    mine = (profile_name or "").strip()
    theirs = (assistant_name or "").strip()
    if mine and theirs and theirs.casefold() != mine.casefold():
        return f"{mine} ({theirs})"
    return mine or theirs
