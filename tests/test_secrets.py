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

from fleet_tui.client import FleetClient, RedirectRefused

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
