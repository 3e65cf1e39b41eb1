"""The monthly fee statement: the advice the authority recorded for an organisation's files in a month,
each charged at the fee in force on the day of the advice. One grouped query per statement (and one for the
port-wide overview): the fee schedule becomes a ``CASE`` over the advice type and day, so the database
counts per (type, unit fee) and nothing is read per advice. Amounts are integer cents throughout."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, case, func, literal, select

from screening.applications.models import Application
from screening.config import FeesConfig
from screening.db import db
from screening.decisions.models import Decision

#: The advice types charged, in the order a statement lists them (appeal rulings and re-evaluations are not).
ADVICE_TYPES = ("positive", "positive_with_warning", "negative")


@dataclass(frozen=True)
class Line:
    advice_type: str
    unit_cents: int
    count: int

    @property
    def total_cents(self) -> int:
        return self.unit_cents * self.count


@dataclass(frozen=True)
class Statement:
    organisation_id: int
    month: date  # the first day of the month
    lines: tuple[Line, ...]

    @property
    def count(self) -> int:
        return sum(line.count for line in self.lines)

    @property
    def total_cents(self) -> int:
        return sum(line.total_cents for line in self.lines)


def month_bounds(month: date) -> tuple[date, date]:
    """The first day of ``month`` and the first day of the next month."""
    first = month.replace(day=1)
    return first, (
        first.replace(year=first.year + 1, month=1) if first.month == 12 else first.replace(month=first.month + 1)
    )


def parse_month(text: str | None) -> date | None:
    """``2026-11`` -> 1 November 2026; anything else (or a year outside 2000-2100) -> None."""
    if not text or len(text) != 7 or text[4] != "-" or not (text[:4] + text[5:]).isdigit():
        return None
    year, month = int(text[:4]), int(text[5:])
    return date(year, month, 1) if 2000 <= year <= 2100 and 1 <= month <= 12 else None


def _unit_fee(fees: FeesConfig) -> ColumnElement[int]:
    """The fee of a decision row, in cents, as SQL: the schedule entry of its advice type in force on its day."""
    whens = []
    for advice_type in ADVICE_TYPES:
        periods = fees.periods_for(advice_type)
        for index, (starts, cents) in enumerate(periods):
            ends = periods[index + 1][0] if index + 1 < len(periods) else None
            condition = and_(Decision.outcome == advice_type, Decision.decided_on >= starts)
            if ends is not None:
                condition = and_(condition, Decision.decided_on < ends)
            whens.append((condition, literal(cents)))
    return case(*whens, else_=literal(0)) if whens else literal(0)


def _charged(first: date, after: date):  # noqa: ANN202 - a select under construction
    return (
        select()
        .select_from(Decision)
        .join(Application, Application.id == Decision.application_id)
        .where(
            Decision.kind == "advice",
            Decision.outcome.in_(ADVICE_TYPES),
            Decision.decided_on >= first,
            Decision.decided_on < after,
        )
    )


def _order(lines: list[Line]) -> tuple[Line, ...]:
    return tuple(sorted(lines, key=lambda line: (ADVICE_TYPES.index(line.advice_type), line.unit_cents)))


def monthly_statement(organisation_id: int, month: date, fees: FeesConfig) -> Statement:
    """The organisation's statement of ``month``, in one grouped query."""
    first, after = month_bounds(month)
    unit = _unit_fee(fees).label("unit")
    rows = db.session.execute(
        _charged(first, after)
        .add_columns(Decision.outcome, unit, func.count().label("n"))
        .where(Application.organisation_id == organisation_id)
        .group_by(Decision.outcome, unit)
    ).all()
    return Statement(organisation_id, first, _order([Line(r.outcome, int(r.unit), int(r.n)) for r in rows]))


def port_overview(month: date, fees: FeesConfig) -> dict[int, Statement]:
    """Every organisation's statement of ``month`` with at least one advice, in one grouped query."""
    first, after = month_bounds(month)
    unit = _unit_fee(fees).label("unit")
    rows = db.session.execute(
        _charged(first, after)
        .add_columns(Application.organisation_id, Decision.outcome, unit, func.count().label("n"))
        .group_by(Application.organisation_id, Decision.outcome, unit)
    ).all()
    by_organisation: dict[int, list[Line]] = {}
    for r in rows:
        by_organisation.setdefault(r.organisation_id, []).append(Line(r.outcome, int(r.unit), int(r.n)))
    return {org: Statement(org, first, _order(lines)) for org, lines in by_organisation.items()}


def statements_total(statements: Mapping[int, Statement]) -> tuple[int, int]:
    """The number of advice and the amount, in cents, of all the statements."""
    return sum(s.count for s in statements.values()), sum(s.total_cents for s in statements.values())
