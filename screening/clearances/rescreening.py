"""Periodic re-screening of active holders (issue 18 part 5): a valid clearance is re-checked every
``[rescreening] months_by_category`` months (by the category of the function of the file whose advice
granted, extended or last confirmed it). The ``rescreening`` job opens a re-evaluation for the clearances
due, a batch at a time (``clearances/deadlines.py: open_due_rescreenings``), through the clearance machine
(``start_reevaluation``, as the system); the officers' queue shows these apart, and the officer confirms or
revokes as for any re-evaluation.

The scan reads ``state = 'valid' AND rescreen_due_on <= today`` through ``ix_clearances_state_rescreen_due_on``
and opening a re-evaluation clears ``rescreen_due_on``, so each call touches only what is due.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select

from screening.catalogue.models import CriticalFunction
from screening.clearances.models import Clearance
from screening.db import db
from screening.extensions import settings

#: The reason the trail and the clearance's history give for a re-evaluation the scheduler opened.
PERIODIC_REASON = "periodic re-screening"


def rescreen_due(function_id: int, today: date) -> date | None:
    """The day a clearance granted or confirmed ``today`` for this function is due for re-screening."""
    category = db.session.scalar(select(CriticalFunction.category).where(CriticalFunction.id == function_id))
    if category is None:
        return None
    months = settings().rescreening.months_by_category[category - 1]
    return today + relativedelta(months=months) if months > 0 else None


def periodic_under_review() -> int:
    """How many clearances are under a periodic re-evaluation now (the officers' queue shows the number)."""
    return db.session.scalar(
        select(func.count()).select_from(Clearance).where(
            Clearance.state == "under_reevaluation", Clearance.rescreen_opened_at.is_not(None)
        )
    ) or 0  # fmt: skip


def reevaluation_opened(clearances: Sequence[Clearance], now: datetime) -> None:
    """HOOK for the status list (issue 18 part 1, wt-status): a clearance under re-evaluation is "suspended"
    there. When ``screening/status_list/operations.py`` offers its function to append a suspended entry, call
    it here; every re-evaluation opened (by an officer or by the scheduler) passes through this function."""
    return None
