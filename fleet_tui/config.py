"""Settings: saved agent profiles, the environment, `.env` files, and how they combine.

Precedence (highest first): command-line flags > environment > `.env` > saved settings file.

The settings file is JSON in the platformdirs user config dir, written atomically with mode 0600
from the first byte. A Personal Access Token that comes from the environment or a `.env` file is
used but never copied into the file. No Textual import here: `fleet-tui ask` and `fleet-tui config`
must start fast and work without a terminal UI.
"""

from __future__ import annotations

import contextlib
import copy
import ipaddress
import json
import logging
import os
import re
import stat
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import platformdirs

from fleet_tui import redaction
from fleet_tui.redaction import mask_secret as mask_secret

log = logging.getLogger("fleet_tui.config")

APP_NAME = "fleet-tui"
SETTINGS_FILENAME = "settings.json"
FILE_FORMAT_VERSION = 1
DEFAULT_AUTH_SCHEME = "langsmith-api-key"
DEFAULT_STREAM_MODES: tuple[str, ...] = ("messages-tuple", "updates")
DEFAULT_PROFILE_NAME = "default"
KNOWN_STREAM_MODES = frozenset(
    {
        "values",
        "messages",
        "messages-tuple",
        "updates",
        "events",
        "debug",
        "custom",
        "tasks",
        "checkpoints",
    }
)

SECRET_FIELDS = frozenset({"api_key", "custom_header_value"})

# Environment / .env variable for each profile field; the first name that is set wins.
ENV_VARS: dict[str, tuple[str, ...]] = {
    "url": ("FLEET_API_URL",),
    "agent_id": ("FLEET_AGENT_ID",),
    "api_key": ("LANGGRAPH_API_KEY", "LANGSMITH_API_KEY"),
    "auth_scheme": ("FLEET_AUTH_SCHEME",),
    "custom_header_name": ("FLEET_CUSTOM_AUTH_HEADER",),
    "custom_header_value": ("FLEET_CUSTOM_AUTH_VALUE",),
}

Source = Literal["flag", "environment", ".env", "settings file", "default"]
Severity = Literal["error", "warning", "confirm"]


class ConfigError(Exception):
    """A settings problem the user must fix (bad --env-file, unknown profile, unwritable file)."""


# --------------------------------------------------------------------------- profiles


@dataclass(repr=False)
class AgentProfile:
    name: str
    url: str = ""
    agent_id: str = ""
    api_key: str | None = None
    auth_scheme: str = DEFAULT_AUTH_SCHEME
    custom_header_name: str | None = None
    custom_header_value: str | None = None
    stream_modes: list[str] = field(default_factory=lambda: list(DEFAULT_STREAM_MODES))
    allow_insecure_http: bool = False
    # Provenance for values that did not come from the settings file: field -> (the value that
    # was overlaid from flags/env/.env, the file's own value). `to_file_dict` writes the file's
    # value back while the field still holds the overlaid one, so saving an effective profile
    # never copies an env-provided PAT into the file, yet a value the user edits is saved.
    _overlaid: dict[str, tuple[Any, Any]] = field(default_factory=dict, compare=False, kw_only=True)

    def __repr__(self) -> str:
        parts = []
        for f in fields(self):
            if f.name.startswith("_"):
                continue
            value = getattr(self, f.name)
            if f.name in SECRET_FIELDS and value is not None:
                parts.append(f"{f.name}={mask_secret(value)!r}")
            else:
                parts.append(f"{f.name}={value!r}")
        return f"AgentProfile({', '.join(parts)})"

    __str__ = __repr__

    def copy(self) -> AgentProfile:
        return copy.deepcopy(self)

    def to_file_dict(self) -> dict[str, Any]:
        """The JSON object saved for this profile (values from env/.env/flags left out)."""
        data: dict[str, Any] = {}
        for f in fields(self):
            if f.name in ("name", "_overlaid"):
                continue
            value = getattr(self, f.name)
            if f.name in self._overlaid:
                overlaid, file_value = self._overlaid[f.name]
                if value == overlaid:
                    value = file_value
            data[f.name] = list(value) if isinstance(value, list) else value
        return data

    @classmethod
    def from_file_dict(cls, name: str, data: Mapping[str, Any]) -> tuple[AgentProfile, list[str]]:
        """Build a profile from its saved JSON; ill-typed fields are dropped with a warning."""
        profile = cls(name=name)
        warnings: list[str] = []
        for f in fields(cls):
            if f.name in ("name", "_overlaid") or f.name not in data:
                continue
            value = data[f.name]
            if f.name == "stream_modes":
                ok = isinstance(value, list) and all(isinstance(m, str) for m in value)
            elif f.name == "allow_insecure_http":
                ok = isinstance(value, bool)
            elif f.name in ("url", "agent_id", "auth_scheme"):
                ok = isinstance(value, str)
            else:
                ok = value is None or isinstance(value, str)
            if not ok:
                warnings.append(
                    f"settings file: agent {name!r} has an invalid {f.name!r} value; ignored it"
                )
                continue
            setattr(profile, f.name, list(value) if isinstance(value, list) else value)
        return profile, warnings


