"""Sessions of their own open through ``screening.db.own_session`` only, so each one is either a read
that commits nothing or one transaction that begins IMMEDIATE on SQLite; never an ad-hoc third kind."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.nodb


def _session_calls(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (getattr(node.func, "id", None) == "Session" or getattr(node.func, "attr", None) == "Session")
    ]


def test_only_db_py_opens_a_session() -> None:
    found = {
        str(path.relative_to(ROOT)): lines
        for folder in ("screening", "scheduler", "workflows")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if (lines := _session_calls(path)) and path != ROOT / "screening" / "db.py"
    }
    assert found == {}
