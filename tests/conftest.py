"""Shared fixtures. Keep each group in its own module and re-export it here."""

from keyring_fixture import memory_keyring, no_system_keyring  # noqa: F401
from secret_guard import pytest_runtest_makereport  # noqa: F401
from server_fixture import (  # noqa: F401
    agent_server,
    closed_port,
    closed_url,
    pytest_collection_modifyitems,
)

pytest_plugins = ["pytester"]
