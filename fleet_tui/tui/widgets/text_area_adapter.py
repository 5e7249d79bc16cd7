"""A `TextArea` that lets its subclass take keys before TextArea's own key handling.

TextArea inserts a newline on enter (and text for printable keys) in its private `_on_key`
handler, which runs before bindings are checked, so a binding on enter never fires. Overriding
`_on_key` is the way in; it is done here only, and what is relied on is pinned by
tests/test_private_api.py so that a Textual upgrade that changes it fails there: `TextArea._on_key`
is a coroutine method taking the `Key` event, and enter reaches it (and inserts "\\n").
"""

from __future__ import annotations

from textual import events
from textual.widgets import TextArea

__all__ = ["KeysFirstTextArea"]


class KeysFirstTextArea(TextArea):
    def take_key(self, event: events.Key) -> bool:
        """Handle `event` before TextArea does; True if it was handled (TextArea won't see it)."""
        return False

    async def _on_key(self, event: events.Key) -> None:
        if self.take_key(event):
            event.stop()
            event.prevent_default()
            return
        await super()._on_key(event)
