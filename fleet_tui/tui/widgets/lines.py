"""Rendered lines kept in a form the garbage collector does not need to look at.

A thread of a thousand messages is tens of thousands of rendered lines. Kept as `Strip`s (each
with its caches) or as lists of `Segment`s (each holding a `Style`), they are hundreds of
thousands of objects that every full garbage collection walks: pauses of 100 ms and more. A
`Line` is a flat tuple of text and style numbers, `("def ", 3, "main", 7)`: only strings and ints,
so CPython stops tracking it after its first collection. Styles are interned in one table (a
few hundred at most: they come from themes). A `Strip` is made only for lines on screen.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from fleet_tui.common.sanitize import for_row, for_stderr

Line = tuple[str | int, ...]
"""Alternating text and style number; style 0 is "no style"."""

EMPTY: Line = ()

_style_numbers: dict[Style, int] = {}
_styles: list[Style | None] = [None]


def style_number(style: Style | None) -> int:
    if style is None or not style:
        return 0
    number = _style_numbers.get(style)
    if number is None:
        number = _style_numbers[style] = len(_styles)
        _styles.append(style)
    return number


def pack(segments: Iterable[Segment], indent: int = 0) -> Line:
    """A line of Rich segments as a `Line` (control segments are dropped: never sent)."""
    out: list[str | int] = [" " * indent, 0] if indent else []
    for text, style, control in segments:
        if text and not control:
            out.append(text)
            out.append(style_number(style))
    return tuple(out)


def pack_lines(lines: Iterable[list[Segment]], indent: int = 0) -> list[Line]:
    return [pack(line, indent) for line in lines]


def to_strip(line: Line) -> Strip:
    styles = _styles
    return Strip(
        [Segment(line[i], styles[line[i + 1]]) for i in range(0, len(line), 2)]  # type: ignore[arg-type,index]
    )


def to_segments(line: Line) -> list[Segment]:
    styles = _styles
    return [Segment(line[i], styles[line[i + 1]]) for i in range(0, len(line), 2)]  # type: ignore[arg-type,index]


def text_of(line: Line) -> str:
    return "".join(line[0::2])  # type: ignore[arg-type]


# What the pane draws of an item's text is what any text leaving the app gets (sanitize.py):
# every known secret masked (a tool result or an error can echo a token), control characters
# made visible. Item text reaches the renderers through these, whole (a block or a field),
# never token by token: a secret can be split between two deltas.
shown = for_stderr
"""Text with its lines kept."""
shown_line = for_row
"""Text for single-line places (names, titles): newlines and tabs become spaces."""
