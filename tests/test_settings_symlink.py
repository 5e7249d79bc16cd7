"""A settings file that is a symbolic link is refused, for reading and for writing: following it
would chmod (or replace) whatever file the link points to."""

from __future__ import annotations

import io
import json
import os
import stat
from pathlib import Path

import pytest

from fleet_tui.cli.config import run_config
from fleet_tui.settings.config import (
    AgentProfile,
    ConfigError,
    Settings,
    load_settings,
    save_settings,
)

PAT = "lsv2_pt_symlinktest0123456789abcdef"


@pytest.fixture
def linked(tmp_path: Path) -> tuple[Path, Path]:
    """settings.json -> another file, readable by others (as a dotfiles checkout often is)."""
    target = tmp_path / "dotfiles" / "fleet-settings.json"
    target.parent.mkdir()
    target.write_text(
        json.dumps({"version": 1, "current": "a", "profiles": {"a": {"api_key": PAT}}})
    )
    os.chmod(target, 0o644)
    link = tmp_path / "cfg" / "settings.json"
    link.parent.mkdir()
    link.symlink_to(target)
    return link, target


def test_loading_through_a_link_is_refused_and_the_target_left_alone(
    linked: tuple[Path, Path],
) -> None:
    link, target = linked
    before = target.read_bytes()
    settings, warnings = load_settings(link)
    assert settings.profiles == {}
    assert len(warnings) == 1
    assert "is a symbolic link" in warnings[0] and str(target) in warnings[0]
    assert f"rm '{link}' && cp '{target}' '{link}'" in warnings[0]  # what to do
    assert stat.S_IMODE(target.stat().st_mode) == 0o644  # not chmod-ed through the link
    assert target.read_bytes() == before and link.is_symlink()


def test_saving_through_a_link_is_refused(linked: tuple[Path, Path]) -> None:
    link, target = linked
    before = target.read_bytes()
    settings = Settings()
    settings.replace_profile(AgentProfile(name="b", url="https://b.example.com", api_key=PAT))
    with pytest.raises(ConfigError, match="is a symbolic link"):
        save_settings(settings, link)
    assert link.is_symlink() and target.read_bytes() == before
    assert [p.name for p in link.parent.iterdir()] == ["settings.json"]  # no temp file left


def test_a_relative_link_is_named_by_its_full_target(tmp_path: Path) -> None:
    (tmp_path / "real.json").write_text("{}")
    link = tmp_path / "cfg" / "settings.json"
    link.parent.mkdir()
    link.symlink_to(Path("..") / "real.json")
    _, warnings = load_settings(link)
    assert f"cp '{tmp_path / 'real.json'}' '{link}'" in warnings[0]


def test_a_dangling_link_is_refused_too(tmp_path: Path) -> None:
    link = tmp_path / "settings.json"
    link.symlink_to(tmp_path / "nowhere.json")
    _, warnings = load_settings(link)
    assert "is a symbolic link" in warnings[0]
    with pytest.raises(ConfigError):
        save_settings(Settings(), link)
    assert not (tmp_path / "nowhere.json").exists()


def test_config_set_through_a_link_says_what_to_do(linked: tuple[Path, Path]) -> None:
    link, target = linked
    out, err = io.StringIO(), io.StringIO()
    code = run_config("set", "theme", "nord", out=out, err=err, config_path=link, environ={})
    assert code == 1
    assert "is a symbolic link" in err.getvalue() and "cp '" in err.getvalue()
    assert link.is_symlink() and json.loads(target.read_text())["profiles"]["a"]["api_key"] == PAT
