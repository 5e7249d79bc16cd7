"""SIGTERM and SIGHUP (the terminal closed) end the process in order, never abruptly.

By default these signals kill Python without running a single `finally` or `atexit` hook, so
the demo's Agent Server (in its own session, out of reach of the terminal's hang-up) would be
left running with its temporary folder, a run would go on on the server, and the store would
keep saying `busy`. Inside `orderly_exit()` a signal instead:

- calls the callback given to `on_signal()` on the running event loop, if there is one (the
  TUI asks the app to exit, `ask` cancels its run), the first time;
- otherwise raises `Terminated` in the main thread, so the stack unwinds through every
  `finally` and the command exits with 128 + the signal number, as a shell reports it.

Once `Terminated` is raised, further signals are ignored: the clean-up under way is bounded
(a server is killed after 5 s). No Textual import.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Iterator
from types import FrameType

__all__ = [
    "EXIT_SIGNALS",
    "Terminated",
    "exit_code_for",
    "on_signal",
    "orderly_exit",
    "received",
    "signal_name",
]

EXIT_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def exit_code_for(signum: int) -> int:
    return 128 + signum


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived; unwinding to exit with `exit_code`."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return exit_code_for(self.signum)


class _State:
    callback: Callable[[int], object] | None = None
    callback_used = False
    raised = False
    received: int | None = None


_state = _State()


def _handler(signum: int, frame: FrameType | None) -> None:
    if _state.raised:
        return
    _state.received = signum
    callback = _state.callback
    if callback is not None and not _state.callback_used:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is not None and not loop.is_closed():
            _state.callback_used = True
            # threadsafe: it also wakes the loop if it is waiting in select()
            loop.call_soon_threadsafe(callback, signum)
            return
    _state.raised = True
    raise Terminated(signum)


@contextlib.contextmanager
def orderly_exit() -> Iterator[None]:
    """Within: SIGTERM and SIGHUP unwind the stack instead of killing the process.

    Only the main thread can install signal handlers; elsewhere (a test running a command in
    a thread) this does nothing.
    """
    try:
        previous = {sig: signal.signal(sig, _handler) for sig in EXIT_SIGNALS}
    except ValueError:  # not the main thread
        yield
        return
    _state.callback = None
    _state.callback_used = _state.raised = False
    _state.received = None
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def on_signal(callback: Callable[[int], object]) -> Iterator[None]:
    """Within (and inside `orderly_exit`): the first signal calls `callback(signum)` on the
    running event loop, so an async program can stop itself; a second one raises."""
    before = _state.callback
    _state.callback = callback
    try:
        yield
    finally:
        _state.callback = before


def received() -> int | None:
    """The signal that asked the process to stop, if one did."""
    return _state.received
