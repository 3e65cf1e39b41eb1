"""Reading the register. Every read names the organisation (the view has checked the user may open it,
:func:`screening.organisations.queries.visible_organisation`); a member of another organisation is 404."""

from __future__ import annotations

import re
from typing import Any

from flask import abort
from sqlalchemy import ColumnElement, Select, and_, false, or_, select

from screening.applications.queries import _prefix_range
from screening.catalogue.models import CriticalFunction
from screening.db import db
from screening.extensions import vault
from screening.pagination import Page, paginate
from screening.people.identifiers import IdentifierError, parse_national_number
from screening.people.operations import search_key
from screening.workforce.models import WorkforceMember

_NATIONAL_NUMBER = re.compile(r"[\d\s.\-/]+")
#: The columns of a register row.
ROW_COLUMNS = (
    WorkforceMember.id,
    WorkforceMember.personnel_number,
    WorkforceMember.given_names,
    WorkforceMember.family_name,
    WorkforceMember.date_of_birth,
    WorkforceMember.national_number_masked,
    WorkforceMember.function_id,
    WorkforceMember.started_on,
    WorkforceMember.ended_on,
)


def function_name(locale: str) -> Any:
    """The function's name in the interface language, chosen in SQL (never per row)."""
    return {"nl": CriticalFunction.name_nl, "fr": CriticalFunction.name_fr}.get(locale, CriticalFunction.name_en)


def register(organisation_id: int, locale: str) -> Select[Any]:
    """The organisation's register, by family name, with each function's name."""
    return (
        select(*ROW_COLUMNS, function_name(locale).label("function_name"))
        .join(CriticalFunction, CriticalFunction.id == WorkforceMember.function_id)
        .where(WorkforceMember.organisation_id == organisation_id)
        .order_by(WorkforceMember.search_name, WorkforceMember.id)
    )


def searched(statement: Select[Any], query: str) -> Select[Any]:
    """Narrowed to the members a search finds: a national register number (through its keyed hash), the
    exact personnel number, or the start of the given or family name (accents and case ignored)."""
    query = query.strip()
    if _NATIONAL_NUMBER.fullmatch(query) and sum(ch.isdigit() for ch in query) == 11:
        try:
            digits = parse_national_number(query).digits
        except IdentifierError:
            return statement.where(false())
        return statement.where(WorkforceMember.identity_hash == vault().lookup_hash("BE-NRN", digits))
    key = search_key(query).replace("\\", "").replace("%", "").replace("_", "")
    by_number = WorkforceMember.personnel_number == query
    if not key:
        return statement.where(by_number)
    return statement.where(
        or_(by_number, _starts_with(WorkforceMember.search_name, key), _starts_with(WorkforceMember.search_given, key))
    )


def _starts_with(column: Any, key: str) -> ColumnElement[bool]:
    """``column`` starts with ``key``, as an index range where it has one (:func:`_prefix_range`)."""
    bounds = _prefix_range(key)
    condition = column.startswith(key)
    return and_(condition, column >= bounds[0], column < bounds[1]) if bounds else condition


def list_members(organisation_id: int, *, page: int, per_page: int, query: str | None, locale: str) -> Page[Any]:
    """A page of the register: one query for the rows, at most one bounded count."""
    statement = register(organisation_id, locale)
    if query:
        statement = searched(statement, query)
    return paginate(statement, page, per_page, scalars=False)


def get_member(organisation_id: int, member_id: int) -> WorkforceMember:
    """A member of this organisation's register, or 404 (another organisation's id is not confirmed)."""
    member = db.session.scalar(
        select(WorkforceMember).where(
            WorkforceMember.id == member_id, WorkforceMember.organisation_id == organisation_id
        )
    )
    if member is None:
        abort(404)
    return member
