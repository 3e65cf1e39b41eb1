"""The compliance view's reads: where every current member of a register stands against their function's
deadline (:func:`workflows.compliance.compliance` decides; this module only gathers its inputs).

A page is one query for its rows and one grouped query for the counts, whatever the register's size: the
latest file per person and the covering clearance per person are subqueries over this organisation's files,
never a query per member. Filters are the decision's own inputs (:func:`workflows.compliance.inputs_of`)
turned into SQL, so the list, the counts and the CSV cannot disagree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Date, Select, and_, case, func, or_, select, tuple_, type_coerce
from sqlalchemy.orm import aliased

from screening.applications.models import Application
from screening.catalogue.models import CriticalFunction
from screening.clearances.models import Clearance
from screening.db import db
from screening.pagination import Page, page_of
from screening.people.models import Person
from screening.workforce.models import WorkforceMember
from screening.workforce.queries import ROW_COLUMNS, function_name, searched
from workflows.clearance import COVERING_STATES
from workflows.compliance import Compliance, Standing, compliance, inputs_of, standing

Member = WorkforceMember
LatestFile = aliased(Application, name="latest_file")

#: :func:`screening.catalogue.deadlines.deadline_for` in SQL (a test holds them equal): the function's
#: date, unless the person started after it (or the function has none), then the day they started.
DEADLINE = type_coerce(
    case(
        (
            or_(CriticalFunction.required_from.is_(None), CriticalFunction.required_from < Member.started_on),
            Member.started_on,
        ),
        else_=CriticalFunction.required_from,
    ),
    Date,
)


@dataclass(frozen=True)
class Line:
    """A member and where they stand."""

    row: Any
    compliance: Compliance


def _latest_files(organisation_id: int | None) -> Any:
    """(organisation, person, id of the organisation's latest file on the person)."""
    statement = select(
        Application.organisation_id, Application.person_id, func.max(Application.id).label("application_id")
    ).group_by(Application.organisation_id, Application.person_id)
    if organisation_id is not None:
        statement = statement.where(Application.organisation_id == organisation_id)
    return statement.subquery("latest_files")


def _covers(organisation_id: int | None) -> Any:
    """(organisation, person, end of the covering clearance the organisation's files are linked to)."""
    statement = (
        select(
            Application.organisation_id, Application.person_id, func.max(Clearance.valid_until).label("covered_until")
        )
        .join(Clearance, Clearance.id == Application.clearance_id)
        .where(Clearance.state.in_(sorted(COVERING_STATES)))
        .group_by(Application.organisation_id, Application.person_id)
    )
    if organisation_id is not None:
        statement = statement.where(Application.organisation_id == organisation_id)
    return statement.subquery("covers")


def _joined(statement: Select[Any], organisation_id: int | None, today: date) -> tuple[Select[Any], Any]:
    """``statement`` over the current members (of one organisation, or all), joined to the decision's inputs."""
    latest, covers = _latest_files(organisation_id), _covers(organisation_id)
    joined = (
        statement.select_from(Member)
        .join(CriticalFunction, CriticalFunction.id == Member.function_id)
        .outerjoin(Person, Person.identity_hash == Member.identity_hash)
        .outerjoin(latest, and_(latest.c.person_id == Person.id, latest.c.organisation_id == Member.organisation_id))
        .outerjoin(LatestFile, LatestFile.id == latest.c.application_id)
        .outerjoin(covers, and_(covers.c.person_id == Person.id, covers.c.organisation_id == Member.organisation_id))
        .where(or_(Member.ended_on.is_(None), Member.ended_on >= today))
    )
    if organisation_id is not None:
        joined = joined.where(Member.organisation_id == organisation_id)
    return joined, covers


def _covered(covers: Any, today: date) -> ColumnElement[bool]:
    return covers.c.covered_until >= today


def _standing_filter(wanted: Standing, covers: Any, today: date) -> ColumnElement[bool]:
    needs_cover, pairs = inputs_of(wanted)
    if needs_cover:
        return _covered(covers, today)
    uncovered = or_(covers.c.covered_until.is_(None), covers.c.covered_until < today)
    keys = [(state or "", advice or "") for state, advice in pairs]
    file_inputs = tuple_(func.coalesce(LatestFile.state, ""), func.coalesce(LatestFile.advice_type, ""))
    return and_(uncovered, file_inputs.in_(keys))


def _overdue(covers: Any, today: date) -> ColumnElement[bool]:
    return and_(or_(covers.c.covered_until.is_(None), covers.c.covered_until < today), DEADLINE <= today)  # noqa: SIM300


def lines_statement(
    organisation_id: int,
    today: date,
    locale: str,
    *,
    wanted: Standing | None = None,
    overdue: bool = False,
    query: str | None = None,
) -> Select[Any]:
    """Every current member with the decision's inputs, filtered, by name."""
    columns = select(
        *ROW_COLUMNS, function_name(locale).label("function_name"), LatestFile.state, LatestFile.advice_type,
        DEADLINE.label("deadline"),
    )  # fmt: skip
    statement, covers = _joined(columns, organisation_id, today)
    statement = statement.add_columns(covers.c.covered_until.label("cover_ends"))
    if wanted is not None:
        statement = statement.where(_standing_filter(wanted, covers, today))
    if overdue:
        statement = statement.where(_overdue(covers, today))
    if query:
        statement = searched(statement, query)
    return statement.order_by(Member.search_name, Member.id)


def line_for(organisation_id: int, member_id: int, today: date, locale: str) -> Line | None:
    """One member's line (None after their last day): the entry's page shows it."""
    row = db.session.execute(lines_statement(organisation_id, today, locale).where(Member.id == member_id)).first()
    return line_of(row, today) if row is not None else None


def line_of(row: Any, today: date) -> Line:
    return Line(
        row,
        compliance(
            state=row.state, advice_type=row.advice_type, covered_until=row.cover_ends, deadline=row.deadline,
            today=today,
        ),
    )  # fmt: skip


def page_of_lines(statement: Select[Any], page: int, per_page: int, today: date, *, total: int | None) -> Page[Line]:
    """One page of lines: one query. ``total`` is the number of matching lines when the counts tell it (no
    search); otherwise a bounded count follows, as on every list."""
    page = max(1, page)
    rows = list(db.session.execute(statement.limit(per_page + 1).offset((page - 1) * per_page)))
    following = len(rows) > per_page
    if total is None:
        counted = page_of(rows, statement, page, per_page)
        total, more = counted.total, counted.more
    else:
        more = False
    return Page(
        items=[line_of(row, today) for row in rows[:per_page]], page=page, per_page=per_page, total=total,
        more=more, following=following,
    )  # fmt: skip


def all_lines(statement: Select[Any], today: date) -> Iterator[Line]:
    """Every line, streamed in batches (the CSV export): memory stays flat for a large register."""
    for row in db.session.execute(statement.execution_options(yield_per=1000)):
        yield line_of(row, today)


@dataclass(frozen=True)
class Counts:
    """Current members per standing and whether past their deadline without cover."""

    groups: dict[tuple[Standing, bool], int]

    @property
    def by_standing(self) -> dict[Standing, int]:
        return {s: self.groups.get((s, False), 0) + self.groups.get((s, True), 0) for s in Standing}

    @property
    def overdue(self) -> int:
        return sum(number for (_standing, late), number in self.groups.items() if late)

    @property
    def total(self) -> int:
        return sum(self.groups.values())

    def matching(self, wanted: Standing | None, overdue: bool) -> int:
        """How many lines the view's filters leave (its search aside)."""
        return sum(
            number
            for (each, late), number in self.groups.items()
            if (wanted is None or each is wanted) and (late or not overdue)
        )


def counts(organisation_id: int, today: date) -> Counts:
    """The members per standing and whether past their deadline without cover: one grouped query, each group
    (file state, advice, covered, overdue) decided by the same function as the lines."""
    statement, covers = _joined(select(), organisation_id, today)
    covered = case((_covered(covers, today), 1), else_=0)
    late = case((_overdue(covers, today), 1), else_=0)
    grouped = statement.add_columns(LatestFile.state, LatestFile.advice_type, covered, late, func.count()).group_by(
        LatestFile.state, LatestFile.advice_type, covered, late
    )
    groups: Counter[tuple[Standing, bool]] = Counter()
    for state, advice, is_covered, is_late, number in db.session.execute(grouped):
        groups[(standing(state, advice, bool(is_covered)), bool(is_late))] += number
    return Counts(dict(groups))


def port_summary(today: date) -> dict[int, tuple[int, int]]:
    """(current members, of whom past their deadline without cover) per organisation: one grouped query."""
    statement, covers = _joined(select(), None, today)
    late = func.sum(case((_overdue(covers, today), 1), else_=0))
    rows = db.session.execute(
        statement.add_columns(Member.organisation_id, func.count(), late).group_by(Member.organisation_id)
    )
    return {organisation_id: (number, int(overdue or 0)) for organisation_id, number, overdue in rows}
