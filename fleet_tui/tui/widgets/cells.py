"""Text measured in terminal cells, not characters: a CJK character or most emoji take two
cells, so `len()` lays a row out too wide and it breaks onto a second line."""

from __future__ import annotations

from rich.cells import cell_len

ELLIPSIS = "…"


def _head(text: str, width: int) -> str:
    """The longest start of `text` that takes at most `width` cells."""
    used = 0
    for index, char in enumerate(text):
        used += cell_len(char)
        if used > width:
            return text[:index]
    return text


def _tail(text: str, width: int) -> str:
    """The longest end of `text` that takes at most `width` cells."""
    used = 0
    for index in range(len(text) - 1, -1, -1):
        used += cell_len(text[index])
        if used > width:
            return text[index + 1 :]
    return text


def fit(text: str, width: int) -> str:
    """`text` in at most `width` cells, an ellipsis marking a cut at the end."""
    if cell_len(text) <= width:
        return text
    if width <= 0:
        return ""
    return _head(text, width - 1).rstrip() + ELLIPSIS


def shorten_middle(text: str, width: int) -> str:
    """`text` in at most `width` cells, cut from the middle so both ends stay readable (a
    path keeps its top folder and its file name)."""
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    room = width - 1
    tail = _tail(text, room - room // 2)
    return _head(text, room - cell_len(tail)) + ELLIPSIS + tail


def pad(text: str, width: int) -> str:
    """`text` padded with spaces to `width` cells (not cut)."""
    return text + " " * max(0, width - cell_len(text))
