"""The authority's port-wide summary of the registers: per organisation, the people in a critical function
today and those of them past their function's deadline without a valid advice (issue 17).

Computed from the registers outwards: each current member, one index look-up each for their person, the
organisation's files on that person and the clearance a file links to (``EXISTS``), never a grouping of
every file of the port. Still tens of thousands of look-ups at the port's scale, so each application node
memoises the page's data per (today, version): the version is ``change_counters.workforce_summary``, which
database triggers bump in the transaction of every change the data depends on (migration 0033; the
organisations' names included, which the page shows), read by its primary key in one statement. It is read
before the data, so memoised data is never older than its version; a change committed on another node is
seen on the next request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from flask import current_app
from sqlalchemy import and_, case, exists, func, literal, or_, select

from screening.applications.models import Application
from screening.catalogue.models import CriticalFunction
from screening.clearances.models import Clearance
from screening.db import db
from screening.organisations.queries import organisation_names
from screening.people.models import Person
from screening.workforce.models import ChangeCounter, WorkforceMember
from workflows.clearance import COVERING_STATES

Member = WorkforceMember
COUNTER = "workforce_summary"
_MEMO = "screening.workforce_summary"

#: Figures per organisation with a register: (entries, leavers included; in a critical function today;
#: of whom past the deadline without cover).
Figures = dict[int, tuple[int, int, int]]


def version() -> int | None:
    """The summary's version: one statement by primary key (None when the row is missing: no memo then)."""
    return db.session.scalar(select(ChangeCounter.value).where(ChangeCounter.name == COUNTER))


def _deadline() -> Any:
    """:data:`screening.workforce.compliance.DEADLINE`, spelled here so this module stands alone (a test
    holds both to the catalogue's :func:`~screening.catalogue.deadlines.deadline_for`)."""
    return case(
        (
            or_(CriticalFunction.required_from.is_(None), CriticalFunction.required_from < Member.started_on),
            Member.started_on,
        ),
        else_=CriticalFunction.required_from,
    )


def compute(today: date) -> Figures:
    """The figures, fresh: one grouped query over the members, with a correlated ``EXISTS`` for cover."""
    covered = exists(
        select(literal(1))
        .select_from(Person)
        .join(Application, Application.person_id == Person.id)
        .join(Clearance, Clearance.id == Application.clearance_id)
        .where(
            Person.identity_hash == Member.identity_hash,
            Application.organisation_id == Member.organisation_id,
            Clearance.state.in_(sorted(COVERING_STATES)),
            Clearance.valid_until >= today,
        )
        .correlate(Member)
    )
    current = or_(Member.ended_on.is_(None), Member.ended_on >= today)
    # In this order: the look-ups run only for members past their deadline.
    late = case((_deadline() > today, 0), (covered, 0), else_=1)
    statement = (
        select(
            Member.organisation_id,
            func.count(),
            func.sum(case((current, 1), else_=0)),
            func.sum(case((and_(current, late == 1), 1), else_=0)),
        )
        .join(CriticalFunction, CriticalFunction.id == Member.function_id)
        .group_by(Member.organisation_id)
    )
    rows = db.session.execute(statement)
    return {org: (int(total), int(now or 0), int(overdue or 0)) for org, total, now, overdue in rows}


@dataclass(frozen=True)
class PortSummary:
    """The authority's index of the registers, as its page shows it: organisations by name with their
    entries (leavers included), and (current members, of whom past the deadline without cover) per
    organisation with current members; ``current`` and ``overdue`` are the port's totals."""

    figures: Figures
    names: dict[int, str]
    rows: list[tuple[int, int]]
    summary: dict[int, tuple[int, int]]
    current: int
    overdue: int


def build(today: date) -> PortSummary:
    """The index, fresh: the figures and the organisations' names (two queries)."""
    found = compute(today)
    names = organisation_names(set(found))
    sizes = {org: total for org, (total, _now, _overdue) in found.items()}
    rows = sorted(sizes.items(), key=lambda item: (names.get(item[0], ""), item[0]))
    summary = {org: (now, overdue) for org, (_total, now, overdue) in found.items() if now}
    current, overdue = (sum(each[i] for each in summary.values()) for i in (0, 1))
    return PortSummary(found, names, rows, summary, current, overdue)


def index(today: date) -> PortSummary:
    """The index, memoised on this node per (today, version): shared between requests, never to be changed.
    Without its counter row (a database emptied by hand) it is built on each request."""
    key = (today, version())
    if key[1] is None:
        return build(today)
    memo: dict[str, Any] = current_app.extensions.setdefault(_MEMO, {})
    found = memo.get("latest")
    if found is not None and found[0] == key:
        return cast(PortSummary, found[1])
    result = build(today)
    memo["latest"] = (key, result)  # one assignment: a thread reads the old pair or the new
    return result


def figures(today: date) -> Figures:
    """Per organisation with a register: (entries, current members, of whom overdue), memoised."""
    return index(today).figures


def port_summary(today: date) -> dict[int, tuple[int, int]]:
    """(current members, of whom past their deadline without cover) per organisation with current members,
    as :func:`screening.workforce.compliance.port_summary` answers."""
    return index(today).summary
