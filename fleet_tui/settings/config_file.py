"""The settings file: read and written safely (0600 from the first byte, atomic, never through
a symbolic link). No Textual."""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import stat
import time
from pathlib import Path

import platformdirs

from fleet_tui.common import redaction
from fleet_tui.settings.config_keyring import (
    accounts_in_data,
    accounts_in_file,
    forget_accounts,
    place_secrets,
    read_keyring_secrets,
)
from fleet_tui.settings.config_model import APP_NAME, SETTINGS_FILENAME, ConfigError, Settings

log = logging.getLogger("fleet_tui.settings.config")


def default_config_path() -> Path:
    return platformdirs.user_config_path(APP_NAME) / SETTINGS_FILENAME


def _move_aside(path: Path) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    os.replace(path, target)
    return target


def _symlink_problem(path: Path, doing: str) -> str:
    try:
        # a relative link is relative to its folder, not to where the command runs
        target = os.path.normpath(path.parent / os.readlink(path))
    except OSError:
        target = "?"
    return (
        f"the settings file {path} is a symbolic link (to {target}); fleet-tui does not {doing} "
        "its settings through a link, because it would change the permissions of (or replace) "
        f"the file the link points to. Replace the link with a copy of that file: "
        f"rm '{path}' && cp '{target}' '{path}'"
    )


def _read_private(path: Path) -> tuple[bytes, str | None]:
    """The file's bytes, read without following a symbolic link, and a warning if its mode had
    to be tightened (or could not be). Raises OSError; ELOOP for a link."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        warning = None
        if stat.S_ISREG(st.st_mode) and st.st_mode & 0o077:
            old_mode = stat.S_IMODE(st.st_mode)
            try:
                # on the open file: the name could be swapped for a link meanwhile
                os.fchmod(fd, 0o600)
            except OSError as exc:
                warning = (
                    f"the settings file {path} can be read by other users (mode {old_mode:04o}) "
                    f"and could not be tightened ({exc.strerror}); run: chmod 600 '{path}'"
                )
            else:
                warning = (
                    f"the settings file {path} could be read by other users (mode "
                    f"{old_mode:04o}); its permissions were tightened to 0600. If it holds a "
                    "Personal Access Token that others could have read, consider rotating the "
                    "token."
                )
                log.info("tightened permissions of %s from %04o to 0600", path, old_mode)
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read(), warning
    finally:
        os.close(fd)


def load_settings(path: Path | str | None = None) -> tuple[Settings, list[str]]:
    """Read the settings file. Never raises for a bad file: returns defaults plus warnings.

    A file other users can read is tightened to 0600 (it may hold a PAT). A file that cannot be
    read or parsed is moved aside (not deleted: it may hold the only copy of a token) so the next
    save does not overwrite it. A symbolic link is refused, not followed. Secrets the file says
    are in the system keyring are read from there.
    """
    path = Path(path) if path is not None else default_config_path()
    warnings: list[str] = []
    if path.is_symlink():
        warnings.append(_symlink_problem(path, "read") + "; using default settings")
        return Settings(), warnings
    try:
        raw, mode_warning = _read_private(path)
        if mode_warning:
            warnings.append(mode_warning)
        settings, more = Settings.from_file_dict(json.loads(raw.decode("utf-8")))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, FileNotFoundError):
            log.debug("no settings file at %s; using defaults", path)
            return Settings(), warnings
        if isinstance(exc, OSError) and exc.errno == errno.ELOOP:  # a link made since the check
            warnings.append(_symlink_problem(path, "read") + "; using default settings")
            return Settings(), warnings
        # json.JSONDecodeError is a ValueError; the message names a position, never file content.
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        if isinstance(exc, UnicodeDecodeError):
            reason = "not UTF-8 text"
        try:
            moved = _move_aside(path)
        except OSError as move_exc:
            warnings.append(
                f"the settings file {path} is unreadable ({reason}) and could not be moved "
                f"aside ({move_exc.strerror}); using default settings"
            )
        else:
            warnings.append(
                f"the settings file {path} was unreadable ({reason}); it was moved to {moved} "
                "and default settings are used"
            )
            log.warning("moved unreadable settings file %s to %s", path, moved)
        return Settings(), warnings

    warnings.extend(more)
    warnings.extend(read_keyring_secrets(settings))
    for saved in settings.profiles.values():
        redaction.remember(saved.api_key, saved.custom_header_value)
    log.debug("loaded settings from %s: %d agent(s)", path, len(settings.profiles))
    return settings, warnings


def _make_private_dirs(directory: Path) -> None:
    # pathlib/os.makedirs create intermediate directories with the default mode; create each
    # missing one ourselves with 0700. Existing ones (maybe shared, like /tmp) are left alone.
    missing: list[Path] = []
    d = directory
    while not d.exists():
        missing.append(d)
        if d.parent == d:
            break
        d = d.parent
    for d in reversed(missing):
        try:
            d.mkdir(mode=0o700)
        except FileExistsError:
            continue
        with contextlib.suppress(OSError):
            os.chmod(d, 0o700)


def save_settings(
    settings: Settings, path: Path | str | None = None, *, notes: list[str] | None = None
) -> Path:
    """Write the settings atomically; the file is 0600 from its first byte. Returns the path.

    Secrets go to the system keyring when there is one (the file then names the keyring entry,
    never the secret), to the file otherwise; one-line warnings about that (a keyring that
    failed) are added to `notes`, or logged when no list is given. Raises ConfigError if the
    file cannot be written, or is a symbolic link.
    """
    path = Path(path) if path is not None else default_config_path()
    if path.is_symlink():
        raise ConfigError(_symlink_problem(path, "write"))
    for saved in settings.profiles.values():
        redaction.remember(saved.api_key, saved.custom_header_value)
    before = accounts_in_file(path)
    data = settings.to_file_dict()
    said = place_secrets(settings, data, path)
    payload = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    try:
        _make_private_dirs(path.parent)
        tmp = path.with_name(f".{path.name}.{os.urandom(6).hex()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            if hasattr(os, "fchmod"):
                # The umask can only remove bits, but be exact in case the file system adds some.
                os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fd = -1
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            if fd >= 0:
                os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise ConfigError(f"cannot write the settings file {path}: {exc.strerror or exc}") from None
    # Make the rename itself durable; not possible on every platform, hence best effort.
    with contextlib.suppress(OSError, AttributeError):
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    # Only now that the file no longer names them: entries of secrets that were cleared, moved
    # back to the file, or belonged to a removed agent.
    forget_accounts(before - accounts_in_data(data))
    for line in said:
        if notes is None:
            log.warning("%s", line)
        else:
            notes.append(line)
    log.debug("saved settings to %s: %d agent(s)", path, len(settings.profiles))
    return path


def debug_log_wanted(path: Path | str | None = None) -> bool:
    """Whether the saved settings ask for the debug log. Read before anything else runs, so it
    only parses the file (no keyring, no warnings); any problem means no."""
    path = Path(path) if path is not None else default_config_path()
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("debug_log") is True
