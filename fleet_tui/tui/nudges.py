"""Nudges: telling the user that a conversation not on screen started waiting, finished or failed.

Always a toast. With the `nudge_terminal` setting on, also the terminal bell and a desktop
notification asked of the terminal: OSC 9 (iTerm2, WezTerm, kitty, Windows Terminal, foot…) and
OSC 777 (rxvt-unicode, Ghostty, VTE terminals); a terminal that knows neither ignores them.
Titles are the agent's text: the toast shows them through `tell()`, the escape sequences carry
them with every control character removed and cut short.

Nudges that arrive together (a watch pass that found several) make one toast and one
notification, not a burst of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fleet_tui.common.sanitize import for_row, for_terminal_notice
from fleet_tui.domain.inbox import InboxKind, Nudge
from fleet_tui.tui.widgets.cells import fit
from fleet_tui.tui.widgets.notices import tell

if TYPE_CHECKING:
    from textual.app import App
    from textual.notifications import SeverityLevel

WORDS: dict[InboxKind, str] = {
    "waiting": "waiting for approval",
    "finished": "finished",
    "failed": "failed",
}
HINT = "f4 to open the inbox"
# nudges this close together are told as one
GATHER_SECONDS = 0.25
# a desktop notification's title and body, in characters
NOTICE_TITLE = 60
NOTICE_BODY = 200
# the most conversations one toast names
TOAST_NAMES = 3
TITLE_CELLS = 40
BEL = "\a"


def words_of(note: Nudge) -> str:
    """ "agent · title: waiting for approval" (plain; `tell()` cleans it again)."""
    title = fit(for_row(note.title) or "New conversation", TITLE_CELLS)
    return f"{for_row(note.agent)} · {title}: {WORDS[note.kind]}"


def toast_text(notes: list[Nudge], *, hint: bool = True) -> str:
    """The toast's words; `hint`: say how to open the inbox (not while it is open)."""
    way = f" — {HINT}" if hint else ""
    if len(notes) == 1:
        return words_of(notes[0]) + way
    lines = [words_of(n) for n in notes[:TOAST_NAMES]]
    if len(notes) > TOAST_NAMES:
        lines.append(f"and {len(notes) - TOAST_NAMES} more")
    return f"{len(notes)} conversations need you{way}\n" + "\n".join(lines)


def terminal_sequence(title: str, body: str) -> str:
    """The bell, then OSC 9 and OSC 777 with `title`/`body` made safe: no control character
    (it would end the sequence or start another) and no `;` in OSC 777's title (its fields are
    separated by `;`)."""
    safe_title = for_terminal_notice(title, NOTICE_TITLE).replace(";", ",")
    safe_body = for_terminal_notice(body, NOTICE_BODY)
    osc9 = f"\x1b]9;{safe_title}: {safe_body}{BEL}"
    osc777 = f"\x1b]777;notify;{safe_title};{safe_body}{BEL}"
    return BEL + osc9 + osc777


def write_to_terminal(app: App[Any], data: str) -> bool:
    """Write raw escape sequences through the app's driver, as Textual's own bell and
    clipboard do. Called on the event loop, where frames are written whole (`App._display`
    writes a frame and flushes in one synchronous call), so nothing lands inside a frame.
    False when there is no terminal to write to."""
    driver = app._driver
    if driver is None:
        return False
    driver.write(data)
    driver.flush()
    return True


class Nudger:
    """Gathers nudges for a moment, then tells them (toast; bell and notification if asked)."""

    def __init__(
        self,
        app: App[Any],
        *,
        terminal: bool = False,
        inbox_open: Callable[[], bool] = lambda: False,
    ) -> None:
        self._app = app
        self.terminal = terminal
        self._inbox_open = inbox_open
        self._waiting: list[Nudge] = []
        self.told: list[Nudge] = []  # what was told, for whoever checks

    def nudge(self, note: Nudge) -> None:
        if any(n.conversation_id == note.conversation_id for n in self._waiting):
            self._waiting = [n for n in self._waiting if n.conversation_id != note.conversation_id]
        self._waiting.append(note)
        if len(self._waiting) == 1:
            self._app.set_timer(GATHER_SECONDS, self._tell)

    def _tell(self) -> None:
        notes, self._waiting = self._waiting, []
        if not notes:
            return
        self.told.extend(notes)
        severity: SeverityLevel = (
            "warning" if any(n.kind != "finished" for n in notes) else "information"
        )
        text = toast_text(notes, hint=not self._inbox_open())
        tell(self._app, text, title="Inbox", severity=severity, timeout=10)
        if self.terminal:
            if len(notes) == 1:
                title, body = "fleet-tui", words_of(notes[0])
            else:
                title = "fleet-tui"
                body = f"{len(notes)} conversations need you: " + "; ".join(
                    words_of(n) for n in notes[:TOAST_NAMES]
                )
            write_to_terminal(self._app, terminal_sequence(title, body))
