"""`fleet-tui config show|set|path`: the settings file from the command line.

Independent of argparse so the CLI module only has to forward the parsed words. No Textual import
(`set theme` alone imports Textual's list of themes). Every value is checked before it is saved,
and every line written is cleaned (no escape sequence reaches the terminal) with known secrets
masked.
"""

from __future__ import annotations

import getpass
import logging
import sys
from pathlib import Path
from typing import IO, Any, TextIO, cast

from fleet_tui.common import redaction
from fleet_tui.common.crash import LOG_FILENAME, log_dir
from fleet_tui.common.sanitize import for_stderr, print_err
from fleet_tui.settings.config import (
    DEFAULT_AUTH_SCHEME,
    DEFAULT_PROFILE_NAME,
    DEFAULT_STREAM_MODES,
    ENV_VARS,
    SECRET_FIELDS,
    AgentProfile,
    ConfigError,
    Problem,
    Settings,
    default_config_path,
    load_settings,
    mask_secret,
    normalise_url,
    resolve,
    save_settings,
    validate_profile,
)
from fleet_tui.settings.config_keyring import secret_location
from fleet_tui.settings.config_model import (
    ATTACHMENT_SETTINGS,
    MAX_WATCH_INTERVAL,
    MIN_WATCH_INTERVAL,
    attachment_mb_problem,
    valid_watch_interval,
)
from fleet_tui.settings.config_validate import name_problem

log = logging.getLogger("fleet_tui.settings.config")

PROFILE_KEYS = (
    "url",
    "agent_id",
    "api_key",
    "auth_scheme",
    "custom_header_name",
    "custom_header_value",
    "stream_modes",
    "allow_insecure_http",
)
# settings of the app, not of one agent
APP_KEYS = ("theme", "debug_log", "watch_interval", "nudge_terminal", *ATTACHMENT_SETTINGS)
SETTABLE_KEYS = (*PROFILE_KEYS, *APP_KEYS, "name")
# Optional settings an empty value clears.
_CLEARABLE = frozenset({"api_key", "custom_header_name", "custom_header_value", "theme"})
_TRUE = frozenset({"1", "true", "yes", "on", "y"})
_FALSE = frozenset({"0", "false", "no", "off", "n"})
_WIDTH = max(len(k) for k in SETTABLE_KEYS) + 2


def _say(stream: IO[str], text: str = "") -> None:
    """A line of output; values from files and the environment may hold escape sequences."""
    print(for_stderr(text), file=stream)


def _err(stream: IO[str], text: str) -> None:
    print_err(text, cast(TextIO, stream), prefix="")


def _display(key: str, value: Any, profile: AgentProfile | None = None) -> str:
    """A value as shown; a saved secret masked, with where it is kept when `profile` says."""
    where = secret_location(profile, key) if profile is not None and key in SECRET_FIELDS else ""
    if value is None or value == "":
        return f"(not set; {where})" if where else "(not set)"
    if key in SECRET_FIELDS:
        masked = mask_secret(str(value))
        return f"{masked} ({where})" if where else masked
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(value) if value else "(none)"
    return str(value)


def _problem_line(p: Problem) -> str:
    label = {"error": "error", "warning": "warning", "confirm": "needs confirmation"}[p.severity]
    return f"{label}: {p.field}: {p.message}"


def _show_profile(out: IO[str], profile: AgentProfile, indent: str) -> None:
    for key in PROFILE_KEYS:
        _say(out, f"{indent}{key:<{_WIDTH}}{_display(key, getattr(profile, key), profile)}")


