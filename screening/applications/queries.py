"""Reading applications. Organisation scoping happens here, so no view can forget it."""

from __future__ import annotations

from datetime import date

from flask import abort
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from screening.applications.models import Application, Clearance
from screening.audit.models import AuditEntry
from screening.auth.models import User
from screening.db import db
from screening.pagination import Page, paginate
from screening.people.models import Person
from screening.people.operations import search_key
from workflows.application import QUEUE_STATES

#: Roles that read applications at all, and those limited to their own organisation.
READERS = frozenset({"requester", "hr", "officer", "auditor"})
EMPLOYER_ROLES = frozenset({"requester", "hr"})


def visible(user: User) -> Select[tuple[Application]]:
    """Applications ``user`` may see: their organisation's for employers, all for the authority."""
    statement = select(Application)
    if user.role in EMPLOYER_ROLES:
        return statement.where(Application.organisation_id == user.organisation_id)
    if user.role in ("officer", "auditor"):
        return statement
    return statement.where(False)


def _with_listing(statement: Select[tuple[Application]]) -> Select[tuple[Application]]:
    return statement.options(
        joinedload(Application.person), joinedload(Application.function), joinedload(Application.organisation)
    )


def list_applications(
    user: User, *, page: int, per_page: int, state: str | None = None, query: str | None = None
) -> Page[Application]:
    statement = visible(user)
    if state:
        statement = statement.where(Application.state == state)
    if query:
        query = query.strip()
        if query.upper().startswith(("SCR-", "SCR")) and any(ch.isdigit() for ch in query):
            statement = statement.where(Application.reference.startswith(query.upper()))
        else:
            key = search_key(query).replace("\\", "").replace("%", "").replace("_", "")
            statement = statement.join(Application.person).where(Person.search_name.startswith(key))
    statement = statement.order_by(Application.created_at.desc(), Application.id.desc())
    return paginate(_with_listing(statement), page, per_page)


def officer_queue(user: User, *, page: int, per_page: int, state: str | None = None) -> Page[Application]:
    """The authority's work, oldest submission first."""
    states = [state] if state in QUEUE_STATES else sorted(QUEUE_STATES)
    statement = (
        visible(user)
        .where(Application.state.in_(states))
        .order_by(Application.submitted_at.asc(), Application.id.asc())
    )
    return paginate(_with_listing(statement), page, per_page)


def get_application(user: User, application_id: int) -> Application:
    """The application if ``user`` may see it; 404 otherwise, so other organisations' files stay unseen."""
    application = db.session.scalar(
        _with_listing(visible(user).where(Application.id == application_id)).options(
            joinedload(Application.clearance), joinedload(Application.created_by)
        )
    )
    if application is None:
        abort(404)
    return application


def timeline(application: Application) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == "application", AuditEntry.object_id == application.id)
            .order_by(AuditEntry.id)
        )
    )


def is_overdue(application: Application, today: date) -> bool:
    return application.due_on is not None and application.state in QUEUE_STATES and application.due_on < today


# -- clearances ------------------------------------------------------------------------------


def visible_clearances(user: User) -> Select[tuple[Clearance]]:
    """Clearances an organisation relies on: those linked to one of its applications."""
    statement = select(Clearance)
    if user.role in EMPLOYER_ROLES:
        relied_on = select(Application.clearance_id).where(
            Application.organisation_id == user.organisation_id, Application.clearance_id.is_not(None)
        )
        return statement.where(Clearance.id.in_(relied_on))
    if user.role in ("officer", "auditor"):
        return statement
    return statement.where(False)


def list_clearances(user: User, *, page: int, per_page: int, state: str | None = None) -> Page[Clearance]:
    statement = visible_clearances(user)
    if state:
        statement = statement.where(Clearance.state == state)
    statement = statement.options(joinedload(Clearance.person)).order_by(
        Clearance.valid_until.asc(), Clearance.id.asc()
    )
    return paginate(statement, page, per_page)


def get_clearance(user: User, clearance_id: int) -> Clearance:
    clearance = db.session.scalar(
        visible_clearances(user).where(Clearance.id == clearance_id).options(joinedload(Clearance.person))
    )
    if clearance is None:
        abort(404)
    return clearance
