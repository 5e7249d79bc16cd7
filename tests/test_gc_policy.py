"""The process's garbage-collector policy lives in one module: nothing else calls `gc`."""

from __future__ import annotations

import ast
import gc
from pathlib import Path

import pytest

from fleet_tui.common import gc_policy

PACKAGE = Path(__file__).resolve().parent.parent / "fleet_tui"
POLICY = PACKAGE / "common" / "gc_policy.py"


def _gc_uses(path: Path) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name == "gc"]
        elif isinstance(node, ast.ImportFrom) and node.module == "gc":
            found.append("from gc import ...")
        elif isinstance(node, ast.Attribute) and ast.unparse(node.value) == "gc":
            found.append(f"gc.{node.attr}")
    return found


def test_no_gc_call_outside_the_policy_module() -> None:
    offenders = {
        str(path.relative_to(PACKAGE.parent)): uses
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != POLICY and (uses := _gc_uses(path))
    }
    assert offenders == {}, "gc is fleet_tui/gc_policy.py's business: call it from there"


def test_the_policy_module_is_where_gc_is_used() -> None:
    uses = _gc_uses(POLICY)
    assert uses[0] == "import gc"
    assert {"gc.freeze", "gc.enable", "gc.disable", "gc.collect"} <= set(uses)


@pytest.fixture
def restore_gc() -> object:
    was_enabled = gc.isenabled()
    yield None
    if was_enabled:
        gc.enable()
    else:
        gc.disable()


def test_startup_pause_then_first_frame_turns_collection_on(restore_gc: object) -> None:
    gc_policy.pause_for_startup()
    assert not gc.isenabled()
    frozen = gc.get_freeze_count()
    kept = [[object()] for _ in range(100)]  # made during start-up, alive for good
    gc_policy.after_first_frame()
    assert gc.isenabled()
    assert gc.get_freeze_count() >= frozen + len(kept)
    gc_policy.pause_for_startup()
    gc_policy.resume()
    assert gc.isenabled()


def test_settle_collects_young_cyclic_garbage_before_freezing(restore_gc: object) -> None:
    class Node:
        pass

    gc.collect()
    a, b = Node(), Node()
    a.other, b.other = b, a  # type: ignore[attr-defined]
    del a, b
    before = gc.get_freeze_count()
    gc_policy.settle()
    alive = [o for o in gc.get_objects() if type(o).__name__ == "Node"]
    assert alive == []  # collected, not frozen for good
    assert gc.get_freeze_count() >= before
