"""One source for the key list: the bindings. The help screen is generated from them (under
human headings), the footer shows them, and the README's key table is checked against them, so
none of the three can drift from the others."""

from __future__ import annotations

import re
from pathlib import Path

from app_harness import SIZE, make_app, wait_until
from test_message_pane import screen_text
from textual.app import App
from textual.binding import Binding
from textual.widgets import Footer

from fleet_tui.tui.app import FleetApp
from fleet_tui.tui.key_groups import HEADINGS, THIS_SCREEN, heading_for
from fleet_tui.tui.screens.chat import ChatScreen
from fleet_tui.tui.screens.files import FileScreen, FilesScreen
from fleet_tui.tui.screens.help import TEXTUAL_KEYS, HelpScreen, collect_bindings, grouped
from fleet_tui.tui.screens.inbox import InboxScreen
from fleet_tui.tui.widgets.attachment_chips import AttachmentChips
from fleet_tui.tui.widgets.composer import Composer
from fleet_tui.tui.widgets.inbox_list import InboxList
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
    AttachmentChips,
    PlanHeader,
    FilesScreen,
    FileScreen,
    InboxScreen,
    InboxList,
)
# keys that are Textual's own: the command palette, moving in a list
TEXTUAL = {App.COMMAND_PALETTE_BINDING, "up", "down"}
# what a person should never read in the help: our classes and screen names
INTERNAL = re.compile(
    r"\b(MessagePane|ConversationList|Composer|ChatScreen|ThreadSidebar|FleetApp)\b"
)


def _split(keys: str) -> set[str]:
    return {k.strip() for part in keys.split(",") for k in part.split("/") if k.strip()}


def _binding_keys() -> set[str]:
    keys = set()
    for owner in OWNERS:
        for binding in owner.BINDINGS:
            assert isinstance(binding, Binding)
            if binding.description:
                keys |= _split(binding.key)
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
    unknown = sorted(_readme_keys() - _binding_keys() - TEXTUAL)
    assert unknown == [], f"keys in the README that nothing binds: {unknown}"


def test_textual_keys_in_the_help_are_textuals() -> None:
    listed = {k for _, keys, _ in TEXTUAL_KEYS for k in _split(keys)}
    assert listed <= TEXTUAL


def test_every_binding_of_the_main_screens_has_a_human_heading() -> None:
    for owner in OWNERS:
        for binding in owner.BINDINGS:
            assert isinstance(binding, Binding)
            if not binding.description:
                continue
            node = owner.__new__(owner)  # the heading needs only the type, not a live widget
            heading = heading_for(node, binding)
            assert heading in HEADINGS and heading != THIS_SCREEN, (owner, binding.key)


async def test_help_footer_and_readme_agree_on_the_chat_screen(tmp_path: Path) -> None:
    app = make_app(tmp_path, None)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.screen_stack and len(app.screen_stack) >= 2)
        await pilot.press("escape")  # the first run opens the settings: back to the chat
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        chat = app.screen
        rows = collect_bindings(chat)
        groups = grouped(rows)
        # human headings, in the documented order, grouping what belongs together
        assert list(groups)[:4] == ["Everywhere", "Conversation", "Sidebar", "Message pane"]
        assert set(groups) <= set(HEADINGS) and THIS_SCREEN not in groups
        where = {row.description: heading for heading, found in groups.items() for row in found}
        assert where["Quit"] == "Everywhere" and where["New chat"] == "Conversation"
        assert where["Rename"] == "Sidebar" and where["Copy"] == "Message pane"
        assert where["Plan"] == "Plan & files" and where["Review"] == "Review"
        # every key the help lists is in the README, and every footer key is in the help
        help_keys = {k for row in rows for k in _split(row.key)}
        assert help_keys - _readme_keys() - TEXTUAL == set()
        footer_keys = {
            k
            for active in chat.active_bindings.values()
            if active.binding.show and active.binding.description
            for k in _split(active.binding.key)
        }
        assert footer_keys - help_keys == set()
        assert app.query_one(Footer) is not None

        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause(0.1)
        text = screen_text(app)
        for heading in ("Everywhere", "Conversation", "Sidebar", "Message pane"):
            assert heading in text
        assert not INTERNAL.search(text), INTERNAL.search(text)
