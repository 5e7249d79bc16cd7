"""One of the agent's state files, drawn: markdown as markdown, code highlighted by its
extension, other text as it is, and a binary file as its type and size (never its bytes).

A line-API widget that renders in slices: the first slice fills the screen (so a file of a
megabyte shows at once), the rest follows a few milliseconds at a time between frames. The
file's text is untrusted: it goes through `shown` (secrets masked, control characters made
visible) and is never read as markup.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from fnmatch import fnmatch
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.lexers._mapping import LEXERS
from pygments.util import ClassNotFound
from rich.cells import cell_len, chop_cells
from rich.style import Style
from rich.syntax import Syntax, SyntaxTheme
from textual.binding import Binding
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer

from fleet_tui.domain.deep_state import StateFile, human_size
from fleet_tui.domain.file_types import binary_type, file_kind
from fleet_tui.tui.widgets.lines import EMPTY, Line, shown, style_number, to_strip
from fleet_tui.tui.widgets.markdown_render import (
    LARGE_REPLY_CHARS,
    BlockRenderer,
    PlainText,
    StreamingMarkdown,
    TooDeep,
)

if TYPE_CHECKING:
    from pygments.token import _TokenType

# time for the slices after the first screen: the app stays responsive while the rest renders
SLICE_SECONDS = 0.008
# the first screen: steps of FIRST_STEP_SECONDS (a markdown step parses a window of the text
# first: short steps would parse again and again) until the screen is full, at most
# FIRST_SCREEN_SECONDS
FIRST_STEP_SECONDS = 0.015
FIRST_SCREEN_SECONDS = 0.1
TOKENS_PER_CHECK = 256


@lru_cache(maxsize=256)
def _lexer_alias(name: str) -> str | None:
    # Pygments' own lookup by file name first scans installed plugins (~0.1 s); its table of
    # built-in lexers is enough to pick a highlighter by extension. That table is private
    # (pinned by tests/test_private_api.py): name -> (module, name, aliases, file patterns, mimes)
    for _module, _name, aliases, patterns, _mimes in LEXERS.values():
        if aliases and any(fnmatch(name, pattern) for pattern in patterns):
            return str(aliases[0])
    return None


def markdown_as_text(file: StateFile) -> bool:
    """A markdown file too big to lay out as markdown: shown as its source."""
    return file_kind(file) == "markdown" and len(file.content) > LARGE_REPLY_CHARS


MARKDOWN_AS_TEXT_NOTE = f"markdown shown as text: over {LARGE_REPLY_CHARS // 1000} KB"


def lexer_for(path: str) -> Lexer | None:
    """A highlighter for a file name (its lexer module imported on first use), or None."""
    alias = _lexer_alias(path.rsplit("/", 1)[-1])
    if alias is None:
        return None
    try:
        return get_lexer_by_name(alias, stripnl=False)
    except ClassNotFound:
        return None


def warm_lexers(paths: list[str]) -> None:
    """Import the highlighters these files need (in a thread: the first file shows sooner)."""
    for path in paths:
        lexer_for(path)


class _Producer(Protocol):
    lines: list[Line]

    def step(self, deadline: float) -> bool:
        """Render until `deadline`; True once every line is there."""


class _Markdown:
    def __init__(self, text: str, renderer: BlockRenderer) -> None:
        self._text = text
        self._stream = StreamingMarkdown(renderer)
        self._plain: _Plain | None = None
        self.lines = self._stream.lines

    def step(self, deadline: float) -> bool:
        if self._plain is not None:
            done = self._plain.step(deadline)
            self.lines = self._plain.lines
            return done
        stream = self._stream
        try:
            done = stream.update(self._text[stream.offset :], True, deadline)
        except TooDeep:
            # nested deeper than the width can draw: shown as text, so nothing vanishes
            self._plain = _Plain(self._text, stream.renderer.width)
            return self.step(deadline)
        self.lines = stream.lines
        return done


class _Plain:
    def __init__(self, text: str, width: int) -> None:
        self._text = text
        self._plain = PlainText(width, [])
        self.lines = self._plain.lines

    def step(self, deadline: float) -> bool:
        text = self._text
        return self._plain.update_from(lambda a, b: text[a:b], len(text), True, deadline)


class _Code:
    """Pygments tokens folded into lines as they come: the lexer runs over the whole text
    (strings and comments that span lines stay right) but only as far as has been shown."""

    def __init__(self, text: str, lexer: Lexer, theme: SyntaxTheme, width: int) -> None:
        self.lines: list[Line] = []
        self._tokens: Iterator[tuple[_TokenType, str]] = lexer.get_tokens(text)
        self._theme = theme
        self._styles: dict[_TokenType, int] = {}
        self._number_style = style_number(Style(dim=True))
        self._gutter = len(str(text.count("\n") + 1)) + 1
        self._width = max(1, width - self._gutter - 2)
        self._current: list[str | int] = []
        self._cells = 0
        self._line_number = 1
        self._numbered = True

    def _style(self, token: _TokenType) -> int:
        number = self._styles.get(token)
        if number is None:
            style = self._theme.get_style_for_token(token)
            # the colours and weights only: the widget's own background shows through
            plain = Style(
                color=style.color, bold=style.bold, italic=style.italic, underline=style.underline
            )
            number = self._styles[token] = style_number(plain)
        return number

    def _emit(self) -> None:
        """End the line being built: numbered if it starts a source line, else a fold."""
        label = str(self._line_number) if self._numbered else ""
        head: list[str | int] = [label.rjust(self._gutter - 1) + " │ ", self._number_style]
        self.lines.append(tuple(head + self._current))
        self._current = []
        self._cells = 0
        self._numbered = False

    def _add(self, text: str, style: int) -> None:
        width = self._width
        while text:
            room = width - self._cells
            if cell_len(text) <= room:
                self._current += [text, style]
                self._cells += cell_len(text)
                return
            piece = chop_cells(text, room)[0] if room > 0 else ""
            if cell_len(piece) > room:
                piece = ""
            if not piece and not self._cells:
                piece = text[0]  # wider than a whole line: shown, overflowing, not looped on
            if piece:
                self._current += [piece, style]
                text = text[len(piece) :]
            self._emit()

    def step(self, deadline: float) -> bool:
        for count, (token, value) in enumerate(self._tokens, 1):
            style = self._style(token)
            for index, part in enumerate(shown(value).split("\n")):
                if index:
                    self._emit()
                    self._line_number += 1
                    self._numbered = True
                if part:
                    self._add(part.replace("\t", "    "), style)
            if count % TOKENS_PER_CHECK == 0 and time.perf_counter() > deadline:
                return False
        if self._current:
            self._emit()
        return True


class FileViewer(ScrollView, can_focus=True):
    """Draws one `StateFile`; `show` again when it changes."""

    DEFAULT_CSS = """
    FileViewer {
        background: $surface;
        scrollbar-size-vertical: 1;
        overflow-x: hidden;
        padding: 0 1;
    }
    """

    # moving through the text: the usual keys, left out of the footer
    BINDINGS = [
        Binding("up,k", "scroll_up", "Up", show=False),
        Binding("down,j", "scroll_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown,space", "page_down", "Page down", show=False),
        Binding("home,g", "scroll_home", "Top", show=False),
        Binding("end,G", "scroll_end", "End", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.file: StateFile | None = None
        self._producer: _Producer | None = None
        self._lines: list[Line] = []
        self._done = True
        self._width = 0
        self._timer: Timer | None = None
        self.painted_at: float | None = None
        """`time.perf_counter()` when a line of the file was first drawn (benchmarks)."""

    @property
    def done(self) -> bool:
        return self._done

    @property
    def line_count(self) -> int:
        return len(self._lines)

    def text_lines(self) -> list[str]:
        """The lines drawn so far as plain text (tests)."""
        return ["".join(str(p) for p in line[0::2]) for line in self._lines]

    def show(self, file: StateFile) -> None:
        """Draw `file` (the same one again keeps the scroll position)."""
        self.file = file
        self.painted_at = None
        self._restart()

    def _text_width(self) -> int:
        # A column is kept for the scrollbar whether it shows or not: the first slice is folded
        # before the scrollbar appears, and every line must fold at the same width.
        return self.content_size.width - self.styles.scrollbar_size_vertical

    def _restart(self) -> None:
        file = self.file
        width = self._text_width()
        if file is None or width <= 0:
            return
        self._width = width
        self._producer = self._producer_for(file, width)
        self._lines = self._producer.lines
        self._done = False
        self._pump(first=True)

    def _producer_for(self, file: StateFile, width: int) -> _Producer:
        kind = file_kind(file)
        dark = getattr(self.app.current_theme, "dark", True)
        theme_name = "monokai" if dark else "default"
        if kind == "binary":
            return _Fixed(self._binary_lines(file))
        if kind == "markdown" and not markdown_as_text(file):
            renderer = BlockRenderer(self.app.console, width, theme_name)
            return _Markdown(file.content, renderer)
        if kind == "code":
            lexer = lexer_for(file.path)
            if lexer is not None:
                return _Code(file.content, lexer, Syntax.get_theme(theme_name), width)
        return _Plain(file.content, width)

    @staticmethod
    def _binary_lines(file: StateFile) -> list[Line]:
        description, mime = binary_type(file)
        bold = style_number(Style(bold=True))
        dim = style_number(Style(dim=True))
        return [
            EMPTY,
            (f"{description}", bold, f"  ({mime})", dim),
            (f"{human_size(file.size)}", 0, f"  ({file.size:,} bytes, stored as base64)", dim),
            EMPTY,
            ("Its bytes are not shown here: s saves it to disk, c copies the base64 text.", dim),
        ]

    def _pump(self, first: bool = False) -> None:
        self._timer = None
        producer = self._producer
        if producer is None or self._done:
            return
        budget = FIRST_SCREEN_SECONDS if first else SLICE_SECONDS
        deadline = time.perf_counter() + budget
        height = self.scrollable_content_region.height
        while True:
            # the first slice stops as soon as the screen is full
            step = FIRST_STEP_SECONDS if first else budget
            slice_end = min(deadline, time.perf_counter() + step)
            self._done = producer.step(slice_end)
            self._lines = producer.lines
            if self._done or time.perf_counter() > deadline:
                break
            if first and len(self._lines) >= self.scroll_offset.y + height:
                break
        self.virtual_size = Size(self._width, len(self._lines))
        self.refresh()
        if not self._done:
            self._timer = self.set_timer(0.001, self._pump)

    def on_mount(self) -> None:
        self.watch(self.app, "theme", self._theme_changed, init=False)

    def _theme_changed(self) -> None:
        # code and markdown are drawn in the theme's colours (a light or a dark palette)
        if self._timer is not None:
            self._timer.stop()
        self._restart()

    def on_resize(self) -> None:
        if self._text_width() != self._width:
            if self._timer is not None:
                self._timer.stop()
            self._restart()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        row = round(self.scroll_y) + y
        lines = self._lines
        if row >= len(lines):
            return Strip.blank(width, self.rich_style)
        if self.painted_at is None:
            self.painted_at = time.perf_counter()
        return to_strip(lines[row]).crop_extend(0, width, None).apply_style(self.rich_style)

    def action_scroll_up(self) -> None:
        self.scroll_relative(y=-1, animate=False)

    def action_scroll_down(self) -> None:
        self.scroll_relative(y=1, animate=False)

    def action_scroll_home(self) -> None:
        self.scroll_to(y=0, animate=False)

    def action_scroll_end(self) -> None:
        self.scroll_to(y=self.max_scroll_y, animate=False)


class _Fixed:
    def __init__(self, lines: list[Line]) -> None:
        self.lines = lines

    def step(self, deadline: float) -> bool:
        return True
