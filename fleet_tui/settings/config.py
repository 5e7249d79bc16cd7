"""Settings: saved agent profiles, the environment, `.env` files, and how they combine.

Precedence (highest first): command-line flags > environment > `.env` > saved settings file.

The settings file is JSON in the platformdirs user config dir, written atomically with mode 0600
from the first byte. A Personal Access Token that comes from the environment or a `.env` file is
used but never copied into the file. No Textual import here: `fleet-tui ask` and `fleet-tui config`
must start fast and work without a terminal UI.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from fleet_tui.common import redaction
from fleet_tui.common.redaction import mask_secret
from fleet_tui.settings.config_file import default_config_path, load_settings, save_settings
from fleet_tui.settings.config_model import (
    APP_NAME,
    DEFAULT_AUTH_SCHEME,
    DEFAULT_PROFILE_NAME,
    DEFAULT_STREAM_MODES,
    ENV_VARS,
    FILE_FORMAT_VERSION,
    KNOWN_STREAM_MODES,
    PROFILE_FIELDS,
    SECRET_FIELDS,
    SETTINGS_FILENAME,
    AgentProfile,
    ConfigError,
    Settings,
    Severity,
    Source,
)
from fleet_tui.settings.config_snippet import SnippetError, SnippetValues, parse_snippet
from fleet_tui.settings.config_validate import (
    CleartextQuestion,
    Problem,
    cleartext_question,
    is_loopback_url,
    normalise_url,
    validate_profile,
)

__all__ = [
    "APP_NAME",
    "DEFAULT_AUTH_SCHEME",
    "DEFAULT_PROFILE_NAME",
    "DEFAULT_STREAM_MODES",
    "ENV_VARS",
    "FILE_FORMAT_VERSION",
    "KNOWN_STREAM_MODES",
    "SECRET_FIELDS",
    "SETTINGS_FILENAME",
    "AgentProfile",
    "CleartextQuestion",
    "ConfigError",
    "Problem",
    "Resolved",
    "Settings",
    "Severity",
    "SnippetError",
    "SnippetValues",
    "Source",
    "cleartext_question",
    "default_config_path",
    "is_loopback_url",
    "load_settings",
    "mask_secret",
    "normalise_url",
    "parse_snippet",
    "resolve",
    "save_settings",
    "validate_profile",
]

log = logging.getLogger("fleet_tui.settings.config")


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
        """`validate_profile`, each message saying where a value from outside the file came from
        (a bad token in LANGGRAPH_API_KEY is fixed there, not in the settings)."""
        out = []
        for problem in validate_profile(self.profile):
            where = self.origin(problem.field)
            if where:
                problem = Problem(problem.field, f"{problem.message} ({where})", problem.severity)
            out.append(problem)
        return out

    def origin(self, name: str) -> str:
        """Where a value that did not come from the settings file was set, or ""."""
        source = self.sources.get(name)
        if source == "flag":
            return f"from the --{name.replace('_', '-')} flag"
        if source not in ("environment", ".env"):
            return ""
        variables = " or ".join(ENV_VARS.get(name, ()))
        if source == "environment":
            return f"from {variables} in the environment"
        return f"from {variables} in {self.env_file or 'the .env file'}"

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
            name: (
                "settings file"
                if getattr(base, name) not in ("", None) or name == "allow_insecure_http"
                else "default"
            )
            for name in PROFILE_FIELDS
        }
    else:
        effective = AgentProfile(name=DEFAULT_PROFILE_NAME)
        sources = dict.fromkeys(PROFILE_FIELDS, "default")

    for outside in (dotenv, environ):
        for name in SECRET_FIELDS:
            redaction.remember(*(outside.get(var) for var in ENV_VARS[name]))
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
