"""Which secrets of the settings live in the system keyring, and moving them in and out.

The rule: a secret lives where the last save could put it. With a working keyring, saving puts
every saved token and custom header value there and the file names only the keyring entry;
without one, the secret stays in the 0600 settings file, as before keyrings were supported.

- A keyring that appears later: the next save moves the secrets in and out of the file.
- A keyring that is gone at save time while a secret from it is in memory (it was read at
  start-up): the secret is written to the file, with a warning. We cannot tell a keyring that is
  gone for good from one that is away for a while, and keeping the token only in an unreachable
  keyring would lock the user out; the 0600 file is the protection every user without a keyring
  has, and the next save with a keyring moves it back (removing it from the file).
- A keyring that cannot be read at start-up: the secret is unknown, so the file keeps naming the
  entry (the token is not lost) and the user is told how to get it back.
- A keyring that fails when writing (locked, no D-Bus): the secret goes to the file, with a
  one-line warning, never a crash.
No Textual import.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from fleet_tui.settings import keyring_store
from fleet_tui.settings.config_model import KEYRING_KEY, SECRET_FIELDS, AgentProfile, Settings
from fleet_tui.settings.config_validate import FIELD_NAMES

__all__ = [
    "accounts_in_data",
    "accounts_in_file",
    "forget_accounts",
    "place_secrets",
    "read_keyring_secrets",
    "secret_location",
]

KEYRING = "system keyring"
FILE = "settings file, mode 0600"

_SET_AGAIN = {
    "api_key": "`fleet-tui config set api_key -`",
    "custom_header_value": "`fleet-tui config set custom_header_value -`",
}


def _what(name: str, field: str) -> str:
    return f"the {FIELD_NAMES[field].removeprefix('the ')} of agent {name!r}"


def read_keyring_secrets(settings: Settings) -> list[str]:
    """Fill in the secrets the file says are in the keyring; warnings for those it cannot."""
    warnings: list[str] = []
    for name, profile in settings.profiles.items():
        for field, (account, _) in list(profile._keyring.items()):
            if getattr(profile, field):
                # The file holds the secret as well (edited by hand): the file's copy is used,
                # and the next save puts it in the keyring under the same entry.
                continue
            try:
                value = keyring_store.read(account)
            except keyring_store.KeyringUnavailable as exc:
                warnings.append(
                    f"{_what(name, field)} is in the system keyring, which cannot be read now "
                    f"({exc}): unlock the keyring and start again, or save it again "
                    f"(ctrl+o, or {_SET_AGAIN[field]})"
                )
                continue  # the file keeps naming the entry: the token is not lost
            if value is None:
                warnings.append(
                    f"{_what(name, field)} was saved in the system keyring but is no longer "
                    f"there: save it again (ctrl+o, or {_SET_AGAIN[field]})"
                )
                del profile._keyring[field]
                continue
            setattr(profile, field, value)
            profile._keyring[field] = (account, value)
    return warnings


def _new_account(name: str, field: str, path: Path, taken: set[str]) -> str:
    # Readable in a keyring browser, and distinct for each settings file; the file records the
    # name, so a later rename of the agent or a move of the file does not lose the entry.
    base = f"{name}/{field} ({path.expanduser().absolute()})"
    account, n = base, 1
    while account in taken:
        n += 1
        account = f"{base} #{n}"
    taken.add(account)
    return account


def place_secrets(settings: Settings, data: dict[str, Any], path: Path) -> list[str]:
    """Move the secrets of `data` (the file's JSON) into the keyring where possible.

    Updates each profile's record of what is in the keyring. Returns one-line warnings.
    """
    warnings: list[str] = []
    usable: bool | None = None  # asked once, and only when a secret is to be saved
    taken = {acc for p in settings.profiles.values() for acc, _ in p._keyring.values()}
    for name, profile in settings.profiles.items():
        entry = data["profiles"][name]
        refs: dict[str, str] = {}
        for field in sorted(SECRET_FIELDS):
            value = entry.get(field)
            ref = profile._keyring.get(field)
            if not value:
                if ref is not None and ref[1] is None:
                    refs[field] = ref[0]  # unread at start-up and not replaced: keep it there
                else:
                    profile._keyring.pop(field, None)
                continue
            if profile._session_only:
                continue
            if usable is None:
                usable = keyring_store.available()
            if not usable:
                if ref is not None:
                    profile._keyring.pop(field, None)
                    warnings.append(
                        f"the system keyring is not available now: {_what(name, field)} is kept "
                        "in the settings file (mode 0600) instead"
                    )
                continue
            if ref is not None and ref[1] == value:
                refs[field] = ref[0]
                entry[field] = None
                continue
            account = ref[0] if ref is not None else _new_account(name, field, path, taken)
            try:
                keyring_store.write(account, value)
            except keyring_store.KeyringUnavailable as exc:
                profile._keyring.pop(field, None)
                warnings.append(
                    f"could not save {_what(name, field)} in the system keyring ({exc}); it is "
                    "kept in the settings file (mode 0600) instead"
                )
                continue
            profile._keyring[field] = (account, value)
            refs[field] = account
            entry[field] = None
        if refs:
            entry[KEYRING_KEY] = refs
    return warnings


def accounts_in_data(data: Any) -> set[str]:
    """Keyring accounts named by the settings file's JSON."""
    found: set[str] = set()
    profiles = data.get("profiles") if isinstance(data, dict) else None
    if not isinstance(profiles, dict):
        return found
    for entry in profiles.values():
        refs = entry.get(KEYRING_KEY) if isinstance(entry, dict) else None
        if isinstance(refs, dict):
            found.update(a for a in refs.values() if isinstance(a, str) and a)
    return found


def accounts_in_file(path: Path) -> set[str]:
    """Keyring accounts the settings file on disk names now (none if it cannot be read)."""
    with contextlib.suppress(OSError, ValueError):
        if not path.is_symlink():
            return accounts_in_data(json.loads(path.read_bytes().decode("utf-8")))
    return set()


def forget_accounts(accounts: set[str]) -> None:
    if not accounts or not keyring_store.available():
        return
    for account in accounts:
        keyring_store.delete(account)


def secret_location(profile: AgentProfile, field: str) -> str:
    """Where a saved secret is kept, for `config show` and the settings screen ("" if unset)."""
    ref = profile._keyring.get(field)
    if ref is not None:
        return KEYRING if ref[1] is not None else f"{KEYRING}, cannot be read now"
    return FILE if getattr(profile, field) else ""
