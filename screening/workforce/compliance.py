"""The compliance view's reads: where every current member of a register stands against their function's
deadline (:func:`workflows.compliance.compliance` decides; this module only gathers its inputs).

A page is one query for its rows, whatever the register's size, never a query per member. The default
view (and the filters most members match: not requested, overdue) walks the register's name index
(``ix_workforce_members_org_name``) and stops after the page: each line's inputs, the organisation's latest
file on the person and the end of the covering clearance linked through this organisation's own files, are
correlated look-ups of the index of files per person, made for the lines read only. The filters only people
with a file of this organisation can match (covered, in progress, negative, refused) join the per-person
aggregates of the organisation's files instead, which are at most as many as its files. Both read the same
inputs, so the list, the counts and the CSV cannot disagree. Filters are the decision's own inputs
(:func:`workflows.compliance.inputs_of`) turned into SQL.

The counts group every current member, so they are memoised per node (:func:`counts`), keyed by the
organisation, today's date and :func:`inputs_version`, the organisation's change counters; the page they
are shown on is kept per the same counters (:mod:`screening.workforce.page_memo`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Date, Select, and_, case, func, or_, select, tuple_, type_coerce
from sqlalchemy.orm import aliased

from screening.applications.models import Application
from screening.catalogue.models import CriticalFunction
from screening.clearances.models import Clearance
from screening.db import db
from screening.pagination import COUNT_LIMIT, Page
from screening.people.models import Person
from screening.workforce import page_memo, summary
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


#: The standings only a member with a file of this organisation can have: their filters start from the
#: organisation's files (few) instead of walking the whole register by name.
_FILE_STANDINGS = frozenset({Standing.COVERED, Standing.IN_PROGRESS, Standing.NEGATIVE, Standing.REFUSED})


def _current(today: date) -> ColumnElement[bool]:
    """In the function today (a leaver's last day still counts)."""
    return or_(Member.ended_on.is_(None), Member.ended_on >= today)


def _joined(statement: Select[Any], organisation_id: int | None, today: date) -> tuple[Select[Any], Any]:
    """``statement`` over the current members (of one organisation, or all), joined to the decision's inputs
    as aggregates of the organisation's files (the counts); returns it and the end of each member's cover."""
    latest, covers = _latest_files(organisation_id), _covers(organisation_id)
    joined = (
        statement.select_from(Member)
        .join(CriticalFunction, CriticalFunction.id == Member.function_id)
        .outerjoin(Person, Person.identity_hash == Member.identity_hash)
        .outerjoin(latest, and_(latest.c.person_id == Person.id, latest.c.organisation_id == Member.organisation_id))
        .outerjoin(LatestFile, LatestFile.id == latest.c.application_id)
        .outerjoin(covers, and_(covers.c.person_id == Person.id, covers.c.organisation_id == Member.organisation_id))
        .where(_current(today))
    )
    if organisation_id is not None:
        joined = joined.where(Member.organisation_id == organisation_id)
    return joined, covers.c.covered_until


def _own_files() -> ColumnElement[bool]:
    return and_(Application.person_id == Person.id, Application.organisation_id == Member.organisation_id)


def _latest_of_line() -> Any:
    """The id of the organisation's latest file on the line's person, looked up for that line alone."""
    return select(func.max(Application.id)).where(_own_files()).correlate(Person, Member).scalar_subquery()


def _cover_of_line() -> Any:
    """The end of the covering clearance linked to one of the organisation's files on the line's person (the
    privacy rule of :mod:`workflows.compliance`), looked up for that line alone."""
    return (
        select(func.max(Clearance.valid_until))
        .select_from(Application)
        .join(Clearance, Clearance.id == Application.clearance_id)
        .where(_own_files(), Clearance.state.in_(sorted(COVERING_STATES)))
        .correlate(Person, Member)
        .scalar_subquery()
    )


def _lines_from(
    statement: Select[Any], organisation_id: int, today: date, wanted: Standing | None
) -> tuple[Select[Any], Any]:
    """``statement`` over the organisation's current members with each line's inputs; returns it and the end
    of each member's cover. By default the register's name index is walked and each input looked up for the
    lines read (the database stops after the page); a standing only file holders have starts from the one
    aggregate of the organisation's files it needs (the covers, or the latest files), inner-joined, and looks
    the other input up per line."""
    lines = statement.select_from(Member).join(CriticalFunction, CriticalFunction.id == Member.function_id)
    if wanted is Standing.COVERED:
        covers = _covers(organisation_id)
        lines = (
            lines.join(Person, Person.identity_hash == Member.identity_hash)
            .join(covers, and_(covers.c.person_id == Person.id, covers.c.organisation_id == Member.organisation_id))
            .outerjoin(LatestFile, LatestFile.id == _latest_of_line())
        )
        cover_ends = covers.c.covered_until
    elif wanted in _FILE_STANDINGS:
        latest = _latest_files(organisation_id)
        lines = (
            lines.join(Person, Person.identity_hash == Member.identity_hash)
            .join(latest, and_(latest.c.person_id == Person.id, latest.c.organisation_id == Member.organisation_id))
            .join(LatestFile, LatestFile.id == latest.c.application_id)
        )
        cover_ends = _cover_of_line()
    else:
        lines = lines.outerjoin(Person, Person.identity_hash == Member.identity_hash).outerjoin(
            LatestFile, LatestFile.id == _latest_of_line()
        )
        cover_ends = _cover_of_line()
    return lines.where(Member.organisation_id == organisation_id, _current(today)), cover_ends


def _covered(cover_ends: Any, today: date) -> ColumnElement[bool]:
    return cover_ends >= today


def _uncovered(cover_ends: Any, today: date) -> ColumnElement[bool]:
    return or_(cover_ends.is_(None), cover_ends < today)


def _standing_filter(wanted: Standing, cover_ends: Any, today: date) -> ColumnElement[bool]:
    needs_cover, pairs = inputs_of(wanted)
    if needs_cover:
        return _covered(cover_ends, today)
    keys = [(state or "", advice or "") for state, advice in pairs]
    file_inputs = tuple_(func.coalesce(LatestFile.state, ""), func.coalesce(LatestFile.advice_type, ""))
    return and_(_uncovered(cover_ends, today), file_inputs.in_(keys))


def _overdue(cover_ends: Any, today: date) -> ColumnElement[bool]:
    return and_(_uncovered(cover_ends, today), DEADLINE <= today)  # noqa: SIM300


def lines_statement(
    organisation_id: int,
    today: date,
    locale: str,
    *,
    wanted: Standing | None = None,
    overdue: bool = False,
    query: str | None = None,
) -> Select[Any]:
    """Every current member with the decision's inputs, filtered, by name (see the module's docstring for
    the two ways of reading them)."""
    columns = select(
        *ROW_COLUMNS, function_name(locale).label("function_name"), LatestFile.state, LatestFile.advice_type,
        DEADLINE.label("deadline"),
    )  # fmt: skip
    statement, cover_ends = _lines_from(columns, organisation_id, today, wanted)
    statement = statement.add_columns(cover_ends.label("cover_ends"))
    if wanted is not None:
        statement = statement.where(_standing_filter(wanted, cover_ends, today))
    if overdue:
        statement = statement.where(_overdue(cover_ends, today))
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
    more = False
    if total is None and not following and (rows or page == 1):
        total = (page - 1) * per_page + len(rows)  # the last page: what comes before it and what it holds
    elif total is None:
        # Bounded as :func:`screening.pagination.count_up_to`, over the lines' statement as it is (its joins
        # name their left side through correlated look-ups, which a statement rebuilt on other columns loses).
        bounded = statement.order_by(None).limit(COUNT_LIMIT + 1).subquery()
        counted = db.session.scalar(select(func.count()).select_from(bounded)) or 0
        total, more = min(counted, COUNT_LIMIT), counted > COUNT_LIMIT
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
    """:func:`count_now`, memoised on this node while :func:`inputs_version` stays the same: the grouped count
    reads every member, the version two rows by primary key."""
    return _memoised(organisation_id, today, lambda: count_now(organisation_id, today))


def count_now(organisation_id: int, today: date) -> Counts:
    """The members per standing and whether past their deadline without cover: one grouped query, each group
    (file state, advice, covered, overdue) decided by the same function as the lines."""
    statement, cover_ends = _joined(select(), organisation_id, today)
    covered = case((_covered(cover_ends, today), 1), else_=0)
    late = case((_overdue(cover_ends, today), 1), else_=0)
    grouped = statement.add_columns(LatestFile.state, LatestFile.advice_type, covered, late, func.count()).group_by(
        LatestFile.state, LatestFile.advice_type, covered, late
    )
    groups: Counter[tuple[Standing, bool]] = Counter()
    for state, advice, is_covered, is_late, number in db.session.execute(grouped):
        groups[(standing(state, advice, bool(is_covered)), bool(is_late))] += number
    return Counts(dict(groups))


def port_summary(today: date) -> dict[int, tuple[int, int]]:
    """(current members, of whom past their deadline without cover) per organisation: computed from the
    registers outwards and memoised per version of its inputs by :mod:`screening.workforce.summary`."""
    return summary.port_summary(today)


def port_summary_now(today: date) -> dict[int, tuple[int, int]]:
    """(current members, of whom past their deadline without cover) per organisation: one grouped query."""
    statement, cover_ends = _joined(select(), None, today)
    late = func.sum(case((_overdue(cover_ends, today), 1), else_=0))
    rows = db.session.execute(
        statement.add_columns(Member.organisation_id, func.count(), late).group_by(Member.organisation_id)
    )
    return {organisation_id: (number, int(overdue or 0)) for organisation_id, number, overdue in rows}


# -- the counts' memo -------------------------------------------------------------------------------------
#: Where each app keeps its memoised counts: organisation id (None: the port-wide summary) to
#: (today, version, when computed, counts).
_MEMO_KEY = "screening.compliance_counts"
#: At most this many organisations' counts are kept; past it the memo starts again.
_MEMO_SIZE = 1024


def inputs_version(organisation_id: int) -> tuple[Any, ...]:
    """What the counts of ``organisation_id`` were computed from: the organisation's two change counters
    (:func:`screening.workforce.page_memo.version`, migration 0034), which triggers bump in the transaction of
    every change of what its view shows, on PostgreSQL at commit under the counters' row locks, so a version
    read is never older than a change committed before it. The days passing are in the memo's key (today's
    date). Without the counters (a database emptied by hand) the version is new on every call: no memo."""
    counters = page_memo.version(organisation_id)
    return counters if counters is not None else (object(),)


def _memoised(organisation_id: int, today: date, compute: Any) -> Any:
    """``compute()``, or what it gave before on this node for the same organisation, day and version."""
    version = inputs_version(organisation_id)
    memo: dict[int, tuple[date, tuple[Any, ...], Any]] = current_app.extensions.setdefault(_MEMO_KEY, {})
    found = memo.get(organisation_id)
    if found is not None and found[0] == today and found[1] == version:
        return found[2]
    value = compute()
    if len(memo) >= _MEMO_SIZE:
        memo.clear()
    memo[organisation_id] = (today, version, value)
    return value
