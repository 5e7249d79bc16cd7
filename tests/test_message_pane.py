"""The message pane in a small host app (120x40), driven by Pilot."""

from __future__ import annotations

import io
import time
from pathlib import Path

from rich.console import Console
from textual.app import App, ComposeResult
from textual.geometry import Offset
from textual.pilot import Pilot
from textual.selection import Selection

from fleet_tui.domain.events import (
    InterruptRequest,
    MessageComplete,
    ReasoningDelta,
    RunEnded,
    TextDelta,
    ToolCall,
    ToolCallStarted,
    ToolResult,
)
from fleet_tui.domain.transcript import (
    AssistantItem,
    Item,
    ReasoningItem,
    ToolItem,
    Transcript,
    UserItem,
)
from fleet_tui.tui.widgets.lines import text_of
from fleet_tui.tui.widgets.markdown_render import BlockRenderer
from fleet_tui.tui.widgets.message_pane import MessagePane

SIZE = (120, 40)
TCSS = Path(__file__).resolve().parent.parent / "fleet_tui" / "tui" / "fleet.tcss"

REPLY = """# Weather report

Here is **the forecast** for `Paris`, day by day:

- Monday: sunny, 21 °C
- Tuesday: rain
  in the afternoon

```python
def forecast(city: str) -> dict:
    return {"city": city, "days": 7}
```

| day | high |
|-----|-----:|
| Mon | 21 |
| Tue | 17 |

> Bring an umbrella.

---

That's all.
"""


class Host(App[None]):
    CSS_PATH = str(TCSS)

    def __init__(self, transcript: Transcript | None = None) -> None:
        super().__init__()
        self.transcript = transcript
        self.posted: list[object] = []

    def compose(self) -> ComposeResult:
        yield MessagePane(self.transcript)

    def on_message_pane_retry_requested(self, message: MessagePane.RetryRequested) -> None:
        self.posted.append(message)

    def on_message_pane_review_requested(self, message: MessagePane.ReviewRequested) -> None:
        self.posted.append(message)


def tokens(text: str, size: int = 3) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


async def settle(pilot: Pilot[None], pane: MessagePane) -> None:
    deadline = time.monotonic() + 10
    while pane.has_pending_render and time.monotonic() < deadline:
        await pilot.pause(0.02)
    await pilot.pause()


def screen_text(app: App[None]) -> str:
    """What the terminal shows, as plain text."""
    console = Console(
        width=app.size.width,
        height=app.size.height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
    )
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text(styles=False)


def body_texts(pane: MessagePane, index: int) -> list[str]:
    entry = pane._view.entries[index]
    return [text_of(line).rstrip() for line in entry.body]


# -- streaming ----------------------------------------------------------------------------


async def test_streamed_reply_equals_the_whole_reply_rendered_at_once() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(MessagePane)
        pane.add_user("Weather in Paris?")
        for index, piece in enumerate(tokens(REPLY)):
            pane.apply_event(TextDelta("m1", piece, "model"))
            if index % 10 == 0:
                await pilot.pause()
        pane.apply_event(MessageComplete("m1", "ai", REPLY))
        await settle(pilot, pane)
        reference = BlockRenderer(app.console, pane._width, "monokai").render_text(REPLY)
        assert pane._view.entries[1].body == reference
        shown = screen_text(app)
        assert "That's all." in shown
        assert "def forecast(city: str) -> dict:" in shown
        assert "**" not in shown and "```" not in shown  # markdown is rendered, not shown raw
        lines = pane.line_texts()
        assert lines[0].endswith("You") and "Weather in Paris?" in lines[1]
        assert any(line.endswith("Agent · model") for line in lines)


