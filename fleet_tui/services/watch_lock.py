"""One watcher per data dir: when two fleet-tui processes share a store, only the one holding
this lock looks at the servers; the other reads what it stores. An OS file lock, so it goes
with the process however that ends (a crash, SIGKILL). No Textual import."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import IO

__all__ = ["LOCK_NAME", "WatchLock", "lock_path_for"]

LOCK_NAME = "watch.lock"


def lock_path_for(store_path: Path) -> Path:
    """The lock of the watch that writes to the store at `store_path` (next to it)."""
    return Path(store_path).parent / LOCK_NAME


class WatchLock:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._file: IO[bytes] | None = None

    @property
    def held(self) -> bool:
        return self._file is not None

    def acquire(self) -> bool:
        """Non-blocking; True when this process is (now, or already) the watcher."""
        if self._file is not None:
            return True
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self.path, "a+b")  # noqa: SIM115 - held open while the lock is held
        except OSError:
            return False
        try:
            _lock(handle)
        except OSError:
            handle.close()
            return False
        try:  # who holds it, for a person looking at the folder
            handle.truncate(0)
            handle.write(f"{os.getpid()}\n".encode())
            handle.flush()
        except OSError:
            pass
        self._file = handle
        return True

    def release(self) -> None:
        handle, self._file = self._file, None
        if handle is None:
            return
        with contextlib.suppress(OSError):
            _unlock(handle)
        handle.close()

    def __enter__(self) -> WatchLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


if sys.platform == "win32":
    import msvcrt

    def _lock(handle: IO[bytes]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock(handle: IO[bytes]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
