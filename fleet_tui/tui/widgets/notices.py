"""The one way the app shows a toast.

Notification text often carries what a server said (an error `detail`, a thread title), so it is
never read as markup: a `[/]` would crash the app and an `[@click=…]` would run an action. Control
characters are made visible, known secrets masked, and long text cut to a few hundred characters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fleet_tui.common.sanitize import for_notification, for_row

if TYPE_CHECKING:
    from textual.dom import DOMNode
    from textual.notifications import SeverityLevel

TITLE_LIMIT = 80
# a toast's size (fleet.tcss): 60 cells at most, 70% of its rack (the screen less the rack's
# two-cell scrollbar gutter) on a narrow one; its padding and border take 3 cells
TOAST_WIDTH = 60
TOAST_SHARE = 0.7
RACK_GUTTER = 2
TOAST_GUTTER = 3


def tell(
    node: DOMNode,
    message: object,
    *,
    title: str = "",
    severity: SeverityLevel = "information",
    timeout: float | None = None,
) -> None:
    """Show `message` as plain text in a toast (thread-safe, like `App.notify`)."""
    node.app.notify(
        for_notification(message),
        title=for_row(title)[:TITLE_LIMIT],
        severity=severity,
        timeout=timeout,
        markup=False,
    )


def toast_path(node: DOMNode, path: object) -> str:
    """`path` for a toast's text, on a line of its own: whole when it fits the toast, else
    shortened from the middle (its top folder and its file name stay), never wrapped."""
    from fleet_tui.tui.widgets.cells import shorten_middle

    screen_width = node.app.size.width or TOAST_WIDTH
    width = min(TOAST_WIDTH, int((screen_width - RACK_GUTTER) * TOAST_SHARE)) - TOAST_GUTTER
    return "\n" + shorten_middle(for_row(path), max(8, width))


def plain_notification(message: str, markup: bool) -> str:
    """What a notification from Textual itself (markup allowed) shows, as plain text: its
    markup is parsed away, so a tag in it can style nothing and run no action."""
    if not markup:
        return message
    from textual.content import Content

    try:
        return Content.from_markup(message).plain
    except Exception:  # not valid markup: show it as written
        return message
