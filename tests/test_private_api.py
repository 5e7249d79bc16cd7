"""What fleet-tui relies on in other libraries' private API, pinned.

Each test states one behaviour an adapter (or an override) depends on. When a library upgrade
changes it, the test here fails and names the adapter to fix, instead of the app breaking in a
way nobody notices (a crash report with tokens in it, a binding that never fires, a reply drawn
from the wrong text).
"""

from __future__ import annotations

import asyncio
import codecs
import inspect
from typing import Any

import pytest
import rich.traceback
from markdown_it.token import Token
from rich.console import Console
from rich.markdown import Markdown
from textual import events
from textual.app import App, ComposeResult
from textual.drivers import linux_driver
from textual.drivers.linux_driver import LinuxDriver
from textual.widgets import TextArea

from fleet_tui.agent_server.sse_decoder_adapter import append_data, new_decoder
from fleet_tui.tui.driver import TolerantLinuxDriver
from fleet_tui.tui.widgets.file_viewer import lexer_for
from fleet_tui.tui.widgets.rich_markdown_adapter import set_tokens
from fleet_tui.tui.widgets.text_area_adapter import KeysFirstTextArea


# --- Pygments: its table of built-in lexers (file_viewer.lexer_for) ----------------------------
def test_pygments_lexer_table_maps_names_to_aliases_and_file_patterns() -> None:
    from pygments.lexers._mapping import LEXERS

    module, name, aliases, patterns, _mimes = LEXERS["PythonLexer"]
    assert module == "pygments.lexers.python" and name == "Python"
    assert "python" in aliases and "*.py" in patterns
    lexer = lexer_for("/src/app.py")
    assert lexer is not None and lexer.name == "Python"
    assert lexer_for("/notes.unknown-extension") is None


# --- httpx-sse: SSEDecoder (sse_decoder_adapter, used by sse_bytes) --------------------------
def test_sse_decoder_returns_an_event_at_the_blank_line_only() -> None:
    decoder = new_decoder()
    assert decoder.decode("event: messages") is None
    assert decoder.decode("id: 7") is None
    assert decoder.decode("data: one") is None
    assert decoder.decode("data:two") is None
    event = decoder.decode("")
    assert event is not None
    assert (event.event, event.id, event.data) == ("messages", "7", "one\ntwo")
    assert new_decoder().decode("") is None  # nothing gathered: no event


def test_sse_decoder_gathers_data_appended_beside_decode_in_order() -> None:
    decoder = new_decoder()
    decoder.decode("data: first")
    append_data(decoder, "a huge line")
    decoder.decode("data: last")
    event = decoder.decode("")
    assert event is not None
    assert event.data == "first\na huge line\nlast"
    # and the next event starts empty
    append_data(decoder, "only")
    event = decoder.decode("")
    assert event is not None and event.data == "only"


# --- Rich: Markdown.parsed (rich_markdown_adapter, used by widgets/markdown_render) ---------
def _render(markdown: Markdown) -> str:
    console = Console(width=40, color_system=None, force_terminal=False)
    with console.capture() as capture:
        console.print(markdown)
    return capture.get()


def test_rich_markdown_keeps_markdown_it_tokens_in_parsed() -> None:
    markdown = Markdown("# Title\n\nsome *text*")
    assert isinstance(markdown.parsed, list)
    assert markdown.parsed and all(isinstance(token, Token) for token in markdown.parsed)
    assert [t.type for t in markdown.parsed][:3] == ["heading_open", "inline", "heading_close"]


def test_rich_markdown_renders_what_parsed_holds_not_its_text() -> None:
    markdown = Markdown("the text given first")
    other = Markdown("- an item from elsewhere").parsed
    set_tokens(markdown, other)
    drawn = _render(markdown)
    assert "an item from elsewhere" in drawn
    assert "the text given first" not in drawn


# --- Textual: TextArea._on_key (text_area_adapter, used by widgets/composer) ----------------
def test_text_area_handles_keys_in_a_private_coroutine_on_key() -> None:
    handler = TextArea.__dict__.get("_on_key")
    assert handler is not None, "TextArea no longer handles keys in _on_key"
    assert inspect.iscoroutinefunction(handler)
    assert list(inspect.signature(handler).parameters) == ["self", "event"]


class _Host(App[None]):
    def __init__(self, area: TextArea) -> None:
        super().__init__()
        self.area = area

    def compose(self) -> ComposeResult:
        yield self.area


def test_text_area_inserts_a_newline_on_enter_and_the_adapter_takes_keys_first() -> None:
    taken: list[str] = []

    class Area(KeysFirstTextArea):
        def take_key(self, event: events.Key) -> bool:
            if event.key == "ctrl+j":
                taken.append(event.key)
                return True
            return False

    async def run() -> tuple[str, str]:
        plain = TextArea()
        async with _Host(plain).run_test() as pilot:
            plain.focus()
            await pilot.press("a", "enter", "b")
            plain_text = plain.text
        area = Area()
        async with _Host(area).run_test() as pilot:
            area.focus()
            await pilot.press("a", "ctrl+j", "enter", "b")
            area_text = area.text
        return plain_text, area_text

    plain_text, area_text = asyncio.run(run())
    # the reason for the override: enter goes into the text before any binding is looked at
    assert plain_text == "a\nb"
    assert taken == ["ctrl+j"]
    assert area_text == "a\nb"  # keys not taken still reach TextArea