def _show(
    key: str | None,
    *,
    out: IO[str],
    err: IO[str],
    config_path: Path,
    environ: dict[str, str] | None,
    cwd: Path | None,
) -> int:
    if key is not None:
        key = key.replace("-", "_")
        if key not in (*PROFILE_KEYS, *APP_KEYS):
            _err(err, f"fleet-tui config: unknown key {key!r}; keys: {', '.join(PROFILE_KEYS)}")
            return 2
    try:
        resolved = resolve(environ=environ, config_path=config_path, cwd=cwd)
    except ConfigError as exc:
        _err(err, f"fleet-tui config: {exc}")
        return 2
    for warning in resolved.warnings:
        _err(err, f"warning: {warning}")
    settings = resolved.settings

    if key == "theme":
        _say(out, _display(key, settings.theme))
        return 0
    if key == "debug_log":
        _say(out, "true" if settings.debug_log else "false")
        return 0
    if key in ATTACHMENT_SETTINGS:
        _say(out, f"{getattr(settings, key):g}")
        return 0
    if key in ("watch_interval", "nudge_terminal"):
        _say(out, _app_value(key, settings))
        return 0
    if key is not None:
        _say(out, _display(key, getattr(resolved.profile, key)))
        return 0

    exists = "" if config_path.exists() else "  (not created yet)"
    _say(out, f"Settings file: {config_path}{exists}")
    if settings.profiles:
        _say(out, "Saved agents (* = current):")
        for name, profile in settings.profiles.items():
            marker = "*" if name == settings.current else " "
            _say(out, f"{marker} {name}")
            _show_profile(out, profile, "    ")
    else:
        _say(out, "Saved agents: none (`fleet-tui config set url URL` creates one)")
    _say(out, f"Theme: {_display('theme', settings.theme)}")
    debug = f"on, {log_dir() / LOG_FILENAME}" if settings.debug_log else "off"
    _say(out, f"Debug log: {debug}")
    _say(
        out,
        f"Attachments: up to {settings.attachment_max_mb:g} MB (attachment_max_mb); copied into "
        f"the local store up to {settings.attachment_copy_max_mb:g} MB, larger ones kept as "
        "their path (attachment_copy_max_mb)",
    )
    interval = settings.watch_interval
    watch = f"every {interval:g} s" if interval > 0 else "off"
    _say(out, f"Inbox watch (watch_interval): {watch}")
    bell = "on" if settings.nudge_terminal else "off"
    _say(out, f"Bell and desktop notification on a nudge (nudge_terminal): {bell}")
    _say(out)

    _say(out, "Effective settings (command line > environment > .env > settings file):")
    if resolved.env_file is not None:
        _say(out, f"  (.env file: {resolved.env_file})")
    for k in PROFILE_KEYS:
        source = resolved.sources.get(k, "default")
        saved = resolved.profile if source == "settings file" else None
        value = _display(k, getattr(resolved.profile, k), saved)
        _say(out, f"  {k:<{_WIDTH}}{value:<40} [{source}]")
    missing = resolved.missing()
    # An empty required value is already explained, with how to set it, under "Missing".
    unset = {k for k in ("url", "agent_id") if not getattr(resolved.profile, k).strip()}
    problems = [p for p in resolved.problems() if not (p.field in unset and p.severity == "error")]
    if missing:
        _say(out)
        _say(out, "Missing:")
        for line in missing:
            _say(out, f"  - {line}")
    if problems:
        _say(out)
        _say(out, "Problems:")
        for p in problems:
            _say(out, f"  - {_problem_line(p)}")
    return 0


def _read_value(key: str, stdin: IO[str] | None, err: IO[str]) -> str | None:
    stream = stdin if stdin is not None else sys.stdin
    interactive = stream.isatty()
    if key in SECRET_FIELDS and interactive:
        try:
            return getpass.getpass(f"{key} (input hidden): ", stream=cast(TextIO, err))
        except (EOFError, KeyboardInterrupt):
            return None
    if interactive:
        err.write(f"{key}: ")  # one of SETTABLE_KEYS: nothing to clean
        err.flush()
    try:
        line = stream.readline()
    except UnicodeDecodeError:
        line = ""
        _err(err, "fleet-tui config: the value read from stdin is not UTF-8 text")
    if not line:
        return None
    return line.rstrip("\r\n")


def _env_override_note(key: str, source: str) -> str:
    names = " or ".join(ENV_VARS.get(key, ()))
    where = "in the environment" if source == "environment" else "in the .env file"
    return f"note: {names} {where} overrides this saved value"


