"""Where the chat screen's sidebar shows and how the keyboard reaches it.

From 100 columns the sidebar sits beside the chat at full width; from 70 it is narrower; below
70 it is hidden and ctrl+b (or the jump key) shows it over the chat, so the chat keeps the
whole width. The screen's breakpoint classes choose; two classes of our own remember what the
user asked for: hidden beside the chat (ctrl+b), or shown over it on a narrow terminal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fleet_tui.tui.screens.chat import ChatScreen

NARROW = "-narrow"
BREAKPOINTS = [(0, NARROW), (70, "-medium"), (100, "-wide")]
HIDDEN = "-sidebar-hidden"
OVERLAY = "-sidebar-overlay"


def is_visible(screen: ChatScreen) -> bool:
    if screen.has_class(NARROW):
        return screen.has_class(OVERLAY)
    return not screen.has_class(HIDDEN)


def show(screen: ChatScreen) -> None:
    if screen.has_class(NARROW):
        screen.add_class(OVERLAY)
    else:
        screen.remove_class(HIDDEN)


def hide(screen: ChatScreen) -> None:
    if screen.has_class(NARROW):
        screen.remove_class(OVERLAY)
    else:
        screen.add_class(HIDDEN)
    if has_focus(screen):
        screen.composer.focus()


def has_focus(screen: ChatScreen) -> bool:
    focused = screen.focused
    return focused is not None and screen.sidebar in focused.ancestors_with_self


def toggle(screen: ChatScreen) -> None:
    if is_visible(screen):
        hide(screen)
    else:
        show(screen)
        if screen.has_class(NARROW):
            screen.sidebar.option_list.focus()  # an overlay is there to be used


def focus_list(screen: ChatScreen) -> None:
    show(screen)
    screen.sidebar.option_list.focus()


def focus_filter(screen: ChatScreen) -> None:
    show(screen)
    screen.sidebar.filter_input.focus()


def jump(screen: ChatScreen) -> None:
    """The jump key: to the conversation list, or from anywhere in the sidebar back to the
    composer (an overlay closes then)."""
    if has_focus(screen):
        back_to_composer(screen)
    else:
        focus_list(screen)


def back_to_composer(screen: ChatScreen) -> None:
    """The user is done with the sidebar (opened a conversation, left the filter)."""
    screen.remove_class(OVERLAY)
    screen.composer.focus()


def after_resize(screen: ChatScreen) -> None:
    """A resize can hide the sidebar (below 70 columns): the focus must not stay in it."""
    if not is_visible(screen) and has_focus(screen):
        screen.composer.focus()
