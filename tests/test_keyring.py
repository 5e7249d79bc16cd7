"""Tokens at rest: in the system keyring when there is one, in the 0600 settings file otherwise;
moving between the two keeps the token; a failing keyring is a warning, never a crash.

`MemoryKeyring` (tests/keyring_fixture.py) is a real `keyring` backend keeping its secrets in a
dict; keyring's own `fail.Keyring` is what `keyring` answers on a machine without a backend.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from keyring.backends import chainer, fail, null
from keyring_fixture import MemoryKeyring, use_keyring

from fleet_tui.cli.config import run_config
from fleet_tui.common import redaction
from fleet_tui.settings import keyring_store
from fleet_tui.settings.config import AgentProfile, Settings, load_settings, save_settings

PAT = "lsv2_pt_keyringtest0123456789abcdef"
PAT_2 = "lsv2_pt_keyringtest2222222222abcdef"
HEADER_VALUE = "user-token-keyring-9876"
URL = "https://my-agent-1a2b3c.us.langgraph.app"
AGENT_ID = "3f2b9c1e-7a44-4d2b-9a1e-5c6d7e8f9a0b"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    for key in ("LANGGRAPH_API_KEY", "LANGSMITH_API_KEY", "FLEET_API_URL", "FLEET_AGENT_ID"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    return tmp_path / "cfg" / "settings.json"


def with_token(**kw: str) -> Settings:
    settings = Settings()
    values = {"url": URL, "agent_id": AGENT_ID, "api_key": PAT, **kw}
    settings.replace_profile(AgentProfile(name="default", **values))  # type: ignore[arg-type]
    return settings


def in_file(cfg: Path) -> dict[str, object]:
    return json.loads(cfg.read_text())["profiles"]["default"]


def show(cfg: Path) -> str:
    out, err = io.StringIO(), io.StringIO()
    assert run_config("show", None, None, out=out, err=err, config_path=cfg, environ={}) == 0
    return out.getvalue() + err.getvalue()


def reload(cfg: Path) -> tuple[Settings, list[str]]:
    keyring_store.forget_cache()  # as a new process would
    return load_settings(cfg)


# --------------------------------------------------------------------------- where it is kept


def test_with_a_keyring_the_file_names_the_entry_never_the_token(
    cfg: Path, memory_keyring: MemoryKeyring
) -> None:
    notes: list[str] = []
    save_settings(
        with_token(custom_header_name="X-User", custom_header_value=HEADER_VALUE), cfg, notes=notes
    )
    assert notes == []
    text = cfg.read_text()
    assert PAT not in text and HEADER_VALUE not in text
    entry = in_file(cfg)
    assert entry["api_key"] is None and entry["custom_header_value"] is None
    refs = entry["keyring"]
    assert isinstance(refs, dict) and set(refs) == {"api_key", "custom_header_value"}
    assert memory_keyring.secrets[("fleet-tui", refs["api_key"])] == PAT
    assert memory_keyring.secrets[("fleet-tui", refs["custom_header_value"])] == HEADER_VALUE

    settings, warnings = reload(cfg)
    assert warnings == []
    loaded = settings.profiles["default"]
    assert (loaded.api_key, loaded.custom_header_value) == (PAT, HEADER_VALUE)
    assert "****cdef (system keyring)" in show(cfg)


def test_without_a_keyring_the_token_stays_in_the_private_file(cfg: Path) -> None:
    notes: list[str] = []
    save_settings(with_token(), cfg, notes=notes)
    assert notes == []  # no keyring is normal, not a warning
    assert in_file(cfg)["api_key"] == PAT and "keyring" not in in_file(cfg)
    assert "****cdef (settings file, mode 0600)" in show(cfg)


@pytest.mark.parametrize(
    "backend",
    [
        fail.Keyring(),
        null.Keyring(),
        type("NothingToChain", (chainer.ChainerBackend,), {"backends": []})(),
    ],
    ids=["fail", "null", "empty-chainer"],
)
def test_no_real_backend_counts_as_no_keyring(cfg: Path, backend: object) -> None:
    use_keyring(backend)  # type: ignore[arg-type]
    assert not keyring_store.available()
    save_settings(with_token(), cfg)
    assert in_file(cfg)["api_key"] == PAT


# --------------------------------------------------------------------------- moving


def test_a_keyring_that_appears_later_takes_the_token_out_of_the_file(cfg: Path) -> None:
    save_settings(with_token(), cfg)
    assert in_file(cfg)["api_key"] == PAT
    backend = MemoryKeyring()
    use_keyring(backend)
    settings, _ = reload(cfg)
    settings.theme = "nord"  # any later save
    save_settings(settings, cfg)
    assert PAT not in cfg.read_text()
    assert list(backend.secrets.values()) == [PAT]
    assert reload(cfg)[0].profiles["default"].api_key == PAT


def test_a_keyring_gone_at_save_time_leaves_the_token_usable_from_the_file(
    cfg: Path, memory_keyring: MemoryKeyring
) -> None:
    save_settings(with_token(), cfg)
    settings, _ = reload(cfg)
    use_keyring(fail.Keyring())  # e.g. the D-Bus session ended
    notes: list[str] = []
    settings.theme = "nord"
    save_settings(settings, cfg, notes=notes)
    assert len(notes) == 1 and "kept in the settings file (mode 0600)" in notes[0]
    assert PAT not in notes[0]
    assert in_file(cfg)["api_key"] == PAT and "keyring" not in in_file(cfg)
    assert reload(cfg)[0].profiles["default"].api_key == PAT
    # and back again once the keyring returns; the same entry is reused
    use_keyring(memory_keyring)
    settings, _ = reload(cfg)
    save_settings(settings, cfg)
    assert PAT not in cfg.read_text() and list(memory_keyring.secrets.values()) == [PAT]


def test_a_keyring_unreadable_at_start_keeps_the_token_where_it_is(
    cfg: Path, memory_keyring: MemoryKeyring
) -> None:
    save_settings(with_token(), cfg)
    memory_keyring.locked = True
    settings, warnings = reload(cfg)
    assert settings.profiles["default"].api_key is None
    assert len(warnings) == 1 and "cannot be read now" in warnings[0]
    assert "KeyringLocked" in warnings[0] and "config set api_key -" in warnings[0]
    assert "system keyring, cannot be read now" in show(cfg)
    # a save meanwhile (another setting) does not drop the entry
    settings.theme = "nord"
    save_settings(settings, cfg)
    memory_keyring.locked = False
    assert reload(cfg)[0].profiles["default"].api_key == PAT


def test_a_locked_keyring_at_save_time_falls_back_to_the_file_with_one_line(
    cfg: Path, memory_keyring: MemoryKeyring
) -> None:
    memory_keyring.locked = True
    notes: list[str] = []
    save_settings(with_token(), cfg, notes=notes)
    assert len(notes) == 1 and "\n" not in notes[0]
    assert "could not save the Personal Access Token of agent 'default'" in notes[0]
    assert "KeyringLocked" in notes[0] and PAT not in notes[0]
    assert in_file(cfg)["api_key"] == PAT


def test_config_set_with_a_locked_keyring_warns_and_saves_to_the_file(
    cfg: Path, memory_keyring: MemoryKeyring
) -> None:
    memory_keyring.locked = True
    out, err = io.StringIO(), io.StringIO()
    code = run_config(
        "set",
        "api_key",
        "-",
        out=out,
        err=err,
        stdin=io.StringIO(PAT + "\n"),
        config_path=cfg,
        environ={},
    )
    assert code == 0
    assert "warning: could not save the Personal Access Token" in err.getvalue()
    assert "(settings file, mode 0600)" in out.getvalue()
    assert PAT not in out.getvalue() + err.getvalue()


# --------------------------------------------------------------------------- clearing, renaming


def test_clearing_a_token_or_removing_an_agent_deletes_its_entry(
    cfg: Path, memory_keyring: MemoryKeyring
) -> None:
    settings = with_token()
    settings.replace_profile(AgentProfile(name="other", url=URL, agent_id=AGENT_ID, api_key=PAT_2))
    save_settings(settings, cfg)
    assert sorted(memory_keyring.secrets.values()) == sorted([PAT, PAT_2])
    out, err = io.StringIO(), io.StringIO()
    assert run_config("set", "api_key", "", out=out, err=err, config_path=cfg, environ={}) == 0
    assert list(memory_keyring.secrets.values()) == [PAT_2]
    settings, _ = reload(cfg)
    settings.remove_profile("other")
    save_settings(settings, cfg)
    assert memory_keyring.secrets == {}


def test_renaming_an_agent_keeps_its_token(cfg: Path, memory_keyring: MemoryKeyring) -> None:
    save_settings(with_token(), cfg)
    settings, _ = reload(cfg)
    settings.rename_profile("default", "work")
    settings.replace_profile(
        AgentProfile(name="default", url=URL, agent_id=AGENT_ID, api_key=PAT_2)
    )
    save_settings(settings, cfg)
    loaded, warnings = reload(cfg)
    assert warnings == []
    assert loaded.profiles["work"].api_key == PAT and loaded.profiles["default"].api_key == PAT_2
    assert len(memory_keyring.secrets) == 2


def test_the_demo_token_never_goes_to_the_keyring(cfg: Path, memory_keyring: MemoryKeyring) -> None:
    settings = Settings()
    settings.replace_profile(
        AgentProfile(
            name="demo",
            url="http://127.0.0.1:2024",
            agent_id="agent",
            api_key=PAT,
            _session_only=True,
        )
    )
    save_settings(settings, cfg)
    assert memory_keyring.secrets == {}


# --------------------------------------------------------------------------- redaction, cost


def test_a_secret_read_from_the_keyring_is_remembered_for_redaction(
    cfg: Path, memory_keyring: MemoryKeyring
) -> None:
    save_settings(with_token(), cfg)
    redaction.forget_all()
    reload(cfg)
    assert PAT in redaction.known()


def test_keyring_is_not_imported_when_no_secret_is_in_it(cfg: Path) -> None:
    save_settings(with_token(), cfg)  # no keyring here: the token is in the file
    code = (
        "import sys; from fleet_tui.settings.config import load_settings; "
        f"s, w = load_settings({str(cfg)!r}); "
        "print(s.profiles['default'].api_key is not None, 'keyring' in sys.modules)"
    )
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": root}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.stdout.split() == ["True", "False"], result.stderr
