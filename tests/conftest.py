"""Shared fixtures. Keep each group in its own module and re-export it here."""

import os

from hostile_server import hostile_server  # noqa: F401
from hypothesis import settings
from keyring_fixture import memory_keyring, no_system_keyring  # noqa: F401
from secret_guard import pytest_runtest_makereport  # noqa: F401
from server_fixture import (  # noqa: F401
    agent_server,
    closed_port,
    closed_url,
    pytest_collection_modifyitems,
)
from watch_fixture import no_background_watch  # noqa: F401

pytest_plugins = ["pytester"]

# In CI every property test draws the same examples run after run, so a red CI is reproduced by
# running the same commit again; a failure prints the blob that replays it (@reproduce_failure).
settings.register_profile("ci", derandomize=True, print_blob=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")