async def test_tokens_are_coalesced_into_frames() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(MessagePane)
        await pilot.pause()
        flushes = 0
        original = pane._flush

        def counting_flush() -> None:
            nonlocal flushes
            flushes += 1
            original()

        pane._flush = counting_flush  # type: ignore[method-assign]
        pane._flush_timer._callback = counting_flush  # type: ignore[union-attr]
        for piece in tokens(REPLY * 4, 1):
            pane.apply_event(TextDelta("m1", piece))
        await settle(pilot, pane)
        assert flushes <= 10  # 2,400 tokens in one go: a few frames, not one per token
        assert "That's all." in pane.line_texts()[-1]


async def test_stays_pinned_unless_scrolled_up() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(MessagePane)
        long_text = "\n\n".join(f"Paragraph {i} of a long reply." for i in range(60))
        for piece in tokens(long_text, 40):
            pane.apply_event(TextDelta("m1", piece))
        await settle(pilot, pane)
        assert pane.pinned and pane.scroll_y == pane.max_scroll_y > 0
        assert "Paragraph 59" in screen_text(app)

        pane.focus()
        await pilot.press("pageup")
        assert not pane.pinned
        position = pane.scroll_y
        for i in range(60, 70):
            pane.apply_event(TextDelta("m1", f"\n\nParagraph {i} of a long reply."))
        await settle(pilot, pane)
        assert pane.scroll_y == position  # the reader is left in peace
        assert "Paragraph 69" not in screen_text(app)
        assert screen_text(app).splitlines()[-1].rstrip().endswith("↓ new below (end)")

        pane.scroll_to(y=pane.max_scroll_y, animate=False)  # back to the bottom by hand
        await pilot.pause()
        assert pane.pinned
        pane.apply_event(TextDelta("m1", "\n\nParagraph 70 of a long reply."))
        await settle(pilot, pane)
        assert pane.scroll_y == pane.max_scroll_y
        assert "Paragraph 70" in screen_text(app)

        assert "new below" not in screen_text(app)  # at the bottom again: nothing to say

        await pilot.press("pageup")
        assert not pane.pinned
        await pilot.press("end")
        assert pane.pinned and pane.scroll_y == pane.max_scroll_y


async def test_sending_follows_the_latest_content_wherever_the_user_moved() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(MessagePane)
        pane.apply_event(ToolCallStarted("m0", ToolCall("c0", "lookup", {"q": "x"})))
        long_text = "\n\n".join(f"Paragraph {i} of a long reply." for i in range(60))
        pane.apply_event(TextDelta("m1", long_text))
        await settle(pilot, pane)
        pane.focus()
        pane._move_cursor(0)
        await pilot.press("enter")  # expands the tool block and shows it: the view moves up
        await settle(pilot, pane)
        assert not pane.pinned and pane.cursor == 0
        pane.add_user("next question")
        pane.follow_latest()  # what the chat screen does when the user sends
        pane.apply_event(TextDelta("m2", "The new reply."))
        await settle(pilot, pane)
        assert pane.pinned and pane.cursor is None
        assert "The new reply." in screen_text(app)


async def test_cancelled_reply_is_marked() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(MessagePane)
        pane.apply_event(TextDelta("m1", "I was about to say"))
        pane.apply_event(RunEnded("run-1", "cancelled"))
        await settle(pilot, pane)
        assert "interrupted" in screen_text(app)


# -- tools, reasoning, approvals, errors ------------------------------------------------


