"""Secrets the process knows, and text with every one of them masked.

The last line of defence behind validation: whatever a server echoes back (a header-echoing error
`detail`, a tool result) or a bug prints, each known token and custom header value is replaced by
`****` and its last 4 characters before the text is shown, logged, stored or exported.

Every place that reads a secret (settings file, environment, `.env`, the settings screen, the
client's headers) calls `remember`; the registry lives for the process. No Textual import.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

__all__ = [
    "RedactingFilter",
    "StreamRedactor",
    "forget_all",
    "known",
    "mask_secret",
    "redact",
    "remember",
]

# Shorter values would turn ordinary words into asterisks; no real token is this short.
MIN_SECRET_LENGTH = 6

_lock = threading.Lock()
# longest first, so a secret that contains another is masked whole
_secrets: tuple[str, ...] = ()


def mask_secret(value: str | None) -> str:
    """Show only the last 4 characters; short secrets (where 4 would be a third) fully masked."""
    if not value:
        return ""
    if len(value) < 12:
        return "****"
    return "****" + value[-4:]


def remember(*values: str | None) -> None:
    """Add secrets to mask from now on (empty and very short values are ignored)."""
    global _secrets
    fresh = {v for v in values if v and len(v) >= MIN_SECRET_LENGTH}
    for v in list(fresh):
        if v != v.strip():  # a pasted token with a stray space: mask both spellings
            fresh.add(v.strip())
    with _lock:
        if fresh <= set(_secrets):
            return
        _secrets = tuple(sorted(set(_secrets) | fresh, key=len, reverse=True))


def known() -> tuple[str, ...]:
    return _secrets


def forget_all() -> None:
    """For tests: start from an empty registry."""
    global _secrets
    with _lock:
        _secrets = ()


def redact(text: str) -> str:
    """`text` with every known secret masked; the same object when there is none in it."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, mask_secret(secret))
    return text


def redact_value(value: object) -> object:
    """A JSON-like value with every string in it redacted (for exports and stored records)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(v) for v in value]
    return value


class StreamRedactor:
    """Masks secrets in text that arrives in pieces, where a token can be split between two.

    `feed` returns what can be shown now; the end of the text is held back only while it could
    still be the start of a known secret, so nothing waits unless it looks like one. `flush`
    returns the rest at the end of the stream.
    """

    def __init__(self) -> None:
        self._held = ""

    def feed(self, text: str) -> str:
        text = redact(self._held + text)
        keep = _secret_prefix_at_end(text)
        self._held = text[len(text) - keep :] if keep else ""
        return text[: len(text) - keep]

    def flush(self) -> str:
        held, self._held = self._held, ""
        return held


def _secret_prefix_at_end(text: str) -> int:
    """Length of the longest end of `text` that begins some known secret (0 if none)."""
    best = 0
    for secret in _secrets:
        for size in range(min(len(secret) - 1, len(text)), best, -1):
            if text.endswith(secret[:size]):
                best = size
                break
    return best


class RedactingFilter(logging.Filter):
    """Masks known secrets in every record that passes a handler it is attached to."""

    def __init__(self, mask: Callable[[str], str] | None = None) -> None:
        super().__init__()
        self._mask = mask or redact

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string is a bug of the caller: keep the raw message
            message = str(record.msg)
        record.msg = self._mask(message)
        record.args = None
        if record.exc_text:
            record.exc_text = self._mask(record.exc_text)
        return True
