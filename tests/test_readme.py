"""The README tells a newcomer what they need: set-up first, then how to install for real use,
what a token is, where data lives, how to answer approvals, the focus order and copying."""

from __future__ import annotations

from pathlib import Path

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_the_two_set_up_commands_come_first() -> None:
    setup = README.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    commands = [line for line in setup.splitlines() if line.startswith("python3 -m venv")]
    assert commands[0].endswith("fleet-tui --demo")
    assert commands[1].endswith("python -m pytest -q")


def test_a_newcomer_finds_what_the_first_hour_needs() -> None:
    for words in (
        "pipx install",  # installing for real use
        "uv tool install",
        "Python 3.11",
        "pipx uninstall",
        "Personal Access Token",  # what it is, where to make one, and a non-owner's 404
        "404 Not Found",
        "fleet-tui paths",  # where data lives
        "fleet-tui config path",
        "fleet-tui config set KEY VALUE",
        "temporary folder",  # the demo keeps nothing
        "--resume '{\"bf10",  # answering approvals, with the JSON
        '{"type": "edit", "edited_action"',
        '{"type": "reject", "message"',
        "Focus order",
        "set -g set-clipboard on",  # copying inside tmux
        "docs/PERFORMANCE.md",
    ):
        assert words in README, words


def test_the_performance_detail_lives_in_its_own_page() -> None:
    performance = README.split("## Performance", 1)[1].split("\n## ", 1)[0]
    assert len(performance.splitlines()) < 30
    assert (Path(__file__).resolve().parent.parent / "docs" / "PERFORMANCE.md").exists()
