"""Pieces of the settings screen: its form fields, the snippet box, the client it tests with,
and the wording helpers. No state of the screen here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import rich.repr
from textual import events
from textual.message import Message
from textual.widgets import TextArea

from fleet_tui.agent_server.client import AgentInfo
from fleet_tui.settings.config import DEFAULT_AUTH_SCHEME, SECRET_FIELDS, AgentProfile, Problem
from fleet_tui.settings.config_keyring import KEYRING, secret_location
from fleet_tui.settings.config_lasting import Kept


class ConnectionChecker(Protocol):
    async def check_connection(self) -> AgentInfo: ...

    async def aclose(self) -> None: ...


class ClientFactory(Protocol):
    """Builds the client used by Test connection; FleetClient by default (tests inject one)."""

    def __call__(
        self,
        url: str,
        agent_id: str,
        api_key: str | None,
        *,
        auth_scheme: str,
        custom_header: tuple[str, str] | None,
    ) -> ConnectionChecker: ...


# Form fields in tab order: (profile attribute, label, placeholder, secret).
FIELDS: tuple[tuple[str, str, str, bool], ...] = (
    ("name", "Profile name", "a short name for this agent", False),
    ("url", "Deployment URL", "https://….us.langgraph.app", False),
    ("agent_id", "Agent id", "the agent's UUID", False),
    ("api_key", "Personal Access Token", "lsv2_pt_…", True),
    ("auth_scheme", "Auth scheme", DEFAULT_AUTH_SCHEME, False),
    ("custom_header_name", "Custom auth header", "optional, e.g. X-User-Token", False),
    ("custom_header_value", "Custom header value", "optional", True),
)
FIELD_LABELS = {name: label for name, label, _, _ in FIELDS}
FORM_FIELDS = tuple(name for name, *_ in FIELDS)
OPTIONAL = frozenset({"api_key", "custom_header_name", "custom_header_value"})


class SnippetArea(TextArea):
    """The "Paste snippet" box. A paste is handed to the screen instead of being inserted.

    The screen inserts the text only when it is not a snippet it can read, so a pasted PAT is
    never drawn in clear text when the paste succeeds.
    """

    class Pasted(Message):
        def __init__(self, area: SnippetArea, text: str) -> None:
            super().__init__()
            self.area = area
            self.text = text

        def __rich_repr__(self) -> rich.repr.Result:
            # The pasted text may hold a PAT; Textual's debug log prints messages.
            yield "chars", len(self.text)

        @property
        def control(self) -> SnippetArea:
            return self.area

    async def _on_paste(self, event: events.Paste) -> None:
        event.stop()
        event.prevent_default()
        if not self.read_only:
            self.post_message(self.Pasted(self, event.text))

    def action_paste(self) -> None:
        if not self.read_only:
            self.post_message(self.Pasted(self, self.app.clipboard))

    def insert_pasted(self, text: str) -> None:
        """Insert text at the cursor the way a normal paste would."""
        result = self.replace(text, *self.selection)
        self.move_cursor(result.end_location)


def unique_name(existing: Mapping[str, object], base: str = "agent") -> str:
    n = len(existing) + 1
    while f"{base}-{n}" in existing:
        n += 1
    return f"{base}-{n}"


def storage_note(profile: AgentProfile, field: str) -> str | None:
    """Where a saved secret is kept: the system keyring or the settings file."""
    if field not in SECRET_FIELDS:
        return None
    if profile.session_only:
        return "Made for this session only: never saved." if getattr(profile, field) else None
    where = secret_location(profile, field)
    if where == KEYRING:
        return "Kept in the system keyring."
    if where.startswith(KEYRING):
        return (
            "Saved in the system keyring, which cannot be read now: leave this empty to keep it "
            "there, or enter it again."
        )
    if where:
        return "Kept in the settings file (mode 0600)."
    return None


def worst_severity(problems: list[Problem]) -> str:
    order = ("error", "confirm", "warning")
    return min((p.severity for p in problems), key=order.index, default="")


def sentence(problem: Problem) -> str:
    text = problem.message
    if problem.severity == "confirm":
        text += " (Save asks first)"
    return text[:1].upper() + text[1:]


def join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


class LocalData(Protocol):
    """The store's conversations of a saved agent, found by its URL and id."""

    def count(self, url: str, agent_id: str) -> int: ...

    def forget(self, url: str, agent_id: str) -> int: ...


DEMO_NOTE = (
    "Demo: agents you add or change here are saved to your settings and stay after the demo; "
    "the demo's own agent, its conversations and the theme do not."
)


def demo_save_message(kept: Kept) -> str:
    """What a save in the demo kept, in words."""
    if not kept.saved and not kept.removed:
        return "The demo agent's settings last until you quit; nothing else changed."
    parts = []
    if kept.saved:
        parts.append(join([repr(n) for n in kept.saved]) + " saved to your settings")
    if kept.removed:
        parts.append(join([repr(n) for n in kept.removed]) + " removed from them")
    where = f" ({kept.path})" if kept.path else ""
    lasts = "it stays" if len(kept.saved) + len(kept.removed) == 1 else "this stays"
    return f"{'; '.join(parts)}{where}: {lasts} after the demo."
