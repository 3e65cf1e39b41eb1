"""Reading applications. Organisation scoping happens here, so no view can forget it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from functools import cache
from typing import Any, NamedTuple

from flask import abort
from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    bindparam,
    false,
    func,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.orm import aliased, joinedload

from screening.applications.models import Application
from screening.audit.models import AuditEntry
from screening.auth.models import User
from screening.catalogue.models import CriticalFunction
from screening.clearances.models import Clearance
from screening.db import Prepared, db, iso_utc
from screening.extensions import vault
from screening.organisations.models import Organisation
from screening.pagination import Page, counted_page, page_from, page_values
from screening.people.identifiers import IdentifierError, parse_national_number
from screening.people.models import Person
from screening.people.operations import search_key
from workflows.application import QUEUE_STATES
from workflows.roles import AUTHORITY_ROLES, EMPLOYER_ROLES, READER_ROLES

#: Roles that read applications at all, and those limited to their own organisation.
READERS = READER_ROLES
#: The officer a file is assigned to, in the lists.
Assignee = aliased(User, name="assignee")
#: A search that is a national register number: digits and the usual separators, 11 digits in all.
_NATIONAL_NUMBER = re.compile(r"[\d.\-/ ]+")


def visible(user: User) -> Select[tuple[Application]]:
    """Applications ``user`` may see: their organisation's for employers, all for the authority."""
    statement = select(Application)
    sees = _sees(user)
    if sees == "organisation":
        return statement.where(Application.organisation_id == user.organisation_id)
    if sees == "all":
        return statement
    return statement.where(False)


def _sees(user: User) -> str:
    """Which applications ``user`` may see: ``organisation`` (employers), ``all`` (the authority), ``none``."""
    if user.role in EMPLOYER_ROLES:
        return "organisation"
    if user.role in AUTHORITY_ROLES:
        return "all"
    return "none"


#: The columns a list shows, as one flat row per application: loading 50 ORM objects with their person,
#: function and organisation cost four times the whole query, and a list needs none of their behaviour.
Listing = Row[Any]


def _listing(
    ids: Any, order: Sequence[ColumnElement[Any]], locale: str, extra: Sequence[ColumnElement[Any]] = ()
) -> Select[Any]:
    """The rows of one page: the page's ids are chosen first, on ``applications`` and its indexes alone,
    then joined to the function, organisation and assignee, so the joins touch 51 rows, never the whole set.
    The person's names are those the file's employer declared (never the authority's shared record)."""
    names = {"nl": CriticalFunction.name_nl, "fr": CriticalFunction.name_fr}
    function_name = names.get(locale, CriticalFunction.name_en)
    return (
        select(
            Application.id,
            Application.reference,
            Application.state,
            Application.created_at,
            Application.submitted_at,
            Application.due_on,
            Application.version,
            Application.assigned_to_id,
            Assignee.display_name.label("assignee_name"),
            Application.declared_family_name.label("family_name"),
            Application.declared_given_names.label("given_names"),
            function_name.label("function_name"),
            Organisation.name.label("organisation_name"),
            *extra,
        )  # fmt: skip
        .select_from(ids)
        .join(Application, Application.id == ids.c.id)
        .join(CriticalFunction, CriticalFunction.id == Application.function_id)
        .join(Organisation, Organisation.id == Application.organisation_id)
        .outerjoin(Assignee, Assignee.id == Application.assigned_to_id)
        .order_by(*order)
    )


def _prefix_range(key: str) -> tuple[str, str] | None:
    """Bounds of the strings starting with ``key``, for an index range scan: SQLite's LIKE is
    case-insensitive and PostgreSQL's needs a "C" collation, so neither uses the search_name index for
    ``LIKE 'jan%'``, while both do for ``>= 'jan' AND < 'jao'``. LIKE stays as the exact filter."""
    if not key or ord(key[-1]) >= 0x10FFFF:
        return None
    return key, key[:-1] + chr(ord(key[-1]) + 1)


def _name_prefix(column: Any, bounded: bool) -> ColumnElement[bool]:
    """``column`` starts with the bound ``key`` (and, when ``bounded``, lies in ``[low, high)``)."""
    condition = column.startswith(bindparam("key", type_=column.type))
    if not bounded:
        return condition
    return and_(condition, column >= bindparam("low", type_=column.type), column < bindparam("high", type_=column.type))


