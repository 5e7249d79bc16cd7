"""The greeting of an empty new conversation: it names the agent, follows the server's name for
it, and leaves the transcript when the first message is sent.

The chat screen keeps the greeting's item (`ChatScreen._greeting`); these functions show it,
rename it and take it out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fleet_tui.domain.transcript import NoticeItem, Transcript

if TYPE_CHECKING:
    from fleet_tui.tui.screens.chat import ChatScreen


def greeting_text(chat: ChatScreen) -> str:
    return (
        f"New conversation with {chat.app.agent_label or 'the agent'}: enter sends, "
        "ctrl+j starts a new line, ctrl+p lists every action."
    )


def show_greeting(chat: ChatScreen) -> None:
    """Greet in the (empty) transcript the pane shows, and remember the greeting's item."""
    index = chat.pane.add_notice(greeting_text(chat))
    chat._greeting = chat.pane.transcript.items[index]


def agent_renamed(chat: ChatScreen) -> None:
    """The server named the agent: the header and an empty conversation's greeting say it."""
    chat.show_connection()
    greeting = chat._greeting
    transcript = chat.pane.transcript
    if isinstance(greeting, NoticeItem) and chat.current is None:
        for index, item in enumerate(transcript.items):
            if item is greeting:
                greeting.text = greeting_text(chat)
                transcript.changed(index)


def without_greeting(chat: ChatScreen) -> Transcript:
    """The new conversation's transcript, minus the greeting that only an empty one shows."""
    transcript = chat.pane.transcript
    greeting, chat._greeting = chat._greeting, None
    if greeting is None or not any(i is greeting for i in transcript.items):
        return transcript
    kept = Transcript(i for i in transcript.items if i is not greeting)
    chat.pane.set_transcript(kept)
    return kept
