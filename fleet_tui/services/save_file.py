"""Saving one of the agent's state files to the user's disk. No Textual import.

A file that exists is replaced only when the caller says so (after asking the user); the
errors a person can fix (no such folder, no permission, a full disk) are worded for them.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from fleet_tui.domain.deep_state import StateFile


def default_save_path(file: StateFile, directory: Path | None = None) -> Path:
    """The file's own name in `directory` (the current directory by default)."""
    name = file.path.rstrip("/").rsplit("/", 1)[-1] or "file"
    if name in (".", ".."):
        name = "file"
    return (directory or Path.cwd()) / name


def resolve_target(raw: str, file: StateFile) -> Path:
    """What the user typed as a path; a folder gets the file's own name."""
    path = Path(raw).expanduser()
    if path.is_dir():
        path = default_save_path(file, path)
    return path


def save_state_file(target: Path, file: StateFile, *, overwrite: bool = False) -> Path:
    """Write the file's bytes to `target`. Raises `FileExistsError` when it exists and
    `overwrite` is off, and `OSError` when it cannot be written."""
    data = file.data()
    if overwrite:
        # through a temporary file: a failed write (a full disk) leaves the old file whole
        temp = target.with_name(f".{target.name}.fleet-tui-part")
        try:
            with open(temp, "wb") as out:
                out.write(data)
            os.replace(temp, target)
        except OSError:
            temp.unlink(missing_ok=True)
            raise
        return target
    created = False
    try:
        with open(target, "xb") as out:  # exclusive: never replaces a file that appeared meanwhile
            created = True
            out.write(data)
    except OSError:
        if created:
            target.unlink(missing_ok=True)  # a partial file from a full disk is worse than none
        raise
    return target


def write_error_text(exc: OSError, target: Path) -> str:
    """A sentence for why `target` could not be written."""
    folder = target.parent
    if isinstance(exc, IsADirectoryError):
        return f"{target} is a folder."
    if isinstance(exc, FileNotFoundError):
        return f"The folder {folder} does not exist."
    if isinstance(exc, NotADirectoryError):
        return f"{folder} is not a folder."
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"No permission to write in {folder} (read-only?)."
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"The disk is full: {target} was not saved."
    if exc.errno == errno.ENAMETOOLONG:
        return "That file name is too long."
    return f"Could not write {target}: {exc.strerror or type(exc).__name__}"
