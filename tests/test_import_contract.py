"""The core never imports Textual: `ask` stays fast and the core stays testable headless."""

from __future__ import annotations

import subprocess
import sys

import pytest

CORE = [
    "fleet_tui.client",
    "fleet_tui.events",
    "fleet_tui.store",
    "fleet_tui.config",
    "fleet_tui.sanitize",
    "fleet_tui.transcript",
    "fleet_tui.recorder",
    "fleet_tui.runner",
    "fleet_tui.conversation_service",
    "fleet_tui.conversation_state",
    "fleet_tui.service_events",
    "fleet_tui.sync",
    "fleet_tui.ask",
    "fleet_tui.ask_store",
    "fleet_tui.cli",
    "fleet_tui.launch",
    "fleet_tui.threads_cli",
    "fleet_tui.export",
    "fleet_tui.snippets",
    "fleet_tui.interrupts",
    "fleet_tui.demo.server",
    "fleet_tui.redaction",
    "fleet_tui.crash",
    "fleet_tui.cli_output",
    "fleet_tui.lifetime",
]


@pytest.mark.parametrize("module", CORE)
def test_core_module_does_not_import_textual(module: str) -> None:
    code = (
        f"import sys, {module}; "
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.')); "
        "print(bad[:3])"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", f"{module} imports {result.stdout.strip()}"


# What the first frame of the TUI does without (issue 7: import only what it needs). The HTTP
# stack comes with the first request, markdown with the first reply, the rest with their use.
NOT_FOR_THE_FIRST_FRAME = [
    "httpx",
    "httpx_sse",
    "fleet_tui.client",
    "fleet_tui.runner",
    "fleet_tui.interrupts",
    "fleet_tui.widgets.markdown_render",
    "markdown_it",
    "dotenv",
    "secrets",
    "fleet_tui.screens.settings",
    "fleet_tui.screens.review",
]


def test_the_app_module_leaves_out_what_the_first_frame_does_not_need() -> None:
    code = (
        "import sys, fleet_tui.cli, fleet_tui.tui_main, fleet_tui.app; "
        f"print(sorted(m for m in {NOT_FOR_THE_FIRST_FRAME!r} if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", f"imported at start-up: {result.stdout.strip()}"
