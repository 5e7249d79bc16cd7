"""Where a token could leak: the committed screenshots, redirects to another host, logs."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from secret_guard import SECRETS, screenshots_dir

from fleet_tui.agent_server.client import FleetClient, RedirectRefused

TOKEN_SHAPE = re.compile(r"lsv2_(pt|sk)_[0-9a-f]{10,}|fake-pat-[a-z]+-\d{6,}")


def test_committed_screenshots_show_no_token() -> None:
    for svg in screenshots_dir().glob("*.svg"):
        text = svg.read_text()
        assert not TOKEN_SHAPE.search(text.replace("&#160;", " ")), svg.name
        assert not any(secret in text for secret in SECRETS), svg.name


class _Recorder(BaseHTTPRequestHandler):
    seen: list[dict[str, str]]
    redirect_to: str | None

    def do_GET(self) -> None:
        self.server.seen.append(dict(self.headers))  # type: ignore[attr-defined]
        target = self.server.redirect_to  # type: ignore[attr-defined]
        if target:
            self.send_response(307)
            self.send_header("Location", target + self.path)
            self.end_headers()
        else:
            body = b'{"thread_id": "t", "status": "idle"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _serve(host: str, redirect_to: str | None) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, 0), _Recorder)
    server.seen = []  # type: ignore[attr-defined]
    server.redirect_to = redirect_to  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def second_host() -> Iterator[ThreadingHTTPServer]:
    # another loopback address is another host as far as the client is concerned
    server = _serve("127.0.0.2", None)
    yield server
    server.shutdown()


async def test_redirect_to_another_host_never_receives_the_token(
    second_host: ThreadingHTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    other = f"http://127.0.0.2:{second_host.server_address[1]}"
    first = _serve("127.0.0.1", other)
    try:
        url = f"http://127.0.0.1:{first.server_address[1]}"
        async with FleetClient(url, "agent", SECRETS[0]) as client:
            with pytest.raises(RedirectRefused) as caught:
                await client.get_thread("t")
        assert first.seen and first.seen[0].get("X-Api-Key") == SECRETS[0]
        assert second_host.seen == []  # the second host was never contacted
        assert "127.0.0.2" in str(caught.value)
        assert SECRETS[0] not in str(caught.value) and SECRETS[0] not in caplog.text
    finally:
        first.shutdown()


async def test_same_host_redirect_keeps_working() -> None:
    target = _serve("127.0.0.1", None)
    first = _serve("127.0.0.1", f"http://127.0.0.1:{target.server_address[1]}")
    try:
        # a different port on the same host is a different origin: refused as well
        url = f"http://127.0.0.1:{first.server_address[1]}"
        async with FleetClient(url, "agent", SECRETS[0]) as client:
            with pytest.raises(RedirectRefused):
                await client.get_thread("t")
        assert target.seen == []
    finally:
        first.shutdown()
        target.shutdown()


def test_the_guard_catches_a_leak(pytester: pytest.Pytester) -> None:
    tests = Path(__file__).parent
    pytester.makeconftest(
        "import sys\n"
        f"sys.path.insert(0, {str(tests)!r})\n"
        "from secret_guard import pytest_runtest_makereport  # noqa: F401\n"
    )
    pytester.makepyfile(
        "from server_fixture import OWNER_KEY\n"
        "def test_prints_it():\n"
        "    print('token', OWNER_KEY)\n"
    )
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:textual-snapshot", "--tb=no", "--show-capture=no"
    )
    result.assert_outcomes(failed=1)


# --------------------------------------------------------------------------- crashes
# A bug of ours inside the running app, with the token in a local variable of the failing frame
# (Textual's default crash output prints every local). Run as a real process on a pty, so
# everything the terminal would show is captured.
CANARY = "lsv2_pt_" + "c4a7a2y0" * 4 + "_beef"

_CRASHING_APP = """
import sys
from fleet_tui.tui.app import FleetApp

def after_first_frame(self):
    api_key = {canary!r}
    headers = {{"X-Api-Key": api_key}}
    raise RuntimeError("boom with " + api_key + " " + str(headers))

