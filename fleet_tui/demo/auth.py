"""Fleet-like authentication for the local Agent Server.

Mirrors what a LangSmith Fleet deployment does with a Personal Access Token:
- `X-Auth-Scheme: langsmith-api-key` and a known `X-Api-Key` are required, else 401;
- a valid key of someone who is not the agent's owner gets 404 on everything.

The keys come from the environment of the server process (set by `server.py`):
`FLEET_DEMO_OWNER_KEYS` and `FLEET_DEMO_OTHER_KEYS`, comma-separated.
"""

from __future__ import annotations

import hmac
import os
from typing import Any

from langgraph_sdk import Auth

OWNER_KEYS_ENV = "FLEET_DEMO_OWNER_KEYS"
OTHER_KEYS_ENV = "FLEET_DEMO_OTHER_KEYS"
AUTH_SCHEME = "langsmith-api-key"
OWNER_IDENTITY = "fleet-demo-owner"
OTHER_IDENTITY_PREFIX = "fleet-demo-other-"

auth = Auth()


def _keys(name: str) -> list[str]:
    return [k.strip() for k in os.environ.get(name, "").split(",") if k.strip()]


def _matches(candidate: str, keys: list[str]) -> int | None:
    # Compare every key in constant time so timing does not reveal which key is close.
    found = None
    for i, key in enumerate(keys):
        if hmac.compare_digest(candidate.encode(), key.encode()):
            found = i
    return found


def _header(headers: dict[bytes, bytes], name: bytes) -> str:
    value = headers.get(name)
    return value.decode("latin-1") if value is not None else ""


@auth.authenticate
async def authenticate(headers: dict[bytes, bytes]) -> Auth.types.MinimalUserDict:
    if _header(headers, b"x-auth-scheme").strip().lower() != AUTH_SCHEME:
        raise Auth.exceptions.HTTPException(
            status_code=401, detail=f"X-Auth-Scheme must be {AUTH_SCHEME}"
        )
    key = _header(headers, b"x-api-key").strip()
    if not key:
        raise Auth.exceptions.HTTPException(status_code=401, detail="Missing X-Api-Key")
    if _matches(key, _keys(OWNER_KEYS_ENV)) is not None:
        return {"identity": OWNER_IDENTITY, "is_authenticated": True}
    other = _matches(key, _keys(OTHER_KEYS_ENV))
    if other is not None:
        return {"identity": f"{OTHER_IDENTITY_PREFIX}{other}", "is_authenticated": True}
    raise Auth.exceptions.HTTPException(status_code=401, detail="Invalid API key")


@auth.on
async def only_the_owner(ctx: Auth.types.AuthContext, value: Any) -> None:
    # Fleet answers 404 (not 403) to a valid PAT that is not tied to the agent's owner.
    # Owners get no filter at all, so thread search with any metadata works unchanged.
    if ctx.user.identity != OWNER_IDENTITY:
        raise Auth.exceptions.HTTPException(status_code=404, detail="Not Found")
