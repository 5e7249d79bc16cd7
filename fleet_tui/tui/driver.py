"""Textual's terminal driver, except that input bytes which are not UTF-8 are replaced, not fatal.

Textual 8's `LinuxDriver.run_input_thread` decodes what it reads from the terminal with a
strict UTF-8 decoder. One invalid byte (text pasted from a Latin-1 file, a terminal set to
another encoding) raises in the input thread, which then makes the app panic and exit with
status 0, dropping whatever was being typed. Here the same method runs with a decoder that
turns invalid bytes into U+FFFD, so a bad paste shows as `�` and nothing else changes.

The method is Textual's own, run with its module's `getincrementaldecoder` swapped for a
lenient one (rather than a copy of it that would drift from Textual's fixes). Should Textual
stop decoding that way, the swap does nothing: `tests/test_private_api.py` pins what it relies
on and `tests/test_lifetime.py` checks the result.
"""

from __future__ import annotations

import codecs
import functools
import types
from collections.abc import Callable
from typing import Any

from textual.drivers import linux_driver
from textual.drivers.linux_driver import LinuxDriver

__all__ = ["TolerantLinuxDriver", "lenient_decoder_factory"]


def lenient_decoder_factory(encoding: str) -> Callable[[], codecs.IncrementalDecoder]:
    """`codecs.getincrementaldecoder`, whose decoders replace invalid bytes."""
    return functools.partial(codecs.getincrementaldecoder(encoding), errors="replace")


def _with_lenient_decoder(function: Callable[..., Any]) -> Callable[..., Any]:
    names = dict(vars(linux_driver), getincrementaldecoder=lenient_decoder_factory)
    code = function.__code__
    return types.FunctionType(code, names, function.__name__, function.__defaults__)


class TolerantLinuxDriver(LinuxDriver):
    """`LinuxDriver` whose input thread survives bytes that are not UTF-8."""

    run_input_thread = _with_lenient_decoder(LinuxDriver.run_input_thread)
