"""Which organisation a user may open: an employer its own only (404 for any other, so another
organisation's existence is not confirmed), the authority every organisation's."""

from __future__ import annotations

from typing import Any

from flask import abort
from sqlalchemy import select

from screening.db import db
from screening.organisations.models import Organisation
from workflows.roles import EMPLOYER_ROLES


def visible_organisation(user: Any, organisation_id: int | None) -> Organisation:
    """The organisation whose page (fee statement, register) ``user`` asks for, or 404."""
    if organisation_id is None:
        abort(404)
    check_scope(user, organisation_id)
    organisation = db.session.scalar(select(Organisation).where(Organisation.id == organisation_id))
    if organisation is None:
        abort(404)
    return organisation


def check_scope(user: Any, organisation_id: int) -> None:
    """404 unless ``user`` may open pages of ``organisation_id`` (an employer's own; the authority's any that
    exists, which the caller checks): no query."""
    if user.role in EMPLOYER_ROLES and user.organisation_id != organisation_id:
        abort(404)


def organisation_names(ids: set[int]) -> dict[int, str]:
    """Names of the organisations of an overview page, in one query."""
    if not ids:
        return {}
    return dict(db.session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))).all())
