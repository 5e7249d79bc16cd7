"""Textual's footer, cut to what fits: whole keys left out, least important first.

Textual's `Footer` lays every key in one row and lets the terminal's edge cut the last one
mid-word ("^g▏"). This one measures each key as the footer draws it and hides the keys that do
not fit. What stays, in order: f1 (help lists every key, the dropped ones too), the focused
widget's own keys (what can be done right here), the screen's keys in the screen's
`FOOTER_ORDER` (else their own order), the app's; a dimmed key goes before an active one. The
keys keep their places; a dropped key stays in the help screen and the command palette.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual.app import App
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

# always shown: the way to every other key
PINNED = ("help",)


def key_width(key: FooterKey) -> int:
    """The cells `key`'s text takes (Textual's FooterKey CSS: one cell either side of the key
    and one after the description; compact, as the palette key is: one before the
    description only)."""
    if key.has_class("-compact"):
        width = cell_len(key.key_display)
        return width + (cell_len(key.description) + 1 if key.description else 0)
    width = cell_len(key.key_display) + 2
    return width + (cell_len(key.description) + 1 if key.description else 0)


class FittedFooter(Footer):
    async def recompose(self) -> None:
        await super().recompose()
        self.fit()

    def on_resize(self) -> None:
        self.fit()

    def _rank(self, key: FooterKey, index: int) -> tuple[int, int, int]:
        """Smaller is kept first."""
        if key.action in PINNED:
            return (0, 0, index)
        active = self.screen.active_bindings.get(key.key)
        node = active.node if active is not None else None
        order: tuple[str, ...] = getattr(self.screen, "FOOTER_ORDER", ())
        if isinstance(node, App):
            tier, place = 3, index
        elif isinstance(node, Screen):
            tier = 2
            place = order.index(key.action) if key.action in order else len(order) + index
        else:
            tier, place = 1, index
        if key.has_class("-disabled"):
            tier += 3
        return (tier, place, index)

    def fit(self) -> None:
        """Show the keys that fit in the footer's width, by rank; hide the others."""
        width = self.size.width
        if not width:
            return
        keys = [k for k in self.query(FooterKey) if not k.has_class("-command-palette")]
        room = width
        for palette in self.query(FooterKey).filter(".-command-palette"):
            # docked right: a one-cell border before it, one cell of padding after it
            room -= key_width(palette) + palette.styles.gutter.width
        keep: set[FooterKey] = set()
        for _rank, key in sorted((self._rank(k, i), k) for i, k in enumerate(keys)):
            needed = key_width(key)
            if needed <= room:
                keep.add(key)
                room -= needed
            else:
                room = -1  # later keys are less important: none jumps the queue
        for key in keys:
            key.display = key in keep
