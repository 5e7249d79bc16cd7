"""Make untrusted text (agent replies, tool output, titles) safe to put on a terminal.

Everything a model or a tool writes is data. Control characters would otherwise reach the
terminal as live escape sequences (CSI, OSC title changes, OSC 52 clipboard writes, BEL), so they
are replaced by their visible Unicode "control pictures" (ESC becomes ␛). The replacement keeps
one character per character (only `\\r\\n` shrinks to `\\n`), so line structure is unchanged.
No Textual import: the CLI uses this too.
"""

from __future__ import annotations

import re
from typing import TextIO

from fleet_tui.common.redaction import redact

__all__ = [
    "clean_line",
    "clean_text",
    "for_notification",
    "for_row",
    "for_stderr",
    "for_terminal_notice",
    "needs_cleaning",
    "print_err",
]

# A notification is a glance, not a document: a server's error text is cut to this many characters.
NOTIFICATION_LIMIT = 400

REPLACEMENT = "\ufffd"

_TABLE: dict[int, str] = {}
for _code in range(0x20):
    if _code not in (0x09, 0x0A):
        _TABLE[_code] = chr(0x2400 + _code)  # ␀ … ␟
_TABLE[0x7F] = "\u2421"  # ␡
# C1 controls have no pictures; 0x9B alone is a CSI on some terminals, so none may pass.
for _code in range(0x80, 0xA0):
    _TABLE[_code] = REPLACEMENT
# Line and paragraph separators split lines in Python (str.splitlines) but not in markdown.
_TABLE[0x2028] = " "
_TABLE[0x2029] = " "
# Lone surrogates cannot be encoded for the terminal; noncharacters are never text.
for _code in range(0xD800, 0xE000):
    _TABLE[_code] = REPLACEMENT
_TABLE[0xFFFE] = REPLACEMENT
_TABLE[0xFFFF] = REPLACEMENT

_LINE_TABLE = dict(_TABLE)
_LINE_TABLE[0x0A] = " "
_LINE_TABLE[0x09] = " "

# `\r` is handled before the table: `\r\n` is a line break, a lone `\r` becomes ␍.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")
_UNSAFE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")


def needs_cleaning(text: str) -> bool:
    """True when `clean_text` would change `text`."""
    return _UNSAFE.search(text) is not None


def clean_text(text: str) -> str:
    """Text with every control character made visible; newlines and tabs kept.

    Cheap when there is nothing to do: one regex scan, no copy.
    """
    if _UNSAFE.search(text) is None:
        return text
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    return text.translate(_TABLE)


def clean_line(text: str) -> str:
    """Like `clean_text`, for single-line places (titles): newlines and tabs become spaces."""
    if _UNSAFE_LINE.search(text) is None:
        return text
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    return text.translate(_LINE_TABLE)


def cut(text: str, limit: int) -> str:
    """At most `limit` characters, an ellipsis marking a cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# The three ways untrusted text leaves the app. Each masks known secrets and makes control
# characters visible; none interprets markup (callers pass the result as plain text).
def for_notification(text: object, limit: int = NOTIFICATION_LIMIT) -> str:
    """A toast's text: cleaned, secrets masked, cut to a few hundred characters."""
    return cut(clean_text(redact(str(text))).strip(), limit)


def for_stderr(text: object) -> str:
    """A message for the terminal's error stream: cleaned (lines kept), secrets masked."""
    return clean_text(redact(str(text)))


def for_row(text: object) -> str:
    """One line of a list or header (titles, names, URLs): cleaned, secrets masked."""
    return clean_line(redact(str(text)))


# Every control character (C0, DEL, C1) and the line separators: none may reach an escape
# sequence the app writes itself, where one would end it early or start another.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]+")


def for_terminal_notice(text: object, limit: int) -> str:
    """Text for a desktop notification asked of the terminal (OSC 9 / OSC 777): secrets masked,
    every control character gone (not shown as a picture: the terminal shows it outside the
    app), runs of space made one, cut to `limit` characters."""
    plain = _CONTROLS.sub(" ", redact(str(text)))
    return cut(" ".join(plain.split()), limit)


def print_err(message: object, err: TextIO, *, prefix: str = "fleet-tui: ") -> None:
    """Write one message to stderr (or `err`) safely; a closed stream is not an error."""
    try:
        err.write(f"{prefix}{for_stderr(message)}\n")
        err.flush()
    except (BrokenPipeError, ValueError, OSError):
        pass