def _search(query: str, *, declared: bool) -> tuple[str, dict[str, Any]]:
    """What kind of search ``query`` is (the shape of its statement) and the values it binds."""
    query = query.strip()
    if query.upper().startswith("SCR") and any(ch.isdigit() for ch in query):
        return _prefix("reference", query.upper())
    if _NATIONAL_NUMBER.fullmatch(query) and sum(ch.isdigit() for ch in query) == 11:
        try:
            digits = parse_national_number(query).digits
        except IdentifierError:
            return "nothing", {}
        return "number", {"hash": vault().lookup_hash("BE-NRN", digits)}
    key = search_key(query).replace("\\", "").replace("%", "").replace("_", "")
    if not key:
        return "", {}
    return _prefix("declared" if declared else "person", key)


def _prefix(kind: str, key: str) -> tuple[str, dict[str, Any]]:
    bounds = _prefix_range(key)
    if bounds is None:
        return f"{kind}-unbounded", {"key": key}
    return kind, {"key": key, "low": bounds[0], "high": bounds[1]}


def _search_clause(statement: Select[Any], kind: str) -> Select[Any]:
    """``statement`` (over ``applications``) narrowed by the search of ``kind``, its values bound."""
    name, _dash, unbounded = kind.partition("-")
    bounded = not unbounded
    if name == "reference":
        return statement.where(_name_prefix(Application.reference, bounded))
    if name == "nothing":
        return statement.where(false())
    if name == "number":
        persons = select(Person.id).where(Person.identity_hash == bindparam("hash", type_=Person.identity_hash.type))
        return statement.where(Application.person_id.in_(persons))
    if name == "declared":
        return statement.where(
            or_(
                _name_prefix(Application.declared_search_name, bounded),
                _name_prefix(Application.declared_search_given, bounded),
            )
        )
    if name == "person":  # the persons first, from their two name indexes, then their files (not a join:
        # SQLite then read each match's person again per file, 40 % of the search)
        persons = select(Person.id).where(
            or_(_name_prefix(Person.search_name, bounded), _name_prefix(Person.search_given, bounded))
        )
        return statement.where(Application.person_id.in_(persons))
    return statement


def searched(statement: Select[Any], query: str, *, declared: bool = False) -> Select[Any]:
    """``statement`` (over ``applications``) narrowed to the files a search finds: a reference
    (``SCR-2026-000123`` or its start), a national register number (through its keyed hash: one index
    lookup, never a scan of the encrypted numbers), or the start of the person's given or family name,
    accents and case ignored (two index ranges, ``search_name`` and ``search_given``). With ``declared``
    (an employer's search) the names are those the files declared: searching the shared record would tell
    an employer what another employer typed."""
    kind, values = _search(query, declared=declared)
    return _search_clause(statement, kind).params(values)


def _scoped(statement: Select[Any], sees: str) -> Select[Any]:
    """``statement`` limited to what a reader who ``sees`` (:func:`_sees`) may see, the organisation bound."""
    if sees == "organisation":
        return statement.where(Application.organisation_id == bindparam("organisation_id"))
    if sees == "none":
        return statement.where(false())
    return statement


def _run(statement: Select[Any], values: dict[str, Any]) -> list[Listing]:
    """Rows of a statement built once (Core on the session's connection: no ORM loading of the rows)."""
    return list(db.session.connection().execute(statement, values))


def list_applications(
    user: User, *, page: int, per_page: int, state: str | None = None, query: str | None = None, locale: str = "en"
) -> Page[Listing]:
    """A page of the applications ``user`` may see, newest first, filtered by state and found by
    :func:`searched` (reference, national register number, given or family name). The statements are
    built once per shape of request (:func:`pagination.counted_page`)."""
    page = max(1, page)
    sees = _sees(user)
    kind, values = _search(query, declared=user.role in EMPLOYER_ROLES) if query else ("", {})
    statement, counted = _list_statement(sees, bool(state), kind, locale)
    values |= page_values(page, per_page) | {"organisation_id": user.organisation_id, "state": state}
    rows = _run(statement, values)
    return page_from(rows, page, per_page, counted, values, db.session.connection())