@dataclass
class Settings:
    profiles: dict[str, AgentProfile] = field(default_factory=dict)
    current: str | None = None
    theme: str | None = None

    def current_profile(self) -> AgentProfile | None:
        if self.current is None:
            return None
        return self.profiles.get(self.current)

    def add_profile(self, profile: AgentProfile, *, make_current: bool = False) -> None:
        """Add a new profile (ValueError if the name is taken). The first one becomes current."""
        if profile.name in self.profiles:
            raise ValueError(f"an agent named {profile.name!r} is already saved")
        self.replace_profile(profile, make_current=make_current)

    def replace_profile(self, profile: AgentProfile, *, make_current: bool = False) -> None:
        """Add or overwrite the profile with this name. The first one becomes current."""
        if not profile.name:
            raise ValueError("an agent profile needs a name")
        self.profiles[profile.name] = profile
        if make_current or self.current_profile() is None:
            self.current = profile.name

    def remove_profile(self, name: str) -> AgentProfile:
        if name not in self.profiles:
            raise ValueError(f"no saved agent named {name!r}")
        removed = self.profiles.pop(name)
        if self.current == name:
            self.current = next(iter(self.profiles), None)
        return removed

    def rename_profile(self, old: str, new: str) -> None:
        if old not in self.profiles:
            raise ValueError(f"no saved agent named {old!r}")
        new = new.strip()
        if not new:
            raise ValueError("an agent profile needs a name")
        if new == old:
            return
        if new in self.profiles:
            raise ValueError(f"an agent named {new!r} is already saved")
        # Rebuild the dict so the renamed profile keeps its place in the listing.
        renamed: dict[str, AgentProfile] = {}
        for key, prof in self.profiles.items():
            if key == old:
                prof.name = new
                renamed[new] = prof
            else:
                renamed[key] = prof
        self.profiles = renamed
        if self.current == old:
            self.current = new

    def switch(self, name: str) -> AgentProfile:
        if name not in self.profiles:
            saved = ", ".join(repr(n) for n in self.profiles) or "none"
            raise ValueError(f"no saved agent named {name!r} (saved: {saved})")
        self.current = name
        return self.profiles[name]

    def to_file_dict(self) -> dict[str, Any]:
        return {
            "version": FILE_FORMAT_VERSION,
            "current": self.current,
            "theme": self.theme,
            "profiles": {name: p.to_file_dict() for name, p in self.profiles.items()},
        }

    @classmethod
    def from_file_dict(cls, data: Any) -> tuple[Settings, list[str]]:
        """Parse the file's JSON. Raises ValueError if its overall shape is wrong."""
        if not isinstance(data, dict):
            raise ValueError("the top level is not a JSON object")
        raw_profiles = data.get("profiles", {})
        if not isinstance(raw_profiles, dict):
            raise ValueError("'profiles' is not a JSON object")
        warnings: list[str] = []
        settings = cls()
        for name, raw in raw_profiles.items():
            if not isinstance(raw, dict) or not name:
                warnings.append(f"settings file: agent {name!r} is not a valid entry; ignored it")
                continue
            profile, more = AgentProfile.from_file_dict(name, raw)
            warnings.extend(more)
            settings.profiles[name] = profile
        theme = data.get("theme")
        settings.theme = theme if isinstance(theme, str) and theme else None
        current = data.get("current")
        if isinstance(current, str) and current in settings.profiles:
            settings.current = current
        else:
            if current is not None:
                warnings.append(
                    f"settings file: the current agent {current!r} is not saved; "
                    "using the first saved agent instead"
                )
            settings.current = next(iter(settings.profiles), None)
        return settings, warnings