async def test_tool_blocks_collapse_expand_and_toggle_all() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(MessagePane)
        pane.add_user("Weather?")
        pane.apply_event(ToolCallStarted("m1", ToolCall("c1", "get_weather", {"city": "Paris"})))
        pane.apply_event(ToolCallStarted("m1", ToolCall("c2", "get_time", {"tz": "x" * 500})))
        pane.apply_event(ToolResult("t1", "c1", "get_weather", '{"temp": 21, "sky": "clear"}'))
        await settle(pilot, pane)
        assert body_texts(pane, 1) == ["▸ ⚙ get_weather(city='Paris') ✓ done"]
        assert len(body_texts(pane, 2)) == 1 and body_texts(pane, 2)[0].endswith("… running")

        pane.focus()
        await pilot.press("up", "up")  # the first key highlights the latest item
        assert pane.cursor == 1
        await pilot.press("enter")
        await settle(pilot, pane)
        expanded = body_texts(pane, 1)
        assert expanded[0].startswith("▾ ⚙ get_weather") and "arguments" in expanded[1]
        assert '"city": "Paris"' in "\n".join(expanded)
        assert "  result" in expanded and '"sky": "clear"' in "\n".join(expanded)
        await pilot.press("space")
        await settle(pilot, pane)
        assert len(body_texts(pane, 1)) == 1

        await pilot.press("t")
        await settle(pilot, pane)
        tools = [i for i in pane.transcript.items if isinstance(i, ToolItem)]
        assert all(tool.expanded for tool in tools)
        long_args = "\n".join(body_texts(pane, 2))
        assert "(+260 chars)" in long_args  # long values are folded
        pane.action_toggle_all_tools()
        await settle(pilot, pane)
        assert not any(tool.expanded for tool in tools)


async def test_click_toggles_a_tool_block() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(MessagePane)
        pane.apply_event(ToolCallStarted("m1", ToolCall("c1", "search", {"q": "x"})))
        await settle(pilot, pane)
        row = pane._starts[0] + pane._view.entries[0].prefix
        await pilot.click(MessagePane, offset=(6, row))
        await settle(pilot, pane)
        assert pane.transcript.items[0].expanded
        await pilot.click(MessagePane, offset=(6, row))
        await settle(pilot, pane)
        assert not pane.transcript.items[0].expanded


async def test_auth_url_is_prominent_and_copied() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(MessagePane)
        url = "https://auth.example.com/oauth/authorize?client=fleet&state=abc"
        pane.apply_event(ToolCallStarted("m1", ToolCall("c1", "gmail_search", {})))
        content = f'{{"auth_required": true, "auth_url": "{url}"}}'
        pane.apply_event(ToolResult("t1", "c1", "gmail_search", content))
        await settle(pilot, pane)
        shown = screen_text(app)
        assert "Sign-in needed" in shown and url in shown  # visible while collapsed
        pane.focus()
        await pilot.press("c")
        assert app.clipboard == url


async def test_reasoning_is_collapsed() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(MessagePane)
        pane.apply_event(ReasoningDelta("m1", "First, consider the sky."))
        pane.apply_event(TextDelta("m1", "Sunny."))
        await settle(pilot, pane)
        (line,) = body_texts(pane, 0)
        assert line.startswith("▸ ∴ thought for") and line.endswith(" s")
        assert "consider the sky" not in screen_text(app)
        pane.toggle_item(0)
        await settle(pilot, pane)
        assert "First, consider the sky." in screen_text(app)


async def test_interrupt_summary_and_review_request() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(MessagePane)
        value = {"action_requests": [{"name": "send_email", "args": {"to": "a@b.c"}}]}
        pane.apply_event(InterruptRequest("i1", value))
        await settle(pilot, pane)
        assert "waiting for your approval: send_email(to='a@b.c')" in screen_text(app)
        pane.focus()
        await pilot.press("enter")
        await pilot.pause()
        (message,) = app.posted
        assert isinstance(message, MessagePane.ReviewRequested)
        assert message.item.id == "i1" and message.control is pane


async def test_error_block_and_retry() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(MessagePane)
        pane.add_user("hello")
        pane.add_error("Cannot reach the server", "Is http://127.0.0.1:9 running?")
        pane.add_error("Old failure", "kept from history", retryable=False)
        await settle(pilot, pane)
        shown = screen_text(app)
        assert "✗ Cannot reach the server" in shown and "r: retry" in shown
        pane.focus()
        await pilot.press("r")  # on the non-retryable one: nothing
        await pilot.pause()
        assert app.posted == []
        await pilot.press("k", "k", "r")  # highlight the latest item, then the one above
        await pilot.pause()
        (message,) = app.posted
        assert isinstance(message, MessagePane.RetryRequested)
        assert message.item.title == "Cannot reach the server" and message.index == 1


