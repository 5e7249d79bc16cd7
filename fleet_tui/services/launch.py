"""What every command does first: work out which agent to talk to, from flags, the
environment, a .env file, the saved settings, or the bundled demo. No Textual import."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from fleet_tui.agent_server.client import FleetClient

from fleet_tui.common.errors import FleetError, InvalidSettings
from fleet_tui.common.redaction import redact
from fleet_tui.common.sanitize import print_err
from fleet_tui.settings.config import (
    AgentProfile,
    ConfigError,
    Resolved,
    cleartext_question,
    resolve,
    validate_profile,
)


class SetupError(Exception):
    """Settings are missing or invalid; `str()` says which and how to fix it."""


@dataclass
class Target:
    profile: AgentProfile
    warnings: list[str] = field(default_factory=list)
    resolved: Resolved | None = None
    demo: bool = False

    def client(self, **kw: object) -> FleetClient:
        return client_for(self.profile, **kw)


_FIX_HINT = "fix it in the settings (ctrl+o, or `fleet-tui config set`)"


def client_for(profile: AgentProfile, **kw: object) -> FleetClient:
    """A client for a profile's deployment, agent, token and custom auth header.

    Never raises anything but `InvalidSettings` for the profile: a profile with errors gets no
    client, and whatever FleetClient or httpx refuses beyond those checks is turned into words
    here, not a traceback in the caller.
    """
    errors = [p.message for p in validate_profile(profile) if p.severity == "error"]
    if errors:
        raise InvalidSettings(f"{'; '.join(errors)}: {_FIX_HINT}")
    custom = (
        (profile.custom_header_name, profile.custom_header_value)
        if profile.custom_header_name and profile.custom_header_value
        else None
    )
    try:
        from fleet_tui.agent_server.client import FleetClient

        return FleetClient(
            profile.url,
            profile.agent_id,
            profile.api_key,
            auth_scheme=profile.auth_scheme,
            custom_header=custom,
            **kw,  # type: ignore[arg-type]
        )
    except FleetError:
        raise
    except Exception as exc:
        # The text of httpx's error names the URL part it refused; header values it refuses are
        # never quoted (UnicodeEncodeError says only "position N"), and known secrets are masked.
        reason = redact(str(exc)) or type(exc).__name__
        # `from None`: the original's frames hold the token in their local variables.
        raise InvalidSettings(
            f"the settings cannot be used to connect ({reason}): {_FIX_HINT}"
        ) from None


def resolve_target(args: argparse.Namespace, *, require_complete: bool = True) -> Target:
    """Settings with the documented precedence. Raises SetupError naming what is missing."""
    try:
        resolved = resolve(
            url=getattr(args, "url", None),
            agent_id=getattr(args, "agent_id", None),
            env_file=getattr(args, "env_file", None),
        )
    except (OSError, ValueError, ConfigError) as exc:
        raise SetupError(str(exc)) from None
    target = Target(resolved.profile, list(resolved.warnings), resolved)
    if not require_complete:
        return target
    missing = resolved.missing()
    if missing:
        raise SetupError("\n".join(missing))
    errors = [p for p in resolved.problems() if p.severity == "error"]
    if errors:
        raise SetupError("\n".join(p.message for p in errors))
    return target


def confirm_cleartext(target: Target, *, stdin: TextIO, err: TextIO) -> bool:
    """A token over plain http to a non-loopback host needs the user's explicit yes."""
    question = cleartext_question(target.profile)
    if question is None:
        return True
    print_err(question.body, err)
    if not stdin.isatty():
        print_err(
            "refusing to send the token in cleartext without confirmation; use an "
            "https:// URL, or confirm once in a terminal (or `fleet-tui config set "
            "allow_insecure_http true`).",
            err,
        )
        return False
    err.write(f"{question.title} [y/N] ")
    err.flush()
    answer = stdin.readline().strip().lower()
    if answer in ("y", "yes"):
        target.profile.allow_insecure_http = True
        return True
    return False


@contextlib.contextmanager
def demo_target(err: TextIO = sys.stderr) -> Iterator[Target]:
    """Start the bundled demo agent on a local Agent Server for the duration of a command."""
    from fleet_tui.demo.server import DemoUnavailable, start_demo

    print("fleet-tui: starting the demo agent on a local Agent Server…", file=err)
    try:
        handle = start_demo()
    except DemoUnavailable as exc:
        raise SetupError(str(exc)) from None
    try:
        profile = AgentProfile(
            name="demo",
            url=handle.url,
            agent_id=handle.agent_id_for("agent"),
            api_key=handle.api_key,
            # a throwaway token for a server that lives as long as this command
            _session_only=True,
        )
        yield Target(profile, demo=True)
    finally:
        handle.stop()
