"""Tokens, header values and URLs are checked where they enter: the environment, `.env`, flags,
the settings file; the message names the wrong character and its position, never the value.
A profile that is wrong gets no client, and building a client never raises anything but
`InvalidSettings`."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from fleet_tui.common.errors import FleetError, InvalidSettings
from fleet_tui.services.launch import SetupError, client_for, resolve_target
from fleet_tui.settings.config import AgentProfile, validate_profile

AGENT_ID = "3f2b9c1e-7a44-4d2b-9a1e-5c6d7e8f9a0b"
URL = "https://my-agent-1a2b3c.us.langgraph.app"
GOOD_PAT = "lsv2_pt_entrytest0123456789abcdef0123"
# a smart quote pasted with the token, at position 41
SMART_PAT = "lsv2_pt_entrytest0123456789abcdef0123456\u201d"
ZWSP_PAT = "lsv2_pt_entry\u200btest0123456789abcdef"
ENV_KEYS = (
    "LANGGRAPH_API_KEY",
    "LANGSMITH_API_KEY",
    "FLEET_API_URL",
    "FLEET_AGENT_ID",
    "FLEET_AUTH_SCHEME",
    "FLEET_CUSTOM_AUTH_HEADER",
    "FLEET_CUSTOM_AUTH_VALUE",
)
BAD_URLS = ["https://host.example.com:443x", "javascript:alert(document.cookie)"]


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def errors_of(**kwargs: object) -> dict[str, str]:
    base: dict[str, object] = {"name": "x", "url": URL, "agent_id": AGENT_ID, "api_key": GOOD_PAT}
    base.update(kwargs)
    profile = AgentProfile(**base)  # type: ignore[arg-type]
    return {p.field: p.message for p in validate_profile(profile) if p.severity == "error"}


def args(**kw: object) -> argparse.Namespace:
    return argparse.Namespace(url=None, agent_id=None, env_file=None, **kw)


# --------------------------------------------------------------------------- one check


def test_a_smart_quote_in_the_token_is_named_with_its_position() -> None:
    assert SMART_PAT.index("\u201d") == 40
    message = errors_of(api_key=SMART_PAT)["api_key"]
    assert message.startswith(
        "the Personal Access Token has U+201D RIGHT DOUBLE QUOTATION MARK at position 41"
    )
    assert GOOD_PAT[:20] not in message and "lsv2" not in message


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("api_key", ZWSP_PAT, "has U+200B ZERO WIDTH SPACE at position 14"),
        ("api_key", GOOD_PAT + "\x1b[2J", "has U+001B ESCAPE at position 38"),
        ("api_key", " " + GOOD_PAT, "has U+0020 SPACE at position 1"),
        ("auth_scheme", "langsmith\u2011api-key", "has U+2011 NON-BREAKING HYPHEN at position 10"),
        ("agent_id", AGENT_ID + "\u200b", "has U+200B ZERO WIDTH SPACE at position 37"),
    ],
)
def test_every_header_value_is_printable_ascii(field: str, value: str, expected: str) -> None:
    message = errors_of(**{field: value})[field]
    assert expected in message
    assert value.strip() not in message


def test_custom_header_name_and_value_are_checked() -> None:
    problems = errors_of(custom_header_name="X-User-Token", custom_header_value="tok\u00e9n-value")
    assert (
        "the custom auth header value has U+00E9 LATIN SMALL LETTER E WITH ACUTE at position 4"
        in (problems["custom_header_value"])
    )
    assert "tok\u00e9n" not in problems["custom_header_value"]
    # a space inside a header value is fine (`Bearer abc`), a line break never is
    assert errors_of(custom_header_name="X-User", custom_header_value="Bearer abc123") == {}
    assert (
        "U+000A LINE FEED at position 7"
        in (
            errors_of(custom_header_name="X-User", custom_header_value="Bearer\nX-Api-Key: x")[
                "custom_header_value"
            ]
        )
    )
    assert (
        "U+00A0 NO-BREAK SPACE at position 2"
        in (
            errors_of(custom_header_name="X\u00a0User", custom_header_value="v")[
                "custom_header_name"
            ]
        )
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://alice:hunter2-secret@my-agent.us.langgraph.app",
        "https://hunter2-secret@my-agent.us.langgraph.app",
        "alice:hunter2-secret@my-agent.us.langgraph.app",
        "https://alice:hunter2-secret@my-agent.us.langgraph.app:443x",
    ],
)
def test_a_url_with_credentials_is_refused_without_echoing_them(url: str) -> None:
    message = errors_of(url=url)["url"]
    assert "user name or password" in message
    assert "hunter2" not in message and "alice" not in message


def test_a_password_in_a_url_is_masked_everywhere_once_seen() -> None:
    from fleet_tui.common import redaction
    from fleet_tui.settings.config import normalise_url

    normalise_url("https://alice:hunter2-secret-pw@agent.example.com")
    assert "hunter2-secret-pw" not in redaction.redact(
        "error at https://alice:hunter2-secret-pw@agent.example.com"
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not-a-url", "host 'not-a-url' is not a full host name"),
        ("https://a..b.com", "is not a full host name"),
        ("javascript:alert(1)", "must start with https:// or http:// (not javascript:)"),
        ("https://ex\u200bample.com", "has U+200B ZERO WIDTH SPACE at position 11"),
        ("https://999.1.1.1", "host '999.1.1.1' is not a valid IPv4 address"),
        ("https://a\u0301b.example.com", "is not a valid international host name"),
    ],
)
def test_urls_that_are_not_deployment_urls(url: str, expected: str) -> None:
    assert expected in errors_of(url=url)["url"]


@pytest.mark.parametrize(
    "url",
    [
        "https://my-agent.us.langgraph.app",
        "http://localhost:2024",
        "http://127.0.0.1:8123",
        "http://[::1]:2024",
        "https://10.0.0.7",
        "http://langgraph-api:8000",  # a container's name, with its port
        "https://exämple.com",
    ],
)
def test_real_deployment_urls_pass(url: str) -> None:
    assert "url" not in errors_of(url=url, allow_insecure_http=True)


# --------------------------------------------------------------------------- entry points


@pytest.mark.parametrize("variable", ["LANGGRAPH_API_KEY", "LANGSMITH_API_KEY"])
def test_a_bad_token_from_the_environment_stops_before_any_request(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv("FLEET_API_URL", URL)
    monkeypatch.setenv("FLEET_AGENT_ID", AGENT_ID)
    monkeypatch.setenv(variable, SMART_PAT)
    with pytest.raises(SetupError) as raised:
        resolve_target(args())
    message = str(raised.value)
    assert "U+201D RIGHT DOUBLE QUOTATION MARK at position 41" in message
    assert "in the environment" in message  # where to fix it
    assert SMART_PAT[:30] not in message


def test_a_bad_token_from_a_dotenv_file_names_the_file(isolated: Path) -> None:
    (isolated / ".env").write_text(
        f"FLEET_API_URL={URL}\nFLEET_AGENT_ID={AGENT_ID}\nLANGGRAPH_API_KEY={ZWSP_PAT}\n",
        encoding="utf-8",
    )
    with pytest.raises(SetupError) as raised:
        resolve_target(args())
    message = str(raised.value)
    assert "U+200B ZERO WIDTH SPACE at position 14" in message
    assert str(isolated / ".env") in message


@pytest.mark.parametrize("url", BAD_URLS)
def test_a_bad_url_from_env_dotenv_or_flag_is_a_setup_error(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("LANGGRAPH_API_KEY", GOOD_PAT)
    monkeypatch.setenv("FLEET_AGENT_ID", AGENT_ID)
    monkeypatch.setenv("FLEET_API_URL", url)
    with pytest.raises(SetupError, match="from FLEET_API_URL in the environment"):
        resolve_target(args())
    monkeypatch.delenv("FLEET_API_URL")
    (isolated / ".env").write_text(f"FLEET_API_URL={url}\n", encoding="utf-8")
    with pytest.raises(SetupError, match=r"from FLEET_API_URL in .*\.env"):
        resolve_target(args())
    (isolated / ".env").unlink()
    with pytest.raises(SetupError, match="from the --url flag"):
        resolve_target(argparse.Namespace(url=url, agent_id=None, env_file=None))


# --------------------------------------------------------------------------- the client


@pytest.mark.parametrize("url", [*BAD_URLS, "https://999.1.1.1", "https://ex\u00adample.com"])
def test_client_for_refuses_a_profile_with_errors(url: str) -> None:
    profile = AgentProfile("x", url=url, agent_id=AGENT_ID, api_key=GOOD_PAT)
    with pytest.raises(InvalidSettings) as raised:
        client_for(profile)
    assert isinstance(raised.value, FleetError) and raised.value.exit_code == 2
    # nothing chained: the frames of httpx's error hold the token in their local variables
    assert raised.value.__cause__ is None
    assert raised.value.__context__ is None or raised.value.__suppress_context__
    assert GOOD_PAT not in str(raised.value)
    assert "fix it in the settings" in str(raised.value)


def test_whatever_fleetclient_raises_becomes_invalid_settings() -> None:
    profile = AgentProfile("x", url=URL, agent_id=AGENT_ID, api_key=GOOD_PAT)
    with pytest.raises(InvalidSettings) as raised:
        client_for(profile, no_such_option=1)  # FleetClient's own TypeError
    assert "cannot be used to connect" in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


@pytest.mark.parametrize(
    "changes",
    [
        {"api_key": SMART_PAT},
        {"custom_header_name": "X-User", "custom_header_value": "v\u2019alue"},
        {"custom_header_name": "X\u00a0User", "custom_header_value": "value"},
        {"auth_scheme": "langsmith\u2011api-key"},
    ],
)
def test_client_for_refuses_header_values_httpx_would_crash_on(changes: dict[str, str]) -> None:
    values: dict[str, str] = {"url": URL, "agent_id": AGENT_ID, "api_key": GOOD_PAT, **changes}
    profile = AgentProfile("x", **values)  # type: ignore[arg-type]
    with pytest.raises(InvalidSettings) as raised:
        client_for(profile)
    assert "at position" in str(raised.value)
    assert SMART_PAT not in str(raised.value)


# --------------------------------------------------------------------------- `ask`, end to end


class _Recorder(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.seen.append(self.path)  # type: ignore[attr-defined]
        self.send_response(404)
        self.end_headers()

    do_POST = do_GET

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.seen = []  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_ask_with_a_pasted_smart_quote_says_where_and_sends_nothing(
    tmp_path: Path, recorder: ThreadingHTTPServer
) -> None:
    root = str(Path(__file__).resolve().parents[1])
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FLEET_", "LANGGRAPH_", "LANGSMITH_", "XDG_"))
    }
    env.update(
        PYTHONPATH=root,
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        FLEET_API_URL=f"http://127.0.0.1:{recorder.server_address[1]}",
        FLEET_AGENT_ID=AGENT_ID,
        LANGGRAPH_API_KEY=SMART_PAT,
    )
    result = subprocess.run(
        [sys.executable, "-m", "fleet_tui", "ask", "hi"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2, result.stderr
    assert "U+201D RIGHT DOUBLE QUOTATION MARK at position 41" in result.stderr
    assert "Traceback" not in result.stderr
    assert SMART_PAT[:-1] not in result.stdout + result.stderr
    assert recorder.seen == []  # type: ignore[attr-defined]
