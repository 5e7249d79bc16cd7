"""`fleet-tui config set` checks every key before saving; `config` output is cleaned and masked;
every secret that enters is remembered for redaction."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from fleet_tui.cli.config import run_config
from fleet_tui.common import redaction

AGENT_ID = "3f2b9c1e-7a44-4d2b-9a1e-5c6d7e8f9a0b"
URL = "https://my-agent-1a2b3c.us.langgraph.app"
PAT = "lsv2_pt_configset0123456789abcdef0123"
SMART_PAT = "lsv2_pt_configset0123456789abcdef012345\u201d"  # the quote at position 40


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    for key in ("LANGGRAPH_API_KEY", "LANGSMITH_API_KEY", "FLEET_API_URL", "FLEET_AGENT_ID"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    return tmp_path / "cfg" / "settings.json"


def run(cfg: Path, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    action, key, value = (*args, None, None)[:3]
    code = run_config(
        action,  # type: ignore[arg-type]
        key,
        value,
        out=out,
        err=err,
        stdin=io.StringIO(stdin) if stdin is not None else None,
        config_path=cfg,
        environ={},
    )
    return code, out.getvalue(), err.getvalue()


def saved(cfg: Path) -> dict[str, object]:
    data = json.loads(cfg.read_text())
    return data["profiles"]["default"]


def test_an_unknown_theme_is_refused_with_the_list_of_themes(cfg: Path) -> None:
    code, _, err = run(cfg, "set", "theme", "nonexistent")
    assert code == 2
    assert "there is no theme 'nonexistent'" in err and "nothing saved" in err
    assert "nord" in err and "textual-dark" in err
    assert not cfg.exists()
    code, out, _ = run(cfg, "set", "theme", "nord")
    assert code == 0 and "saved theme = nord" in out
    assert json.loads(cfg.read_text())["theme"] == "nord"
    # an empty value still clears it
    assert run(cfg, "set", "theme", "")[0] == 0
    assert json.loads(cfg.read_text())["theme"] is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not-a-url", "host 'not-a-url' is not a full host name"),
        ("https://host.example.com:443x", "is not valid"),
        ("javascript:alert(1)", "must start with https:// or http://"),
        ("https://alice:hunter2-secret@my-agent.us.langgraph.app", "user name or password"),
    ],
)
def test_a_url_that_is_no_deployment_url_is_refused(cfg: Path, url: str, expected: str) -> None:
    code, out, err = run(cfg, "set", "url", url)
    assert code == 2, err
    assert expected in err and "nothing saved" in err
    assert "hunter2" not in out + err
    assert not cfg.exists()


def test_a_bare_host_name_is_still_accepted(cfg: Path) -> None:
    code, _, _ = run(cfg, "set", "url", "my-agent-1a2b3c.us.langgraph.app")
    assert code == 0 and saved(cfg)["url"] == URL


def test_a_pasted_smart_quote_in_the_token_is_refused_by_position(cfg: Path) -> None:
    run(cfg, "set", "url", URL)
    before = cfg.read_bytes()
    code, out, err = run(cfg, "set", "api_key", "-", stdin=SMART_PAT + "\n")
    assert code == 2
    assert "the Personal Access Token has U+201D RIGHT DOUBLE QUOTATION MARK at position 40" in err
    assert SMART_PAT[:-1] not in out + err and "configset" not in out + err
    assert cfg.read_bytes() == before


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("custom_header_name", "X-User\u200b", "U+200B ZERO WIDTH SPACE at position 7"),
        ("custom_header_value", "tok\u2019en-value", "U+2019 RIGHT SINGLE QUOTATION MARK"),
        ("auth_scheme", "langsmith\u2011api-key", "U+2011 NON-BREAKING HYPHEN at position 10"),
        ("agent_id", AGENT_ID + "\u200b", "U+200B ZERO WIDTH SPACE at position 37"),
        ("stream_modes", "updates,bogus", "unknown stream mode(s) bogus"),
        ("allow_insecure_http", "maybe", "takes true or false"),
        ("name", "work\x1b]0;owned\x07", "U+001B ESCAPE at position 5"),
    ],
)
def test_every_key_is_checked_before_saving(cfg: Path, key: str, value: str, expected: str) -> None:
    run(cfg, "set", "url", URL)
    if key == "custom_header_value":
        run(cfg, "set", "custom_header_name", "X-User")
    before = cfg.read_bytes()
    code, out, err = run(cfg, "set", key, value)
    assert code == 2
    assert expected in err
    assert "\x1b" not in out + err and "\x07" not in out + err
    assert cfg.read_bytes() == before


def test_every_secret_that_enters_is_remembered_for_redaction(cfg: Path) -> None:
    redaction.forget_all()
    assert run(cfg, "set", "api_key", "-", stdin=PAT + "\n")[0] == 0
    assert PAT in redaction.known()
    # a refused one too (never saved, never read back): masked in whatever might print it later
    refused = "lsv2_pt_refused 0123456789abcdef"
    assert run(cfg, "set", "api_key", "-", stdin=refused + "\n")[0] == 2
    assert refused in redaction.known()
    header_value = "user-token-for-redaction-0000"
    run(cfg, "set", "custom_header_name", "X-User")
    run(cfg, "set", "custom_header_value", "-", stdin=header_value + "\n")
    assert header_value in redaction.known()


def test_show_never_writes_escape_sequences_from_the_file(cfg: Path) -> None:
    cfg.parent.mkdir(parents=True)
    cfg.write_text(
        json.dumps(
            {
                "version": 1,
                "current": "evil\x1b]0;title\x07",
                "theme": "\x1b[2Jnord",
                "profiles": {
                    "evil\x1b]0;title\x07": {
                        "url": "https://a.example.com/\x1b]52;c;aGk=\x07",
                        "agent_id": "\x9b31m" + AGENT_ID,
                        "api_key": PAT,
                    }
                },
            }
        )
    )
    cfg.chmod(0o600)
    code, out, err = run(cfg, "show")
    assert code == 0
    for control in ("\x1b", "\x07", "\x9b"):
        assert control not in out and control not in err
    assert PAT not in out + err and "****0123" in out
    assert "evil" in out  # shown, made harmless


def test_show_says_where_the_token_is_kept(cfg: Path) -> None:
    run(cfg, "set", "api_key", "-", stdin=PAT + "\n")
    code, out, _ = run(cfg, "show")
    assert code == 0
    assert "****0123 (settings file, mode 0600)" in out
    code, out, _ = run(cfg, "show", "api_key")
    assert out == "****0123\n"  # one value alone stays one value, for scripts