@cache
def _list_statement(sees: str, by_state: bool, search: str, locale: str) -> tuple[Select[Any], Select[Any]]:
    """The list's statement (page and count) for one shape of request, built once: building and hashing
    the statements cost more than running them (docs/benchmarks-pages.md)."""
    scope = _scoped(select(Application.id), sees)
    if by_state:
        scope = scope.where(Application.state == bindparam("state"))
    scope = _search_clause(scope, search)
    newest_first = (Application.created_at.desc(), Application.id.desc())
    ids = scope.order_by(*newest_first).limit(bindparam("limit")).offset(bindparam("offset"))
    return counted_page(ids, scope, lambda page_ids: _listing(page_ids, newest_first, locale))


#: How the queue can be sorted: the column walked in each state's index, and its direction.
QUEUE_SORTS = ("submitted", "due", "organisation")
#: The API list's columns, named and ordered as its items (``api/schemas.py`` ``ApplicationItem``); the moments
#: as the ISO text the items show.
_API_COLUMNS = (
    Application.id, Application.reference, Application.external_id, Application.state, Application.version,
    iso_utc(Application.created_at).label("created_at"),
    iso_utc(Application.state_changed_at).label("state_changed_at"),
    iso_utc(Application.submitted_at).label("submitted_at"),
    Application.declared_given_names.label("given_names"), Application.declared_family_name.label("family_name"),
)  # fmt: skip


def list_applications_after(
    user: User,
    *,
    limit: int,
    after: tuple[datetime, int] | None = None,
    state: str | None = None,
    updated_since: datetime | None = None,
    locale: str = "en",
) -> list[dict[str, Any]]:
    """Up to ``limit + 1`` items of the applications ``user`` may see, for a cursor: newest first, or, with
    ``updated_since``, the files whose state changed since then, oldest change first (a poller's order);
    ``after`` is the sort key of the last row already seen. Each item holds the members of an API item, its
    moments as ISO text (:class:`screening.db.iso_utc`)."""
    sees = _sees(user)
    statement = _cursor_statement(sees, bool(state), updated_since is not None, after is not None, locale)
    values: dict[str, Any] = {"limit": limit + 1, "organisation_id": user.organisation_id, "state": state}
    values |= {
        "since": updated_since,
        "after_moment": after[0] if after else None,
        "after_id": after[1] if after else 0,
    }
    keys = statement.keys
    return [dict(zip(keys, row, strict=False)) for row in statement.rows(db.session.connection(), values)]  # one shape


@cache
def _cursor_statement(sees: str, by_state: bool, by_change: bool, after: bool, locale: str) -> Prepared:
    """The API list's statement for one shape of request, built and compiled once: building, hashing and
    executing a statement through SQLAlchemy cost more than the database's work (docs/benchmarks-pages.md).
    The page's ids come first, from ``applications`` and its indexes alone; only those 51 rows are joined to
    their function."""
    statement = select(Application.id)
    if sees == "organisation":
        statement = statement.where(Application.organisation_id == bindparam("organisation_id"))
    elif sees == "none":
        statement = statement.where(false())
    if by_state:
        statement = statement.where(Application.state == bindparam("state"))
    moment = Application.state_changed_at if by_change else Application.created_at
    key = tuple_(moment, Application.id)
    bound = tuple_(bindparam("after_moment", type_=moment.type), bindparam("after_id"))
    if by_change:
        order = (Application.state_changed_at.asc(), Application.id.asc())
        statement = statement.where(Application.state_changed_at >= bindparam("since", type_=moment.type))
        if after:
            statement = statement.where(key > bound)
    else:
        order = (Application.created_at.desc(), Application.id.desc())
        if after:
            statement = statement.where(key < bound)
    ids = statement.order_by(*order).limit(bindparam("limit")).subquery("page_ids")
    names = {"nl": CriticalFunction.name_nl, "fr": CriticalFunction.name_fr}
    return Prepared(
        select(*_API_COLUMNS, names.get(locale, CriticalFunction.name_en).label("function_name"))
        .select_from(ids)
        .join(Application, Application.id == ids.c.id)
        .join(CriticalFunction, CriticalFunction.id == Application.function_id)
        .order_by(*order)
    )