def _boolean(key: str, value: str, err: IO[str]) -> bool | None:
    """`value` as a boolean setting, or None after saying what `key` takes."""
    word = value.lower()
    if word not in _TRUE | _FALSE:
        _err(err, f"fleet-tui config: {key} takes true or false; nothing saved")
        return None
    return word in _TRUE


def _megabytes(key: str, value: str, err: IO[str]) -> float | None:
    """`value` as a size setting in megabytes, or None after saying what `key` takes."""
    words = value.strip()
    if words.lower().endswith("mb"):
        words = words[:-2].strip()
    try:
        number: object = float(words)
    except ValueError:
        number = value
    problem = attachment_mb_problem(key, number)
    if problem or not isinstance(number, float):
        _err(err, f"fleet-tui config: {problem}; nothing saved")
        return None
    return number


def _seconds(value: str) -> float | None:
    """`watch_interval`'s value, or None when the settings do not allow it."""
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if valid_watch_interval(seconds) else None


def _app_value(key: str, settings: Settings) -> str:
    if key == "watch_interval":
        return f"{settings.watch_interval:g}"
    return "true" if settings.nudge_terminal else "false"


def _theme_problem(value: str) -> str | None:
    if not value:
        return None
    # Only here: the rest of `config` never loads Textual.
    from textual.theme import BUILTIN_THEMES

    if value in BUILTIN_THEMES:
        return None
    return f"there is no theme {value!r}; themes: {', '.join(sorted(BUILTIN_THEMES))}"


def _refusals(key: str, candidate: AgentProfile) -> list[str]:
    """What stops `config set key` from saving: errors about that key, and unknown stream modes
    (stored ones are only a warning, as a newer server may know more)."""
    problems = validate_profile(candidate)
    lines = [_problem_line(p) for p in problems if p.field == key and p.severity == "error"]
    if key == "stream_modes":
        lines += [f"error: {p.field}: {p.message}" for p in problems if p.field == key]
    return lines


