"""Copying: the system clipboard's tool when one is on PATH (fake tools here), OSC 52 when the
terminal is known to take it, and a file offered when neither can work."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from app_harness import SIZE, make_app, wait_until

from fleet_tui.common.clipboard import copy_text, find_tool, osc52_known
from fleet_tui.tui.copying import copy
from fleet_tui.tui.screens.save_file import SaveFileScreen


def fake_tool(folder: Path, name: str, *, status: int = 0, sleep: float = 0) -> Path:
    """A tool that writes its stdin and its arguments next to itself."""
    out = folder / f"{name}.out"
    script = folder / name
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" > "{out}.args"\n'
        f'cat > "{out}"\n' + (f"sleep {sleep}\n" if sleep else "") + f"exit {status}\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return out


def env(folder: Path, **more: str) -> dict[str, str]:
    return {"PATH": f"{folder}:/usr/bin:/bin", **more}


def test_xclip_is_used_on_x11_with_the_text_on_stdin(tmp_path: Path) -> None:
    out = fake_tool(tmp_path, "xclip")
    outcome = copy_text("héllo\n$(rm -rf /)", environ=env(tmp_path, DISPLAY=":0"), platform="linux")
    assert outcome.how == "tool" and outcome.message == "Copied (xclip)"
    assert out.read_text() == "héllo\n$(rm -rf /)"  # no shell saw it
    assert Path(f"{out}.args").read_text().split() == ["-selection", "clipboard"]


def test_the_tool_follows_the_session(tmp_path: Path) -> None:
    for name in ("wl-copy", "xclip", "xsel", "pbcopy", "clip.exe"):
        fake_tool(tmp_path, name)
    pick = lambda platform, **e: find_tool(env(tmp_path, **e), platform)  # noqa: E731
    assert pick("linux", WAYLAND_DISPLAY="wayland-0", DISPLAY=":0").name == "wl-copy"  # type: ignore[union-attr]
    assert pick("linux", DISPLAY=":0").name == "xclip"  # type: ignore[union-attr]
    assert pick("darwin").name == "pbcopy"  # type: ignore[union-attr]
    assert pick("linux", WSL_DISTRO_NAME="Ubuntu").name == "clip.exe"  # type: ignore[union-attr]
    assert pick("linux") is None  # no display: no tool can reach a clipboard
    os.remove(tmp_path / "xclip")
    assert pick("linux", DISPLAY=":0").name == "xsel"  # type: ignore[union-attr]


def test_a_failing_tool_falls_back_to_osc52_and_says_why(tmp_path: Path) -> None:
    fake_tool(tmp_path, "xclip", status=1)
    outcome = copy_text(
        "x", environ=env(tmp_path, DISPLAY=":0", TERM="xterm-kitty"), platform="linux"
    )
    assert outcome.how == "osc52"
    assert outcome.message.startswith("Sent to the terminal's clipboard (OSC 52)")
    assert outcome.message.endswith("(xclip failed (exit status 1))")


def test_a_hanging_tool_is_given_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import fleet_tui.common.clipboard as clipboard

    monkeypatch.setattr(clipboard, "TOOL_TIMEOUT", 0.3)
    fake_tool(tmp_path, "xclip", sleep=5)
    outcome = copy_text("x", environ=env(tmp_path, DISPLAY=":0"), platform="linux")
    # the tool gave up: OSC 52 is the way left, and the message says why the tool failed
    assert outcome.how == "osc52" and "did not finish within 0.3 s" in outcome.message


def test_osc52_is_chosen_only_where_it_is_known_to_work(tmp_path: Path) -> None:
    assert osc52_known({"TERM_PROGRAM": "WezTerm"}) is True
    assert osc52_known({"TERM": "xterm-kitty"}) is True
    assert osc52_known({"TERM": "xterm-256color"}) is None
    outcome = copy_text("x", environ=env(tmp_path, TERM_PROGRAM="iTerm.app"), platform="linux")
    assert outcome.how == "osc52" and "set -g set-clipboard on" in outcome.message
    # an unknown terminal most likely takes it: sent, with what to do if it did not
    outcome = copy_text("x", environ=env(tmp_path, TERM="xterm-256color"), platform="linux")
    assert outcome.how == "osc52" and "install wl-copy, xclip or xsel" in outcome.message


def test_tmux_passes_osc52_on_only_when_set_clipboard_is_on(tmp_path: Path) -> None:
    answer = tmp_path / "answer"
    script = tmp_path / "tmux"
    script.write_text(f'#!/bin/sh\ncat "{answer}"\n')
    script.chmod(0o755)
    tmux_env = env(tmp_path, TMUX="/tmp/tmux-0/default,1,0", TERM="screen")
    answer.write_text("external\n")  # tmux's default
    assert osc52_known(tmux_env) is False
    assert copy_text("x", environ=tmux_env, platform="linux").how == "none"
    answer.write_text("on\n")
    assert osc52_known(tmux_env) is True


async def test_the_app_says_which_way_it_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tools = tmp_path / "bin"
    tools.mkdir()
    out = fake_tool(tools, "xclip")
    monkeypatch.setenv("PATH", f"{tools}:/usr/bin:/bin")
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("TMUX", raising=False)
    app = make_app(tmp_path, None)
    sent: list[str] = []
    monkeypatch.setattr(app, "copy_to_clipboard", sent.append)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.2)
        app.clear_notifications()
        copy(app, "the reply", "the text")
        await wait_until(pilot, lambda: out.exists() and app._notifications, 10)
        assert out.read_text() == "the reply" and sent == []
        assert [str(n.message) for n in app._notifications] == ["Copied the text (xclip)"]
        # no tool, an unknown terminal: OSC 52, saying what to do if nothing was copied
        monkeypatch.delenv("DISPLAY")
        monkeypatch.setenv("TERM", "xterm-256color")
        monkeypatch.delenv("TERM_PROGRAM", raising=False)
        app.clear_notifications()
        copy(app, "the reply", "the text")
        await wait_until(pilot, lambda: bool(app._notifications), 10)
        assert sent == ["the reply"] and not isinstance(app.screen, SaveFileScreen)
        assert "install wl-copy, xclip or xsel" in str(list(app._notifications)[-1].message)
        # no tool, and tmux not passing OSC 52 on: nothing can work, a file is offered
        tmux = tools / "tmux"
        tmux.write_text("#!/bin/sh\necho external\n")
        tmux.chmod(0o755)
        monkeypatch.setenv("TMUX", "/tmp/tmux-0/default,1,0")
        copy(app, "the reply", "the text")
        await wait_until(pilot, lambda: isinstance(app.screen, SaveFileScreen), 10)
        assert sent == ["the reply", "the reply"]
        assert app.screen.file.content == "the reply"  # type: ignore[attr-defined]
