"""Renaming and deleting a conversation: the dialog that asks, then the change here and on the
server (the app's workers `rename_on_server` / `delete_on_server`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fleet_tui.common.sanitize import for_row

if TYPE_CHECKING:
    from fleet_tui.tui.app import FleetApp


def ask_rename(app: FleetApp, conversation_id: int) -> None:
    """Ask for a new title; rename here, and on the server when there is a thread."""
    from fleet_tui.tui.screens.rename import RenameScreen

    conversation = app.store.get_conversation(conversation_id)
    if conversation is None:
        return

    def done(title: str | None) -> None:
        if title is None or not title.strip():
            return
        app.store.rename_conversation(conversation_id, title)
        app.chat.conversations_changed(keep=conversation_id)
        if conversation.thread_id:
            app.rename_on_server(conversation.thread_id, title)

    app.push_screen(RenameScreen(conversation.title), done)


def ask_delete(app: FleetApp, conversation_id: int) -> None:
    """Ask to delete (and whether on the server too); delete here, and there if asked."""
    from fleet_tui.tui.screens.confirm import ConfirmScreen

    conversation = app.store.get_conversation(conversation_id)
    if conversation is None:
        return
    title = for_row(conversation.title) or "this conversation"
    checkbox = "Also delete the thread on the server" if conversation.thread_id else None

    def done(result: object) -> None:
        confirmed, also_server = _confirm_result(result)
        if not confirmed:
            return
        app.chat.conversation_deleted(conversation_id)
        if also_server and conversation.thread_id:
            app.delete_on_server(conversation.thread_id)

    app.push_screen(
        ConfirmScreen(
            "Delete conversation",
            f"Delete “{title}” from this computer?",
            confirm_label="Delete",
            checkbox_label=checkbox,
            danger=True,
        ),
        done,
    )


def _confirm_result(result: object) -> tuple[bool, bool]:
    """ConfirmScreen answers a bool, or (confirmed, checkbox) when it has a checkbox."""
    if isinstance(result, tuple):
        return bool(result[0]), bool(result[1]) if len(result) > 1 else False
    confirmed = getattr(result, "confirmed", result)
    checked = getattr(result, "checked", False)
    return bool(confirmed), bool(checked)
