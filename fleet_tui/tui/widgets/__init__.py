"""Widgets of the chat screen: each posts messages upward, none reaches into a sibling."""

from fleet_tui.tui.widgets.message_pane import MessagePane

__all__ = ["MessagePane"]
