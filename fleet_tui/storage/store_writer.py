"""Streaming a message's text into the store in batches. No Textual import."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:
    from fleet_tui.storage.store import Store

FLUSH_INTERVAL = 1.0


class StreamWriter:
    """Buffers the deltas of a streaming message and appends them with one UPDATE at most once
    per `interval` (checked on each append), so a killed process loses at most that much text.

    Call `flush_if_due()` from a timer if the stream can pause with text still buffered.
    As a context manager it closes the message complete, or incomplete when an error escapes.
    """

    def __init__(
        self,
        store: Store,
        row_id: int,
        *,
        interval: float = FLUSH_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.row_id = row_id
        self.interval = interval
        self._clock = clock
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._last_flush = clock()
        self.flushes = 0
        self.closed = False

    def append(self, text: str) -> None:
        if text:
            self._text.append(text)
        self.flush_if_due()

    def append_reasoning(self, text: str) -> None:
        if text:
            self._reasoning.append(text)
        self.flush_if_due()

    def flush_if_due(self) -> bool:
        if self._clock() - self._last_flush >= self.interval:
            return self.flush()
        return False

    def flush(self) -> bool:
        """Write what is buffered; returns whether anything was written."""
        self._last_flush = self._clock()
        if not self._text and not self._reasoning:
            return False
        text, reasoning = "".join(self._text), "".join(self._reasoning)
        self.store._append_text(self.row_id, text, reasoning)
        self._text.clear()
        self._reasoning.clear()
        self.flushes += 1
        return True

    def close(self, complete: bool = True, *, content: str | None = None) -> None:
        """Write the rest and mark the message (in)complete. A final `content` (the server's
        whole message) replaces what was streamed, in the same single write."""
        if self.closed:
            return
        if content is None:
            self.flush()
        else:
            self._text.clear()
        self.store.close_message(self.row_id, complete=complete, content=content)
        self.closed = True

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        self.close(complete=exc_type is None)
