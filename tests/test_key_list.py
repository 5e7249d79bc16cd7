"""The keys the README and the help screen list are the app's real bindings, and every binding
is listed: one source (the BINDINGS), two readers checked against it."""

from __future__ import annotations

import re
from pathlib import Path

from textual.app import App
from textual.binding import Binding

from fleet_tui.tui.app import FleetApp
from fleet_tui.tui.screens.chat import ChatScreen
from fleet_tui.tui.screens.files import FileScreen, FilesScreen
from fleet_tui.tui.screens.help import FIXED_KEYS
from fleet_tui.tui.widgets.composer import Composer
from fleet_tui.tui.widgets.message_pane import MessagePane
from fleet_tui.tui.widgets.plan_panel import PlanHeader
from fleet_tui.tui.widgets.sidebar import ConversationList

README = Path(__file__).resolve().parent.parent / "README.md"
OWNERS = (
    FleetApp,
    ChatScreen,
    MessagePane,
    ConversationList,
    Composer,
    PlanHeader,
    FilesScreen,
    FileScreen,
)
# keys that are Textual's own: the command palette, moving in a list
TEXTUAL_KEYS = {App.COMMAND_PALETTE_BINDING, "up", "down"}


def _binding_keys() -> set[str]:
    keys = set()
    for owner in OWNERS:
        for binding in owner.BINDINGS:
            assert isinstance(binding, Binding)
            if binding.description:
                keys.update(k.strip() for k in binding.key.split(","))
    return keys


def _readme_keys() -> set[str]:
    text = README.read_text()
    table = text[text.index("## Keys") : text.index("## `fleet-tui ask`")]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    return {key for row in rows for key in re.findall(r"`([^`]+)`", row)}


def test_every_binding_is_in_the_readme() -> None:
    missing = sorted(_binding_keys() - _readme_keys())
    assert missing == [], f"bindings the README's key table does not list: {missing}"


def test_the_readme_lists_no_key_the_app_does_not_have() -> None:
    unknown = sorted(_readme_keys() - _binding_keys() - TEXTUAL_KEYS)
    assert unknown == [], f"keys in the README that nothing binds: {unknown}"


def test_the_help_screens_fixed_keys_are_bindings() -> None:
    fixed = {
        part.strip()
        for key, _ in FIXED_KEYS
        for part in key.replace("(sidebar)", "").split("/")
        if part.strip()
    }
    unknown = sorted(fixed - _binding_keys() - TEXTUAL_KEYS)
    assert unknown == [], f"help lists keys nothing binds: {unknown}"
