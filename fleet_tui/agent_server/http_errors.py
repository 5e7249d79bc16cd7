"""Failed responses and transport errors from an Agent Server, as errors a person can act on.

Every one becomes a typed `FleetError` whose message says what went wrong and what to check;
the token never appears in any of them. No Textual import here.
"""

from __future__ import annotations

import json
import time
from email.utils import parsedate_to_datetime
from typing import Literal

import httpx

from fleet_tui.agent_server.run_stream import unreadable_message
from fleet_tui.common.errors import (
    AuthenticationError,
    BadResponse,
    FleetError,
    NotFoundError,
    RateLimitedError,
    RequestRejected,
    ServerError,
    ThreadBusyError,
    UnreachableError,
)
from fleet_tui.domain.events import human_seconds
from fleet_tui.domain.wire import DEFAULT_AUTH_SCHEME

__all__ = ["Reachability", "error_for_response", "http_failure", "reachability_of"]

# What one request's outcome says about the agent's server, for a status that follows the
# last request: it answered and took the token; it could not be reached; it refused the
# token; it says the agent does not exist for this token (Fleet's answer to a non-owner).
Reachability = Literal["connected", "unreachable", "authentication failed", "not found"]


def _detail_of(response: httpx.Response) -> str:
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError):
        text = response.text.strip()
        return text[:500]
    if isinstance(body, dict):
        detail = body.get("detail", body.get("message", body))
        if isinstance(detail, list):
            parts = []
            for item in detail:
                if isinstance(item, dict):
                    loc = ".".join(str(p) for p in item.get("loc", ()) if p != "body")
                    parts.append(f"{loc}: {item.get('msg', item)}" if loc else str(item.get("msg")))
                else:
                    parts.append(str(item))
            return "; ".join(parts)
        return detail if isinstance(detail, str) else json.dumps(detail)
    return str(body)[:500]


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def error_for_response(response: httpx.Response, *, what: str, url: str) -> FleetError:
    """Turn an unsuccessful response into an error a person can act on."""
    status = response.status_code
    detail = _detail_of(response)
    if status in (401, 403):
        return AuthenticationError(
            f"Authentication failed ({status}) at {url}: check the Personal Access Token and that "
            f"the auth scheme header is '{DEFAULT_AUTH_SCHEME}'.",
            status=status,
            detail=detail,
        )
    if status == 404:
        return NotFoundError(
            f"Not found (404) while trying to {what}: the agent id or thread id may be wrong, or "
            "the Personal Access Token is not tied to the owner of this agent (Fleet answers 404 "
            "to a token that does not belong to the agent's owner).",
            status=status,
            detail=detail,
        )
    if status == 422 and "invalid assistant" in detail.lower():
        # a local server names its graphs here; Fleet answers 404 for an unknown agent
        return NotFoundError(
            f"Not found: the agent id is not an agent on {url}. {detail}",
            status=status,
            detail=detail,
        )
    if status == 409:
        return ThreadBusyError(
            "The thread is busy with another run (409): wait for it to finish, join it, "
            "or cancel it.",
            status=status,
            detail=detail,
        )
    if status == 429:
        wait = _retry_after(response)
        hint = (
            f" retry in {human_seconds(wait)}" if wait is not None else " wait a moment and retry"
        )
        return RateLimitedError(
            f"Rate limited by the server (429):{hint}.",
            status=status,
            detail=detail,
            retry_after=wait,
        )
    if status >= 500:
        return ServerError(
            f"The server failed ({status}) while trying to {what}: {detail or 'no detail given'}. "
            "Try again; if it persists, check the deployment in LangSmith.",
            status=status,
            detail=detail,
        )
    return RequestRejected(
        f"The server rejected the request to {what} ({status}): {detail or 'no detail given'}",
        status=status,
        detail=detail,
    )


def http_failure(url: str, what: str, exc: httpx.HTTPError) -> FleetError:
    """Any failure of httpx (the connection, or a body it cannot decode) as a FleetError."""
    if isinstance(exc, httpx.TransportError):
        return _unreachable(url, exc)
    return BadResponse(unreadable_message(exc, url, f"an answer to '{what}'"))


def _unreachable(url: str, exc: Exception) -> UnreachableError:
    if isinstance(exc, httpx.TimeoutException):
        reason = "the connection timed out"
    elif isinstance(exc, httpx.ConnectError):
        text = str(exc).lower()
        if "name or service" in text or "nodename" in text or "getaddrinfo" in text:
            reason = "the host name could not be resolved"
        elif "refused" in text or "all connection attempts failed" in text:
            reason = "the connection was refused (is the server running?)"
        elif "certificate" in text or "ssl" in text:
            reason = "the TLS certificate could not be verified"
        else:
            reason = "the connection failed"
    else:
        reason = f"the connection failed ({type(exc).__name__})"
    return UnreachableError(
        f"Cannot reach {url}: {reason}. Check the deployment URL and your network."
    )


def reachability_of(error: FleetError, path: str) -> Reachability | None:
    """What a failed request to `path` says about the connection; None: nothing new.

    Any answer but 401/403 means the server took the token. A 404 speaks of the agent only on
    a request that names it (reading the agent, starting a run): a deleted thread's 404 does
    not mean the token lost its agent.
    """
    if isinstance(error, UnreachableError):
        return "unreachable"
    if isinstance(error, AuthenticationError):
        return "authentication failed"
    if isinstance(error, NotFoundError):
        names_agent = path.startswith("/assistants") or path.endswith("/runs/stream")
        return "not found" if names_agent else None
    if isinstance(error, BadResponse | ServerError | RateLimitedError) or error.status is None:
        # a server failing or asking to wait, a refused redirect, a body that cannot be read:
        # the link works, but "connected" would say more than is known
        return None
    return "connected"
