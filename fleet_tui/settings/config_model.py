"""Settings values: agent profiles and the saved settings, as plain data. No I/O, no Textual."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from fleet_tui.common.redaction import mask_secret
from fleet_tui.domain.attachments import DEFAULT_COPY_MAX_MB, DEFAULT_MAX_MB, AttachmentRules
from fleet_tui.domain.wire import DEFAULT_AUTH_SCHEME, DEFAULT_STREAM_MODES

APP_NAME = "fleet-tui"
SETTINGS_FILENAME = "settings.json"
FILE_FORMAT_VERSION = 1
DEFAULT_PROFILE_NAME = "default"
DEFAULT_WATCH_INTERVAL = 60.0
MIN_WATCH_INTERVAL = 5.0
MAX_WATCH_INTERVAL = 86_400.0
# the largest attachment a setting may allow (a request body of base64 grows by a third)
MAX_ATTACHMENT_MB = 500.0
ATTACHMENT_SETTINGS = ("attachment_max_mb", "attachment_copy_max_mb")
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
# In a saved profile: {secret field: keyring account} for the secrets kept in the system keyring.
KEYRING_KEY = "keyring"

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


def attachment_mb_problem(key: str, value: object) -> str | None:
    """Why `value` is not a size for the attachment setting `key`, or None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return f"{key} takes a number of megabytes"
    low = 0 if key == "attachment_copy_max_mb" else 0.001
    if not low <= value <= MAX_ATTACHMENT_MB:
        return f"{key} takes {low:g} to {MAX_ATTACHMENT_MB:g} megabytes"
    return None


class ConfigError(Exception):
    """A settings problem the user must fix (bad --env-file, unknown profile, unwritable file)."""


def valid_watch_interval(value: object) -> bool:
    """0 (the watch is off) or a number of seconds within the allowed range."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return value == 0 or MIN_WATCH_INTERVAL <= value <= MAX_WATCH_INTERVAL


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
    # Secrets kept in the system keyring: field -> (keyring account, the value stored there, or
    # None while it could not be read). Kept up to date by loading and saving the file only.
    _keyring: dict[str, tuple[str, str | None]] = field(
        default_factory=dict, compare=False, kw_only=True
    )
    # Made for one session (the demo): its secrets never go to the system keyring.
    _session_only: bool = field(default=False, compare=False, kw_only=True)

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

    @property
    def session_only(self) -> bool:
        """Made for one session (the demo's agent): never written to the lasting settings."""
        return self._session_only

    def copy(self) -> AgentProfile:
        return copy.deepcopy(self)

    def forget_stored_secret(self, name: str) -> None:
        """The user cleared this secret: a keyring copy that could not be read is not kept."""
        self._keyring.pop(name, None)

    def to_file_dict(self) -> dict[str, Any]:
        """The JSON object saved for this profile (values from env/.env/flags left out)."""
        data: dict[str, Any] = {}
        for name in PROFILE_FIELDS:
            value = getattr(self, name)
            if name in self._overlaid:
                overlaid, file_value = self._overlaid[name]
                if value == overlaid:
                    value = file_value
            data[name] = list(value) if isinstance(value, list) else value
        return data

    @classmethod
    def from_file_dict(cls, name: str, data: Mapping[str, Any]) -> tuple[AgentProfile, list[str]]:
        """Build a profile from its saved JSON; ill-typed fields are dropped with a warning."""
        profile = cls(name=name)
        warnings: list[str] = []
        for key in PROFILE_FIELDS:
            if key not in data:
                continue
            value = data[key]
            if key == "stream_modes":
                ok = isinstance(value, list) and all(isinstance(m, str) for m in value)
            elif key == "allow_insecure_http":
                ok = isinstance(value, bool)
            elif key in ("url", "agent_id", "auth_scheme"):
                ok = isinstance(value, str)
            else:
                ok = value is None or isinstance(value, str)
            if not ok:
                warnings.append(
                    f"settings file: agent {name!r} has an invalid {key!r} value; ignored it"
                )
                continue
            setattr(profile, key, list(value) if isinstance(value, list) else value)
        # Which secrets live in the system keyring (by account name): read by the file layer.
        stored = data.get(KEYRING_KEY, {})
        if not isinstance(stored, dict):
            stored = {}
            warnings.append(f"settings file: agent {name!r} has an invalid keyring entry")
        for key, account in stored.items():
            if key in SECRET_FIELDS and isinstance(account, str) and account:
                profile._keyring[key] = (account, None)
        return profile, warnings


PROFILE_FIELDS: tuple[str, ...] = tuple(
    f.name for f in fields(AgentProfile) if f.name != "name" and not f.name.startswith("_")
)


@dataclass
class Settings:
    profiles: dict[str, AgentProfile] = field(default_factory=dict)
    current: str | None = None
    theme: str | None = None
    # a masked debug log in the log folder (crash.setup_logging); off unless asked for
    debug_log: bool = False
    # seconds between the background watch's looks at each saved agent; 0 turns it off
    watch_interval: float = DEFAULT_WATCH_INTERVAL
    # nudges also ring the terminal bell and ask the terminal for a desktop notification
    # (OSC 9 / OSC 777); a toast is shown regardless
    nudge_terminal: bool = False
    # the largest file that can be attached to a message (and the most one message may carry)
    attachment_max_mb: float = DEFAULT_MAX_MB
    # attached files up to this size are copied into the local store; a larger one is kept as
    # a reference to its path (0: never copied)
    attachment_copy_max_mb: float = DEFAULT_COPY_MAX_MB

    def attachment_rules(self) -> AttachmentRules:
        return AttachmentRules(self.attachment_max_mb, self.attachment_copy_max_mb)

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
            "debug_log": self.debug_log,
            "watch_interval": self.watch_interval,
            "nudge_terminal": self.nudge_terminal,
            "attachment_max_mb": self.attachment_max_mb,
            "attachment_copy_max_mb": self.attachment_copy_max_mb,
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
        settings.debug_log = data.get("debug_log") is True
        settings.nudge_terminal = data.get("nudge_terminal") is True
        interval = data.get("watch_interval", DEFAULT_WATCH_INTERVAL)
        if valid_watch_interval(interval):
            settings.watch_interval = float(interval)
        else:
            warnings.append(
                f"settings file: watch_interval must be 0 (off) or {MIN_WATCH_INTERVAL:g} to "
                f"{MAX_WATCH_INTERVAL:g} seconds; using {DEFAULT_WATCH_INTERVAL:g}"
            )
        for key in ATTACHMENT_SETTINGS:
            if key not in data:
                continue
            problem = attachment_mb_problem(key, data[key])
            if problem:
                warnings.append(f"settings file: {problem}; using {getattr(settings, key):g}")
            else:
                setattr(settings, key, float(data[key]))
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
