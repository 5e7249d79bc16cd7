"""Start LangChain's Agent Server (`langgraph dev`, in-memory runtime) on a loopback port.

Used by `fleet-tui --demo` and by the test suite. Nothing here imports Textual or the
server's own packages: the server runs in a child process, so a missing `demo` extra is
reported as `DemoUnavailable` instead of an ImportError deep inside the app.

    with running_server(folder, owner_keys=["fake-pat-owner"]) as server:
        httpx.get(f"{server.url}/ok")
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import json
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import httpx

__all__ = [
    "AUTH_SCHEME",
    "DEMO_FOLDER",
    "DEMO_GRAPH",
    "INSTALL_HINT",
    "DemoUnavailable",
    "ServerHandle",
    "ServerStartError",
    "check_demo_available",
    "demo_agent_id",
    "free_port",
    "running_server",
    "start_demo",
    "start_server",
]

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
AUTH_SCHEME = "langsmith-api-key"
DEMO_FOLDER = Path(__file__).resolve().parent
DEMO_GRAPH = "agent"
INSTALL_HINT = "pip install 'fleet-tui[demo]'"
OWNER_KEYS_ENV = "FLEET_DEMO_OWNER_KEYS"
OTHER_KEYS_ENV = "FLEET_DEMO_OTHER_KEYS"

# The server must never see the user's real LangSmith credentials: with them it would
# trace runs to LangSmith and report usage metadata over the network.
_SCRUBBED_ENV = (
    "LANGSMITH_API_KEY",
    "LANGCHAIN_API_KEY",
    "LANGGRAPH_API_KEY",
    "LANGSMITH_CONTROL_PLANE_API_KEY",
    "LANGGRAPH_CLOUD_LICENSE_KEY",
    "LANGSMITH_LICENSE_KEY",
)
_OFFLINE_ENV = {
    "LANGGRAPH_CLI_NO_ANALYTICS": "1",
    "LANGGRAPH_NO_VERSION_CHECK": "true",
    "LANGSMITH_TRACING": "false",
    "LANGSMITH_TRACING_V2": "false",
    "LANGCHAIN_TRACING": "false",
    "LANGCHAIN_TRACING_V2": "false",
    "PYTHONUNBUFFERED": "1",
    "NO_COLOR": "1",
}
_REQUIRED_MODULES = (
    "langgraph_cli",
    "langgraph_api",
    "langgraph_runtime_inmem",
    "langchain",
    "deepagents",
)

# The CLI announces the port it really bound ("- 🚀 API: http://127.0.0.1:PORT"); it moves
# to another port without failing when the requested one is taken.
_ANNOUNCED_PORT = re.compile(r"API:\s*(?:\x1b\[[0-9;]*m)?https?://[^\s/]+:(\d+)")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_PORT_TAKEN = re.compile(r"already in use|address in use|Errno 98|Errno 48", re.IGNORECASE)


class DemoUnavailable(RuntimeError):
    """The `demo` extra (LangChain's Agent Server) is not installed."""


class ServerStartError(RuntimeError):
    """The Agent Server died or did not become ready; the message ends with its log tail."""


class _PortTaken(Exception):
    pass


def check_demo_available() -> None:
    missing = [name for name in _REQUIRED_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise DemoUnavailable(
            "The local Agent Server is not installed "
            f"(missing: {', '.join(missing)}). Install it with: {INSTALL_HINT}"
        )


def free_port(host: str = HOST) -> int:
    """A port that was free a moment ago (nothing guarantees it still is)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def generate_demo_key() -> str:
    return "fleet-demo-" + secrets.token_urlsafe(24)


@dataclass
class ServerHandle:
    """A running Agent Server. Call `stop()` (or use it as a context manager)."""

    url: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    owner_keys: tuple[str, ...]
    other_keys: tuple[str, ...] = ()
    startup_seconds: float = 0.0
    assistants: dict[str, str] = field(default_factory=dict)
    """graph name -> UUID of that graph's default assistant."""
    default_graph: str | None = None
    _workdir: Path | None = field(default=None, repr=False)
    _log_file: BinaryIO | None = field(default=None, repr=False)
    _stopped: bool = field(default=False, repr=False)

    @property
    def api_key(self) -> str:
        """A key with owner rights."""
        return self.owner_keys[0]

    @property
    def agent_id(self) -> str:
        """UUID of the default graph's assistant (the demo agent for `start_demo`)."""
        graph = self.default_graph or next(iter(sorted(self.assistants)), None)
        if graph is None:
            raise LookupError("the server has no assistants")
        return self.agent_id_for(graph)

    def agent_id_for(self, graph: str) -> str:
        try:
            return self.assistants[graph]
        except KeyError:
            known = ", ".join(sorted(self.assistants)) or "none"
            raise LookupError(f"no assistant for graph {graph!r} (known: {known})") from None

    def headers(self, api_key: str | None = None) -> dict[str, str]:
        return {"X-Api-Key": api_key or self.api_key, "X-Auth-Scheme": AUTH_SCHEME}

    def log_tail(self, lines: int = 40) -> str:
        return _tail(self.log_path, lines)

    @property
    def running(self) -> bool:
        return not self._stopped and self.process.poll() is None

    def stop(self, timeout: float = 5.0) -> None:
        if self._stopped:
            return
        self._stopped = True
        atexit.unregister(self.stop)
        _terminate(self.process, timeout)
        if self._log_file is not None:
            self._log_file.close()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_server(
    folder: Path | str,
    *,
    owner_keys: Iterable[str],
    other_keys: Iterable[str] = (),
    port: int | None = None,
    log_path: Path | str | None = None,
    timeout: float = 60.0,
    env: Mapping[str, str] | None = None,
    jobs: int = 10,
    attempts: int = 3,
) -> ServerHandle:
    """Serve the graphs of `folder/langgraph.json` on loopback and wait until ready.

    `port=None` picks a free port (retrying if another process wins the race for it);
    an explicit port that turns out to be taken is an error. `env` adds variables to the
    server's environment. The server's working directory is a temporary directory, so the
    in-memory runtime's `.langgraph_api` state never lands in `folder`.
    """
    check_demo_available()
    owners = tuple(owner_keys)
    others = tuple(other_keys)
    if not owners:
        raise ValueError("at least one owner key is needed")
    folder = Path(folder).resolve()
    workdir = Path(tempfile.mkdtemp(prefix="fleet-tui-server-"))
    process: subprocess.Popen[bytes] | None = None
    log_file: BinaryIO | None = None
    handle: ServerHandle | None = None
    try:
        config_path = _prepare_config(folder, workdir)
        server_env = _server_env(owners, others, env)
        log = Path(log_path).resolve() if log_path is not None else workdir / "server.log"
        started = time.monotonic()
        deadline = started + timeout
        tries = 1 if port is not None else max(1, attempts)
        for attempt in range(tries):
            chosen = port if port is not None else free_port()
            log.parent.mkdir(parents=True, exist_ok=True)
            log_file = log.open("wb")
            process = _spawn(config_path, chosen, jobs, workdir, server_env, log_file)
            try:
                _wait_ready(process, chosen, log, deadline, timeout)
            except _PortTaken:
                _terminate(process, 5.0)
                log_file.close()
                if port is not None or attempt == tries - 1:
                    raise ServerStartError(
                        f"Port {chosen} on {HOST} is already in use.\n{_tail(log)}"
                    ) from None
                logger.info("port %s was taken before the server bound it; retrying", chosen)
                continue
            handle = ServerHandle(
                url=f"http://{HOST}:{chosen}",
                port=chosen,
                process=process,
                log_path=log,
                owner_keys=owners,
                other_keys=others,
                _workdir=workdir,
                _log_file=log_file,
            )
            atexit.register(handle.stop)
            handle.assistants = _default_assistants(handle)
            handle.startup_seconds = time.monotonic() - started
            logger.info(
                "Agent Server for %s ready at %s in %.2fs",
                folder.name,
                handle.url,
                handle.startup_seconds,
            )
            return handle
        raise AssertionError("unreachable")  # pragma: no cover
    except BaseException:
        # Whatever stopped the start (an error, Ctrl-C, SIGTERM turned into an exception by
        # fleet_tui.common.lifetime), at whichever line: nothing may outlive it.
        if handle is not None:
            handle.stop()
        elif process is not None:
            _terminate(process, 5.0)
        if log_file is not None:
            log_file.close()
        shutil.rmtree(workdir, ignore_errors=True)
        raise


@contextlib.contextmanager
def running_server(folder: Path | str, **kwargs: Any) -> Iterator[ServerHandle]:
    """`start_server(...)` as a context manager that always stops the server."""
    handle = start_server(folder, **kwargs)
    try:
        yield handle
    finally:
        handle.stop()


def start_demo(
    *,
    port: int | None = None,
    log_path: Path | str | None = None,
    timeout: float = 60.0,
    env: Mapping[str, str] | None = None,
) -> ServerHandle:
    """Start the bundled demo agent with a fresh random key (`handle.api_key`)."""
    handle = start_server(
        DEMO_FOLDER,
        owner_keys=[generate_demo_key()],
        port=port,
        log_path=log_path,
        timeout=timeout,
        env=env,
    )
    handle.default_graph = DEMO_GRAPH
    return handle


def demo_agent_id(handle: ServerHandle) -> str:
    """The demo agent's assistant id (a UUID, which `GET /assistants/{id}` requires)."""
    return handle.agent_id_for(DEMO_GRAPH)


# --- internals -------------------------------------------------------------------------


def _absolute_spec(spec: str, folder: Path) -> str:
    # "./file.py:graph" is resolved by the server against its cwd, which is not `folder`.
    path, sep, name = spec.rpartition(":")
    if not sep or not path:
        return spec
    if path.endswith((".py", ".js", ".ts")) or path.startswith((".", "/")):
        return f"{(folder / path).resolve()}:{name}"
    return spec  # a module path such as "package.module:graph"


def _prepare_config(folder: Path, workdir: Path) -> Path:
    source = folder / "langgraph.json"
    try:
        config = json.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ServerStartError(f"No langgraph.json in {folder}") from None
    deps = []
    for dep in config.get("dependencies", []):
        local = (folder / dep).resolve()
        deps.append(str(local) if dep.startswith(".") or local.is_dir() else dep)
    config["dependencies"] = deps
    graphs = {}
    for name, spec in config.get("graphs", {}).items():
        if isinstance(spec, dict):
            spec = {**spec, "path": _absolute_spec(spec["path"], folder)}
        else:
            spec = _absolute_spec(spec, folder)
        graphs[name] = spec
    config["graphs"] = graphs
    auth = config.get("auth")
    if isinstance(auth, dict) and auth.get("path"):
        config["auth"] = {**auth, "path": _absolute_spec(auth["path"], folder)}
    if isinstance(config.get("env"), str):
        config["env"] = str((folder / config["env"]).resolve())
    target = workdir / "langgraph.json"
    target.write_text(json.dumps(config, indent=2), encoding="utf-8")
    return target


def _server_env(
    owners: tuple[str, ...], others: tuple[str, ...], extra: Mapping[str, str] | None
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
    env.update(_OFFLINE_ENV)
    env[OWNER_KEYS_ENV] = ",".join(owners)
    env[OTHER_KEYS_ENV] = ",".join(others)
    # Graphs and auth files import `fleet_tui.demo...`, which must work from a source tree
    # that is not installed.
    package_root = str(DEMO_FOLDER.parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (package_root, os.environ.get("PYTHONPATH", "")) if p
    )
    if extra:
        env.update(extra)
    return env


def _spawn(
    config_path: Path,
    port: int,
    jobs: int,
    workdir: Path,
    env: dict[str, str],
    log_file: BinaryIO,
) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "langgraph_cli",
        "dev",
        "--no-browser",
        "--no-reload",
        "--host",
        HOST,
        "--port",
        str(port),
        "--n-jobs-per-worker",
        str(jobs),
        "--config",
        str(config_path),
    ]
    kwargs: dict[str, Any] = {}
    if os.name == "posix":
        # Its own process group, so stop() also reaches anything the server spawned.
        kwargs["start_new_session"] = True
    else:  # pragma: no cover - Windows
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
    return subprocess.Popen(
        command,
        cwd=workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        **kwargs,
    )


def _wait_ready(
    process: subprocess.Popen[bytes], port: int, log: Path, deadline: float, timeout: float
) -> None:
    url = f"http://{HOST}:{port}/ok"
    # trust_env=False: a proxy from the environment must never see loopback traffic.
    with httpx.Client(trust_env=False, timeout=2.0) as client:
        while True:
            text = _read(log)
            announced = _ANNOUNCED_PORT.search(text)
            if announced and int(announced.group(1)) != port:
                raise _PortTaken
            code = process.poll()
            if code is not None:
                if _PORT_TAKEN.search(text):
                    raise _PortTaken
                raise ServerStartError(
                    f"The Agent Server exited with code {code} before it was ready.\n{_tail(log)}"
                )
            # Only trust /ok once the server has said it took our port (or, if a future
            # CLI stops announcing it, has not complained about the port).
            if announced or not _PORT_TAKEN.search(text):
                try:
                    if client.get(url).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
            if time.monotonic() > deadline:
                raise ServerStartError(
                    f"The Agent Server did not answer {url} within {timeout:g}s.\n{_tail(log)}"
                )
            time.sleep(0.1)


def _default_assistants(handle: ServerHandle) -> dict[str, str]:
    found: dict[str, str] = {}
    offset = 0
    with httpx.Client(base_url=handle.url, trust_env=False, timeout=10.0) as client:
        while True:
            response = client.post(
                "/assistants/search",
                json={"limit": 100, "offset": offset},
                headers=handle.headers(),
            )
            if response.status_code != 200:
                raise ServerStartError(
                    f"POST /assistants/search answered {response.status_code}: "
                    f"{response.text[:500]}\n{handle.log_tail()}"
                )
            page = response.json()
            for assistant in page:
                metadata = assistant.get("metadata") or {}
                graph = assistant["graph_id"]
                if metadata.get("created_by") == "system" or graph not in found:
                    found[graph] = assistant["assistant_id"]
            if len(page) < 100:
                return found
            offset += len(page)


def _terminate(process: subprocess.Popen[bytes], timeout: float) -> None:
    if process.poll() is not None:
        return
    try:
        if os.name == "posix":
            os.killpg(process.pid, signal.SIGTERM)
        else:  # pragma: no cover - Windows
            process.terminate()
        process.wait(timeout)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        # Open SSE connections can keep uvicorn's graceful shutdown waiting forever.
        with contextlib.suppress(ProcessLookupError):
            if os.name == "posix":
                os.killpg(process.pid, signal.SIGKILL)
            else:  # pragma: no cover - Windows
                process.kill()
        process.wait()


def _read(log: Path) -> str:
    try:
        return log.read_bytes().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def _tail(log: Path, lines: int = 40) -> str:
    # The server colours its log even into a file; error messages should be plain text.
    text = _ANSI.sub("", _read(log)).rstrip()
    if not text:
        return "(the server log is empty)"
    return "Server log (last lines):\n" + "\n".join(text.splitlines()[-lines:])


def main() -> None:
    """Run the demo server in the foreground: `python -m fleet_tui.demo.server`."""
    from fleet_tui.common import lifetime

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    # Ctrl-C, SIGTERM and a closed terminal all stop the server (in its own session, it would
    # outlive this process otherwise).
    try:
        with lifetime.orderly_exit(), start_demo() as server:
            print(f"URL:      {server.url}")
            print(f"Agent id: {server.agent_id}")
            print(f"API key:  {server.api_key}")
            print(f"Log:      {server.log_path}")
            print("Press Ctrl-C to stop.")
            while server.running:
                time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    except lifetime.Terminated as exc:
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