def _set(
    key: str | None,
    value: str | None,
    *,
    out: IO[str],
    err: IO[str],
    stdin: IO[str] | None,
    config_path: Path,
    environ: dict[str, str] | None,
    cwd: Path | None,
) -> int:
    if key is None:
        _err(err, f"usage: fleet-tui config set KEY VALUE; keys: {', '.join(SETTABLE_KEYS)}")
        return 2
    key = key.replace("-", "_")
    if key not in SETTABLE_KEYS:
        _err(err, f"fleet-tui config: unknown key {key!r}; keys: {', '.join(SETTABLE_KEYS)}")
        return 2
    if value is None:
        _err(err, f"usage: fleet-tui config set {key} VALUE (or - to read it from stdin)")
        return 2
    from_stdin = value == "-"
    if from_stdin:
        read = _read_value(key, stdin, err)
        if read is None:
            _err(err, "fleet-tui config: no value read from stdin; nothing saved")
            return 2
        value = read
    elif key in SECRET_FIELDS and value:
        _err(
            err,
            f"note: a value typed on the command line is kept in your shell history; next time "
            f"use `fleet-tui config set {key} -` to type it hidden (or pipe it in on stdin)",
        )
    if key in SECRET_FIELDS:
        # From here on it is masked in anything printed or logged, even a refusal.
        redaction.remember(value)
    value = value.strip()

    settings, warnings = load_settings(config_path)
    for warning in warnings:
        _err(err, f"warning: {warning}")

    current = settings.current_profile()
    if current is None:
        current = AgentProfile(name=DEFAULT_PROFILE_NAME)
        settings.replace_profile(current, make_current=True)
    candidate = current.copy()

    if key == "theme":
        refused = _theme_problem(value)
        if refused:
            _err(err, f"fleet-tui config: {refused}; nothing saved")
            return 2
        settings.theme = value or None
    elif key == "debug_log":
        flag = _boolean(key, value, err)
        if flag is None:
            return 2
        settings.debug_log = flag
    elif key in ATTACHMENT_SETTINGS:
        megabytes = _megabytes(key, value, err)
        if megabytes is None:
            return 2
        setattr(settings, key, megabytes)
    elif key == "nudge_terminal":
        flag = _boolean(key, value, err)
        if flag is None:
            return 2
        settings.nudge_terminal = flag
    elif key == "watch_interval":
        seconds = _seconds(value)
        if seconds is None:
            _err(
                err,
                f"fleet-tui config: watch_interval takes 0 (off) or {MIN_WATCH_INTERVAL:g} to "
                f"{MAX_WATCH_INTERVAL:g} seconds; nothing saved",
            )
            return 2
        settings.watch_interval = seconds
    elif key == "name":
        problem = name_problem(value)
        try:
            if problem:
                raise ValueError(problem.message)
            settings.rename_profile(current.name, value)
        except ValueError as exc:
            _err(err, f"fleet-tui config: {exc}; nothing saved")
            return 2
        candidate = current
    else:
        new: Any = value
        if key == "url":
            new = normalise_url(value)
            if new != current.url:
                # A cleartext confirmation was given for the old address only.
                candidate.allow_insecure_http = False
        elif key == "stream_modes":
            new = [m.strip() for m in value.split(",") if m.strip()] or list(DEFAULT_STREAM_MODES)
        elif key == "allow_insecure_http":
            new = _boolean(key, value, err)
            if new is None:
                return 2
        elif key == "auth_scheme":
            new = value or DEFAULT_AUTH_SCHEME
        elif key in _CLEARABLE:
            new = value or None
            if new is None:
                candidate.forget_stored_secret(key)
        setattr(candidate, key, new)

        refusals = _refusals(key, candidate)
        if refusals:
            for line in refusals:
                _err(err, line)
            _err(err, "nothing saved")
            return 2
        for p in validate_profile(candidate):
            if p.field == key and p.severity == "warning":
                _err(err, _problem_line(p))
            elif p.severity == "confirm":
                _err(err, _problem_line(p))
                _err(err, "  to allow it: fleet-tui config set allow_insecure_http true")
        settings.replace_profile(candidate)

    notes: list[str] = []
    try:
        save_settings(settings, config_path, notes=notes)
    except ConfigError as exc:
        _err(err, f"fleet-tui config: {exc}")
        return 1
    for note in notes:
        _err(err, f"warning: {note}")
    log.info("config set %s (agent %r)", key, candidate.name)

    if key == "theme":
        shown = _display(key, settings.theme)
    elif key == "debug_log":
        shown = "true" if settings.debug_log else "false"
    elif key in ATTACHMENT_SETTINGS:
        _say(out, f"saved {key} = {getattr(settings, key):g} MB in {config_path}")
        return 0
    elif key in ("watch_interval", "nudge_terminal"):
        shown = _app_value(key, settings)
    elif key == "name":
        shown = candidate.name
    else:
        shown = _display(key, getattr(candidate, key), candidate)
    _say(out, f"saved {key} = {shown} for agent {candidate.name!r} in {config_path}")

    if key in ENV_VARS:
        try:
            resolved = resolve(environ=environ, config_path=config_path, cwd=cwd)
        except ConfigError:
            return 0
        source = resolved.sources.get(key, "")
        if source in ("environment", ".env"):
            _err(err, _env_override_note(key, source))
        for line in resolved.missing():
            _err(err, f"still needed: {line}")
    return 0


def run_config(
    action: str,
    key: str | None,
    value: str | None,
    *,
    out: IO[str],
    err: IO[str],
    stdin: IO[str] | None = None,
    config_path: Path | str | None = None,
    environ: dict[str, str] | None = None,
    cwd: Path | str | None = None,
) -> int:
    """Run `fleet-tui config ACTION [KEY [VALUE]]`; returns the exit code (0 ok, 1 I/O, 2 usage)."""
    path = Path(config_path) if config_path is not None else default_config_path()
    base = Path(cwd) if cwd is not None else None
    if action == "path":
        _say(out, str(path))
        return 0
    if action == "show":
        return _show(key, out=out, err=err, config_path=path, environ=environ, cwd=base)
    if action == "set":
        return _set(
            key,
            value,
            out=out,
            err=err,
            stdin=stdin,
            config_path=path,
            environ=environ,
            cwd=base,
        )
    _err(err, f"fleet-tui config: unknown action {action!r}; use show, set or path")
    return 2
