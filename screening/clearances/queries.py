"""Reading clearances. An organisation sees the clearances it relies on (those its own files are linked to);
the authority sees all. Scoping happens here, so no view can forget it."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from flask import abort
from sqlalchemy import Row, Select, bindparam, false, func, select
from sqlalchemy.orm import Session, aliased, joinedload

from screening.applications.models import Application
from screening.auth.models import User
from screening.clearances.models import Clearance
from screening.db import db
from screening.pagination import Page, counted_page, page_from, page_of, page_values
from screening.people.models import Person
from workflows.clearance import COVERING_STATES
from workflows.roles import AUTHORITY_ROLES, EMPLOYER_ROLES


@dataclass(frozen=True)
class Holder:
    """A clearance's holder as one party may see them: for an organisation, as its own file declared them."""

    given_names: str
    family_name: str
    date_of_birth: date

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.family_name}"


def declaring_files(organisation_id: int) -> Select[tuple[int, int]]:
    """(clearance id, id of the organisation's latest file relying on it): whose declaration names the holder."""
    return (
        select(Application.clearance_id, func.max(Application.id).label("application_id"))
        .where(Application.organisation_id == organisation_id, Application.clearance_id.is_not(None))
        .group_by(Application.clearance_id)
    )


def holders(
    organisation_id: int | None, clearances: Sequence[Clearance], session: Session | None = None
) -> dict[int, Holder]:
    """The holder of each clearance: for an organisation as its latest file relying on the clearance declared
    them (never the authority's shared record, which may hold another employer's words); for the authority
    (``organisation_id`` None) the record. One query for a whole page or batch."""
    if organisation_id is None:
        return {c.id: Holder(c.person.given_names, c.person.family_name, c.person.date_of_birth) for c in clearances}
    if not clearances:
        return {}
    session = session or db.session()
    latest = declaring_files(organisation_id).where(Application.clearance_id.in_([c.id for c in clearances]))
    files = latest.subquery("declaring")
    rows = session.execute(
        select(
            files.c.clearance_id,
            Application.declared_given_names,
            Application.declared_family_name,
            Application.declared_date_of_birth,
        ).join(Application, Application.id == files.c.application_id)
    )
    return {row[0]: Holder(row[1], row[2], row[3]) for row in rows}


def holders_for(user: User, clearances: Sequence[Clearance]) -> dict[int, Holder]:
    """:func:`holders` as ``user`` may see them: an employer its own declarations, the authority the record."""
    if user.role in EMPLOYER_ROLES:
        return holders(user.organisation_id or 0, clearances)
    return holders(None, clearances)


def covering_clearance(person_id: int, on: date) -> Clearance | None:
    """The person's clearance that still covers them on ``on`` (screened once), if any."""
    return db.session.scalar(
        select(Clearance)
        .where(
            Clearance.person_id == person_id,
            Clearance.state.in_(COVERING_STATES),
            Clearance.valid_from <= on,
            Clearance.valid_until >= on,
        )
        .order_by(Clearance.valid_until.desc())
        .limit(1)
    )


def covered_persons(person_ids: Collection[int], on: date) -> set[int]:
    """Which of ``person_ids`` hold a clearance that covers them on ``on``: :func:`covering_clearance` for a
    scheduler batch in one query."""
    if not person_ids:
        return set()
    return set(
        db.session.scalars(
            select(Clearance.person_id).where(
                Clearance.person_id.in_(sorted(set(person_ids))),
                Clearance.state.in_(COVERING_STATES),
                Clearance.valid_from <= on,
                Clearance.valid_until >= on,
            )
        )
    )


def visible_clearances(user: User) -> Select[tuple[Clearance]]:
    """Clearances an organisation relies on: those linked to one of its applications."""
    statement = select(Clearance)
    if user.role in EMPLOYER_ROLES:
        relied_on = select(Application.clearance_id).where(
            Application.organisation_id == user.organisation_id, Application.clearance_id.is_not(None)
        )
        return statement.where(Clearance.id.in_(relied_on))
    if user.role in AUTHORITY_ROLES:
        return statement
    return statement.where(False)


