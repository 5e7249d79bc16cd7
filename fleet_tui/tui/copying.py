"""The one copy action of the app: the pane's `c` and `y`, the files view, the snippets.

The system clipboard's tool runs off the event loop; OSC 52 goes out when no tool took the
text; the toast says which way it went; when neither can work a dialog offers to save the
text to a file.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.app import App
from textual.dom import DOMNode

from fleet_tui.common.clipboard import CopyOutcome, copy_text
from fleet_tui.tui.widgets.notices import tell


def copy(
    where: DOMNode | App[object],
    text: str,
    what: str,
    *,
    then: Callable[[CopyOutcome], None] | None = None,
) -> None:
    """Copy `text` (`what` names it for the toast: "the code block"); `then` gets the outcome."""
    app = where if isinstance(where, App) else where.app

    async def work() -> None:
        outcome = await asyncio.to_thread(copy_text, text)
        if outcome.how != "tool":
            app.copy_to_clipboard(text)  # OSC 52: the only way left, and it may work
        if outcome.how == "tool":
            tell(app, f"Copied {what} ({outcome.tool_name})", timeout=3)
        elif outcome.how == "osc52":
            tell(app, outcome.message, timeout=6)
        else:
            tell(app, outcome.message, severity="warning", timeout=10)
            offer_file(app, text)
        if then is not None:
            then(outcome)

    app.run_worker(work(), group="copy", exit_on_error=False)


def offer_file(app: App[object], text: str) -> None:
    """Save the text to a file instead: the file dialog, with a name ready."""
    from fleet_tui.domain.deep_state import StateFile
    from fleet_tui.tui.screens.save_file import SaveFileScreen

    def saved(path: object) -> None:
        if path is not None:
            tell(app, f"Saved to {path}", timeout=6)

    app.push_screen(SaveFileScreen(StateFile("copied-text.txt", text)), saved)