# -- hostile text -------------------------------------------------------------------------

HOSTILE = (
    "[bold red]x[/] [link=https://evil.example]click[/link] "
    "\x1b[2J\x1b]0;pwned\x07 \x1b]52;c;SGVsbG8=\x07 bell\x07 nul\x00 "
    "lone\ud800surrogate \x9b31m"
)


async def test_hostile_text_shows_no_live_escapes_or_markup() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(MessagePane)
        pane.add_user(HOSTILE)
        for piece in tokens(HOSTILE, 5):
            pane.apply_event(TextDelta("m1", piece, "node\x1b]2;title\x07"))
        pane.apply_event(
            ToolCallStarted("m1", ToolCall("c1", "[bold]tool\x1b[31m", {"q": HOSTILE}))
        )
        pane.apply_event(ToolResult("t1", "c1", "tool", HOSTILE))
        pane.add_error("[red]Error\x1b[5m", HOSTILE)
        pane.action_toggle_all_tools()
        await settle(pilot, pane)

        shown = screen_text(app)
        for bad in ("\x1b", "\x07", "\x00", "\x9b", "\ud800"):
            assert bad not in shown
        assert "[bold red]x[/]" in shown and "[link=https://evil.example]click[/link]" in shown
        assert "␛[2J␛]0;pwned␇" in shown and "␛]52;c;SGVsbG8=␇" in shown
        assert "nul␀" in shown and "lone\ufffdsurrogate" in shown
        assert "[bold]tool␛[31m" in shown and "[red]Error␛[5m" in shown
        assert "node␛]2;title␇" in shown

        svg = app.export_screenshot().replace("&#160;", " ")
        svg.encode("utf-8")
        assert "\x1b" not in svg and "␛" in svg and "[bold red]x[/]" in svg
        assert app.title == "Host"  # no OSC title change reached anything
        await pilot.press("tab")  # still alive and responsive
        assert app.is_running


async def test_a_huge_unbroken_token_folds() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(MessagePane)
        token = "A" * 100_000
        started = time.perf_counter()
        pane.add_user(token)
        pane.apply_event(TextDelta("m1", token))
        pane.apply_event(ToolCallStarted("m1", ToolCall("c1", "echo", {"text": token})))
        pane.apply_event(ToolResult("t1", "c1", "echo", token))
        pane.apply_event(MessageComplete("m1", "ai", token))
        pane.action_toggle_all_tools()
        await settle(pilot, pane)
        assert time.perf_counter() - started < 10
        width = pane._width
        for index in range(len(pane.transcript)):
            for line in body_texts(pane, index):
                assert len(line) <= width
        assert len(body_texts(pane, 1)) >= 100_000 // width
        shown = screen_text(app).splitlines()
        assert len(shown) == SIZE[1] and all(len(line) <= SIZE[0] for line in shown)


# -- the line API at work ------------------------------------------------------------------


def long_transcript(count: int) -> Transcript:
    items: list[Item] = []
    for i in range(count):
        items.append(UserItem(text=f"Question {i}"))
        text = f"Answer **{i}**\n\n{REPLY}"
        items.append(AssistantItem.with_text(f"a{i}", text, complete=True))
    return Transcript(items)


async def test_only_visible_lines_are_rendered() -> None:
    transcript = long_transcript(150)
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(MessagePane)
        await pilot.pause()
        pane.set_transcript(transcript)
        entries = pane._view.entries
        assert sum(1 for e in entries if e.width == 0) > 250  # far-off messages not rendered yet
        await pilot.pause(0.05)
        assert not pane.children  # no widget per message
        assert "That's all." in screen_text(app)
        # the background renders the rest in small slices, then the heights are exact
        deadline = time.monotonic() + 20
        while pane._stale and time.monotonic() < deadline:
            await pilot.pause(0.05)
        assert all(e.width == pane._width for e in entries)
        pane.render_count = 0
        pane._line_cache.clear()
        pane.refresh()
        await pilot.pause()
        assert 0 < pane.render_count <= SIZE[1]  # one screen of 18,000 lines
        assert pane.virtual_size.height == sum(e.prefix + e.height for e in entries)
        assert pane.pinned and pane.scroll_y == pane.max_scroll_y
        pane.action_scroll_to_top()
        await pilot.pause()
        assert "Question 0" in screen_text(app)


