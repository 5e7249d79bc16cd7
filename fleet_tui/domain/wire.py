"""Facts of the Agent Server's protocol that the settings and the client both need, in a
module that imports nothing (the settings must not pull in the HTTP stack)."""

from __future__ import annotations

# The `X-Auth-Scheme` Fleet documents for a Personal Access Token in `X-Api-Key`.
DEFAULT_AUTH_SCHEME = "langsmith-api-key"
# `messages-tuple` streams the reply token by token; `updates` carries whole messages,
# tool results and interrupts.
DEFAULT_STREAM_MODES: tuple[str, ...] = ("messages-tuple", "updates")
