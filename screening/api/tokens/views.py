"""The API tokens page: a screening manager's for its organisation, a security officer's for the authority's
own tools (read only); make a token (shown once), see when each was last used, revoke."""

from __future__ import annotations

from datetime import datetime, time

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from screening.actors import Actor
from screening.api import operations, queries
from screening.api.models import EMPLOYER_SCOPES
from screening.api.tokens.forms import TokenForm
from screening.auth.access import roles
from screening.clock import BRUSSELS
from screening.db import db
from screening.errors import DomainError
from screening.extensions import settings

bp = Blueprint("api_tokens", __name__, url_prefix="/api-tokens")


def _page(form: TokenForm | None = None, secret: str | None = None, status: int = 200) -> tuple[str, int]:
    page = queries.organisation_tokens(
        current_user, page=request.args.get("page", 1, type=int) or 1, per_page=settings().app.page_size
    )
    return render_template(
        "api/tokens.html", page=page, form=form or TokenForm(), secret=secret, revoke_form=FlaskForm()
    ), status  # fmt: skip


@bp.route("")
@roles("requester", "officer")
def index() -> tuple[str, int]:
    return _page()


@bp.route("", methods=["POST"])
@roles("requester", "officer")
def create() -> tuple[str, int]:
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    expires_at = None
    if form.expires_on.data:
        expires_at = datetime.combine(form.expires_on.data, time(23, 59, 59), BRUSSELS)
    try:
        token, secret = operations.create_token(
            Actor.of(current_user, request.remote_addr), name=form.name.data or "",
            scopes=[scope for scope in EMPLOYER_SCOPES if getattr(form, scope).data], expires_at=expires_at,
        )  # fmt: skip
    except DomainError as error:
        db.session.rollback()
        target = getattr(form, error.field or "", None)
        (target.errors if target is not None else form.form_errors).append(error.localized())  # type: ignore[union-attr]
        return _page(form, status=422)
    flash(_("Token %(name)s made. Copy it now: it is not shown again.", name=token.name), "success")
    return _page(TokenForm(formdata=None), secret=secret)


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@roles("requester", "officer")
def revoke(token_id: int) -> Response | tuple[str, int]:
    token = queries.get_token(current_user, token_id)
    if not FlaskForm().validate_on_submit():
        return _page(status=422)
    try:
        operations.revoke_token(Actor.of(current_user, request.remote_addr), token)
    except DomainError as error:
        db.session.rollback()
        flash(error.localized(), "danger")
        return _page(status=error.status)
    flash(_("Token %(name)s revoked: it no longer works.", name=token.name), "success")
    return redirect(url_for("api_tokens.index"))
