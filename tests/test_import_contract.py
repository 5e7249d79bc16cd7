"""The layers of the package, as DESIGN.md and docs/ARCHITECTURE.md draw them, hold in the code.

entry points (`main`, `cli/`, `tui/`) → `services/` → `agent_server/`, `storage/`, `settings/`
(and the bundled `demo/` server) → `domain/` → `common/`. A module imports only from layers below
its own (or its own package); the two entry packages never import each other; only `tui/` imports
Textual (the CLI only lazily, for the list of themes), so `ask` stays fast and everything below
the UI is testable headless.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "fleet_tui"
LEVELS = {
    "common": 0,
    "domain": 1,
    "agent_server": 2,
    "storage": 2,
    "settings": 2,
    "demo": 2,
    "services": 3,
    "cli": 4,
    "tui": 4,
    "main": 5,
    "__main__": 5,
}


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out.append((name, path))
    return out


def _imports(path: Path) -> list[tuple[str, int]]:
    """Every absolute import in the module, lazy ones (inside functions) included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "fleet_tui":
                found += [(f"fleet_tui.{alias.name}", node.lineno) for alias in node.names]
            else:
                found.append((node.module, node.lineno))
        elif isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level:
            found.append((f"<relative import: use absolute ones> {node.module}", node.lineno))
    return found


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "fleet_tui" else None


def test_every_module_belongs_to_a_layer() -> None:
    stray = [m for m, _ in _modules() if m != "fleet_tui" and _layer(m) not in LEVELS]
    assert stray == [], f"modules outside the layer packages: {stray}"


def test_nothing_imports_upward_or_sideways() -> None:
    wrong = []
    for module, path in _modules():
        mine = _layer(module)
        if mine is None:
            continue
        for imported, line in _imports(path):
            if imported.startswith("<relative"):
                wrong.append(f"{module}:{line} {imported}")
                continue
            theirs = _layer(imported)
            if theirs is None or theirs == mine or theirs not in LEVELS:
                continue
            if LEVELS[theirs] >= LEVELS[mine] and {mine, theirs} != {"main", "__main__"}:
                wrong.append(f"{module}:{line} imports {imported}")
    assert wrong == [], "imports against the layers:\n" + "\n".join(wrong)


def test_nothing_below_the_entry_points_imports_textual() -> None:
    # (`fleet-tui config set theme` reads Textual's list of themes when it runs; the entry
    # modules are checked at import time below instead)
    wrong = [
        f"{module}:{line}"
        for module, path in _modules()
        if LEVELS.get(_layer(module) or "", 9) < LEVELS["cli"]
        for imported, line in _imports(path)
        if imported == "textual" or imported.startswith("textual.")
    ]
    assert wrong == [], f"Textual imported below the entry points: {wrong}"


def test_the_layer_check_catches_an_upward_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from fleet_tui.tui.app import FleetApp\n")
    assert ("fleet_tui.tui.app", 2) in _imports(bad)
    assert LEVELS["tui"] > LEVELS["services"]


# Imported for real in a fresh interpreter: no Textual even transitively.
CORE = [
    "fleet_tui.agent_server.client",
    "fleet_tui.domain.events",
    "fleet_tui.storage.store",
    "fleet_tui.settings.config",
    "fleet_tui.common.sanitize",
    "fleet_tui.domain.transcript",
    "fleet_tui.services.recorder",
    "fleet_tui.services.runner",
    "fleet_tui.services.conversation_service",
    "fleet_tui.services.conversation_state",
    "fleet_tui.services.service_events",
    "fleet_tui.services.sync",
    "fleet_tui.cli.ask",
    "fleet_tui.cli.ask_answers",
    "fleet_tui.cli.ask_interrupts",
    "fleet_tui.cli.ask_json",
    "fleet_tui.cli.ask_printer",
    "fleet_tui.cli.ask_progress",
    "fleet_tui.cli.ask_session",
    "fleet_tui.cli.store_access",
    "fleet_tui.main",
    "fleet_tui.services.launch",
    "fleet_tui.cli.threads",
    "fleet_tui.services.export",
    "fleet_tui.services.snippets",
    "fleet_tui.domain.interrupts",
    "fleet_tui.demo.server",
    "fleet_tui.common.redaction",
    "fleet_tui.common.crash",
    "fleet_tui.cli.output",
    "fleet_tui.common.lifetime",
    "fleet_tui.domain.deep_state",
    "fleet_tui.domain.decision_check",
    "fleet_tui.domain.approvals",
    "fleet_tui.domain.file_types",
    "fleet_tui.services.approvals",
    "fleet_tui.services.deep_tracking",
    "fleet_tui.services.save_file",
    "fleet_tui.services.retry_rule",
    "fleet_tui.cli.paths",
]


@pytest.mark.parametrize("module", CORE)
def test_module_below_the_ui_does_not_import_textual_even_indirectly(module: str) -> None:
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
    "fleet_tui.agent_server.client",
    "fleet_tui.services.runner",
    "fleet_tui.domain.interrupts",
    "fleet_tui.tui.widgets.markdown_render",
    "markdown_it",
    "dotenv",
    "secrets",
    "fleet_tui.tui.screens.settings",
    "fleet_tui.tui.screens.review",
]


def test_the_app_module_leaves_out_what_the_first_frame_does_not_need() -> None:
    code = (
        "import sys, fleet_tui.main, fleet_tui.tui.main, fleet_tui.tui.app; "
        f"print(sorted(m for m in {NOT_FOR_THE_FIRST_FRAME!r} if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", f"imported at start-up: {result.stdout.strip()}"