def officer_queue(
    user: User,
    *,
    page: int,
    per_page: int,
    state: str | None = None,
    locale: str = "en",
    overdue_on: date | None = None,
    sort: str = "submitted",
    assigned_to: int | None = None,
) -> Page[Listing]:
    """The authority's work, oldest submission first (or soonest due, or by organisation); with
    ``overdue_on``, only the files whose advice was due before that day; with ``assigned_to``, only the
    files that officer claimed.

    One index range per queue state (``ix_applications_state_submitted`` is in submission order within a
    state, ``ix_applications_state_due_on`` in due order, ``ix_applications_assignee_state_submitted``
    for one officer's files), merged: neither backend can read ``state IN (...)`` from an index in order,
    and sorting the whole queue (100,000 files at the scale of the brief) on every view is what this avoids.
    By organisation, the files are in the organisations' name order: that sort joins the organisations.
    """
    page = max(1, page)
    states = (state,) if state in QUEUE_STATES else tuple(sorted(QUEUE_STATES))
    statement, counted = _queue_statement(
        _sees(user), states, overdue_on is not None, assigned_to is not None, sort, locale
    )
    values = page_values(page, per_page) | {
        "organisation_id": user.organisation_id, "overdue_on": overdue_on, "assigned_to": assigned_to,
        "branch_limit": page * per_page + 1,
    }  # fmt: skip
    rows = _run(statement, values)
    return page_from(rows, page, per_page, counted, values, db.session.connection())


@cache
def _queue_statement(
    sees: str, states: tuple[str, ...], overdue: bool, assigned: bool, sort: str, locale: str
) -> tuple[Select[Any], Select[Any]]:
    """The queue's statement (page and count) for one shape of request, built once (one ``UNION ALL``
    branch per state was most of the queue's cost when built on every view)."""
    scope = _scoped(select(Application.id), sees)
    if overdue:
        scope = scope.where(Application.due_on < bindparam("overdue_on", type_=Application.due_on.type))
    if assigned:
        scope = scope.where(Application.assigned_to_id == bindparam("assigned_to"))
    if sort == "organisation":
        order: tuple[ColumnElement[Any], ...] = (
            Organisation.name.asc(),
            Application.submitted_at.asc(),
            Application.id.asc(),
        )
        ids = (
            scope.join(Organisation, Organisation.id == Application.organisation_id)
            .where(Application.state.in_(states)).order_by(*order)
            .limit(bindparam("limit")).offset(bindparam("offset"))
        )  # fmt: skip
    else:
        column = Application.due_on if sort == "due" else Application.submitted_at
        order = (column.asc().nulls_last(), Application.id.asc())
        branches = [
            select(branch.c.id, branch.c.key).select_from(branch)
            for branch in (
                scope.add_columns(column.label("key"))
                .where(Application.state == name)
                .order_by(*order)
                .limit(bindparam("branch_limit"))
                .subquery(f"queue_{name}")
                for name in states
            )
        ]
        merged = union_all(*branches).subquery("queue")
        ids = (
            select(merged.c.id)
            .order_by(merged.c.key.asc().nulls_last(), merged.c.id.asc())
            .limit(bindparam("limit"))
            .offset(bindparam("offset"))
        )
    everything = scope.where(Application.state.in_(states))
    return counted_page(ids, everything, lambda page_ids: _listing(page_ids, order, locale))


def get_application(user: User, application_id: int) -> Application:
    """The application if ``user`` may see it; 404 otherwise, so other organisations' files stay unseen."""
    values = {"application_id": application_id, "organisation_id": user.organisation_id}
    application = db.session.scalar(_application_statement(_sees(user)), values)
    if application is None:
        abort(404)
    return application


@cache
def _application_statement(sees: str) -> Select[tuple[Application]]:
    """:func:`get_application`'s statement per scope, built once (building it cost more than running it)."""
    return _one_file(select(Application), sees).options(
        joinedload(Application.person),
        joinedload(Application.function),
        joinedload(Application.organisation),
        joinedload(Application.clearance),
        joinedload(Application.created_by),
        joinedload(Application.assigned_to),
        joinedload(Application.decision),
    )  # fmt: skip


def _one_file(statement: Select[Any], sees: str) -> Select[Any]:
    """``statement`` narrowed to the file ``application_id`` if its reader (``sees``) may see it (:func:`_scoped`)."""
    return _scoped(statement.where(Application.id == bindparam("application_id")), sees)


