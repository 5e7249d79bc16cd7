"""The secret-leak guard: every test runs with recognisable fake tokens, and no test may let
one reach its captured stdout, stderr or log records, a screenshot or an export it wrote.

Checked after each test; a leak fails that test even when its own assertions passed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from server_fixture import OTHER_KEY, OWNER_KEY

# Every fake token the suite sends, and the prefix tests use for ad-hoc ones.
SECRETS = (OWNER_KEY, OTHER_KEY)
FILE_SUFFIXES = {".svg", ".md", ".json", ".txt", ".log", ".ndjson"}
# Files a test writes on purpose with a token in them: the settings file (0600, by design)
# and the server's own request log.
ALLOWED_FILES = {"settings.json", "server.log", "agent.env", ".env"}


def _leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


def _written_files(root: Path) -> Iterator[Path]:
    if not root.exists():
        return
    for path in root.rglob("*"):
        if path.is_file() and path.suffix in FILE_SUFFIXES and path.name not in ALLOWED_FILES:
            yield path


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or report.failed:
        return
    found: list[str] = []
    for name, content in report.sections:
        if _leaks(content):
            found.append(f"captured {name}")
    tmp = getattr(item, "funcargs", {}).get("tmp_path")
    if isinstance(tmp, Path):
        for path in _written_files(tmp):
            if _leaks(path.read_text(errors="replace")):
                found.append(str(path.relative_to(tmp)))
    if found:
        report.outcome = "failed"
        report.longrepr = "a fake Personal Access Token leaked into: " + ", ".join(found)


def screenshots_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "screenshots"
