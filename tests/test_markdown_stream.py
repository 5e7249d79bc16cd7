"""StreamingMarkdown far behind the text: it catches up in windows, as much as a frame allows."""

from __future__ import annotations

import io
import time

from rich.console import Console

from fleet_tui.tui.widgets.lines import text_of
from fleet_tui.tui.widgets.markdown_render import WINDOW_CHARS, BlockRenderer, StreamingMarkdown


def long_reply() -> str:
    parts = []
    for i in range(120):
        parts.append(f"## Part {i}\n\nSome *text* for part {i}, with `code` and a list:\n")
        parts.append("- one\n- two\n\n```python\n" + f"x = {i}\n" * 6 + "```\n")
    return "\n".join(parts)


def renderer() -> BlockRenderer:
    console = Console(file=io.StringIO(), width=80, color_system="truecolor")
    return BlockRenderer(console, 80, "monokai")


def texts(lines: list) -> list[str]:  # type: ignore[type-arg]
    return [text_of(line) for line in lines]


def test_time_left_in_the_frame_settles_window_after_window() -> None:
    text = long_reply()
    assert len(text) > 4 * WINDOW_CHARS
    blocks = renderer()
    stream = StreamingMarkdown(blocks)
    assert stream.update(text, True, time.perf_counter() + 60)  # one call, every window
    assert stream.lines == blocks.render_text(text)


def test_without_a_deadline_one_window_per_call() -> None:
    text = long_reply()
    blocks = renderer()
    stream = StreamingMarkdown(blocks)
    calls = 1
    while not stream.update(text[stream.offset :], True):
        calls += 1
        assert calls < 100
    assert calls >= len(text) // WINDOW_CHARS
    assert texts(stream.lines) == texts(blocks.render_text(text))


def test_a_passed_deadline_still_moves_on_and_ends_equal() -> None:
    text = long_reply()
    blocks = renderer()
    stream = StreamingMarkdown(blocks)
    offsets = []
    while not stream.update(text[stream.offset :], True, time.perf_counter() - 1):
        offsets.append(stream.offset)
        assert len(offsets) < 500
    assert offsets == sorted(offsets) and offsets[0] > 0
    assert stream.lines == blocks.render_text(text)
