"""A growing plain paragraph is wrapped from its last line on, and draws what markdown draws."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from fleet_tui.common import redaction
from fleet_tui.tui.widgets import markdown_render
from fleet_tui.tui.widgets.lines import text_of
from fleet_tui.tui.widgets.markdown_render import BlockRenderer, StreamingMarkdown


def renderer(width: int) -> BlockRenderer:
    console = Console(file=io.StringIO(), width=width + 10, color_system="truecolor")
    return BlockRenderer(console, width, "monokai")


def count_parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    sizes: list[int] = []
    real = markdown_render.parse_blocks

    def counted(text: str, max_level: int = markdown_render.MAX_NESTING - 2) -> list:  # type: ignore[type-arg]
        sizes.append(len(text))
        return real(text, max_level)

    monkeypatch.setattr(markdown_render, "parse_blocks", counted)
    return sizes


def long_paragraph(size: int) -> str:
    words = []
    i = 0
    while sum(map(len, words)) < size:
        words.append(("\n" if i % 12 == 11 else " ") + f"word{i}")
        i += 1
    return "start" + "".join(words)


@pytest.fixture
def no_secrets() -> Iterator[None]:
    redaction.forget_all()
    yield
    redaction.forget_all()


WORD = st.text(
    alphabet=st.sampled_from([*"abcxyz019.,!?()'\"-#:/=+", *"漢字😀éｗ🏽\u200d\u0301"]),
    min_size=1,
    max_size=30,
)


@st.composite
def plain_paragraphs(draw: st.DrawFn) -> str:
    words = draw(st.lists(WORD, min_size=1, max_size=60))
    out = ""
    for index, word in enumerate(words):
        newline = index == 0 or draw(st.integers(0, 5)) == 0
        if newline and word[0] in "#-+=0123456789":
            word = "a" + word  # a line starting so could be a heading or a list
        out += ("\n" if newline else " ") + word
    return out[1:]


@given(
    text=plain_paragraphs(),
    width=st.integers(2, 50),
    cuts=st.lists(st.integers(1, 4000), max_size=30),
)
def test_a_growing_plain_paragraph_draws_what_markdown_draws_at_every_step(
    text: str, width: int, cuts: list[int]
) -> None:
    redaction.forget_all()
    blocks = renderer(width)
    stream = StreamingMarkdown(blocks)
    for end in sorted({c % len(text) for c in cuts} | {len(text)}):
        if end == 0:
            continue
        assert stream.update(text[:end], False)
        assert stream.lines == blocks.render_text(text[:end]), (end, text[:end])
    assert stream._paragraph is not None  # the fast path drew it
    assert stream.update(text, True)
    assert stream.lines == blocks.render_text(text)


def test_a_token_at_the_end_of_20_kb_is_wrapped_alone(
    monkeypatch: pytest.MonkeyPatch, no_secrets: None
) -> None:
    text = long_paragraph(20_000)
    width = 80
    blocks = renderer(width)
    stream = StreamingMarkdown(blocks)
    assert stream.update(text, False)
    paragraph = stream._paragraph
    assert paragraph is not None
    sizes = count_parses(monkeypatch)
    for token in (" more", " words", " and", "\nthen", " some"):
        before = paragraph.wrapped_chars
        text += token
        assert stream.update(text, False)
        assert sizes == []  # not parsed again
        # the last line, at most, and the token: not the paragraph
        assert paragraph.wrapped_chars - before <= width + len(token)
    assert stream.lines == blocks.render_text(text)


def test_markup_arriving_draws_the_paragraph_as_markdown_again(no_secrets: None) -> None:
    text = long_paragraph(3_000)
    blocks = renderer(60)
    stream = StreamingMarkdown(blocks)
    assert stream.update(text, False) and stream._paragraph is not None
    for piece in (" **bold", " text**", " and `code`", " [a link](http://x)"):
        text += piece
        assert stream.update(text, False)
        assert stream._paragraph is None
        assert stream.lines == blocks.render_text(text)


@pytest.mark.parametrize(
    "start",
    [
        "\n# A heading",
        "\n- a list",
        "\n1. a list",
        "\n> a quote",
        "\n===",
        "\n---",
        "\n    indented",
        "  \nhard break",
        "\\\nhard break",
        "\n\nnext paragraph",
        " a\ttab",
        " &amp; entity",
        " <b>html</b>",
        " ~~struck~~",
        " under_score_",
        " a | b\n--|--",
    ],
)
def test_what_could_end_the_paragraph_or_be_markup_goes_the_markdown_way(
    start: str, no_secrets: None
) -> None:
    text = long_paragraph(1_000)
    blocks = renderer(40)
    stream = StreamingMarkdown(blocks)
    assert stream.update(text, False) and stream._paragraph is not None
    markdown = renderer(40)
    markdown._plain_paragraphs = False  # the path without the fast one
    reference = StreamingMarkdown(markdown)
    assert reference.update(text, False)
    whole = text + start
    markdown_drawn = False
    for end in range(len(text) + 1, len(whole) + 1):
        assert stream.update(whole[stream.offset : end], False)
        assert reference.update(whole[reference.offset : end], False)
        assert stream.lines == reference.lines
        markdown_drawn |= stream._paragraph is None
    assert markdown_drawn
    assert stream.update(whole[stream.offset :], True)
    assert stream.lines == blocks.render_text(whole)


def test_the_settled_paragraph_is_markdown_and_the_next_grows_the_fast_way(
    no_secrets: None,
) -> None:
    first = long_paragraph(5_000)
    blocks = renderer(70)
    stream = StreamingMarkdown(blocks)
    text = first
    assert stream.update(text, False)
    text += "\n\nThe next paragraph starts"
    assert stream.update(text, False)
    assert stream.lines[: stream.settled_lines] == blocks.render_text(first)
    assert stream._paragraph is not None  # the new last block
    text += " and goes on"
    assert stream.update(text[stream.offset :], False)
    assert stream.lines == blocks.render_text(text)


def test_a_secret_arriving_in_pieces_is_masked(no_secrets: None) -> None:
    secret = "zq9secretvaluezq9"
    redaction.remember(secret)
    text = long_paragraph(2_000) + " x"
    blocks = renderer(30)
    stream = StreamingMarkdown(blocks)
    assert stream.update(text, False)
    for piece in (" " + secret[:5], secret[5:11], secret[11:], " after words"):
        text += piece
        assert stream.update(text, False)
        drawn = "".join(text_of(line) for line in stream.lines)
        assert secret not in drawn
    assert stream.lines == blocks.render_text(text)
    assert "****" in "".join(text_of(line) for line in stream.lines)


def test_wide_characters_keep_their_cells(no_secrets: None) -> None:
    text = " ".join(["漢字漢字", "😀😀", "ｗｉｄｅ", "plain"] * 200)
    blocks = renderer(33)
    stream = StreamingMarkdown(blocks)
    for end in range(200, len(text), 97):
        assert stream.update(text[:end], False)
        assert stream.lines == blocks.render_text(text[:end])
    assert stream._paragraph is not None
