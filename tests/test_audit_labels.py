"""Every action the code writes to the audit trail has a label in ``workflows/`` (translated where shown).

The trail's page shows an entry's action through ``EVENT_LABELS``; an action without one shows its code
name ("rotate_secret") to an auditor reading in Dutch. The actions are read from the calls themselves.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from screening.web import EVENT_LABELS

ROOT = Path(__file__).resolve().parents[1]
WRITERS = {"record", "record_read", "_entry"}

pytestmark = pytest.mark.nodb


def _recorded_actions() -> dict[str, str]:
    """Action name -> the first file writing it, for every ``record(actor, "action", ...)`` call."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "screening").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            action = node.args[1]
            if name in WRITERS and isinstance(action, ast.Constant) and isinstance(action.value, str):
                found.setdefault(action.value, str(path.relative_to(ROOT)))
    return found


def test_the_reader_finds_the_calls():
    actions = _recorded_actions()
    assert {"sign_in", "read_grounds", "subscribe"} <= actions.keys()


def test_every_recorded_action_has_a_label():
    missing = {action: path for action, path in _recorded_actions().items() if action not in EVENT_LABELS}
    assert not missing, f"declare a label in workflows/audit.py for: {missing}"
