"""Tests never touch the developer's real keyring.

Every test runs with keyring's own "no backend" (`fail.Keyring`), subprocesses too (through
PYTHON_KEYRING_BACKEND), so settings behave as on a machine without a keyring unless a test
installs `MemoryKeyring`: a real `KeyringBackend` that keeps its secrets in a dict.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import KeyringLocked, PasswordDeleteError

from fleet_tui.settings import keyring_store

os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"


class MemoryKeyring(KeyringBackend):
    """A keyring in memory; `locked` makes every call fail as a locked Secret Service does."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}
        self.locked = False

    def _check(self) -> None:
        if self.locked:
            raise KeyringLocked("the collection is locked")

    def get_password(self, service: str, username: str) -> str | None:
        self._check()
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._check()
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self._check()
        if self.secrets.pop((service, username), None) is None:
            raise PasswordDeleteError("no such password")


def use_keyring(backend: KeyringBackend) -> None:
    keyring.set_keyring(backend)
    keyring_store.forget_cache()


@pytest.fixture(autouse=True)
def no_system_keyring() -> Iterator[None]:
    use_keyring(fail.Keyring())
    yield
    use_keyring(fail.Keyring())


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    backend = MemoryKeyring()
    use_keyring(backend)
    return backend