#: What the file page shows of a file, as one flat row: the file's own columns, the person's masked number and
#: the authority's record of them (compared with the declaration for officers), the function in the page's
#: language, the organisation, the assignee and the clearance. Loading the file with its six relationships
#: as ORM objects cost more than the rest of the page's reads together.
FileRow = Row[Any]
_FILE_COLUMNS = (
    Application.id, Application.reference, Application.state, Application.version, Application.organisation_id,
    Application.person_id, Application.clearance_id, Application.assigned_to_id, Application.created_at,
    Application.state_changed_at, Application.submitted_at, Application.due_on, Application.decided_at,
    Application.advice_type, Application.appeal_deadline, Application.assigned_at, Application.info_request,
    Application.info_response, Application.erased_at, Application.declared_given_names,
    Application.declared_family_name, Application.declared_date_of_birth, Application.declared_nationality,
    Application.declared_email, Application.declared_locale,
    Person.national_number_masked, Person.given_names.label("person_given_names"),
    Person.family_name.label("person_family_name"), Person.date_of_birth.label("person_date_of_birth"),
    Person.erased_at.label("person_erased_at"),
    CriticalFunction.category.label("function_category"), Organisation.name.label("organisation_name"),
    Assignee.display_name.label("assignee_name"), Clearance.reference.label("clearance_reference"),
    Clearance.valid_until.label("clearance_valid_until"),
)  # fmt: skip


def get_file(user: User, application_id: int, locale: str = "en") -> FileRow:
    """The file page's file as one flat row (:data:`FileRow`), if ``user`` may see it; 404 otherwise, as
    :func:`get_application`. The page only reads, so the row comes from the session's connection (Core)."""
    values = {"application_id": application_id, "organisation_id": user.organisation_id}
    row = db.session.connection().execute(_file_statement(_sees(user), locale), values).first()
    if row is None:
        abort(404)
    return row


@cache
def _file_statement(sees: str, locale: str) -> Select[Any]:
    names = {"nl": CriticalFunction.name_nl, "fr": CriticalFunction.name_fr}
    statement = (
        select(*_FILE_COLUMNS, names.get(locale, CriticalFunction.name_en).label("function_name"))
        .select_from(Application)
        .join(Person, Person.id == Application.person_id)
        .join(CriticalFunction, CriticalFunction.id == Application.function_id)
        .join(Organisation, Organisation.id == Application.organisation_id)
        .outerjoin(Assignee, Assignee.id == Application.assigned_to_id)
        .outerjoin(Clearance, Clearance.id == Application.clearance_id)
    )
    return _one_file(statement, sees)


#: Trail entries that read the file rather than change it: summarised on the file page, never listed.
READ_ACTIONS = ("read_grounds", "read_appeal_letter")


class GroundsReads(NamedTuple):
    """How often a file's grounds were read, and the last read: who and when."""

    count: int
    actor: str
    at: datetime


def timeline(application_id: int) -> tuple[list[Row[Any]], GroundsReads | None]:
    """The file's changes, oldest first (rows of the trail's ``id``, ``at``, ``actor``, ``role``, ``action``,
    ``from_state``, ``to_state``, ``reason``), and how often its grounds were read with the last read (None
    when they never were), in one statement: the reads are summarised, never listed, so the list does not grow
    with every page view. The summary is the one row the changes are joined to."""
    rows = db.session.connection().execute(_timeline_statement(), {"application_id": application_id}).all()
    summary = rows[0]
    changes = [row for row in rows if row.id is not None]
    reads = GroundsReads(summary.read_count, summary.read_by, summary.read_at) if summary.read_count else None
    return changes, reads


@cache
def _timeline_statement() -> Select[Any]:
    trail = AuditEntry.__table__
    last = trail.alias("last_read")
    about = and_(trail.c.object_type == "application", trail.c.object_id == bindparam("application_id"))
    reads = (
        select(func.count().label("count"), func.max(trail.c.id).label("last_id"))
        .where(about, trail.c.action == "read_grounds")
        .subquery("reads")
    )
    summary = (reads.c.count.label("read_count"), last.c.actor.label("read_by"), last.c.at.label("read_at"))
    change = (trail.c.id, trail.c.at, trail.c.actor, trail.c.role, trail.c.action, trail.c.from_state)
    return (
        select(*summary, *change, trail.c.to_state, trail.c.reason)
        .select_from(reads)
        .outerjoin(last, last.c.id == reads.c.last_id)
        .outerjoin(trail, and_(about, trail.c.action.not_in(READ_ACTIONS)))
        .order_by(trail.c.id)
    )


def is_overdue(application: Application, today: date) -> bool:
    return application.due_on is not None and application.state in QUEUE_STATES and application.due_on < today