# --- Textual: App's crash handler (overridden in app_safety.py) ----------------------------
def test_app_fatal_error_renders_a_traceback_with_locals(monkeypatch: pytest.MonkeyPatch) -> None:
    # why FleetApp replaces it: it would print every local of every frame, tokens included
    made: dict[str, object] = {}

    class Recorder(rich.traceback.Traceback):
        def __init__(self, **options: Any) -> None:
            made.update(options)
            super().__init__(**options)

    monkeypatch.setattr(rich.traceback, "Traceback", Recorder)
    app = App[None]()
    closed: list[bool] = []
    monkeypatch.setattr(app, "_close_messages_no_wait", lambda: closed.append(True))
    try:
        raise ValueError("a local named token would be printed")
    except ValueError:
        app._fatal_error()
    assert made.get("show_locals") is True
    assert len(app._exit_renderables) == 1
    assert closed == [True]


def test_app_handle_exception_calls_fatal_error_and_sets_the_return_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = App[None]()
    called: list[bool] = []
    monkeypatch.setattr(app, "_fatal_error", lambda: called.append(True))
    error = ValueError("boom")
    app._handle_exception(error)
    assert called == [True]
    assert app._return_code == 1
    assert app._exception is error


def test_app_crash_handler_names_exist() -> None:
    app = App[None]()
    assert callable(app._handle_exception)
    assert callable(app._fatal_error)
    assert callable(app._close_messages_no_wait)
    assert isinstance(app._exit_renderables, list)
    assert hasattr(app, "_return_code")


# --- Textual: LinuxDriver.run_input_thread (tui_driver) -----------------------------------
def test_linux_driver_input_thread_decodes_with_its_module_getincrementaldecoder() -> None:
    code = LinuxDriver.run_input_thread.__code__
    # the swap in tui_driver replaces this global; a decoder made another way would escape it
    assert "getincrementaldecoder" in code.co_names
    assert linux_driver.getincrementaldecoder is codecs.getincrementaldecoder


def test_tolerant_driver_runs_textual_own_input_thread_with_a_lenient_decoder() -> None:
    tolerant = TolerantLinuxDriver.run_input_thread
    assert tolerant.__code__ is LinuxDriver.run_input_thread.__code__
    factory = tolerant.__globals__["getincrementaldecoder"]("utf-8")
    assert factory().decode(b"caf\xe9!", final=True) == "caf\ufffd!"


# --- Textual: FooterKey (tui/widgets/footer.py, FittedFooter) ----------------------------
async def test_footer_keys_are_measured_as_textual_draws_them() -> None:
    from textual.binding import Binding
    from textual.widgets._footer import FooterKey

    from fleet_tui.tui.widgets.footer import FittedFooter, key_width

    class Host(App[None]):
        BINDINGS = [
            Binding("ctrl+n", "bell", "New chat"),
            Binding("f3", "bell", "Files"),
            Binding("escape", "bell", "Cancel run"),
        ]

        def compose(self) -> ComposeResult:
            yield FittedFooter()

    app = Host()
    async with app.run_test(size=(120, 5)) as pilot:
        await pilot.pause(0.2)
        keys = list(app.screen.query(FooterKey))
        # what FittedFooter reads from each key: its key, text, action and classes
        assert {(k.key, k.description, k.action) for k in keys} >= {("ctrl+n", "New chat", "bell")}
        assert [k for k in keys if k.has_class("-command-palette")], "the palette key's class"
        for key in keys:
            assert key.content_size.width == key_width(key), key.key
        # the palette key: docked right, its border and padding are its gutter
        (palette,) = [k for k in keys if k.has_class("-command-palette")]
        assert palette.region.right == 120 - palette.styles.margin.right
        # recompose is what the footer runs when the bindings change: fit() follows it
        assert inspect.iscoroutinefunction(FittedFooter.recompose)


# --- Textual: App._driver and how frames are written (tui/nudges.py, write_to_terminal) ----
def test_app_writes_raw_sequences_through_its_driver_as_its_own_bell_and_clipboard_do() -> None:
    assert "self._driver.write(" in inspect.getsource(App.bell)
    assert "self._driver.write(" in inspect.getsource(App.copy_to_clipboard)


def test_app_writes_a_frame_and_flushes_it_in_one_synchronous_call() -> None:
    """A write made on the event loop between two calls of `_display` cannot land inside a
    frame: `_display` is a plain function that writes the whole frame, then flushes."""
    assert not inspect.iscoroutinefunction(App._display)
    source = inspect.getsource(App._display)
    assert "self._driver.write(terminal_sequence)" in source
    assert source.index("self._driver.write(terminal_sequence)") < source.index(
        "self._driver.flush()"
    )


async def test_a_nudge_reaches_the_driver_in_one_write() -> None:
    from fleet_tui.tui.nudges import terminal_sequence, write_to_terminal

    app = App[None]()
    async with app.run_test() as pilot:
        writes: list[str] = []
        assert app._driver is not None
        app._driver.write = writes.append  # type: ignore[method-assign]
        assert write_to_terminal(app, terminal_sequence("fleet-tui", "mail · x: finished"))
        await pilot.pause()
        assert writes[0] == terminal_sequence("fleet-tui", "mail · x: finished")
