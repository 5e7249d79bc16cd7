"""Reading the agent's "View code snippets" samples: URL, agent id and (if written out) PAT."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from fleet_tui.common.redaction import mask_secret
from fleet_tui.settings.config_validate import (
    _ENDPOINT_RE,
    _SCHEME_RE,
    _is_placeholder,
    normalise_url,
)

log = logging.getLogger("fleet_tui.settings.config")


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
