"""What is wrong with a profile, worded for a person: one place every entry point asks.

No I/O and no Textual: the CLI, the settings screen and start-up all call `validate_profile`.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import string
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from fleet_tui.common import redaction
from fleet_tui.settings.config_model import DEFAULT_AUTH_SCHEME, KNOWN_STREAM_MODES, Severity

if TYPE_CHECKING:
    from fleet_tui.settings.config_model import AgentProfile


@dataclass(frozen=True)
class Problem:
    field: str
    message: str
    severity: Severity = "error"


_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# `name:` not followed by // or a port number
_IPV4_LIKE_RE = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$")
_SCHEME_ONLY_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+-]*):(?!//|[0-9])")
# RFC 9110 `token` characters: what a header name may hold.
_HEADER_NAME_CHARS = frozenset("!#$%&'*+.^_`|~-" + string.ascii_letters + string.digits)
_ENDPOINT_RE = re.compile(r"/(?:runs|threads|assistants|store|crons|info|ok)(?:[/?#]|$)")


# --------------------------------------------------------------------------- characters

# What a person calls each value in a message.
FIELD_NAMES = {
    "name": "the agent name",
    "url": "the deployment URL",
    "agent_id": "the agent id",
    "api_key": "the Personal Access Token",
    "auth_scheme": "the auth scheme",
    "custom_header_name": "the custom auth header name",
    "custom_header_value": "the custom auth header value",
}

_CONTROL_NAMES = {
    0x00: "NULL",
    0x07: "BELL",
    0x08: "BACKSPACE",
    0x09: "TAB",
    0x0A: "LINE FEED",
    0x0D: "CARRIAGE RETURN",
    0x1B: "ESCAPE",
    0x7F: "DELETE",
}


def describe_char(c: str) -> str:
    """`U+201D RIGHT DOUBLE QUOTATION MARK`: a character named without printing it."""
    code = ord(c)
    name = unicodedata.name(c, "") or _CONTROL_NAMES.get(code, "")
    if not name:
        name = "(a control character)" if unicodedata.category(c) == "Cc" else "(no name)"
    return f"U+{code:04X} {name}"


def _is_header_name_char(c: str) -> bool:
    return c in _HEADER_NAME_CHARS


def _printable_ascii(c: str) -> bool:
    return "!" <= c <= "~"


def _visible(c: str) -> bool:
    # Controls, format characters (zero-width spaces, direction marks), unusual spaces and
    # unassigned code points are invisible when pasted; letters of any script are not.
    return c == " " or unicodedata.category(c)[0] not in "CZ"


def first_bad_char(
    value: str, allowed: Callable[[str], bool] = _printable_ascii, *, inner_spaces: bool = False
) -> tuple[int, str] | None:
    """(index, character) of the first character `allowed` refuses, or None."""
    last = len(value) - 1
    for i, c in enumerate(value):
        if allowed(c) or (inner_spaces and c == " " and 0 < i < last):
            continue
        return i, c
    return None


def _char_problem(
    field: str,
    value: str,
    hint: str,
    allowed: Callable[[str], bool] = _printable_ascii,
    *,
    inner_spaces: bool = False,
) -> Problem | None:
    """A problem naming the first wrong character and its position, never the value itself.

    Such a character is almost always an accident of copy and paste (a smart quote, a zero-width
    space, a line break) and makes httpx fail later, far from where the value was entered.
    """
    found = first_bad_char(value, allowed, inner_spaces=inner_spaces)
    if found is None:
        return None
    index, char = found
    return Problem(
        field, f"{FIELD_NAMES[field]} has {describe_char(char)} at position {index + 1}: {hint}"
    )


def name_problem(name: str) -> Problem | None:
    """What is wrong with a name for a saved agent (it is shown in lists and the header)."""
    if not name.strip():
        return Problem("name", "the agent needs a name")
    return _char_problem("name", name, "use letters, digits and punctuation", _visible)


_TOKEN_HINT = "tokens are plain ASCII; copy it again, or type it without that character"
_HEADER_HINT = "header values are plain ASCII; remove that character"


# --------------------------------------------------------------------------- URLs


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
    if not url or _SCHEME_ONLY_RE.match(url):
        # `javascript:…` is not a host name: left as it is, so validation can say what it is
        return url
    if not _SCHEME_RE.match(url):
        url = url.lstrip("/")
        scheme = "http" if _is_loopback_host(_host_of(url)) else "https"
        url = f"{scheme}://{url}"
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.rstrip("/")
    if "@" in parts.netloc:
        # `validate_profile` refuses such a URL, but it may be shown before that (a header, an
        # error): whatever precedes the @ is masked everywhere from now on.
        redaction.remember(parts.netloc.rpartition("@")[0], parts.password)
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


def _plausible_host(host: str, port: int | None) -> bool:
    """A name with a dot, localhost, an IP address, or (e.g. a container's name) with a port.

    `not-a-url` typed as a URL becomes `https://not-a-url`, which only fails much later with a
    DNS error: a single word is taken for a host only when a port says it is one.
    """
    if _is_loopback_host(host):
        return True
    with contextlib.suppress(ValueError):
        ipaddress.ip_address(host)
        return True
    labels = host.rstrip(".").split(".")
    if len(labels) > 1:
        return all(labels)
    return port is not None and bool(host)


# What follows an optional `scheme://`, up to the path: where `user:password@` would be.
_AUTHORITY_RE = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://)?([^/?#]*)")
_CREDENTIALS = Problem(
    "url",
    "the deployment URL contains a user name or password (the part before @): remove it; "
    "the Personal Access Token has its own setting",
)


def _host_encoding_problem(host: str) -> str | None:
    """What httpx would refuse about a host name (it raises only when the client is built)."""
    if _IPV4_LIKE_RE.match(host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return "is not a valid IPv4 address"
    elif not host.isascii():
        try:
            import idna  # httpx's own encoder, used only for international host names
        except ImportError:
            return None
        try:
            idna.encode(host.lower())
        except idna.IDNAError as exc:
            return f"is not a valid international host name ({exc})"
    return None


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
    if "@" in _AUTHORITY_RE.match(p.url.strip()).group(1):  # type: ignore[union-attr]
        # Never echo it: the part before the @ is usually a password.
        return [_CREDENTIALS]
    scheme_only = _SCHEME_ONLY_RE.match(url)
    if scheme_only:
        # `javascript:…`, `mailto:…`: a scheme without //, which normalise_url would take for
        # a host name followed by a port.
        return [
            Problem(
                "url",
                "the deployment URL must start with https:// or http:// "
                f"(not {scheme_only.group(1)}:)",
            )
        ]
    bad = _char_problem(
        "url", url, "type or paste the URL again without it", _visible, inner_spaces=True
    )
    if bad:
        return [bad]
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        return [Problem("url", f"the deployment URL is not valid: {exc}")]
    if "@" in parts.netloc:
        return [_CREDENTIALS]
    try:
        port = parts.port  # raises ValueError for a non-numeric or out-of-range port
    except ValueError as exc:
        return [Problem("url", f"the deployment URL is not valid: {exc}")]
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
    if not _plausible_host(host, port):
        return [
            Problem(
                "url",
                f"the deployment URL's host {host!r} is not a full host name: use the URL from "
                "the agent's View code snippets dialog (like https://….us.langgraph.app), "
                "localhost, or an IP address",
            )
        ]
    unusable = _host_encoding_problem(host)
    if unusable:
        return [Problem("url", f"the deployment URL's host {host!r} {unusable}")]
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
    bad_id = _char_problem(
        "agent_id", agent_id, "agent ids are plain ASCII; copy it again without that character"
    )
    if not agent_id:
        problems.append(Problem("agent_id", "the agent id is empty"))
    elif bad_id:
        problems.append(bad_id)
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
        elif bad := _char_problem("api_key", p.api_key, _TOKEN_HINT):
            problems.append(bad)

    if bad := _char_problem("auth_scheme", p.auth_scheme, _HEADER_HINT, inner_spaces=True):
        problems.append(bad)
    elif not p.auth_scheme.strip():
        problems.append(
            Problem(
                "auth_scheme",
                f"the auth scheme is empty; Fleet expects {DEFAULT_AUTH_SCHEME!r}",
                "warning",
            )
        )

    name = (p.custom_header_name or "").strip()
    if name:
        if bad := _char_problem(
            "custom_header_name",
            p.custom_header_name or "",
            "a header name is letters, digits and - (like X-User-Token)",
            _is_header_name_char,
        ):
            problems.append(bad)
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
    if p.custom_header_value and (
        bad := _char_problem(
            "custom_header_value", p.custom_header_value, _HEADER_HINT, inner_spaces=True
        )
    ):
        problems.append(bad)
    if p.custom_header_value and not name:
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


@dataclass(frozen=True)
class CleartextQuestion:
    """What to ask before a token goes over plain http to another computer: the same words on
    the command line, at start-up and in the settings screen."""

    host: str
    title: str = "Send the token unencrypted?"
    confirm_label: str = "Send over http"

    @property
    def body(self) -> str:
        return (
            f"{self.host} is reached over plain http://, so your Personal Access Token would "
            "cross the network in clear text, readable by anyone on the path. Only do this on a "
            "network you trust."
        )


def cleartext_question(p: AgentProfile) -> CleartextQuestion | None:
    """The question to ask before using `p`, or None when its token needs no confirmation."""
    if not any(problem.severity == "confirm" for problem in _url_problems(p)):
        return None
    try:
        host = urlsplit(normalise_url(p.url)).hostname or p.url
    except ValueError:
        host = p.url
    return CleartextQuestion(host)
