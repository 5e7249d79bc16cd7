"""Rich's `Markdown` drawn from markdown-it tokens we parsed ourselves.

`rich.markdown.Markdown` parses its text in `__init__` into `self.parsed` (markdown-it tokens)
and renders from that attribute alone. The message pane parses a reply once, cuts the tokens into
blocks and renders block by block, so it sets `parsed` instead of making a `Markdown` per block
(which would parse the text again). `parsed` is not documented API; what is relied on is pinned
by tests/test_private_api.py, so that a Rich upgrade that changes it fails there:

- `Markdown(...).parsed` is the list of markdown-it `Token`s of its text;
- rendering draws whatever `parsed` holds at the time, not the text given to `__init__`.
"""

from __future__ import annotations

from markdown_it.token import Token
from rich.markdown import Markdown

__all__ = ["set_tokens"]


def set_tokens(markdown: Markdown, tokens: list[Token]) -> None:
    """Make `markdown` render `tokens` (markdown-it's, parsed with Rich's own options)."""
    markdown.parsed = tokens
