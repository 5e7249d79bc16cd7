"""Markdown to cached lines, block by block, for a reply that is still growing.

A reply is split into top-level markdown blocks (markdown-it tokens). Every block but the last is
settled: later text cannot change it, so it is rendered once and kept. Only the last block is
rendered again when text arrives, so a token costs the same at the end of a long reply as at the
start. Rich's `Markdown` renders each block from its tokens; joining the blocks with the blank
line Rich puts between top-level blocks gives exactly what rendering the whole text gives.

A fenced code block that keeps growing is highlighted in chunks of lines while it grows (only
the last chunk is redone), then once as a whole when it is finished.

Two kinds of reply are shown as plain text instead (`PlainText`), so that nothing vanishes and
nothing stalls: a reply over `LARGE_REPLY_CHARS` (markdown and Rich cost far more per character
than folding lines), and one nested deeper than its width can draw (`TooDeep`: markdown-it drops
everything past its nesting limit, and Rich drops what nests past the width).

Every text goes through `shown` (known secrets masked, control characters made visible) before
it is parsed or folded.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token
from rich.cells import chop_cells
from rich.console import Console, ConsoleOptions
from rich.markdown import Markdown
from rich.syntax import Syntax

from fleet_tui.common import redaction
from fleet_tui.tui.widgets.lines import EMPTY, Line, pack_lines, shown
from fleet_tui.tui.widgets.paragraph_wrap import SAMPLE, GrowingParagraph
from fleet_tui.tui.widgets.rich_markdown_adapter import set_tokens

# markdown-it skips everything past this depth of nested blocks (commonmark's 20 was reached by
# about ten nested lists); a reply that gets near it is shown as plain text (`TooDeep`).
MAX_NESTING = 100
# Raw HTML is shown as text: Rich drops HTML blocks, which would hide what the agent wrote.
_PARSER = (
    MarkdownIt("commonmark", {"html": False, "maxNesting": MAX_NESTING})
    .enable("strikethrough")
    .enable("table")
)
# A reply longer than this is shown as plain text: parsed and drawn as markdown it would cost
# seconds (a 10 MB reply took ~20 s), folded it costs milliseconds per megabyte.
LARGE_REPLY_CHARS = 100_000
# Cells a nesting level can take (a quote's bar, a list's bullet) and cells left for the text:
# a reply nested deeper than the width allows is shown as plain text.
CELLS_PER_LEVEL = 2
MIN_TEXT_CELLS = 16
# Characters folded per step of `PlainText.update` (its deadline is checked between steps), and
# read from the reply at a time by `PlainText.update_from`.
PLAIN_STEP = 8_192
PLAIN_WINDOW = 256 * 1024

CODE_CHUNK_LINES = 24
WINDOW_CHARS = 2048


@dataclass(slots=True)
class Block:
    tokens: list[Token]
    line: int
    """First source line of the block, counted from the start of the parsed text."""
    gap_after: bool
    """Rich leaves a blank line after every top-level block except a rule."""
    container: bool
    """A list, quote or table: rendered alone it already starts with the blank line Rich puts
    before it (set by its inner elements), so no gap is added in front of it."""


class TooDeep(Exception):
    """The markdown nests deeper than can be drawn at this width: show it as plain text."""


def max_level_for(width: int) -> int:
    """The deepest block level drawn as markdown at `width` (deeper: `TooDeep`)."""
    return max(1, min(MAX_NESTING - 2, (width - MIN_TEXT_CELLS) // CELLS_PER_LEVEL))


def parse_blocks(text: str, max_level: int = MAX_NESTING - 2) -> list[Block]:
    """Top-level blocks of `text` (already cleaned); `TooDeep` past `max_level`."""
    blocks: list[Block] = []
    tokens = _PARSER.parse(text)
    if tokens and max(token.level for token in tokens) > max_level:
        raise TooDeep
    start = 0
    depth = 0
    for index, token in enumerate(tokens):
        depth += token.nesting
        if depth == 0:
            head = tokens[start]
            line = head.map[0] if head.map else 0
            inner = tokens[start + 1 : index]
            container = any(
                t.nesting == -1 or (t.nesting == 0 and t.type != "inline") for t in inner
            )
            blocks.append(Block(tokens[start : index + 1], line, head.type != "hr", container))
            start = index + 1
    return blocks


def code_blocks(text: str) -> list[str]:
    """The contents of the fenced and indented code blocks of a markdown text."""
    return [
        token.content
        for token in _PARSER.parse(text)
        if token.type in ("fence", "code_block") and token.content.strip()
    ]


def line_offset(text: str, line: int) -> int:
    """Offset in `text` where line number `line` (0-based, split on \\n) starts."""
    offset = 0
    for _ in range(line):
        found = text.find("\n", offset)
        if found < 0:
            return len(text)
        offset = found + 1
    return offset


class BlockRenderer:
    """Renders markdown blocks with Rich at a fixed width."""

    def __init__(self, console: Console, width: int, code_theme: str) -> None:
        self.console = console
        self.width = max(1, width)
        self.code_theme = code_theme
        self.options: ConsoleOptions = console.options.update(
            width=self.width, height=None, highlight=False, markup=False
        )
        self._markdown = Markdown("", code_theme=code_theme, hyperlinks=False)
        self.max_level = max_level_for(self.width)
        self._plain_paragraphs: bool | None = None

    @property
    def draws_plain_paragraphs(self) -> bool:
        """Whether a plain paragraph's markdown is what `GrowingParagraph` draws (checked once
        on a sample: a theme or a Rich version could lay a paragraph out otherwise)."""
        if self._plain_paragraphs is None:
            self._plain_paragraphs = False  # the sample below must not take the fast path
            expected = self.render_tokens(_PARSER.parse(SAMPLE))
            drawn = GrowingParagraph(self).update(SAMPLE)
            self._plain_paragraphs = drawn == expected
        return self._plain_paragraphs

    def render_tokens(self, tokens: list[Token]) -> list[Line]:
        markdown = self._markdown
        set_tokens(markdown, tokens)
        return pack_lines(self.console.render_lines(markdown, self.options, pad=False))

    def render_text(self, text: str) -> list[Line]:
        """A whole markdown text at once (the reference the streamed result must equal)."""
        tokens = _PARSER.parse(shown(text))
        if tokens and max(token.level for token in tokens) > self.max_level:
            raise TooDeep
        return self.render_tokens(tokens)

    def render_code_chunk(self, code: str, lexer: str, first: bool, last: bool) -> list[Line]:
        syntax = Syntax(
            code,
            lexer,
            theme=self.code_theme,
            word_wrap=True,
            padding=(1 if first else 0, 1, 1 if last else 0, 1),
        )
        return pack_lines(self.console.render_lines(syntax, self.options, pad=False))


class StreamingMarkdown:
    """The rendered lines of one growing markdown text.

    Call `update` with the text from `offset` on (only the unsettled part is ever asked for).
    """

    def __init__(self, renderer: BlockRenderer) -> None:
        self.renderer = renderer
        self.offset = 0
        """Offset in the raw text where the unsettled part starts."""
        self.lines: list[Line] = []
        self._settled = 0
        """How many of `lines` belong to settled blocks (with the gap after them)."""
        self._gap = False
        self._chunks: dict[tuple[int, int], list[Line]] = {}
        self._whole_up_to = 0
        """A tail up to this long is parsed whole (see `_update_window`)."""
        self._paragraph: GrowingParagraph | None = None
        """The growing block when it is a plain paragraph: wrapped from its last line on."""
        self._plain_tried = -1
        """The `offset` whose tail was last tried as a plain paragraph without parsing it."""

    def update(self, tail: str, final: bool, deadline: float | None = None) -> bool:
        """Re-render from the raw text `tail` (the text from `self.offset` on).

        With a `deadline` (a `time.perf_counter()` value), stops settling blocks when it is
        passed and returns False: `lines` then ends at the last settled block, and the caller
        calls again on a later frame. Returns True when `lines` shows all of `tail`.
        """
        while True:
            done, consumed = self._update_window(tail, final, deadline)
            # far behind, with time left this frame: go on with the next window now
            if done or not consumed or deadline is None or time.perf_counter() > deadline:
                return done
            tail = tail[consumed:]

    def _update_window(self, tail: str, final: bool, deadline: float | None) -> tuple[bool, int]:
        """One pass of `update` over at most a window of `tail`: (done, characters settled)."""
        if self._paragraph is None and not final and self._plain_tried != self.offset:
            # a tail that is one plain paragraph is drawn without parsing it (once it is not,
            # it is not plain however it grows: tried once per tail)
            self._plain_tried = self.offset
            self._paragraph = GrowingParagraph.start(self.renderer)
        if self._paragraph is not None:
            # finished, or no longer plain: parsed and drawn as markdown again below
            growing = None if final else self._paragraph.update(tail)
            if growing is not None:
                self._show_growing(growing, container=False)
                return True, 0
            self._paragraph = None
        # Far behind (tokens came faster than frames): parse a window of the tail only. A prefix
        # of the text is what streaming would have shown at some moment, so every block in it
        # but the last is settled; the rest waits for the next frame.
        window = tail
        size = WINDOW_CHARS
        if len(tail) <= self._whole_up_to:
            # one block growing a token at a time: its windows would only be parsed again
            blocks = parse_blocks(shown(tail), self.renderer.max_level)
        else:
            while True:
                if len(tail) > size:
                    cut = tail.rfind("\n", 0, size)
                    window = tail[: cut + 1] if cut > 0 else tail[:size]
                else:
                    window = tail
                blocks = parse_blocks(shown(window), self.renderer.max_level)
                if len(blocks) > 1 or window is tail:
                    break
                # one block fills the window: the next one takes at least up to a blank line,
                # where a paragraph ends (a long paragraph is parsed twice, not once per doubling)
                gap = tail.find("\n\n", size)
                size = len(tail) if gap < 0 else max(2 * size, gap + 2)
        # a tail that is one block (a long paragraph being written) is parsed whole next time
        single = window is tail and len(blocks) <= 1
        self._whole_up_to = 2 * len(tail) + WINDOW_CHARS if single else 0
        if window is not tail:
            final = False
        lines = self.lines
        del lines[self._settled :]
        settle = blocks if final else blocks[:-1]
        settled = 0
        for block in settle:
            if deadline is not None and settled and time.perf_counter() > deadline:
                break
            self._add_settled(self.renderer.render_tokens(block.tokens), block)
            settled += 1
        consumed = 0
        if settled:
            if settled == len(blocks):
                consumed = len(window)
            else:
                consumed = line_offset(window, blocks[settled].line)
            self.offset += consumed
            self._chunks.clear()
        if settled < len(settle) or window is not tail:
            return False, consumed
        if not final and blocks:
            last = blocks[-1]
            self._show_growing(self._render_growing(last, tail[consumed:]), last.container)
        return True, consumed

    def _show_growing(self, block_lines: list[Line], container: bool) -> None:
        lines = self.lines
        del lines[self._settled :]
        if self._gap and lines and not container:
            lines.append(EMPTY)
        lines.extend(block_lines)

    @property
    def settled_lines(self) -> int:
        """Lines that later updates will not change (they belong to settled blocks)."""
        return self._settled

    def _add_settled(self, block_lines: list[Line], block: Block) -> None:
        lines = self.lines
        if self._gap and lines and not block.container:
            lines.append(EMPTY)
        lines.extend(block_lines)
        self._settled = len(lines)
        self._gap = block.gap_after

    def _render_growing(self, block: Block, source: str) -> list[Line]:
        """The growing last block's lines; `source` is its text."""
        self._paragraph = GrowingParagraph.start(self.renderer, block.tokens)
        if self._paragraph is not None:
            drawn = self._paragraph.update(source)
            if drawn is not None:
                return drawn
            self._paragraph = None
        token = block.tokens[0]
        if token.type != "fence" or token.content.count("\n") < 2 * CODE_CHUNK_LINES:
            return self.renderer.render_tokens(block.tokens)
        # A long code block still being written: keep the highlighted chunks of finished lines.
        lexer = (token.info or "").partition(" ")[0] or "text"
        code_lines = token.content.split("\n")
        complete = len(code_lines) - 1
        frozen = (complete // CODE_CHUNK_LINES - 1) * CODE_CHUNK_LINES
        out: list[Line] = []
        for start in range(0, frozen, CODE_CHUNK_LINES):
            key = (block.line, start)
            chunk = self._chunks.get(key)
            if chunk is None:
                code = "\n".join(code_lines[start : start + CODE_CHUNK_LINES])
                chunk = self.renderer.render_code_chunk(code, lexer, start == 0, False)
                self._chunks[key] = chunk
            out.extend(chunk)
        rest = "\n".join(code_lines[frozen:]).rstrip()
        out.extend(self.renderer.render_code_chunk(rest, lexer, frozen == 0, True))
        return out


class PlainText:
    """The lines of a reply shown without markdown, folded at the width.

    The same protocol as `StreamingMarkdown`: `update(tail, final, deadline)` with the text from
    `offset` on. Lines are cut character by character (by cells), so a full line never changes
    when text is added: only the last, partial one (`_carry`) does, and each character is folded
    once however the text grows. The work goes in steps with the deadline checked between them,
    each step cut at a line end, or else where no known secret straddles the cut; while the
    reply grows, the end of its open line is held back as long as the longest secret, so a
    secret that arrives in pieces is masked whole.
    """

    def __init__(self, width: int, head: list[Line]) -> None:
        self.width = max(1, width)
        self.offset = 0
        self.lines: list[Line] = list(head)
        self._settled = len(self.lines)
        self._carry = ""
        """The start of a line not full yet (already shown: masked and cleaned)."""

    @property
    def settled_lines(self) -> int:
        return self._settled

    def update_from(
        self,
        read: Callable[[int, int], str],
        length: int,
        final: bool,
        deadline: float | None = None,
    ) -> bool:
        """`update`, reading the text a window at a time: `read(start, end)` gives
        `text[start:end]` of a text `length` long (a reply of megabytes is never copied whole)."""
        secrets = redaction.known()
        size = max(PLAIN_WINDOW, 4 * len(secrets[0])) if secrets else PLAIN_WINDOW
        while True:
            start = self.offset
            window = read(start, start + size)
            partial = start + len(window) < length
            done = self.update(window, final, deadline, partial=partial)
            if done or not partial or self.offset == start:
                return done
            if deadline is not None and time.perf_counter() > deadline:
                return False

    def update(
        self, tail: str, final: bool, deadline: float | None = None, *, partial: bool = False
    ) -> bool:
        """Fold the text from `offset` on (`tail`). With `partial`, `tail` is only the start of
        it: folded up to a line end (or a cut that splits no secret), and False is returned."""
        lines = self.lines
        del lines[self._settled :]
        end = len(tail)
        if partial:
            # a secret may go on past the window: a cut after a line end, or before its length
            final = False
            newline = tail.rfind("\n")
            end = newline + 1 if newline >= 0 else _unsplit(tail, 0, end - _held_back(tail))
        elif not final and (held := _held_back(tail)):
            end = _unsplit(tail, 0, end - held)
        pos = 0
        while pos < end:
            cut = end if end - pos <= PLAIN_STEP else _safe_cut(tail, pos, pos + PLAIN_STEP)
            self._fold(shown(tail[pos:cut]))
            pos = cut
            if deadline is not None and pos < end and time.perf_counter() > deadline:
                self.offset += pos
                self._settled = len(lines)
                return False
        self.offset += pos
        if partial:
            self._settled = len(lines)
            return False
        if final and self._carry:
            lines.append((self._carry, 0))
            self._carry = ""
        self._settled = len(lines)
        if not final and (growing := self._carry + shown(tail[pos:])):
            for part in growing.split("\n"):
                lines.extend(_fold_line(part, self.width))
        return True

    def _fold(self, text: str) -> None:
        parts = (self._carry + text).split("\n")
        lines = self.lines
        width = self.width
        for part in parts[:-1]:
            lines.extend(_fold_line(part, width))
        last = _fold_line(parts[-1], width)
        self._carry = last[-1][0] if last[-1] else ""  # type: ignore[assignment]
        lines.extend(last[:-1])


def _fold_line(text: str, width: int) -> list[Line]:
    if not text:
        return [EMPTY]
    if "\t" in text:
        # a fixed width, not tab stops: a line is folded in pieces, which do not know its column
        text = text.replace("\t", "    ")
    return [(piece, 0) for piece in chop_cells(text, width)]


def _held_back(tail: str) -> int:
    """How much of a growing text's open last line to leave for later (see `PlainText`)."""
    secrets = redaction.known()
    if not secrets:
        return 0
    return min(len(tail) - tail.rfind("\n") - 1, len(secrets[0]))


def _safe_cut(text: str, start: int, cut: int) -> int:
    """Where to end a step of folding near `cut`: after a line end, else not inside a secret."""
    newline = text.rfind("\n", start, cut)
    if newline >= 0:
        return newline + 1
    cut = _unsplit(text, start, cut)
    if cut - 1 > start and text[cut - 1] == "\r":
        cut -= 1  # keep a CRLF whole
    return cut


def _unsplit(text: str, start: int, cut: int) -> int:
    """`cut`, moved back to the start of any known secret it would split (not before `start`)."""
    for secret in redaction.known():
        found = text.find(secret, max(start, cut - len(secret) + 1), cut + len(secret) - 1)
        if start <= found < cut < found + len(secret):
            cut = found
    return cut
