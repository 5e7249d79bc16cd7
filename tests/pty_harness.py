"""Run `fleet-tui` on a real pseudo-terminal, as a user's terminal would: its controlling
terminal, so closing it sends SIGHUP exactly as closing a terminal window does.

All reading happens in the calling thread: each wait drains the terminal's output, so the
app never blocks on a full pty buffer.
"""

from __future__ import annotations

import fcntl
import os
import select
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Sequence
from pathlib import Path


def _take_terminal() -> None:
    # runs in the child after setsid(): stdin (the pty) becomes its controlling terminal
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class PtyProcess:
    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: dict[str, str],
        cwd: Path,
        columns: int = 120,
        rows: int = 40,
    ):
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.process = subprocess.Popen(
            list(argv),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env={**env, "TERM": "xterm-256color"},
            cwd=cwd,
            start_new_session=True,
            preexec_fn=_take_terminal,
        )
        os.close(slave)
        self.master: int | None = master
        self.output = bytearray()

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def text(self) -> str:
        return self.output.decode("utf-8", errors="replace")

    def _drain(self, timeout: float) -> None:
        if self.master is None:
            time.sleep(timeout)
            return
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: the other side is closed
            data = b""
        if data:
            self.output += data
        else:
            time.sleep(timeout)

    def wait_for(self, needle: str, timeout: float = 60) -> bool:
        """True once `needle` has appeared in the output; False on timeout or exit."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.text:
                return True
            if self.process.poll() is not None:
                self._drain(0)
                return needle in self.text
            self._drain(0.05)
        return needle in self.text

    def write(self, data: bytes) -> None:
        assert self.master is not None
        os.write(self.master, data)

    def hang_up(self) -> None:
        """Close the terminal: the kernel sends SIGHUP to the app."""
        if self.master is not None:
            os.close(self.master)
            self.master = None

    def wait(self, timeout: float = 30) -> int | None:
        """The exit status, or None if the process is still running after `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                return code
            self._drain(0.05)
        return self.process.poll()

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.hang_up()
