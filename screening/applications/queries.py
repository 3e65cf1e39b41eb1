"""Reading applications. Organisation scoping happens here, so no view can forget it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from flask import abort
from sqlalchemy import ColumnElement, Row, Select, Subquery, func, select, union_all
from sqlalchemy.orm import joinedload

from screening.applications.models import Application
from screening.audit.models import AuditEntry
from screening.auth.models import User
from screening.catalogue.models import CriticalFunction
from screening.db import db
from screening.organisations.models import Organisation
from screening.pagination import Page, page_of
from screening.people.models import Person
from screening.people.operations import search_key
from workflows.application import QUEUE_STATES
from workflows.roles import AUTHORITY_ROLES, EMPLOYER_ROLES, READER_ROLES

#: Roles that read applications at all, and those limited to their own organisation.
READERS = READER_ROLES


def visible(user: User) -> Select[tuple[Application]]:
    """Applications ``user`` may see: their organisation's for employers, all for the authority."""
    statement = select(Application)
    if user.role in EMPLOYER_ROLES:
        return statement.where(Application.organisation_id == user.organisation_id)
    if user.role in AUTHORITY_ROLES:
        return statement
    return statement.where(False)


#: The columns a list shows, as one flat row per application: loading 50 ORM objects with their person,
#: function and organisation cost four times the whole query, and a list needs none of their behaviour.
Listing = Row[Any]


def _listing(ids: Subquery, order: Sequence[ColumnElement[Any]], locale: str) -> Select[Any]:
    """The rows of one page: the page's ids are chosen first, on ``applications`` and its indexes alone,
    then joined to the person, function and organisation, so the joins touch 51 rows, never the whole set."""
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
            Person.family_name,
            Person.given_names,
            function_name.label("function_name"),
            Organisation.name.label("organisation_name"),
        )  # fmt: skip
        .select_from(ids)
        .join(Application, Application.id == ids.c.id)
        .join(Person, Person.id == Application.person_id)
        .join(CriticalFunction, CriticalFunction.id == Application.function_id)
        .join(Organisation, Organisation.id == Application.organisation_id)
        .order_by(*order)
    )


def _prefix_range(key: str) -> tuple[str, str] | None:
    """Bounds of the strings starting with ``key``, for an index range scan: SQLite's LIKE is
    case-insensitive and PostgreSQL's needs a "C" collation, so neither uses the search_name index for
    ``LIKE 'jan%'``, while both do for ``>= 'jan' AND < 'jao'``. LIKE stays as the exact filter."""
    if not key or ord(key[-1]) >= 0x10FFFF:
        return None
    return key, key[:-1] + chr(ord(key[-1]) + 1)


def list_applications(
    user: User, *, page: int, per_page: int, state: str | None = None, query: str | None = None, locale: str = "en"
) -> Page[Listing]:
    """A page of the applications ``user`` may see, newest first, filtered by state and searched by
    reference or by the start of the person's family name."""
    statement = visible(user).with_only_columns(Application.id)
    if state:
        statement = statement.where(Application.state == state)
    if query:
        query = query.strip()
        if query.upper().startswith(("SCR-", "SCR")) and any(ch.isdigit() for ch in query):
            statement = statement.where(Application.reference.startswith(query.upper()))
        else:
            key = search_key(query).replace("\\", "").replace("%", "").replace("_", "")
            statement = statement.join(Person, Person.id == Application.person_id).where(
                Person.search_name.startswith(key)
            )
            bounds = _prefix_range(key)
            if bounds:
                statement = statement.where(Person.search_name >= bounds[0], Person.search_name < bounds[1])
    newest_first = (Application.created_at.desc(), Application.id.desc())
    offset = (max(1, page) - 1) * per_page
    ids = statement.order_by(*newest_first).limit(per_page + 1).offset(offset).subquery("page_ids")
    rows = list(db.session.execute(_listing(ids, newest_first, locale)))
    return page_of(rows, statement, max(1, page), per_page)


def officer_queue(
    user: User,
    *,
    page: int,
    per_page: int,
    state: str | None = None,
    locale: str = "en",
    overdue_on: date | None = None,
) -> Page[Listing]:
    """The authority's work, oldest submission first; with ``overdue_on``, only the files whose advice was
    due before that day (the oldest are the overdue ones, so the walk in submission order stays short).

    One index range per queue state (``ix_applications_state_submitted`` is in submission order within a
    state), merged: neither backend can read ``state IN (...)`` from that index in submission order, and
    sorting the whole queue (100,000 files at the scale of the brief) on every view is what this avoids.
    """
    page = max(1, page)
    states = [state] if state in QUEUE_STATES else sorted(QUEUE_STATES)
    oldest_first = (Application.submitted_at.asc(), Application.id.asc())
    offset = (page - 1) * per_page
    scope = visible(user).with_only_columns(Application.id)
    if overdue_on is not None:
        scope = scope.where(Application.due_on < overdue_on)
    branches = [
        select(branch.c.id, branch.c.submitted_at).select_from(branch)
        for branch in (
            scope.add_columns(Application.submitted_at)
            .where(Application.state == name)
            .order_by(*oldest_first)
            .limit(offset + per_page + 1)
            .subquery(f"queue_{name}")
            for name in states
        )
    ]
    merged = union_all(*branches).subquery("queue")
    ids = (
        select(merged.c.id)
        .order_by(merged.c.submitted_at.asc(), merged.c.id.asc())
        .limit(per_page + 1)
        .offset(offset)
        .subquery("page_ids")
    )
    rows = list(db.session.execute(_listing(ids, oldest_first, locale)))
    return page_of(rows, scope.where(Application.state.in_(states)), page, per_page)


def get_application(user: User, application_id: int) -> Application:
    """The application if ``user`` may see it; 404 otherwise, so other organisations' files stay unseen."""
    application = db.session.scalar(
        visible(user)
        .where(Application.id == application_id)
        .options(
            joinedload(Application.person),
            joinedload(Application.function),
            joinedload(Application.organisation),
            joinedload(Application.clearance),
            joinedload(Application.created_by),
        )  # fmt: skip
    )
    if application is None:
        abort(404)
    return application


#: Trail entries that read the file rather than change it: summarised on the file page, never listed.
READ_ACTIONS = ("read_grounds",)


def timeline(application: Application) -> list[AuditEntry]:
    """The file's changes, oldest first; its reads are in :func:`grounds_reads`, so the list does not grow
    with every page view."""
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.object_type == "application",
                AuditEntry.object_id == application.id,
                AuditEntry.action.not_in(READ_ACTIONS),
            )
            .order_by(AuditEntry.id)
        )
    )


def grounds_reads(application: Application) -> Row[Any] | None:
    """How often the file's grounds were read and the last read (``count``, ``actor``, ``at``), in one
    statement whatever the number of reads; None when they never were."""
    return db.session.execute(
        select(func.count().over().label("count"), AuditEntry.actor, AuditEntry.at)
        .where(
            AuditEntry.object_type == "application",
            AuditEntry.object_id == application.id,
            AuditEntry.action == "read_grounds",
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).first()


def is_overdue(application: Application, today: date) -> bool:
    return application.due_on is not None and application.state in QUEUE_STATES and application.due_on < today
