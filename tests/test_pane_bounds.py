"""What the message pane draws is bounded and complete: a huge reply as plain text (in slices,
nothing lost), a reply nested past markdown's limits as plain text (nothing vanishes), and no
known secret, however the text arrives."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from test_message_pane import SIZE, Host, screen_text, settle, tokens

from fleet_tui.common import redaction
from fleet_tui.domain.events import (
    MessageComplete,
    RunEnded,
    RunError,
    TextDelta,
    ToolCall,
    ToolCallStarted,
    ToolResult,
)
from fleet_tui.domain.transcript import AssistantItem, Transcript
from fleet_tui.tui.widgets import markdown_render
from fleet_tui.tui.widgets.lines import text_of
from fleet_tui.tui.widgets.markdown_render import LARGE_REPLY_CHARS, PlainText
from fleet_tui.tui.widgets.message_pane import MessagePane

SECRET = "lsv2_pt_canary0123456789abcdefSECRET9z"
MASKED = "****ET9z"


@pytest.fixture
def secret() -> Iterator[str]:
    saved = redaction.known()
    redaction.remember(SECRET)
    try:
        yield SECRET
    finally:
        redaction._secrets = saved  # the registry as other tests left it


def nested_quotes(depth: int) -> str:
    return "".join("> " * i + f"level {i}\n" for i in range(1, depth + 1)) + "\nThe end.\n"


def nested_lists(depth: int) -> str:
    return "".join("   " * i + f"- item {i}\n" for i in range(depth)) + "\nThe end.\n"


def reply(text: str, message_id: str = "m1") -> list[object]:
    return [
        *(TextDelta(message_id, t) for t in tokens(text, 7)),
        MessageComplete(message_id, "ai", text),
        RunEnded("r1", "success"),
    ]


# -- nesting: nothing vanishes ------------------------------------------------------------


@pytest.mark.parametrize("text", [nested_quotes(15), nested_lists(15)])
@pytest.mark.parametrize("width", [120, 44])
async def test_deep_nesting_followed_by_a_paragraph_keeps_the_paragraph(
    text: str, width: int
) -> None:
    app = Host()
    async with app.run_test(size=(width, 40)) as pilot:
        pane = app.query_one(MessagePane)
        for event in reply(text):
            pane.apply_event(event)  # type: ignore[arg-type]
        await settle(pilot, pane)
        drawn = "\n".join(pane.line_texts())
        assert "The end." in drawn
        for level in range(15):  # every level's words are there, however they are drawn
            assert f"{level}" in drawn
        pane.scroll_to_latest()
        await settle(pilot, pane)
        assert "The end." in screen_text(app)


async def test_shallow_nesting_is_still_markdown() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(MessagePane)
        for event in reply(nested_quotes(4)):
            pane.apply_event(event)  # type: ignore[arg-type]
        await settle(pilot, pane)
        drawn = pane.line_texts()
        assert any(line.lstrip(" ▎").startswith("▌ ▌ ▌ ▌ level 4") for line in drawn)
        assert not any("plain text" in line for line in drawn)


# -- a huge reply -------------------------------------------------------------------------


def big_text(chars: int) -> str:
    line = "# not a heading here, **not bold** either: a huge reply is plain text\n"
    return (line * (chars // len(line) + 1))[:chars] + "\nLAST LINE"


async def test_a_huge_reply_is_plain_text() -> None:
    text = big_text(3 * 1_000_000)
    transcript = Transcript()
    transcript.items.append(AssistantItem.with_text("m1", text, complete=True))
    app = Host(transcript)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(MessagePane)
        await settle(pilot, pane)
        entry = pane._view.entries[0]
        assert entry.stream is None and not pane.has_pending_render
        lines = [text_of(line) for line in entry.body]
        assert lines[0].startswith("(shown as plain text: 3,000,010 characters")
        assert lines[1].startswith("# not a heading here, **not bold**")
        assert lines[-1] == "LAST LINE"
        assert "LAST LINE" in screen_text(app)


async def test_a_reply_that_grows_past_the_limit_turns_into_plain_text() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(MessagePane)
        pane.apply_event(TextDelta("m1", "**bold** start\n\n"))
        await settle(pilot, pane)
        assert pane.line_texts()[-1] == "bold start"
        pane.apply_event(TextDelta("m1", big_text(LARGE_REPLY_CHARS)))
        await settle(pilot, pane)
        lines = pane.line_texts()
        assert any(line.startswith("(shown as plain text") for line in lines)
        assert any(line == "**bold** start" for line in lines)
        assert lines[-1] == "LAST LINE"


# -- PlainText: streamed equals whole ------------------------------------------------------


def plain_lines(pieces: list[str], width: int, deadline: float | None = None) -> list[str]:
    plain = PlainText(width, [])
    text = ""
    for piece in pieces:
        text += piece
        while not plain.update(text[plain.offset :], False, deadline):
            pass
    while not plain.update(text[plain.offset :], True, deadline):
        pass
    return [text_of(line) for line in plain.lines]


ALPHABET = st.sampled_from(["a", "b", " ", "\n", "\t", "界", "é", "\r\n", "\x1b", SECRET])


@settings(max_examples=200, deadline=None)
@given(st.lists(ALPHABET, max_size=80), st.lists(st.integers(0, 200)), st.integers(3, 30))
def test_plain_text_streamed_in_any_pieces_equals_it_folded_whole(
    parts: list[str], cuts: list[int], width: int
) -> None:
    saved = redaction.known()
    redaction.remember(SECRET)
    try:
        text = "".join(parts)
        marks = sorted({cut % (len(text) + 1) for cut in cuts} | {0, len(text)})
        pieces = [text[a:b] for a, b in itertools.pairwise(marks)]
        whole = plain_lines([text], width)
        assert plain_lines(pieces, width) == whole
        assert plain_lines(pieces, width, deadline=0.0) == whole  # one step per call
        assert all(cell_len(line) <= width for line in whole)
        joined = "".join(whole)
        assert SECRET not in joined and SECRET[:20] not in joined
        assert "\x1b" not in joined and "\t" not in joined
    finally:
        redaction._secrets = saved


@settings(max_examples=200, deadline=None)
@given(st.lists(ALPHABET, max_size=80), st.lists(st.integers(0, 200)), st.integers(3, 30))
def test_plain_text_read_a_window_at_a_time_equals_it_folded_whole(
    parts: list[str], cuts: list[int], width: int
) -> None:
    """What the pane does: `update_from` an item's `text_window`, while the item grows."""
    saved, window = redaction.known(), markdown_render.PLAIN_WINDOW
    redaction.remember(SECRET)
    markdown_render.PLAIN_WINDOW = 7 + width % 5
    try:
        text = "".join(parts)
        marks = sorted({cut % (len(text) + 1) for cut in cuts} | {0, len(text)})
        item = AssistantItem(message_id="m")
        plain = PlainText(width, [])
        for a, b in itertools.pairwise(marks):
            item.append(text[a:b])
            if b % 3 == 0:
                item.text  # noqa: B018 - joins the parts, as the pane's estimate may
            assert item.text_window(0, b) == text[:b]
            assert item.text_window(a // 2, b) == text[a // 2 : b]
            plain.update_from(item.text_window, item.length, False)
        plain.update_from(item.text_window, item.length, True)
        assert [text_of(line) for line in plain.lines] == plain_lines([text], width)
        assert item.equals(text) and not item.equals(text + "x")
        assert item.count("\n") == text.count("\n")
    finally:
        redaction._secrets = saved
        markdown_render.PLAIN_WINDOW = window


def test_plain_text_keeps_every_character() -> None:
    rng = random.Random(7)
    text = "".join(rng.choice("abc xyz\n") for _ in range(50_000))
    lines = plain_lines([text], 40)
    rebuilt = []
    source_lines = text.split("\n")
    # each source line is its folded lines joined
    index = 0
    for source in source_lines:
        need = max(1, -(-len(source) // 40))
        rebuilt.append("".join(lines[index : index + need]))
        index += need
    assert rebuilt == source_lines and index == len(lines)


# -- secrets ------------------------------------------------------------------------------


async def test_no_known_secret_is_drawn_whatever_item_carries_it(secret: str) -> None:
    half = len(secret) // 2
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(MessagePane)
        pane.add_user(f"my token is {secret}")
        # split between two deltas, in markdown and in a code block
        pane.apply_event(TextDelta("m1", f"The token **{secret[:half]}"))
        await settle(pilot, pane)
        pane.apply_event(TextDelta("m1", f"{secret[half:]}** again:\n\n```\n{secret}\n```\n"))
        pane.apply_event(ToolCallStarted("m1", ToolCall("c1", "login", {"token": secret})))
        pane.apply_event(ToolResult("t1", "c1", "login", f'{{"echo": "{secret}"}}'))
        pane.apply_event(RunError("BadRequest", f"you sent X-Api-Key: {secret}"))
        pane.apply_event(TextDelta("m2", "x" * 200 + secret + "\n" + big_text(LARGE_REPLY_CHARS)))
        pane.apply_event(RunEnded("r1", "error"))
        await settle(pilot, pane)
        await pilot.press("t")  # tool blocks expanded: arguments and result drawn too
        await settle(pilot, pane)
        drawn = "\n".join(pane.line_texts())
        assert secret not in drawn and secret[:half] not in drawn
        assert drawn.count(MASKED) >= 7
        pane.scroll_home(animate=False)
        await settle(pilot, pane)
        assert secret[:half] not in screen_text(app)
        # what is kept is the text as received: only what is drawn is masked
        assert isinstance(pane.transcript.items[1], AssistantItem)
        assert secret in pane.transcript.items[1].text


async def test_a_huge_json_tool_result_is_shown_as_cut_text_not_parsed() -> None:
    result = "[" + ",".join(f'{{"row": {i}, "value": "{"v" * 40}"}}' for i in range(60_000)) + "]"
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(MessagePane)
        pane.apply_event(ToolCallStarted("m1", ToolCall("c1", "dump", {})))
        pane.apply_event(ToolResult("t1", "c1", "dump", result))
        await settle(pilot, pane)
        await pilot.press("t")
        await settle(pilot, pane)
        lines = pane.line_texts()
        assert any(line.strip().startswith('[{"row": 0, "value": "vvv') for line in lines)
        assert lines[-1].strip().endswith("more lines (c copies all)")
