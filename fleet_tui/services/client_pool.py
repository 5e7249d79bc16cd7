"""One client per saved agent, so that a conversation of any agent can run, be answered or be
watched whichever agent is on screen. No Textual import.

A stored agent (url, agent id) is served with the first saved profile that names it and whose
settings may be used as they are: no errors, and no token sent over plain http to another host
unless the user agreed. A client is made on first use and kept while its profile's connection
values stay the same; when the user changes them (a fixed token), the next use makes a new one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import suppress
from typing import TYPE_CHECKING

from fleet_tui.common.errors import FleetError

if TYPE_CHECKING:
    from fleet_tui.agent_server.client import FleetClient
    from fleet_tui.settings.config import AgentProfile
    from fleet_tui.storage.store import Store

Fingerprint = tuple[object, ...]


def fingerprint(profile: AgentProfile) -> Fingerprint:
    """What a client is made from: a change in any of these needs a new client."""
    return (
        profile.url,
        profile.agent_id,
        profile.api_key,
        profile.auth_scheme,
        profile.custom_header_name,
        profile.custom_header_value,
        profile.allow_insecure_http,
    )


def usable(profile: AgentProfile) -> bool:
    """Settings that may be used without asking the user anything first."""
    from fleet_tui.settings.config import validate_profile

    if not profile.url or not profile.agent_id:
        return False
    return not any(p.severity in ("error", "confirm") for p in validate_profile(profile))


class ClientPool:
    def __init__(
        self,
        store: Store,
        profiles: Callable[[], Iterable[AgentProfile]],
        *,
        configure: Callable[[FleetClient, AgentProfile], None] | None = None,
    ) -> None:
        self._store = store
        self._profiles = profiles
        self._configure = configure
        self._clients: dict[int, tuple[Fingerprint, FleetClient]] = {}
        self._retired: list[FleetClient] = []

    def profile_of(self, agent_pk: int) -> AgentProfile | None:
        """The saved profile that serves a stored agent, or None."""
        agent = self._store.get_agent(agent_pk)
        if agent is None:
            return None
        for profile in self._profiles():
            same = profile.url.rstrip("/") == agent.url.rstrip("/")
            if same and profile.agent_id == agent.agent_id and usable(profile):
                return profile
        return None

    def get(self, agent_pk: int) -> FleetClient | None:
        """The agent's client; None when no saved profile can serve it."""
        profile = self.profile_of(agent_pk)
        if profile is None:
            return None
        try:
            return self.for_profile(profile, agent_pk)
        except FleetError:
            return None

    def for_profile(self, profile: AgentProfile, agent_pk: int) -> FleetClient:
        """The client for `profile` (stored as agent `agent_pk`); `InvalidSettings` when its
        settings cannot make one."""
        from fleet_tui.services.launch import client_for

        wanted = fingerprint(profile)
        kept = self._clients.get(agent_pk)
        if kept is not None and kept[0] == wanted:
            return kept[1]
        client = client_for(profile)
        if self._configure is not None:
            self._configure(client, profile)
        if kept is not None:
            # a run may still use the old one: it is closed with the pool
            self._retired.append(kept[1])
        self._clients[agent_pk] = (wanted, client)
        return client

    def adopt(self, agent_pk: int, profile: AgentProfile, client: FleetClient) -> None:
        """Keep a client made elsewhere (runs are still using it)."""
        kept = self._clients.get(agent_pk)
        if kept is not None and kept[1] is not client:
            self._retired.append(kept[1])
        self._clients[agent_pk] = (fingerprint(profile), client)

    async def aclose(self) -> None:
        clients = [c for _, c in self._clients.values()] + self._retired
        self._clients.clear()
        self._retired.clear()
        for client in clients:
            with suppress(Exception):  # closing is best effort: the process is ending
                await client.aclose()