def list_clearances(
    user: User, *, page: int, per_page: int, state: str | None = None, periodic: bool = False
) -> Page[Clearance]:
    """A page of the clearances ``user`` may see, the first to end first.

    The page's ids are chosen on ``clearances`` alone, then those rows are loaded with their holder: joining
    the persons before the sort and the limit joined every clearance an organisation relies on.
    """
    page = max(1, page)
    statement = visible_clearances(user).with_only_columns(Clearance.id)
    if state:
        statement = statement.where(Clearance.state == state)
    if periodic:  # re-evaluations the scheduler opened (clearances.rescreening)
        statement = statement.where(Clearance.rescreen_opened_at.is_not(None))
    ending_first = (Clearance.valid_until.asc(), Clearance.id.asc())
    ids = statement.order_by(*ending_first).limit(per_page + 1).offset((page - 1) * per_page).subquery("page_ids")
    rows = list(
        db.session.scalars(
            select(Clearance)
            .join(ids, ids.c.id == Clearance.id)
            .options(joinedload(Clearance.person, innerjoin=True))
            .order_by(*ending_first)
        )
    )
    return page_of(rows, statement, page, per_page)


#: A clearance list's row: the clearance's columns the page shows and its holder as the reader may see them.
ClearanceRow = Row[Any]


def list_clearance_rows(
    user: User, *, page: int, per_page: int, state: str | None = None, periodic: bool = False
) -> Page[ClearanceRow]:
    """:func:`list_clearances` for the page: flat rows with the holder (:func:`holders_for`'s) joined, in one
    statement built once per shape of request (the bounded count in a second, when the rows cannot tell
    it); no ORM object is loaded."""
    page = max(1, page)
    sees = "organisation" if user.role in EMPLOYER_ROLES else "all" if user.role in AUTHORITY_ROLES else "none"
    statement, counted = _clearance_statement(sees, bool(state), periodic)
    values = page_values(page, per_page) | {"organisation_id": user.organisation_id, "state": state}
    connection = db.session.connection()
    return page_from(list(connection.execute(statement, values)), page, per_page, counted, values, connection)


@cache
def _clearance_statement(sees: str, by_state: bool, periodic: bool) -> tuple[Select[Any], Select[Any]]:
    """The clearance list's statement for one shape of request: the page's ids on ``clearances`` alone
    (first to end first), then those rows joined to their holder: for an organisation the latest of its
    files relying on each (:func:`declaring_files`), for the authority the person's record."""
    scope = select(Clearance.id)
    if sees == "organisation":
        relied_on = select(Application.clearance_id).where(
            Application.organisation_id == bindparam("organisation_id"), Application.clearance_id.is_not(None)
        )
        scope = scope.where(Clearance.id.in_(relied_on))
    elif sees == "none":
        scope = scope.where(false())
    if by_state:
        scope = scope.where(Clearance.state == bindparam("state"))
    if periodic:  # re-evaluations the scheduler opened (clearances.rescreening)
        scope = scope.where(Clearance.rescreen_opened_at.is_not(None))
    ending_first = (Clearance.valid_until.asc(), Clearance.id.asc())
    ids = scope.order_by(*ending_first).limit(bindparam("limit")).offset(bindparam("offset"))

    def listing(page_ids: Any) -> Select[Any]:
        shown = (Clearance.id, Clearance.reference, Clearance.state, Clearance.rescreen_opened_at)
        shown += (Clearance.valid_until,)
        statement = select(*shown).select_from(page_ids).join(Clearance, Clearance.id == page_ids.c.id)
        if sees != "organisation":
            statement = statement.join(Person, Person.id == Clearance.person_id).add_columns(
                Person.id.label("holder"), Person.given_names, Person.family_name, Person.date_of_birth
            )
        else:
            declaring = (
                select(Application.clearance_id, func.max(Application.id).label("application_id"))
                .where(
                    Application.organisation_id == bindparam("organisation_id"),
                    Application.clearance_id.in_(select(page_ids.c.id)),
                )
                .group_by(Application.clearance_id)
                .subquery("declaring")
            )
            declared = aliased(Application, name="declared")
            statement = (
                statement.outerjoin(declaring, declaring.c.clearance_id == Clearance.id)
                .outerjoin(declared, declared.id == declaring.c.application_id)
                .add_columns(
                    declared.id.label("holder"),
                    declared.declared_given_names.label("given_names"),
                    declared.declared_family_name.label("family_name"),
                    declared.declared_date_of_birth.label("date_of_birth"),
                )
            )
        return statement.order_by(*ending_first)

    return counted_page(ids, scope, listing)


def get_clearance(user: User, clearance_id: int) -> Clearance:
    clearance = db.session.scalar(
        visible_clearances(user).where(Clearance.id == clearance_id).options(joinedload(Clearance.person))
    )
    if clearance is None:
        abort(404)
    return clearance
