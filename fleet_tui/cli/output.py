"""What `ask` and `threads` write on stdout: JSON safe for a terminal, and a reader that may leave.

No Textual import, standard library only: `ask` imports this at start-up.
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any, TextIO

from fleet_tui.common.exit_codes import ExitCode

__all__ = ["OutputClosed", "json_text", "silence", "write_out"]

# json.dumps escapes C0 controls but, with ensure_ascii=False, lets these through raw: DEL and the
# C1 controls (0x9B alone is a CSI on some terminals), the line and paragraph separators (line
# breaks to JavaScript and to Python's splitlines), and lone surrogates, which cannot be encoded as
# UTF-8 and would abort the write. They only occur inside JSON strings (the syntax is ASCII), where
# a \uXXXX escape means the same character, so the document decodes to the same value.
_RAW_IN_JSON = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def json_text(value: Any, *, indent: int | None = None) -> str:
    """`value` as JSON, readable (non-ASCII kept) but with nothing a terminal could act on."""
    return _RAW_IN_JSON.sub(_escape, json.dumps(value, ensure_ascii=False, indent=indent))


class OutputClosed(Exception):
    """stdout cannot be written any more: its reader went away (`fleet-tui ask hi | head -1`),
    or the write failed (a full disk, a terminal that hung up)."""

    def __init__(self, error: OSError):
        super().__init__(error)
        self.error = error

    @property
    def quiet(self) -> bool:
        """A closed pipe is the reader's choice, not a problem to report."""
        return isinstance(self.error, BrokenPipeError)

    @property
    def exit_code(self) -> int:
        return ExitCode.OUTPUT_CLOSED if self.quiet else ExitCode.RUN_FAILED

    def __str__(self) -> str:
        if self.quiet:
            return "stdout was closed."
        return f"cannot write to stdout: {self.error.strerror or self.error}."


def write_out(out: TextIO, text: str) -> None:
    """Write and flush `text`; a failed write becomes `OutputClosed`, stdout then silenced."""
    try:
        out.write(text)
        out.flush()
    except OSError as exc:
        silence(out)
        raise OutputClosed(exc) from None


def silence(out: TextIO) -> None:
    """Point stdout's file descriptor at /dev/null after its reader left.

    What is still in the stream's buffer is flushed again when the interpreter exits, which
    would fail the same way and print an error; the Python docs ("Note on SIGPIPE") recommend
    this redirection. Other streams (tests pass their own) are left alone.
    """
    if out is not sys.stdout and out is not sys.__stdout__:
        return
    try:
        fd = out.fileno()
        devnull = os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError):
        return
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)
