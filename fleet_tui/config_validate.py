"""What is wrong with a profile, worded for a person: one place every entry point asks.

No I/O and no Textual: the CLI, the settings screen and start-up all call `validate_profile`.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from fleet_tui.config_model import DEFAULT_AUTH_SCHEME, KNOWN_STREAM_MODES, Severity

if TYPE_CHECKING:
    from fleet_tui.config_model import AgentProfile


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
