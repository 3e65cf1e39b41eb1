from __future__ import annotations

from datetime import date

from sqlalchemy import select

from screening.actors import Actor
from screening.audit.operations import record
from screening.catalogue.models import DEFAULT_RENEWAL_DAYS, MAX_RENEWAL_DAYS, CriticalFunction
from screening.db import db
from screening.errors import InvalidInput

#: The fields whose change the audit entry spells out (old -> new), so the trail shows who moved a deadline.
_AUDITED_TERMS = ("required_from", "renewal_days", "notify_recognition", "category", "active", "code")


def save_function(
    actor: Actor,
    *,
    code: str,
    name_en: str,
    name_nl: str,
    name_fr: str,
    category: int,
    active: bool = True,
    required_from: date | None = None,
    renewal_days: int = DEFAULT_RENEWAL_DAYS,
    function: CriticalFunction | None = None,
    notify_recognition: bool | None = None,
) -> CriticalFunction:
    """Create or change a function; ``notify_recognition`` (None: unchanged, new ones off) marks it as one whose
    final negative advice or revocation is told to the ``[recognition]`` recipient (dockworkers). The audit
    entry names each changed term with its old value."""
    code = code.strip().upper()
    if not code:
        raise InvalidInput("A code is required.", field="code")
    if category not in (1, 2, 3, 4):
        raise InvalidInput("The category is 1, 2, 3 or 4.", field="category")
    if not 0 <= renewal_days <= MAX_RENEWAL_DAYS:
        raise InvalidInput("The renewal period is between 0 and 1826 days.", field="renewal_days")
    if required_from is not None and not date(2000, 1, 1) <= required_from <= date(2100, 12, 31):
        raise InvalidInput("Give a date between 2000 and 2100.", field="required_from")
    clash = db.session.scalar(select(CriticalFunction.id).where(CriticalFunction.code == code))
    if clash is not None and (function is None or clash != function.id):
        raise InvalidInput("Another function already uses this code.", field="code")
    action = "update_function" if function else "create_function"
    before = {name: getattr(function, name) for name in _AUDITED_TERMS} if function else {}
    if function is None:
        function = CriticalFunction()
        db.session.add(function)
    function.code, function.category, function.active = code, category, active
    if notify_recognition is not None or function.notify_recognition is None:
        function.notify_recognition = bool(notify_recognition)
    function.name_en, function.name_nl, function.name_fr = name_en.strip(), name_nl.strip(), name_fr.strip()
    function.required_from, function.renewal_days = required_from, renewal_days
    db.session.flush()
    record(actor, action, "critical_function", function.id, reason=_changes(before, function))
    return function


def _changes(before: dict[str, object], function: CriticalFunction) -> str:
    """``required_from: none -> 2026-07-01; renewal_days: 180 -> 120`` (every term for a new function)."""
    parts = []
    for name in _AUDITED_TERMS:
        after = getattr(function, name)
        if not before:
            parts.append(f"{name}: {_text(after)}")
        elif before[name] != after:
            parts.append(f"{name}: {_text(before[name])} -> {_text(after)}")
    return "; ".join(parts)


def _text(value: object) -> str:
    if value is None:
        return "none"
    return value.isoformat() if isinstance(value, date) else str(value)
