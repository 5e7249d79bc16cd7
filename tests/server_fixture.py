"""The real Agent Server for tests: started once per session, serving `tests/server/`.

Fixtures (re-exported by conftest.py):
- `agent_server`: an `AgentServer` with `url`, `owner_key`, `other_key`,
  `assistant_id(graph_name)` and `headers(key=None)`; tests using it get the `server` mark.
- `closed_port` / `closed_url`: a loopback port nothing listens on (connection refused).

The exact texts the graphs produce are in `replies` (tests/server/replies.py).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pytest

from fleet_tui.demo.server import AUTH_SCHEME, ServerHandle, free_port, start_server

SERVER_FOLDER = Path(__file__).resolve().parent / "server"
OWNER_KEY = "fake-pat-owner-0000000000"
OTHER_KEY = "fake-pat-other-1111111111"


def _load_replies() -> ModuleType:
    # Loaded by path: the server imports it as a top-level `replies`, a name too generic
    # to put on the tests' own sys.path.
    name = "fleet_tui_test_replies"
    spec = importlib.util.spec_from_file_location(name, SERVER_FOLDER / "replies.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


replies = _load_replies()


@dataclass(frozen=True)
class AgentServer:
    url: str
    owner_key: str
    other_key: str
    handle: ServerHandle = field(repr=False)
    replies: ModuleType = field(default=replies, repr=False)

    def assistant_id(self, graph_name: str) -> str:
        """UUID of the default assistant of `graph_name` (see tests/server/langgraph.json)."""
        return self.handle.agent_id_for(graph_name)

    def headers(self, key: str | None = None) -> dict[str, str]:
        return {"X-Api-Key": key or self.owner_key, "X-Auth-Scheme": AUTH_SCHEME}

    @property
    def log_path(self) -> Path:
        return self.handle.log_path


@pytest.fixture(scope="session")
def agent_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentServer]:
    log = tmp_path_factory.mktemp("agent-server") / "server.log"
    handle = start_server(
        SERVER_FOLDER,
        owner_keys=[OWNER_KEY],
        other_keys=[OTHER_KEY],
        log_path=log,
        env={"FLEET_DEMO_TOKEN_DELAY": "0"},
        timeout=90,
    )
    try:
        yield AgentServer(url=handle.url, owner_key=OWNER_KEY, other_key=OTHER_KEY, handle=handle)
    finally:
        handle.stop()


@pytest.fixture
def closed_port() -> int:
    """A loopback port with no listener: connecting to it is refused."""
    return free_port()


@pytest.fixture
def closed_url(closed_port: int) -> str:
    return f"http://127.0.0.1:{closed_port}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Tests that use the real server are marked, so `-m "not server"` runs the fast ones.
    for item in items:
        if "agent_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.server)