async def test_switching_conversations_keeps_each_stream() -> None:
    first, second = Transcript(), Transcript()
    first.add_user("first question")
    second.add_user("second question")
    app = Host(first)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(MessagePane)
        pane.apply_event(TextDelta("m1", "first answer, part one. "))
        await settle(pilot, pane)
        pane.set_transcript(second)
        await pilot.pause()
        first.apply(TextDelta("m1", "Part two arrived while away."))  # the run goes on
        assert "second question" in screen_text(app)
        assert "Part two" not in screen_text(app)
        pane.set_transcript(first)
        await settle(pilot, pane)
        shown = screen_text(app)
        assert "first answer, part one. Part two arrived while away." in shown


async def test_resize_rewraps_and_stays_at_the_bottom() -> None:
    app = Host(long_transcript(20))
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(MessagePane)
        await settle(pilot, pane)
        await pilot.resize_terminal(70, 30)
        await settle(pilot, pane)
        await pilot.pause(0.1)
        assert pane._width == 70 - 1 - 2 - 1
        assert pane.pinned and pane.scroll_y == pane.max_scroll_y
        assert "That's all." in screen_text(app)
        lines = [line for line in screen_text(app).splitlines() if line.strip()]
        assert all(len(line) <= 70 for line in lines)


async def test_text_selection_and_copy() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(MessagePane)
        pane.add_user("select me please")
        pane.apply_event(TextDelta("m1", "and this line too"))
        await settle(pilot, pane)
        lines = pane.line_texts()
        user_row = next(i for i, line in enumerate(lines) if line == "select me please")
        agent_row = next(i for i, line in enumerate(lines) if line == "and this line too")
        # the lines carry selection offsets (characters of the text, the gutter excluded)
        strip = pane.render_line(user_row - int(pane.scroll_y))
        offsets = [s.style.meta.get("offset") for s in strip if s.style and s.style.meta]
        assert (0, user_row) in offsets
        selection = Selection(Offset(7, user_row), Offset(8, agent_row))
        app.screen.selections = {pane: selection}
        await pilot.pause()
        assert app.screen.get_selected_text() == "me please\n\nAgent\nand this"
        pane.focus()
        await pilot.press("up")  # the first key highlights the latest item
        await pilot.press("up")
        await pilot.press("c")
        assert app.clipboard == "select me please"


def test_every_binding_is_described() -> None:
    for binding in MessagePane.BINDINGS:
        assert binding.description  # type: ignore[union-attr]
        assert binding.id  # type: ignore[union-attr]


async def test_stored_conversation_opens_at_the_latest_message() -> None:
    items: list[Item] = [UserItem(text="earliest question")]
    for i in range(40):
        items.append(UserItem(text=f"question {i}"))
        items.append(AssistantItem.with_text(f"a{i}", f"answer {i}", complete=True))
    app = Host(Transcript(items))
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(MessagePane)
        await settle(pilot, pane)
        shown = screen_text(app)
        assert "answer 39" in shown and "earliest question" not in shown


async def test_copy_the_code_of_a_reply() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(MessagePane)
        pane.apply_event(MessageComplete("m1", "ai", REPLY))
        await settle(pilot, pane)
        pane.focus()
        await pilot.press("y")
        assert app.clipboard == (
            'def forecast(city: str) -> dict:\n    return {"city": city, "days": 7}\n'
        )


