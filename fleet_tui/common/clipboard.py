"""Copying text: the system clipboard through its command-line tool when one is there, the
terminal's clipboard (OSC 52) otherwise. No Textual import.

OSC 52 alone fails silently in many places (a default tmux drops it), so the copy is said by
the way it went: "Copied (xclip)", or "Sent to the terminal's clipboard (OSC 52)" with what it
needs; and when neither can work (no tool, a terminal not known to take OSC 52), the caller
offers to save the text to a file instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

# One tool run waits at most this long: a clipboard tool that hangs must not hang the copy.
TOOL_TIMEOUT = 3.0

# Terminals known to take OSC 52 by default (their TERM_PROGRAM, or a part of TERM).
_OSC52_PROGRAMS = ("iterm.app", "wezterm", "ghostty", "vscode", "tabby", "rio", "warpterminal")
_OSC52_TERMS = ("kitty", "alacritty", "foot", "wezterm", "ghostty", "contour")

TMUX_HINT = "inside tmux this needs `set -g set-clipboard on`"


@dataclass(frozen=True, slots=True)
class ClipboardTool:
    name: str
    argv: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CopyOutcome:
    """How a copy went: `tool` (its name in `tool_name`), `osc52`, or `none` (nothing can
    carry it: offer to save it to a file). `message` says it to the user."""

    how: Literal["tool", "osc52", "none"]
    message: str
    tool_name: str = ""


def find_tool(
    environ: Mapping[str, str] | None = None, platform: str | None = None
) -> ClipboardTool | None:
    """The clipboard tool for this session, if one is installed (looked up on `PATH`)."""
    env = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    path = env.get("PATH")
    candidates: list[tuple[str, Sequence[str]]] = []
    if platform == "darwin":
        candidates.append(("pbcopy", ()))
    if env.get("WAYLAND_DISPLAY"):
        candidates.append(("wl-copy", ()))
    if env.get("DISPLAY"):
        candidates += [("xclip", ("-selection", "clipboard")), ("xsel", ("--clipboard", "--input"))]
    if platform in ("win32", "cygwin") or env.get("WSL_DISTRO_NAME") or env.get("WSL_INTEROP"):
        candidates.append(("clip.exe", ()))
    for name, args in candidates:
        found = shutil.which(name, path=path)
        if found:
            return ClipboardTool(name, (found, *args))
    return None


def run_tool(tool: ClipboardTool, text: str, timeout: float | None = None) -> str | None:
    """Give `text` to the tool on its stdin (no shell). None when it took it, else why not."""
    timeout = TOOL_TIMEOUT if timeout is None else timeout
    try:
        # Its output is not read: xclip stays behind to serve the selection and would hold a
        # pipe open until the timeout.
        done = subprocess.run(
            tool.argv,
            input=text.encode("utf-8", "surrogatepass"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"{tool.name} did not finish within {timeout:g} s"
    except OSError as exc:
        return f"{tool.name} could not run ({exc.strerror or exc})"
    if done.returncode != 0:
        return f"{tool.name} failed (exit status {done.returncode})"
    return None


def osc52_known(environ: Mapping[str, str] | None = None) -> bool | None:
    """Whether the terminal takes OSC 52: True, False (tmux not set to pass it on), or None
    (not known)."""
    env = os.environ if environ is None else environ
    if env.get("TMUX"):
        return _tmux_set_clipboard(env) == "on"
    program = env.get("TERM_PROGRAM", "").lower()
    term = env.get("TERM", "").lower()
    if env.get("WT_SESSION") or program in _OSC52_PROGRAMS:
        return True
    if any(name in term for name in _OSC52_TERMS):
        return True
    return None


def _tmux_set_clipboard(env: Mapping[str, str]) -> str:
    tmux = shutil.which("tmux", path=env.get("PATH"))
    if tmux is None:
        return ""
    try:
        done = subprocess.run(
            (tmux, "show-options", "-gv", "set-clipboard"),
            capture_output=True,
            timeout=TOOL_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.decode("utf-8", "replace").strip()


def copy_text(
    text: str,
    *,
    environ: Mapping[str, str] | None = None,
    platform: str | None = None,
) -> CopyOutcome:
    """Copy through the clipboard tool when there is one; else say whether OSC 52 can carry
    it. The caller sends the OSC 52 sequence in both other cases (only the terminal's writer
    can, and an unknown terminal may take it), and offers a file for `none`."""
    tool = find_tool(environ, platform)
    problem = None
    if tool is not None:
        problem = run_tool(tool, text)
        if problem is None:
            return CopyOutcome("tool", f"Copied ({tool.name})", tool.name)
    why = f" ({problem})" if problem else ""
    known = osc52_known(environ)
    if known:
        return CopyOutcome(
            "osc52", f"Sent to the terminal's clipboard (OSC 52) — {TMUX_HINT}.{why}"
        )
    if known is None:
        # most terminals take OSC 52; a file dialog on every copy would punish those that do
        return CopyOutcome(
            "osc52",
            "Sent to the terminal's clipboard (OSC 52); if nothing was copied, this terminal "
            f"does not take it: install wl-copy, xclip or xsel.{why}",
        )
    return CopyOutcome(
        "none",
        "No clipboard tool (wl-copy, xclip, xsel, pbcopy, clip.exe) worked and tmux does not "
        f"pass OSC 52 on ({TMUX_HINT}): nothing was copied.{why}",
    )
