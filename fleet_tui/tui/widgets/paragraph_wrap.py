"""The lines of a plain paragraph that grows at its end, wrapped a piece at a time.

A reply written as one long paragraph is the last markdown block for as long as it grows, and
`StreamingMarkdown` would parse and wrap all of it again with every token: a frame then costs
the paragraph's length. Greedy word wrapping is prefix-stable when text is appended: a line
that starts at a word (after a space) starts there however the text goes on, and so do all the
lines before it. So a `GrowingParagraph` keeps the wrapped lines before the last such line
start and wraps only the text from there on: a token costs about a line plus itself.

That holds only while the paragraph is plain: no character that markdown could turn into
markup (emphasis, code, links, escapes, entities, HTML), no line starting with what could end
the paragraph or make it a heading, a list or a table, no hard break, no tab or control
character, no known secret. Each piece of text is checked once as it arrives; the first that
is not plain ends the fast path, and the block is parsed and rendered as markdown again, as it
is once it settles or the reply completes.

The lines are Rich's own: the paragraph's text is wrapped by Rich with the style Rich's
markdown gives a paragraph (`Text` wrapping, the same code the markdown renderer runs), so the
cells of wide characters and emoji are counted as they are everywhere else. A renderer whose
markdown draws a sample paragraph any other way does not use the fast path at all.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from markdown_it.token import Token
from rich._wrap import divide_line
from rich.text import Text

from fleet_tui.common import redaction
from fleet_tui.common.sanitize import needs_cleaning
from fleet_tui.tui.widgets.lines import Line, pack_lines

if TYPE_CHECKING:
    from fleet_tui.tui.widgets.markdown_render import BlockRenderer

# What may turn a paragraph's text into markup or end the paragraph, checked with the character
# before each new piece (a line start is "\n" then the character): inline markup characters
# anywhere; whitespace other than a space or a line end; a space next to a line end (a hard
# break, a blank line, an indented line); two spaces (a fold of a long word is not
# prefix-stable across them); and at a line start, what starts a heading, quote, list, setext
# underline or thematic break.
_NOT_PLAIN = re.compile(r"[\\`*_~\[\]<&|]|[^\S \n]|\s\n|\n\s|  |\n[#>\-+=0-9]")
_PLAIN_INLINE = frozenset(("text", "softbreak"))
SAMPLE = "plain words\nwrap here"
"""A paragraph a renderer draws both ways once, to know the fast path draws what it would."""


class GrowingParagraph:
    """The wrapped lines of one plain paragraph that is still being written.

    `update(text)` takes the paragraph's whole source so far (it only ever grows) and returns
    its lines, or None once the text is no longer a plain paragraph (render it as markdown).
    """

    def __init__(self, renderer: BlockRenderer) -> None:
        self.renderer = renderer
        console = renderer.console
        # what Rich's Markdown gives a paragraph's text: its own style, then the paragraph's
        self._style = console.get_style("none") + console.get_style(
            "markdown.paragraph", default="none"
        )
        self.frozen: list[Line] = []
        """The lines before `_start`: appended text cannot change them."""
        self._start = 0
        """Offset in the source where the first line not frozen starts (at a word)."""
        self._checked = 0
        """The source up to here is known to be plain."""
        self.wrapped_chars = 0
        """Characters handed to the wrapper so far (tests check a token costs little)."""

    @classmethod
    def start(
        cls, renderer: BlockRenderer, block: list[Token] | None = None
    ) -> GrowingParagraph | None:
        """A fast path for a growing block when this renderer draws a paragraph the way
        `update` does, and the block (if it was parsed, as `block`) is a plain paragraph.
        Unparsed, the first `update` tells: text that passes its check is one plain paragraph
        (nothing in it can start another block or any markup)."""
        if not renderer.draws_plain_paragraphs or (block is not None and not _plain(block)):
            return None
        return cls(renderer)

    def update(self, text: str) -> list[Line] | None:
        """All the paragraph's lines for its source `text`; None when it is not plain now."""
        if not self._still_plain(text):
            return None
        # a softbreak is drawn as a space, so offsets in the source and in the drawn text match
        rest = text[self._start :].rstrip().replace("\n", " ")
        self.wrapped_chars += len(rest)
        width = self.renderer.width
        breaks = divide_line(rest, width, fold=True)
        lines = self._wrap(rest)
        if len(lines) != len(breaks) + 1:
            return None
        # freeze up to the last line that starts at a word: a line folded out of a long word
        # depends on how that word ends
        for index in range(len(breaks) - 1, -1, -1):
            at = breaks[index]
            if rest[at - 1] == " ":
                self.frozen.extend(lines[: index + 1])
                self._start += at
                return [*self.frozen, *lines[index + 1 :]]
        return [*self.frozen, *lines]

    def _still_plain(self, text: str) -> bool:
        checked = self._checked
        piece = text[checked:]
        before = text[checked - 1] if checked else "\n"
        if _NOT_PLAIN.search(before + piece) or needs_cleaning(piece):
            return False
        secrets = redaction.known()
        if secrets:
            # a secret may straddle what was checked before: look back by the longest one
            window = text[max(0, self._start - len(secrets[0])) :]
            if any(secret in window for secret in secrets):
                return False
        self._checked = len(text)
        return True

    def _wrap(self, text: str) -> list[Line]:
        renderer = self.renderer
        paragraph = Text(text, style=self._style, justify="left")
        return pack_lines(renderer.console.render_lines(paragraph, renderer.options, pad=False))


def _plain(block: list[Token]) -> bool:
    if [token.type for token in block] != ["paragraph_open", "inline", "paragraph_close"]:
        return False
    children = block[1].children or []
    return all(child.type in _PLAIN_INLINE for child in children)
