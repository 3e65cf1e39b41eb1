from __future__ import annotations

from sqlalchemy import select

from screening.actors import Actor
from screening.audit.operations import record
from screening.catalogue.models import CriticalFunction
from screening.db import db
from screening.errors import InvalidInput


def save_function(
    actor: Actor,
    *,
    code: str,
    name_en: str,
    name_nl: str,
    name_fr: str,
    category: int,
    active: bool = True,
    function: CriticalFunction | None = None,
    notify_recognition: bool | None = None,
) -> CriticalFunction:
    """Create or change a function; ``notify_recognition`` (None: unchanged, new ones off) marks it as one whose
    final negative advice or revocation is told to the ``[recognition]`` recipient (dockworkers)."""
    code = code.strip().upper()
    if not code:
        raise InvalidInput("A code is required.", field="code")
    if category not in (1, 2, 3, 4):
        raise InvalidInput("The category is 1, 2, 3 or 4.", field="category")
    clash = db.session.scalar(select(CriticalFunction.id).where(CriticalFunction.code == code))
    if clash is not None and (function is None or clash != function.id):
        raise InvalidInput("Another function already uses this code.", field="code")
    action = "update_function" if function else "create_function"
    if function is None:
        function = CriticalFunction()
        db.session.add(function)
    function.code, function.category, function.active = code, category, active
    if notify_recognition is not None or function.notify_recognition is None:
        function.notify_recognition = bool(notify_recognition)
    function.name_en, function.name_nl, function.name_fr = name_en.strip(), name_nl.strip(), name_fr.strip()
    db.session.flush()
    record(
        actor, action, "critical_function", function.id,
        reason="notifies the recognition body" if function.notify_recognition else None,
    )  # fmt: skip
    return function
