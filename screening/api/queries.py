"""Reading API tokens: an organisation's own only (scoping here, so no view can forget it)."""

from __future__ import annotations

from typing import Any

from flask import abort
from sqlalchemy import select

from screening.api.models import ApiToken
from screening.db import db
from screening.pagination import Page, paginate


def organisation_tokens(user: Any, *, page: int, per_page: int) -> Page[ApiToken]:
    """The tokens of the user's organisation, newest first (revoked ones too: they stay on record)."""
    return tokens_of(user.organisation_id, page=page, per_page=per_page)


def tokens_of(organisation_id: int, *, page: int, per_page: int) -> Page[ApiToken]:
    """The tokens of one organisation (the administrator's page of an access-control organisation)."""
    statement = (
        select(ApiToken)
        .where(ApiToken.organisation_id == organisation_id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return paginate(statement, page, per_page)


def get_token(user: Any, token_id: int) -> ApiToken:
    """One token of the user's organisation; 404 for any other."""
    return token_of(user.organisation_id, token_id)


def token_of(organisation_id: int, token_id: int) -> ApiToken:
    """One token of ``organisation_id``; 404 for any other."""
    token = db.session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.organisation_id == organisation_id)
    )
    if token is None:
        abort(404)
    return token
