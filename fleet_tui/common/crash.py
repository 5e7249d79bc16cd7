"""What happens when fleet-tui itself has a bug: one line for the user, a redacted report on disk.

A traceback with local variables shows whatever the failing frame held — the token, the headers —
so none is ever printed. The report keeps the stack (file, line, function, source line) and the
exception's type; its message and every line are masked against the known secrets and anything
shaped like a LangSmith token. Also the home of the optional debug log (same masking).
No Textual import: `ask` and `threads` use this too.
"""

from __future__ import annotations

import contextlib
import logging
import os
import platform
import re
import sys
import time
import traceback
from pathlib import Path
from typing import TextIO

from fleet_tui import __version__
from fleet_tui.common.redaction import RedactingFilter, redact
from fleet_tui.common.sanitize import print_err

APP_NAME = "fleet-tui"
LOG_FILENAME = "fleet-tui.log"
# Whatever the registry knows, a string shaped like a LangSmith key is masked too: a token can
# reach a frame before it was ever registered (a bug in reading the settings, say).
_TOKEN_SHAPE = re.compile(r"\b(lsv2_(?:pt|sk)_)[0-9A-Za-z_]{8,}([0-9A-Za-z]{4})\b")
KEEP_REPORTS = 20


def log_dir() -> Path:
    """The platform's per-user log directory for fleet-tui (crash reports, the debug log)."""
    import platformdirs

    override = os.environ.get("FLEET_TUI_LOG_DIR")
    return Path(override) if override else platformdirs.user_log_path(APP_NAME)


def scrub(text: str) -> str:
    return _TOKEN_SHAPE.sub(r"\1****\2", redact(text))


def _frames(exc: BaseException) -> list[str]:
    """The stack of `exc` and its causes, as text without any local variable."""
    return traceback.format_exception(type(exc), exc, exc.__traceback__)


def where(exc: BaseException) -> str:
    """`module.py:LINE in function` of the innermost frame that is ours (else the innermost)."""
    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else []
    ours = [f for f in frames if f"{os.sep}fleet_tui{os.sep}" in f.filename] or frames
    if not ours:
        return "an unknown place"
    frame = ours[-1]
    name = frame.filename.rsplit(f"{os.sep}fleet_tui{os.sep}", 1)[-1]
    return f"{name}:{frame.lineno} in {frame.name}"


def write_report(exc: BaseException, *, context: str = "") -> Path | None:
    """Write a redacted crash report (mode 0600) and return its path; None if nothing could be
    written (the caller still says what failed)."""
    lines = [
        f"fleet-tui {__version__} crash report",
        f"time: {time.strftime('%Y-%m-%d %H:%M:%S %z')}",
        f"python: {sys.version.split()[0]} on {platform.platform()}",
        f"command: {' '.join(sys.argv[1:]) or '(the TUI)'}",
    ]
    if context:
        lines.append(f"while: {context}")
    lines += ["", *_frames(exc)]
    text = scrub("\n".join(line.rstrip("\n") for line in lines)) + "\n"
    try:
        directory = log_dir()
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = directory / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.txt"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", errors="replace") as fh:
            fh.write(text)
    except OSError:
        return None
    _prune(directory)
    return path


def _prune(directory: Path) -> None:
    reports = sorted(directory.glob("crash-*.txt"))
    for old in reports[:-KEEP_REPORTS]:
        with contextlib.suppress(OSError):
            old.unlink()


def summary(exc: BaseException, report: Path | None) -> str:
    """The one line a user sees: what failed and where the report is (never the message: it
    may hold what a server sent, or a secret)."""
    head = f"internal error ({type(exc).__name__} at {where(exc)})"
    if report is None:
        return f"{head}; no crash report could be written. Run again with --debug to log details."
    return (
        f"{head}. A crash report without your token was written to {report}; "
        "please attach it to a bug report."
    )


def report_crash(
    exc: BaseException, err: TextIO | None = None, *, context: str = ""
) -> Path | None:
    """Write the report and tell the user in one line on stderr."""
    report = write_report(exc, context=context)
    print_err(summary(exc, report), err or sys.stderr)
    return report


def setup_logging(debug: bool) -> Path | None:
    """Logging for the whole process. Off by default (nothing is written, nothing reaches the
    terminal); with `debug`, everything at debug level goes to the log file, masked. Returns
    the log file's path when there is one."""
    root = logging.getLogger("fleet_tui")
    for handler in list(root.handlers):
        root.removeHandler(handler)
    # Any handler on the way up keeps Python's last-resort handler from printing warnings on the
    # terminal; records still propagate to whatever the embedding process (a test) set up.
    if not debug:
        root.addHandler(logging.NullHandler())
        return None
    directory = log_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = directory / LOG_FILENAME
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        stream = os.fdopen(fd, "a", encoding="utf-8", errors="replace")
    except OSError as exc:
        print_err(f"cannot write the debug log in {directory}: {exc.strerror}", sys.stderr)
        root.addHandler(logging.NullHandler())
        return None
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(scrub))
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    root.debug(
        "fleet-tui %s, python %s, argv %s", __version__, sys.version.split()[0], sys.argv[1:]
    )
    return path


def install_thread_hook() -> None:
    """An exception that ends a thread of ours (or a library's) is a crash report and one line,
    not a traceback on the terminal with whatever its message holds."""
    import threading

    def hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit or args.exc_value is None:
            return
        name = args.thread.name if args.thread is not None else "a thread"
        report_crash(args.exc_value, context=f"in {name}")

    threading.excepthook = hook
