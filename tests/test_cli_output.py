"""What `ask` and `threads` print: JSON safe for a terminal, stderr cleaned and redacted, and a
reader that leaves early (`| head`) ends the command quietly."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from secret_guard import SECRETS
from server_fixture import OWNER_KEY, AgentServer
from test_ask import agent_env, isolated_env, run_ask, run_cli

from fleet_tui.cli.output import json_text

# --- one JSON encoder for every line ------------------------------------------------------

RAW = "c0:\x1b c1:\x9b31m del:\x7f ls:\u2028 ps:\u2029 lone:\udc80 pair:\U0001f9e8 é 漢"


@pytest.mark.parametrize("indent", [None, 2])
def test_json_text_escapes_what_a_terminal_could_act_on(indent: int | None) -> None:
    text = json_text({"t": RAW, "k\x85": [RAW]}, indent=indent)
    assert not any(ord(c) < 0x20 and c != "\n" for c in text)
    assert not any(0x7F <= ord(c) <= 0x9F for c in text)
    assert "\u2028" not in text and "\u2029" not in text
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in text)
    text.encode("utf-8")  # a lone surrogate would make this (and the write) fail
    # readable: other non-ASCII text is kept as it is
    assert "pair:\U0001f9e8 é 漢" in text
    # lossless: the same value comes back
    assert json.loads(text) == {"t": RAW, "k\x85": [RAW]}


# --- stderr: server text cleaned and secrets masked ----------------------------------------

ESCAPES = "\x1b]0;pwned\x07 \x1b[2J \x1b]52;c;aGk=\x07 \x9b31m"


class _HostileHandler(BaseHTTPRequestHandler):
    """Echoes the request's token back inside escapes: in an error detail (`/fail/...`) or in
    a run's tool call, tool result and error event (anything else)."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        echo = f"{ESCAPES} key={self.headers.get('x-api-key')}"
        if self.path.startswith("/fail"):
            body = json.dumps({"detail": f"bad request {echo}"}).encode()
            self.send_response(400)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        call: dict[str, object] = {"id": "call-1", "name": "lookup", "args": {"q": echo}}
        events = [
            ("metadata", {"run_id": "run-1", "attempt": 1}),
            ("updates", {"model": {"messages": [ai_message(call)]}}),
            ("updates", {"tools": {"messages": [tool_message(echo)]}}),
            ("error", {"error": "ValueError", "message": f"boom {echo}"}),
        ]
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("content-location", "/runs/run-1")
        self.end_headers()
        for name, data in events:
            self.wfile.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
        self.wfile.flush()


def ai_message(call: dict[str, object]) -> dict[str, object]:
    return {"type": "ai", "id": "ai-1", "content": "", "tool_calls": [call]}


def tool_message(echo: str) -> dict[str, object]:
    return {
        "type": "tool",
        "id": "tool-1",
        "tool_call_id": "call-1",
        "name": "lookup",
        "content": f"result {echo}",
    }


@pytest.fixture
def hostile_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HostileHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _assert_clean(stderr: str) -> None:
    assert "\x1b" not in stderr and "\x07" not in stderr and "\x9b" not in stderr
    assert not [s for s in SECRETS if s in stderr]


@pytest.mark.parametrize("path", ["/fail", "/run"])
def test_stderr_of_ask_is_cleaned_and_redacted(tmp_path: Path, hostile_url: str, path: str) -> None:
    env = {
        "FLEET_API_URL": hostile_url + path,
        "FLEET_AGENT_ID": "agent",
        "LANGGRAPH_API_KEY": OWNER_KEY,
    }
    # run_ask itself fails the test if the token shows on stdout or stderr
    result = run_ask(tmp_path, "hi", env=env)
    assert result.returncode == 1, result.stderr
    _assert_clean(result.stderr)
    masked = "****" + OWNER_KEY[-4:]
    if path == "/fail":
        assert f"bad request ␛]0;pwned␇ ␛[2J ␛]52;c;aGk=␇ \ufffd31m key={masked}" in result.stderr
    else:
        lines = result.stderr.splitlines()
        assert any(line.startswith("→ tool call lookup(") and masked in line for line in lines)
        assert any(line.startswith("← lookup: result ") and masked in line for line in lines)
        assert any(
            line.startswith("✗ The agent's run failed: ValueError: boom ") and masked in line
            for line in lines
        )


# --- threads: JSON escaped, a closed stdout ends it quietly --------------------------------


def test_threads_json_escapes_c1_controls_in_titles(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    env = agent_env(agent_server, "scripted")
    title = "csi\x9b2J del\x7f dcs\x90 end"
    assert run_ask(tmp_path, "--thread", "new", title, env=env).returncode == 0
    listing = run_cli(tmp_path, "threads", "--json", env=env)
    assert listing.returncode == 0, listing.stderr
    assert not any(0x7F <= ord(c) <= 0x9F for c in listing.stdout)
    assert json.loads(listing.stdout)[0]["title"] == title


@pytest.mark.parametrize("as_json", [True, False])
def test_threads_into_a_closed_pipe_exits_quietly(
    agent_server: AgentServer, tmp_path: Path, as_json: bool
) -> None:
    env = agent_env(agent_server, "scripted")
    assert run_ask(tmp_path, "--thread", "new", "one saved", env=env).returncode == 0
    process = subprocess.Popen(
        [sys.executable, "-m", "fleet_tui", "threads", *(["--json"] if as_json else [])],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=isolated_env(tmp_path, env),
        cwd=tmp_path,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # gone before the first write, as `| head` can be
    err = process.stderr.read().decode()
    assert process.wait(timeout=30) == 141, err
    assert err == ""


def test_ask_says_when_the_stream_goes_quiet_and_when_data_comes_again() -> None:
    import io

    from fleet_tui.cli.ask_printer import ReplyPrinter
    from fleet_tui.domain.events import StreamQuiet, TextDelta

    out, err = io.StringIO(), io.StringIO()
    printer = ReplyPrinter(out, err, as_json=False)
    printer.handle(TextDelta("m", "thinking"))
    printer.handle(StreamQuiet(30.0))
    printer.handle(StreamQuiet(95.0, resumed=True))
    printer.handle(TextDelta("m", " done"))
    printer.close()
    assert out.getvalue() == "thinking done\n"
    assert err.getvalue().splitlines() == [
        "no data for 30 s; the run may still be working (Ctrl-C cancels)",
        "data again after 1 min 35 s of silence",
    ]