# --------------------------------------------------------------------------- the file


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


def load_settings(path: Path | str | None = None) -> tuple[Settings, list[str]]:
    """Read the settings file. Never raises for a bad file: returns defaults plus warnings.

    A file other users can read is tightened to 0600 (it may hold a PAT). A file that cannot be
    read or parsed is moved aside (not deleted: it may hold the only copy of a token) so the next
    save does not overwrite it.
    """
    path = Path(path) if path is not None else default_config_path()
    warnings: list[str] = []
    try:
        st = path.stat()
    except FileNotFoundError:
        log.debug("no settings file at %s; using defaults", path)
        return Settings(), warnings
    except OSError as exc:
        warnings.append(f"cannot read the settings file {path}: {exc.strerror}; using defaults")
        return Settings(), warnings

    if stat.S_ISREG(st.st_mode) and st.st_mode & 0o077:
        old_mode = stat.S_IMODE(st.st_mode)
        try:
            os.chmod(path, 0o600)
        except OSError as exc:
            warnings.append(
                f"the settings file {path} can be read by other users (mode {old_mode:04o}) "
                f"and could not be tightened ({exc.strerror}); run: chmod 600 '{path}'"
            )
        else:
            warnings.append(
                f"the settings file {path} could be read by other users (mode {old_mode:04o}); "
                "its permissions were tightened to 0600. If it holds a Personal Access Token "
                "that others could have read, consider rotating the token."
            )
            log.info("tightened permissions of %s from %04o to 0600", path, old_mode)

    try:
        text = path.read_bytes().decode("utf-8")
        settings, more = Settings.from_file_dict(json.loads(text))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
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


def save_settings(settings: Settings, path: Path | str | None = None) -> Path:
    """Write the settings atomically; the file is 0600 from its first byte. Returns the path.

    Raises ConfigError if the file cannot be written.
    """
    path = Path(path) if path is not None else default_config_path()
    payload = json.dumps(settings.to_file_dict(), indent=2, ensure_ascii=False) + "\n"
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
    log.debug("saved settings to %s: %d agent(s)", path, len(settings.profiles))
    return path


# --------------------------------------------------------------------------- validation


@dataclass(frozen=True)
class Problem:
    field: str
    message: str
    severity: Severity = "error"


_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_HEADER_NAME_RE = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_ENDPOINT_RE = re.compile(r"/(?:runs|threads|assistants|store|crons|info|ok)(?:[/?#]|$)")


def _host_of(value: str) -> str:
    host = re.split(r"[/?#]", value, maxsplit=1)[0]
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _is_loopback_host(host: str) -> bool:
    host = host.strip().lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalise_url(url: str) -> str:
    """Tidy a deployment URL: trim, add a scheme to a bare host, drop trailing slashes.

    The reference snippets show `<AGENT-BUILDER-URL>.us.langgraph.app` with no scheme, so a bare
    host becomes https://; a bare loopback host (a local `langgraph dev`) becomes http://, since
    that server does not speak TLS. Does not validate: see `validate_profile`.
    """
    url = url.strip()
    if not url:
        return ""
    if not _SCHEME_RE.match(url):
        url = url.lstrip("/")
        scheme = "http" if _is_loopback_host(_host_of(url)) else "https"
        url = f"{scheme}://{url}"
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.rstrip("/")
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc, parts.path.rstrip("/"), parts.query, parts.fragment)
    )