async def test_theme_change_redraws_with_the_new_colours() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(MessagePane)
        pane.add_user("hello")
        pane.apply_event(MessageComplete("m1", "ai", REPLY))
        await settle(pilot, pane)
        generation = pane._style_gen
        before = pane._view.entries[1].body
        app.theme = "textual-light"
        await pilot.pause(0.1)
        await settle(pilot, pane)
        assert pane._style_gen > generation
        after = pane._view.entries[1].body
        assert [text_of(line) for line in after] == [text_of(line) for line in before]
        assert after != before  # other code colours
        assert "That's all." in screen_text(app)


async def test_expanding_a_tool_shows_it() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(MessagePane)
        big = {f"key{i}": i for i in range(60)}
        pane.apply_event(ToolCallStarted("m1", ToolCall("c1", "bulk", big)))
        pane.apply_event(MessageComplete("m2", "ai", REPLY))
        await settle(pilot, pane)
        pane.toggle_item(0)
        await settle(pilot, pane)
        assert "▾ ⚙ bulk" in screen_text(app)  # its first line is on screen, not pushed away


async def test_what_the_reader_sees_stays_put_when_items_above_grow() -> None:
    items: list[Item] = []
    for i in range(30):
        items.append(UserItem(text=f"Question {i}"))
        items.append(ReasoningItem(message_id=f"a{i}", text="step\n" * 20, seconds=2.0))
        items.append(AssistantItem.with_text(f"a{i}", f"Answer {i}\n\n{REPLY}", complete=True))
    transcript = Transcript(items)
    app = Host(transcript)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(MessagePane)
        await settle(pilot, pane)
        while pane._stale:
            await pilot.pause(0.05)
        pane.scroll_to(y=pane.max_scroll_y // 2, animate=False)
        await pilot.pause()
        assert not pane.pinned

        def text_without_scrollbar() -> list[str]:
            return [line[: SIZE[0] - 1] for line in screen_text(app).splitlines()]

        before = text_without_scrollbar()
        first, _ = pane._visible_range()
        above = [i for i in range(first) if isinstance(transcript.items[i], ReasoningItem)]
        for index in above[-3:]:
            transcript.items[index].expanded = True
        transcript.changed(*above[-3:])
        await settle(pilot, pane)
        assert text_without_scrollbar() == before
        assert pane._view.entries[above[-1]].height > 1  # they did grow


async def test_focus_does_not_render_the_items_again() -> None:
    app = Host(long_transcript(5))
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(MessagePane)
        await settle(pilot, pane)
        generation = pane._style_gen
        bodies = [entry.body for entry in pane._view.entries]
        pane.focus()
        await pilot.pause()
        pane.blur()
        await pilot.pause()
        assert pane._style_gen == generation
        assert [entry.body for entry in pane._view.entries] == bodies


async def test_lexer_warm_up_runs_once_up_and_leaves_the_switch_interval_as_it_was() -> None:
    import sys

    from textual.worker import Worker, WorkerState

    states: list[WorkerState] = []

    class Pane(MessagePane):
        def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
            if event.worker.group == "message-pane-warm-up":
                states.append(event.state)

    class WarmHost(App[None]):
        def compose(self) -> ComposeResult:
            yield Pane()

    before = sys.getswitchinterval()
    async with WarmHost().run_test(size=(80, 24)) as pilot:
        deadline = time.monotonic() + 10
        while WorkerState.SUCCESS not in states and time.monotonic() < deadline:
            await pilot.pause(0.02)
        assert WorkerState.SUCCESS in states
        assert sys.getswitchinterval() == before


async def test_an_opened_conversation_is_moved_out_of_the_collectors_reach() -> None:
    import gc

    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(MessagePane)
        transcript = Transcript()
        transcript.add_user("hello")
        gc.unfreeze()
        pane.set_transcript(transcript)
        assert gc.get_freeze_count() > 0  # full collections skip what an open thread holds
        await settle(pilot, pane)
    gc.unfreeze()
