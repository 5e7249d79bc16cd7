"""`clean_text`/`clean_line`: untrusted text can never reach the terminal as a control sequence."""

from __future__ import annotations

import itertools
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from fleet_tui.common.sanitize import clean_line, clean_text, needs_cleaning

UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")


def test_plain_text_is_returned_as_is() -> None:
    text = "Hello, wörld — 你好 👋\n\tindented [bold]not markup[/]"
    assert clean_text(text) is text
    assert not needs_cleaning(text)


def test_escape_sequences_become_visible() -> None:
    assert clean_text("\x1b[2J") == "␛[2J"
    assert clean_text("\x1b]0;pwned\x07") == "␛]0;pwned␇"
    assert clean_text("\x1b]52;c;SGVsbG8=\x07") == "␛]52;c;SGVsbG8=␇"
    assert clean_text("\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\") == (
        "␛]8;;http://evil␛\\link␛]8;;␛\\"
    )


def test_each_c0_control_has_its_picture() -> None:
    assert clean_text("a\x00b") == "a␀b"
    assert clean_text("\x07") == "␇"
    assert clean_text("\x08\x0b\x0c") == "␈␋␌"
    assert clean_text("\x7f") == "␡"
    assert clean_text("keep\ttabs\nand newlines") == "keep\ttabs\nand newlines"


def test_carriage_returns() -> None:
    assert clean_text("one\r\ntwo\r\n") == "one\ntwo\n"
    assert clean_text("50%\r60%") == "50%␍60%"


def test_c1_surrogates_and_noncharacters_are_replaced() -> None:
    assert clean_text("a\x9b31mb") == "a\ufffd31mb"  # 8-bit CSI
    assert clean_text("x\x85y") == "x\ufffdy"
    assert clean_text("lone \ud800 surrogate") == "lone \ufffd surrogate"
    assert clean_text("\udcff") == "\ufffd"  # what surrogateescape makes of invalid UTF-8
    assert clean_text("\uffff") == "\ufffd"
    clean_text("\ud800").encode("utf-8")  # encodable: the terminal can be sent it


def test_line_separators_do_not_split_lines() -> None:
    assert clean_text("a\u2028b\u2029c") == "a b c"


def test_clean_line_folds_to_one_line() -> None:
    assert clean_line("Title\nwith\r\nbreaks\tand tab") == "Title with breaks and tab"
    assert clean_line("\x1b]2;title\x07") == "␛]2;title␇"
    title = "An ordinary title"
    assert clean_line(title) is title


def test_long_text_is_cheap() -> None:
    text = "x" * 1_000_000
    assert clean_text(text) is text
    assert len(clean_text(text + "\x1b")) == 1_000_001


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.one_of(
            st.characters(),
            st.sampled_from(["\ud800", "\udfff", "\x1b", "\x9b", "\r", "\n", "\u2028", "\x00"]),
        )
    )
)
def test_nothing_unsafe_survives(text: str) -> None:
    cleaned = clean_text(text)
    assert not UNSAFE.search(cleaned)
    assert len(cleaned) == len(text) - text.count("\r\n")
    cleaned.encode("utf-8")
    one_line = clean_line(text)
    assert "\n" not in one_line and "\t" not in one_line
    assert not UNSAFE.search(one_line)


# --------------------------------------------------------------------------- secrets in output
def test_known_secrets_are_masked_in_every_output_helper() -> None:
    import io
    import logging

    from fleet_tui.common.redaction import RedactingFilter, redact, redact_value, remember
    from fleet_tui.common.sanitize import for_notification, for_row, for_stderr, print_err

    token = "fake-pat-known-99887766"
    longer = token + "-extended"
    remember(token, longer, "short", None, "")
    assert redact("abc short def") == "abc short def"  # too short to be a secret worth masking
    assert redact(f"a {longer} b {token}") == "a ****nded b ****7766"
    for helper in (for_notification, for_row, for_stderr):
        assert token not in helper(f"echo: {token}\x1b[2J")
        assert "\x1b" not in helper(f"echo: {token}\x1b[2J")
    assert redact_value({"h": [token, 3], "n": None}) == {"h": ["****7766", 3], "n": None}
    err = io.StringIO()
    print_err(f"detail {token}\x07", err)
    assert err.getvalue() == "fleet-tui: detail ****7766␇\n"
    record = logging.LogRecord("fleet_tui", logging.INFO, __file__, 1, "key %s", (token,), None)
    assert RedactingFilter().filter(record) and record.getMessage() == "key ****7766"


def test_print_err_survives_a_closed_stream() -> None:
    import io

    from fleet_tui.common.sanitize import print_err

    stream = io.StringIO()
    stream.close()
    print_err("nobody reads this", stream)  # no exception


def test_a_secret_split_across_pieces_is_masked_in_a_stream() -> None:
    from hypothesis import given
    from hypothesis import strategies as st

    from fleet_tui.common.redaction import StreamRedactor, remember

    token = "fake-pat-streamed-55443322"
    remember(token)
    text = f"before {token} middle fake-pat- not a token {token}"

    @given(st.lists(st.integers(0, len(text)), max_size=8))
    def check(cuts: list[int]) -> None:
        bounds = [0, *sorted(cuts), len(text)]
        redactor = StreamRedactor()
        shown = "".join(redactor.feed(text[a:b]) for a, b in itertools.pairwise(bounds))
        shown += redactor.flush()
        assert shown == text.replace(token, "****3322")

    check()


def test_ask_prints_a_token_split_across_deltas_masked() -> None:
    import io

    from fleet_tui.cli.ask_printer import ReplyPrinter
    from fleet_tui.common.redaction import remember
    from fleet_tui.domain.events import TextDelta

    token = "fake-pat-printed-11223344"
    remember(token)
    out = io.StringIO()
    printer = ReplyPrinter(out, io.StringIO(), as_json=False)
    for piece in ("your key is fake-pat-pri", "nted-1122", "3344.", " Done"):
        printer.handle(TextDelta("m1", piece))
    printer.handle(TextDelta("m2", "second fake-pat"))
    printer.close()
    assert out.getvalue() == "your key is ****3344. Done\n\nsecond fake-pat\n"