def is_loopback_url(url: str) -> bool:
    try:
        host = urlsplit(normalise_url(url)).hostname
    except ValueError:
        return False
    return bool(host) and _is_loopback_host(host or "")


def _is_placeholder(value: str) -> bool:
    v = value.strip()
    return bool(
        re.fullmatch(
            r"(?i)(your[-_ ].*|<[^>]*>.*|.*<[^>]*>|\$\{?\w+\}?|.*(\.\.\.|…).*|x{3,}|changeme)", v
        )
    )


def _url_problems(p: AgentProfile) -> list[Problem]:
    if not p.url.strip():
        return [Problem("url", "the deployment URL is empty")]
    url = normalise_url(p.url)
    if "<" in url or ">" in url:
        return [
            Problem(
                "url",
                "the deployment URL is still the documentation's placeholder "
                "(<AGENT-BUILDER-URL>): use the URL from your agent's View code snippets dialog",
            )
        ]
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a non-numeric or out-of-range port
    except ValueError as exc:
        return [Problem("url", f"the deployment URL is not valid: {exc}")]
    del port
    if parts.scheme not in ("http", "https"):
        return [
            Problem(
                "url",
                f"the deployment URL must start with https:// or http:// (not {parts.scheme}://)",
            )
        ]
    host = parts.hostname or ""
    if not host or any(c.isspace() for c in parts.netloc):
        return [Problem("url", "the deployment URL has no valid host name")]
    problems: list[Problem] = []
    if parts.query or parts.fragment:
        problems.append(
            Problem(
                "url", "the deployment URL has a ?query or #fragment, which is ignored", "warning"
            )
        )
    if parts.scheme == "http" and not _is_loopback_host(host) and not p.allow_insecure_http:
        if p.api_key:
            problems.append(
                Problem(
                    "url",
                    f"{host} is reached over plain http://, so the Personal Access Token would "
                    "be sent unencrypted: use https://, or confirm to send it in cleartext",
                    "confirm",
                )
            )
        else:
            problems.append(
                Problem(
                    "url",
                    f"{host} is reached over plain http://: a Personal Access Token would be "
                    "sent unencrypted; use https:// if the deployment supports it",
                    "warning",
                )
            )
    return problems