FleetApp._after_first_frame = after_first_frame
from fleet_tui.main import main
sys.exit(main({argv!r}))
"""


def _run_on_pty(code: str, env: dict[str, str], timeout: float = 60.0) -> tuple[int, str]:
    import os
    import pty
    import select
    import subprocess
    import sys
    import time

    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # the child closed the pty
                    break
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break
        code_ = proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    return code_, b"".join(chunks).decode("utf-8", "replace")


def _crash_env(tmp_path: Path, closed_url: str) -> dict[str, str]:
    import os

    root = str(Path(__file__).parent.parent)
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "TERM": "xterm-256color",
        "COLUMNS": "100",
        "LINES": "30",
        "PYTHONPATH": root,
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "FLEET_TUI_LOG_DIR": str(tmp_path / "logs"),
        "FLEET_API_URL": closed_url,
        "FLEET_AGENT_ID": "agent",
        "LANGGRAPH_API_KEY": CANARY,
    }


def test_a_crash_in_the_app_prints_one_line_and_a_redacted_report(
    tmp_path: Path, closed_url: str
) -> None:
    env = _crash_env(tmp_path, closed_url)
    status, screen = _run_on_pty(_CRASHING_APP.format(canary=CANARY, argv=[]), env)
    assert status == 70, screen[-2000:]
    assert CANARY not in screen
    assert CANARY[-12:] not in screen  # not even a piece of it
    assert "Traceback" not in screen and "api_key" not in screen
    assert "internal error (RuntimeError at" in screen
    reports = list((tmp_path / "logs").glob("crash-*.txt"))
    assert len(reports) == 1 and str(reports[0]) in screen.replace("\r\n", "").replace("\n", "")
    report = reports[0].read_text()
    assert "RuntimeError" in report and "after_first_frame" in report
    assert CANARY not in report and "****" + CANARY[-4:] in report
    assert oct(reports[0].stat().st_mode & 0o777) == oct(0o600)


def test_a_crash_outside_the_app_is_one_line_too(tmp_path: Path, closed_url: str) -> None:
    code = (
        "import sys\n"
        "import fleet_tui.tui.main as tm\n"
        "def run_tui(args):\n"
        f"    token = {CANARY!r}\n"
        "    raise KeyError(token)\n"
        "tm.run_tui = run_tui\n"
        "from fleet_tui.main import main\n"
        "sys.exit(main([]))\n"
    )
    status, screen = _run_on_pty(code, _crash_env(tmp_path, closed_url))
    assert status == 70
    assert CANARY not in screen and "Traceback" not in screen
    assert "internal error (KeyError at" in screen
    (report,) = (tmp_path / "logs").glob("crash-*.txt")
    assert CANARY not in report.read_text()


def test_the_debug_log_is_off_by_default_and_masked_when_on(
    tmp_path: Path, closed_url: str
) -> None:
    import subprocess
    import sys

    env = _crash_env(tmp_path, closed_url)
    args = [sys.executable, "-m", "fleet_tui", "ask", "hello"]
    subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    assert not (tmp_path / "logs" / "fleet-tui.log").exists()
    done = subprocess.run([*args, "--debug"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 5 and CANARY not in done.stderr + done.stdout
    log = (tmp_path / "logs" / "fleet-tui.log").read_text()
    assert "fleet_tui" in log and CANARY not in log


def test_an_exception_ending_a_thread_is_reported_not_printed(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = (
        "import threading\n"
        "from fleet_tui.common.crash import install_thread_hook\n"
        "install_thread_hook()\n"
        "def work():\n"
        f"    raise ValueError({CANARY!r})\n"
        "t = threading.Thread(target=work, name='reader'); t.start(); t.join()\n"
    )
    env = _crash_env(tmp_path, "http://127.0.0.1:9")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert "Traceback" not in done.stderr and CANARY not in done.stderr
    assert "internal error (ValueError at" in done.stderr
    (report,) = (tmp_path / "logs").glob("crash-*.txt")
    assert "in reader" in report.read_text() and CANARY not in report.read_text()


def test_the_debug_log_can_be_turned_on_in_the_settings(tmp_path: Path, closed_url: str) -> None:
    import subprocess
    import sys

    env = _crash_env(tmp_path, closed_url)
    config = [sys.executable, "-m", "fleet_tui", "config"]
    done = subprocess.run([*config, "set", "debug_log", "yes please"], env=env, capture_output=True)
    assert done.returncode == 2  # a boolean only
    subprocess.run([*config, "set", "debug_log", "true"], env=env, check=True, capture_output=True)
    shown = subprocess.run([*config, "show"], env=env, capture_output=True, text=True).stdout
    assert "Debug log: on, " in shown
    ask = [sys.executable, "-m", "fleet_tui", "ask", "hello"]
    subprocess.run(ask, env=env, capture_output=True, text=True, timeout=60)
    log = (tmp_path / "logs" / "fleet-tui.log").read_text()
    assert "fleet_tui" in log and CANARY not in log
