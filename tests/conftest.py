"""Shared fixtures. Keep each group in its own module and re-export it here."""

from server_fixture import (  # noqa: F401
    agent_server,
    closed_port,
    closed_url,
    pytest_collection_modifyitems,
)