def validate_profile(p: AgentProfile) -> list[Problem]:
    """Problems with a profile, worded for a person. Secrets never appear in the messages."""
    problems = _url_problems(p)

    agent_id = p.agent_id.strip()
    if not agent_id:
        problems.append(Problem("agent_id", "the agent id is empty"))
    elif _is_placeholder(agent_id):
        problems.append(
            Problem(
                "agent_id",
                f"the agent id {agent_id!r} is the documentation's placeholder: use the id "
                "from your agent's View code snippets dialog",
            )
        )
    else:
        try:
            uuid.UUID(agent_id)
        except ValueError:
            problems.append(
                Problem(
                    "agent_id",
                    f"the agent id {agent_id!r} is not a UUID; Fleet agent ids are UUIDs "
                    "(a local development server also accepts a graph name)",
                    "warning",
                )
            )

    if p.api_key is not None:
        if not p.api_key.strip():
            problems.append(Problem("api_key", "the Personal Access Token is empty"))
        elif _is_placeholder(p.api_key):
            problems.append(
                Problem(
                    "api_key",
                    "the Personal Access Token is a placeholder, not a real token",
                )
            )
        elif any(c.isspace() for c in p.api_key.strip()) or p.api_key != p.api_key.strip():
            problems.append(
                Problem("api_key", "the Personal Access Token contains spaces or line breaks")
            )

    if not p.auth_scheme.strip():
        problems.append(
            Problem(
                "auth_scheme",
                f"the auth scheme is empty; Fleet expects {DEFAULT_AUTH_SCHEME!r}",
                "warning",
            )
        )

    name = (p.custom_header_name or "").strip()
    if name:
        if not _HEADER_NAME_RE.match(name):
            problems.append(
                Problem("custom_header_name", f"{name!r} is not a valid HTTP header name")
            )
        elif name.lower() in ("x-api-key", "x-auth-scheme"):
            problems.append(
                Problem(
                    "custom_header_name",
                    f"the custom auth header cannot be {name!r}: the client already sends it",
                )
            )
        if not p.custom_header_value:
            problems.append(
                Problem(
                    "custom_header_value",
                    f"the custom auth header {name!r} has no value",
                )
            )
    elif p.custom_header_value:
        problems.append(
            Problem(
                "custom_header_name",
                "a custom auth header value is set but no header name, so it is not sent",
                "warning",
            )
        )

    if not p.stream_modes:
        problems.append(Problem("stream_modes", "no stream modes are set"))
    else:
        unknown = [m for m in p.stream_modes if m not in KNOWN_STREAM_MODES]
        if unknown:
            problems.append(
                Problem(
                    "stream_modes",
                    f"unknown stream mode(s) {', '.join(unknown)}; known: "
                    f"{', '.join(sorted(KNOWN_STREAM_MODES))}",
                    "warning",
                )
            )
    return problems


# --------------------------------------------------------------------------- resolution


_MISSING_HINTS = {
    "url": (
        "no deployment URL: pass --url, set FLEET_API_URL, or run `fleet-tui config set url URL`"
    ),
    "agent_id": (
        "no agent id: pass --agent-id, set FLEET_AGENT_ID, "
        "or run `fleet-tui config set agent_id ID`"
    ),
    "api_key": (
        "no Personal Access Token: set LANGGRAPH_API_KEY in the environment or a .env file, "
        "or save it in the settings (`fleet-tui config set api_key -` or the settings screen)"
    ),
}


@dataclass(repr=False)
class Resolved:
    profile: AgentProfile
    sources: dict[str, str]
    settings: Settings
    warnings: list[str] = field(default_factory=list)
    env_file: Path | None = None
    config_path: Path | None = None

    def missing(self) -> list[str]:
        out = []
        for name in ("url", "agent_id", "api_key"):
            value = getattr(self.profile, name)
            if not (value or "").strip():
                out.append(_MISSING_HINTS[name])
        if self.profile.custom_header_name and not self.profile.custom_header_value:
            out.append(
                f"no value for the custom auth header {self.profile.custom_header_name!r}: set "
                "FLEET_CUSTOM_AUTH_VALUE or run `fleet-tui config set custom_header_value -`"
            )
        return out

    def problems(self) -> list[Problem]:
        return validate_profile(self.profile)

    def __repr__(self) -> str:
        return (
            f"Resolved(profile={self.profile!r}, sources={self.sources!r}, "
            f"settings={self.settings!r}, warnings={self.warnings!r}, "
            f"env_file={self.env_file!r}, config_path={self.config_path!r})"
        )

    __str__ = __repr__


