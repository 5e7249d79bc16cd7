"""The command palette (ctrl+p): the app's own commands and a jump to any conversation."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING

from textual.app import SystemCommand
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from fleet_tui.common.sanitize import for_row
from fleet_tui.tui.forget import ask_delete_agent_data
from fleet_tui.tui.screens import chat_attach, chat_branches, chat_sidebar
from fleet_tui.tui.widgets.cells import fit

# a conversation's title in the palette, in cells: one line in the palette's width
TITLE_CELLS = 48

if TYPE_CHECKING:
    from fleet_tui.tui.app import FleetApp


def _fleet_app() -> type[FleetApp]:
    # imported when the palette is used: app.py imports this module to list the provider
    from fleet_tui.tui.app import FleetApp

    return FleetApp


class ConversationCommands(Provider):
    """ctrl+p: jump to any conversation of the current agent by title."""

    async def search(self, query: str) -> Hits:
        app = self.app
        if not isinstance(app, _fleet_app()) or app.agent is None:
            return
        matcher = self.matcher(query)
        for conversation in app.store.list_conversations(
            app.agent.id, query=query or None, limit=50
        ):
            title = fit(for_row(conversation.title) or "New conversation", TITLE_CELLS)
            score = matcher.match(title) or 0.5
            yield Hit(
                score,
                Content(f"Open conversation: {title}"),
                partial(app.open_conversation, conversation.id),
                text=f"Open conversation: {title}",
                help="Switch to this conversation",
            )

    async def discover(self) -> Hits:
        app = self.app
        if not isinstance(app, _fleet_app()) or app.agent is None:
            return
        for conversation in app.store.list_conversations(app.agent.id, limit=10):
            title = fit(for_row(conversation.title) or "New conversation", TITLE_CELLS)
            yield DiscoveryHit(
                Content(f"Open conversation: {title}"),
                partial(app.open_conversation, conversation.id),
                text=f"Open conversation: {title}",
                help="Recent conversation",
            )


def app_commands(app: FleetApp) -> Iterable[SystemCommand]:
    """What the palette offers beyond Textual's own commands (theme, quit, …)."""
    chat = app.chat
    yield SystemCommand(
        "New conversation", "Start a new conversation (ctrl+n)", chat.action_new_conversation
    )
    yield SystemCommand(
        "New stateless conversation",
        "Each message runs on its own: no server thread, no history",
        chat.action_new_stateless,
    )
    yield SystemCommand(
        "Inbox",
        "Every saved agent's approvals waiting, failed and finished runs (f4)",
        app.action_inbox,
    )
    yield SystemCommand(
        "Search all agents",
        "Find a conversation of any saved agent by title or message text",
        app.action_search_all,
    )
    yield SystemCommand("Settings", "Deployment URL, agent id, token (ctrl+o)", app.action_settings)
    yield SystemCommand("Help: key bindings", "Every key (f1)", app.action_help)
    yield SystemCommand(
        "Toggle sidebar", "Show or hide the conversations (ctrl+b)", chat.action_toggle_sidebar
    )
    yield SystemCommand(
        "Filter conversations", "Focus the sidebar filter (ctrl+f)", chat.action_focus_filter
    )
    yield SystemCommand(
        "Go to conversations",
        "The list of conversations, the open one highlighted (ctrl+s)",
        partial(chat_sidebar.focus_list, chat),
    )
    yield SystemCommand(
        "Toggle tool blocks",
        "Expand or collapse every tool call (ctrl+t)",
        chat.action_toggle_tools,
    )
    yield SystemCommand(
        "Hide usage" if chat.pane.show_usage else "Show usage",
        "What each reply cost: model, tokens in and out, wall time; totals in the status line "
        "(u in the message pane)",
        chat.action_toggle_usage,
    )
    yield SystemCommand(
        "Attach file…", "Attach a file to the next message (f8)", chat.action_attach_file
    )
    if chat_attach.chips(chat).files:
        yield SystemCommand(
            "Remove attached files",
            "Send the next message without the files attached to it",
            chat_attach.chips(chat).clear,
        )
    yield SystemCommand("Files", "The agent's files in this conversation (f3)", chat.action_files)
    yield SystemCommand(
        "Toggle plan", "Show or hide the agent's plan (ctrl+g)", chat.action_toggle_plan
    )
    yield SystemCommand("Cancel run", "Cancel the running reply (escape)", chat.action_cancel_run)
    yield SystemCommand(
        "Sync from server",
        "Bring in this agent's threads from the server (web UI, SDK)",
        app.action_sync,
    )
    yield SystemCommand(
        "Export conversation",
        "Save the open conversation as Markdown or JSON",
        app.action_export,
    )
    yield SystemCommand(
        "Code snippets", "Python, TypeScript and cURL for this agent", app.action_snippets
    )
    yield SystemCommand(
        "Review approval",
        "Answer the approval this conversation waits on (ctrl+r)",
        chat.action_review,
    )
    yield SystemCommand("Retry", "Retry the last failed message or refresh", chat.action_retry)
    for name, help_text, action in (
        (
            "Edit message",
            "Edit the highlighted message of yours and run it again (e)",
            "edit_message",
        ),
        ("Regenerate reply", "Run the highlighted reply again (r)", "regenerate"),
        ("Previous branch", "The highlighted message's previous sibling ([)", "branch_previous"),
        ("Next branch", "The highlighted message's next sibling (])", "branch_next"),
    ):
        yield SystemCommand(name, help_text, partial(chat_branches.run_pane_action, chat, action))
    yield SystemCommand(
        "Refresh from server", "Re-read this thread from the server", chat.action_refresh
    )
    if chat.current is not None:
        cid = chat.current.conversation.id
        yield SystemCommand(
            "Rename conversation",
            "Rename the open conversation (f2 in the sidebar)",
            partial(app.rename_conversation, cid),
        )
        yield SystemCommand(
            "Delete conversation",
            "Delete the open conversation (delete in the sidebar)",
            partial(app.delete_conversation, cid),
        )
    if app.agent is not None:
        yield SystemCommand(
            "Delete all local data of this agent",
            "Its conversations, messages, plans, files and decisions here (not on the server)",
            partial(ask_delete_agent_data, app),
        )
    for name in app.settings.profiles:
        if name != app.settings.current:
            yield SystemCommand(
                f"Switch agent: {for_row(app.label_of(name))}",
                "Use this saved agent",
                partial(app.switch_agent, name),
            )
