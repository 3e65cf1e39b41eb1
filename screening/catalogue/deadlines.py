"""The catalogue's two dates: when a person in a function must hold a positive advice, and when a
clearance's renewal must start. Pure arithmetic over a function's terms, so the compliance view, the
reminders and the API answer alike; :func:`terms_for` reads the terms of many functions in one query."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from sqlalchemy import select

from screening.catalogue.models import CriticalFunction
from screening.db import db


class Terms(Protocol):
    """What the arithmetic reads of a function: a :class:`CriticalFunction`, a row or :class:`FunctionTerms`."""

    @property
    def required_from(self) -> date | None: ...

    @property
    def renewal_days(self) -> int: ...


@dataclass(frozen=True)
class FunctionTerms:
    id: int
    required_from: date | None
    renewal_days: int


def deadline_for(function: Terms, started_on: date) -> date:
    """The day from which a person who took up ``function`` on ``started_on`` must hold a positive advice.

    A function without a date is required at once: the deadline is the day the person started; a
    function with one lets people who started earlier work until that date, never later.
    """
    required = function.required_from
    return started_on if required is None or required < started_on else required


def required_at_once(function: Terms) -> bool:
    """Whether the function has no transition period (a positive advice before starting)."""
    return function.required_from is None


def renewal_starts_on(function: Terms, ends_on: date) -> date:
    """The day the renewal of a clearance ending on ``ends_on`` must start, for a holder in ``function``."""
    return ends_on - timedelta(days=function.renewal_days)


def terms_for(function_ids: Iterable[int]) -> dict[int, FunctionTerms]:
    """The terms of the given functions, in one query (never one per person of a register)."""
    ids = sorted(set(function_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        select(CriticalFunction.id, CriticalFunction.required_from, CriticalFunction.renewal_days).where(
            CriticalFunction.id.in_(ids)
        )
    )
    return {row.id: FunctionTerms(row.id, row.required_from, row.renewal_days) for row in rows}