def _lookup(values: Mapping[str, str | None], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = values.get(name)
        # An empty assignment (`LANGGRAPH_API_KEY=`) means "not set", as most tools treat it.
        if value is not None and value.strip():
            return value.strip()
    return None


def _read_env_file(path: Path) -> dict[str, str | None]:
    try:
        from dotenv import dotenv_values  # only when there is a file to read

        # dotenv_values parses only; unlike load_dotenv it never touches os.environ.
        return dict(dotenv_values(path))
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ConfigError(f"cannot read the env file {path}: {reason}") from None


def resolve(
    *,
    url: str | None = None,
    agent_id: str | None = None,
    env_file: Path | str | None = None,
    profile: str | None = None,
    environ: Mapping[str, str] | None = None,
    config_path: Path | str | None = None,
    cwd: Path | str | None = None,
) -> Resolved:
    """Combine flags > environment > .env > saved settings into one effective profile.

    Raises ConfigError for an `env_file` that does not exist or a `profile` that is not saved.
    Missing values are not an error here: see `Resolved.missing()`.
    """
    environ = dict(os.environ if environ is None else environ)
    base_dir = Path(cwd) if cwd is not None else Path.cwd()

    dotenv: dict[str, str | None] = {}
    env_path: Path | None = None
    if env_file is not None:
        env_path = Path(env_file)
        if not env_path.is_absolute():
            env_path = base_dir / env_path
        if not env_path.is_file():
            raise ConfigError(f"the env file {env_path} does not exist")
        dotenv = _read_env_file(env_path)
    elif (base_dir / ".env").is_file():
        env_path = base_dir / ".env"
        dotenv = _read_env_file(env_path)

    path = Path(config_path) if config_path is not None else default_config_path()
    settings, warnings = load_settings(path)

    if profile is not None:
        if profile not in settings.profiles:
            saved = ", ".join(repr(n) for n in settings.profiles) or "none"
            raise ConfigError(f"no saved agent named {profile!r} (saved: {saved})")
        base: AgentProfile | None = settings.profiles[profile]
    else:
        base = settings.current_profile()

    if base is not None:
        effective = base.copy()
        effective._overlaid = {}
        # Empty strings and None are "not set"; anything else in the file counts as the user's,
        # even when it equals the default.
        sources: dict[str, str] = {
            f.name: (
                "settings file"
                if getattr(base, f.name) not in ("", None) or f.name == "allow_insecure_http"
                else "default"
            )
            for f in fields(AgentProfile)
            if f.name not in ("name", "_overlaid")
        }
    else:
        effective = AgentProfile(name=DEFAULT_PROFILE_NAME)
        sources = {
            f.name: "default" for f in fields(AgentProfile) if f.name not in ("name", "_overlaid")
        }

    for values in (dotenv, environ):
        for name in SECRET_FIELDS:
            redaction.remember(*(values.get(var) for var in ENV_VARS[name]))
    layers: list[tuple[str, Mapping[str, str | None]]] = [
        (".env", dotenv),
        ("environment", environ),
        ("flag", {"url": url, "agent_id": agent_id}),
    ]
    for source, values in layers:
        for name, env_names in ENV_VARS.items():
            keys = (name,) if source == "flag" else env_names
            value = _lookup(values, keys)
            if value is None:
                continue
            if name == "url":
                value = normalise_url(value)
            if name not in effective._overlaid:
                file_value = getattr(base, name) if base is not None else getattr(effective, name)
                effective._overlaid[name] = (value, file_value)
            else:
                effective._overlaid[name] = (value, effective._overlaid[name][1])
            setattr(effective, name, value)
            sources[name] = source

    if effective.url and "url" not in effective._overlaid:
        effective.url = normalise_url(effective.url)

    log.debug(
        "resolved agent %r; sources: %s",
        effective.name,
        ", ".join(f"{k}={v}" for k, v in sources.items()),
    )
    return Resolved(
        profile=effective,
        sources=sources,
        settings=settings,
        warnings=warnings,
        env_file=env_path,
        config_path=path,
    )


# --------------------------------------------------------------------------- snippets


class SnippetError(ValueError):
    pass


@dataclass(frozen=True, repr=False)
class SnippetValues:
    url: str | None
    agent_id: str
    api_key: str | None

    def __repr__(self) -> str:
        key = mask_secret(self.api_key) if self.api_key is not None else None
        return f"SnippetValues(url={self.url!r}, agent_id={self.agent_id!r}, api_key={key!r})"

    def placeholders(self) -> list[str]:
        """Fields still holding the documentation's placeholders instead of real values."""
        out = []
        if self.url is not None and ("<" in self.url or ">" in self.url):
            out.append("url")
        if _is_placeholder(self.agent_id):
            out.append("agent_id")
        return out

    __str__ = __repr__


_Q = r"""\\?["'`]"""  # a quote, possibly backslash-escaped inside a shell-quoted JSON body
_AGENT_ID_RES = [
    re.compile(rf"(?<![\w.])(?:agent_id|agentId|AGENT_ID)\s*(?::\s*str)?\s*=\s*{_Q}([^\"'`\\\s]+)"),
    re.compile(rf"{_Q}?(?<![\w])(?:assistant_id|assistantId){_Q}?\s*[:=]\s*{_Q}([^\"'`\\\s]+)"),
    re.compile(rf"(?<![\w.])(?:agentId|agent_id)\s*:\s*{_Q}([^\"'`\\\s]+)"),
]
_URL_RES = [
    re.compile(
        rf"(?<![\w.])(?:api_url|apiUrl|API_URL|deployment_url|url)\s*(?::\s*str)?\s*[:=]\s*"
        rf"{_Q}([^\"'`\\\s]+)"
    ),
    re.compile(r"--url[=\s]+[\"']?([^\"'\\\s]+)"),
]
_BARE_URL_RE = re.compile(r"https?://[^\s\"'`\\<>]+")
_API_KEY_RES = [
    re.compile(rf"(?<![\w.])(?:api_key|apiKey)\s*(?::\s*str)?\s*[:=]\s*{_Q}([^\"'`\\\s]+)"),
    re.compile(r"(?i)x-api-key\\?[\"']?\s*:\s*\\?[\"']?([^\"'`\\\s,}]+)"),
]


def _first(patterns: list[re.Pattern[str]], text: str) -> str | None:
    for pattern in patterns:
        m = pattern.search(text)
        if m:
            return m.group(1)
    return None


def _strip_endpoint(url: str) -> str:
    # The cURL sample's URL includes the endpoint (/runs/stream); keep only the deployment root.
    scheme = ""
    m = _SCHEME_RE.match(url)
    if m:
        scheme, url = m.group(0), url[m.end() :]
    slash = url.find("/")
    if slash >= 0:
        host, path = url[:slash], url[slash:]
        found = _ENDPOINT_RE.search(path)
        if found:
            path = path[: found.start()]
        url = host + path
    return scheme + url


def parse_snippet(text: str) -> SnippetValues:
    """Pull the agent id, deployment URL and (if written out) the PAT from a pasted code snippet.

    Accepts the Python, TypeScript and cURL samples of the agent's "View code snippets" dialog,
    multi-line or flattened onto one line. A placeholder PAT (`your-personal-access-token`,
    `os.getenv(...)`) comes back as None; a placeholder URL or agent id comes back as written,
    so the caller can show it and `validate_profile` can say what is wrong (see `placeholders`).
    """
    agent_id = _first(_AGENT_ID_RES, text)
    if not agent_id:
        raise SnippetError(
            "no agent id found in the pasted text: paste the whole snippet from the agent's "
            "View code snippets dialog"
        )
    raw_url = _first(_URL_RES, text)
    if raw_url is None:
        bare = _BARE_URL_RE.search(text)
        raw_url = bare.group(0) if bare else None
    url: str | None = None
    if raw_url:
        url = normalise_url(_strip_endpoint(raw_url.strip()))

    api_key = _first(_API_KEY_RES, text)
    if api_key is not None and _is_placeholder(api_key):
        api_key = None

    log.debug(
        "parsed a snippet: url %s, api key %s",
        "found" if url else "not found",
        "found" if api_key else "not found",
    )
    return SnippetValues(url=url, agent_id=agent_id, api_key=api_key)
