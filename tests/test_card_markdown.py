"""A finished sub-agent reply becomes markdown once, within the frame budget, and its result
(which repeats it) is drawn from those lines rather than parsed again."""

from __future__ import annotations

import io
import time

import pytest
from rich.console import Console
from test_tool_blocks import card_transcript, plain, sub

from fleet_tui.domain.events import MessageComplete, TextDelta, ToolResult
from fleet_tui.domain.transcript import ToolItem, Transcript
from fleet_tui.tui.widgets import markdown_render
from fleet_tui.tui.widgets.item_render import ItemRenderer, PaneStyles
from fleet_tui.tui.widgets.markdown_render import WINDOW_CHARS, BlockRenderer, StreamingMarkdown
from fleet_tui.tui.widgets.subagent_card import RULE_WIDTH, CardLines

WIDTH = 80


@pytest.fixture
def renderer() -> ItemRenderer:
    console = Console(file=io.StringIO(), width=WIDTH + 10, force_terminal=True)
    return ItemRenderer(console, WIDTH, PaneStyles(), "monokai")


def paragraph(tokens: int) -> str:
    """One long markdown paragraph: words with a line break every 12 (no blank line)."""
    words = [("\n" if i % 12 == 0 else " ") + f"w{i}" for i in range(1, tokens)]
    return "w0" + "".join(words)


def sections(count: int) -> str:
    part = "## Part {0}\n\nSome *text* for part {0}.\n\n- one\n- two"
    return "\n\n".join(part.format(i) for i in range(count))


def count_parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Lengths of the texts `parse_blocks` is given from now on."""
    sizes: list[int] = []
    real = markdown_render.parse_blocks

    def counted(text: str, max_level: int = markdown_render.MAX_NESTING - 2) -> list:  # type: ignore[type-arg]
        sizes.append(len(text))
        return real(text, max_level)

    monkeypatch.setattr(markdown_render, "parse_blocks", counted)
    return sizes


def finished_card(text: str, transcript: Transcript | None = None) -> tuple[Transcript, ToolItem]:
    transcript = transcript or card_transcript()
    card = transcript.items[0]
    assert isinstance(card, ToolItem)
    card.expanded = True
    transcript.apply(sub(TextDelta("s1", text, "model")))
    return transcript, card


def test_a_long_plain_paragraph_is_not_parsed_while_it_grows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = paragraph(2000)
    blocks = BlockRenderer(Console(file=io.StringIO(), width=90), WIDTH, "monokai")
    sizes = count_parses(monkeypatch)
    stream = StreamingMarkdown(blocks)
    assert stream.update(text, False, time.perf_counter() + 60)
    text += " more"
    assert stream.update(text, False, time.perf_counter() + 60)
    assert sizes == []  # plain: wrapped from its last line on, never parsed
    assert stream.lines == blocks.render_text(text)
    text += " more *bold*"
    assert stream.update(text, False, time.perf_counter() + 60)
    # markup: parsed as markdown again (no window doubling through it)
    assert len(sizes) <= 2 and sizes[-1] == len(text)
    assert stream.update(text, True, time.perf_counter() + 60)
    assert stream.lines == blocks.render_text(text)


def test_a_long_paragraph_with_markup_is_parsed_twice_at_most_then_once_a_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = "*w* " + paragraph(2000)
    assert len(text) > 4 * WINDOW_CHARS
    blocks = BlockRenderer(Console(file=io.StringIO(), width=90), WIDTH, "monokai")
    sizes = count_parses(monkeypatch)
    stream = StreamingMarkdown(blocks)
    assert stream.update(text, False, time.perf_counter() + 60)
    assert len(sizes) <= 2 and sizes[-1] == len(text)  # no window doubling through it
    sizes.clear()
    assert stream.update(text + " more", False, time.perf_counter() + 60)
    assert sizes == [len(text) + 5]  # the growing paragraph, whole, once
    assert stream.update(text + " more", True, time.perf_counter() + 60)
    assert stream.lines == blocks.render_text(text + " more")


def test_the_result_repeating_the_finished_reply_is_drawn_from_its_lines(
    renderer: ItemRenderer, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = sections(6)
    transcript, card = finished_card(text)
    cache = CardLines(renderer)
    cache.render(card)  # growing: plain text
    transcript.apply(sub(MessageComplete("s1", "ai", text)))
    as_reply = plain(cache.render(card))
    assert not cache.pending
    assert "│ Some text for part 0." in as_reply  # markdown now

    sizes = count_parses(monkeypatch)
    transcript.apply(ToolResult("t1", "call-a", "task", text))
    lines = cache.render(card)
    assert sizes == []  # neither the reply nor the result parsed again
    shown = plain(lines)
    assert "╰ result" in shown
    reference = renderer.narrower(RULE_WIDTH).blocks.render_text(text)
    assert shown[shown.index("╰ result") + 1 :] == [
        (" " * RULE_WIDTH + t).rstrip() for t in plain(reference)
    ]
    assert not any(t.startswith("│ Some text") for t in shown)  # shown once, as the result


def test_a_result_unlike_the_reply_is_parsed_on_its_own(renderer: ItemRenderer) -> None:
    text = sections(2)
    transcript, card = finished_card(text)
    transcript.apply(sub(MessageComplete("s1", "ai", text)))
    cache = CardLines(renderer)
    cache.render(card)
    transcript.apply(ToolResult("t1", "call-a", "task", "**Other** words"))
    shown = plain(cache.render(card))
    assert shown[-2:] == ["╰ result", "  Other words"]
    assert "│ Some text for part 1." in shown


def test_a_finished_reply_past_the_deadline_keeps_its_lines_until_its_markdown_is_done(
    renderer: ItemRenderer,
) -> None:
    text = sections(120)
    assert len(text) > 2 * WINDOW_CHARS
    transcript, card = finished_card(text)
    cache = CardLines(renderer)
    growing = cache.render(card, time.perf_counter() + 60)
    transcript.apply(sub(MessageComplete("s1", "ai", text)))
    calls = 0
    while True:
        lines = cache.render(card, time.perf_counter() - 1)  # no time left: a window a call
        calls += 1
        if not cache.pending:
            break
        assert lines[1:] == growing[1:]  # the lines from before, never a part of the reply
        assert calls < 2000
    assert calls > 1
    reference = renderer.narrower(RULE_WIDTH).blocks.render_text(text)
    # after the header and the card's task line
    assert plain(lines)[1] == "│ Task: research topic A"
    assert plain(lines)[2:] == [("│ " + t).rstrip() for t in plain(reference)]


def test_without_a_deadline_a_long_finished_reply_is_never_cut_short(
    renderer: ItemRenderer,
) -> None:
    text = sections(120)
    transcript, card = finished_card(text)
    transcript.apply(sub(MessageComplete("s1", "ai", text)))
    cache = CardLines(renderer)
    lines = cache.render(card)
    while cache.pending:
        lines = cache.render(card)
    assert plain(lines)[-1] == "│  • two"
    assert "│ Part 119" in "\n".join(plain(lines))
