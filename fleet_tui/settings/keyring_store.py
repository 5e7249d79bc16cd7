"""Tokens at rest in the system keyring (Secret Service, macOS Keychain, Windows Credential
Locker) through the `keyring` package, as `gh` does.

`keyring` is imported only when a secret is saved or a saved one is read, so a start-up with no
token in the keyring pays nothing for it. Every failure of a backend (locked, no D-Bus, no
backend at all) is a `KeyringUnavailable` with a one-line reason: the caller falls back to the
settings file, never crashes. Every secret read here is passed to `redaction.remember`.
No Textual import.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from fleet_tui.common import redaction

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

log = logging.getLogger("fleet_tui.settings.config")

SERVICE = "fleet-tui"
_REASON_LIMIT = 160

_lock = threading.Lock()
# What this process read or wrote, per backend and account: `fleet-tui` reads the settings
# more than once at start-up, and each read of a real keyring is a D-Bus round trip (or a prompt).
_cache: dict[tuple[int, str], str | None] = {}


class KeyringUnavailable(Exception):
    """There is no usable system keyring, or it failed; `str()` is one line saying why."""


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    reason = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    reason = redaction.redact(reason)
    return reason if len(reason) <= _REASON_LIMIT else reason[: _REASON_LIMIT - 1] + "…"


def backend() -> KeyringBackend | None:
    """The keyring backend in use, or None when there is no real one.

    `keyring` answers with its `fail.Keyring` (every call raises) or `null.Keyring` (stores
    nothing) when it found no backend, and with a chainer that has nothing to chain when every
    candidate was refused: all of those mean "no keyring", not a place to keep a token.
    """
    try:
        import keyring
        from keyring.backends import chainer, fail, null

        found = keyring.get_keyring()
        if isinstance(found, fail.Keyring | null.Keyring):
            return None
        if isinstance(found, chainer.ChainerBackend) and not found.backends:
            return None
    except Exception as exc:  # a broken installation or configuration is "no keyring"
        log.debug("no system keyring: %s", _reason(exc))
        return None
    return found


def available() -> bool:
    return backend() is not None


def _backend_or_raise() -> KeyringBackend:
    found = backend()
    if found is None:
        raise KeyringUnavailable("no system keyring is available")
    return found


def read(account: str) -> str | None:
    """The secret saved under `account`, or None if there is none."""
    found = _backend_or_raise()
    key = (id(found), account)
    with _lock:
        if key in _cache:
            return _cache[key]
    try:
        value = found.get_password(SERVICE, account)
    except Exception as exc:
        raise KeyringUnavailable(_reason(exc)) from None
    if value is not None and not isinstance(value, str):
        raise KeyringUnavailable("the keyring returned something that is not text")
    redaction.remember(value)
    with _lock:
        _cache[key] = value
    return value


def write(account: str, value: str) -> None:
    found = _backend_or_raise()
    redaction.remember(value)
    try:
        found.set_password(SERVICE, account, value)
    except Exception as exc:
        raise KeyringUnavailable(_reason(exc)) from None
    with _lock:
        _cache[(id(found), account)] = value


def delete(account: str) -> bool:
    """Remove a secret; best effort (False when it could not be removed or was not there)."""
    found = backend()
    if found is None:
        return False
    with _lock:
        _cache.pop((id(found), account), None)
    try:
        found.delete_password(SERVICE, account)
    except Exception as exc:  # not there (PasswordDeleteError), locked, gone: nothing to undo
        log.debug("could not delete a keyring entry: %s", _reason(exc))
        return False
    return True


def forget_cache() -> None:
    """For tests, and after the keyring changed under this process."""
    with _lock:
        _cache.clear()
