"""Toasts never read server text as markup, never pass escapes to the terminal, stay short."""

from __future__ import annotations

import ast
from pathlib import Path

from app_harness import make_app

from fleet_tui.common.redaction import remember
from fleet_tui.tui.widgets.notices import tell

PACKAGE = Path(__file__).parent.parent / "fleet_tui"
# A server error `detail` as an attacker writes it: a closing tag that crashes the markup parser,
# an action that saves a screenshot where the server says, OSC 52 (clipboard), OSC 0 (title),
# CSI 2J (clear screen).
HOSTILE = (
    "[/] [@click=app.screenshot('x.svg','~')]click me[/] "
    "\x1b]52;c;aGVsbG8=\x07\x1b]0;owned\x07\x1b[2J" + "x" * 2000
)


def _notify_calls() -> list[tuple[str, int, str]]:
    """Every `….notify(` call in the package: (file, line, the receiver's source)."""
    calls = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "notify"
            ):
                calls.append(
                    (str(path.relative_to(PACKAGE)), node.lineno, ast.unparse(node.func.value))
                )
    return calls


def test_no_notify_call_bypasses_the_helper() -> None:
    # the helper itself, and the app's override handing the cleaned text to Textual
    allowed = {("tui/widgets/notices.py", "node.app"), ("tui/app_safety.py", "super()")}
    stray = [(f, line, recv) for f, line, recv in _notify_calls() if (f, recv) not in allowed]
    assert stray == [], f"use widgets.notices.tell() instead of notify(): {stray}"


async def test_hostile_text_is_shown_plain_cleaned_and_cut(tmp_path: Path) -> None:
    app = make_app(tmp_path, None)
    async with app.run_test(size=(100, 30)) as pilot:
        tell(app, HOSTILE, title="[b]Cannot use the agent\x1b[2J")
        app.notify(HOSTILE)  # what Textual (or a careless caller) sends, markup allowed
        await pilot.pause(0.2)  # the toasts render: a markup error would end the app here
        shown = [n for n in app._notifications if "click me" in n.message]
        assert len(shown) == 2
        for notification in shown:
            assert notification.markup is False
            assert "\x1b" not in notification.message and "\x07" not in notification.message
            assert "␛]52;c;" in notification.message or "]52;c;" in notification.message
            assert len(notification.message) <= 400
        ours = shown[0]
        assert ours.message.startswith("[/] [@click=app.screenshot('x.svg','~')]click me[/]")
        assert ours.title == "[b]Cannot use the agent␛[2J"
    assert app.return_code in (0, None)
    assert not (tmp_path / "x.svg").exists()


async def test_a_known_secret_in_a_toast_is_masked(tmp_path: Path) -> None:
    secret = "fake-pat-echoed-1234567890"
    remember(secret)
    app = make_app(tmp_path, None)
    async with app.run_test(size=(100, 30)) as pilot:
        tell(app, f"400: headers were {{'x-api-key': '{secret}'}}")
        await pilot.pause(0.1)
        (notification,) = [n for n in app._notifications if "headers were" in n.message]
        assert secret not in notification.message
        assert "****7890" in notification.message
