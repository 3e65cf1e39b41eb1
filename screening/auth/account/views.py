"""The signed-in user's own account page: second factor, sessions and password (the second factor's own
pages: screening.auth.factors.views)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response

from screening.actors import Actor
from screening.audit.operations import record
from screening.auth import operations
from screening.auth.access import SECOND_FACTOR, signed_in
from screening.auth.current import GENERATION
from screening.auth.factors.operations import recovery_codes_left
from screening.auth.forms import PasswordChangeForm
from screening.auth.models import SecurityKey, User
from screening.db import db
from screening.errors import DomainError
from screening.notifications import preferences

bp = Blueprint("account", __name__, url_prefix="/account")


def _actor() -> Actor:
    return Actor.of(current_user, request.remote_addr)


def _page(
    password_form: PasswordChangeForm | None = None, status: int = 200, mail_error: str | None = None
) -> tuple[str, int]:
    user = db.session.get(User, current_user.id)
    security_keys = db.session.scalars(select(SecurityKey).where(SecurityKey.user_id == current_user.id)).all()
    return render_template(
        "auth/account.html", password_form=password_form or PasswordChangeForm(), sessions_form=FlaskForm(),
        has_totp=user is not None and user.totp_secret is not None, security_keys=security_keys,
        recovery_left=recovery_codes_left(current_user.id), proved=session.get(SECOND_FACTOR),
        mail_kinds=preferences.kinds_for(current_user.role), mail_off=preferences.turned_off(current_user.id),
        mail_error=mail_error,
    ), status  # fmt: skip


@bp.route("")
@signed_in
def index() -> tuple[str, int]:
    return _page()


@bp.route("/sessions", methods=["POST"])
@signed_in
def end_other_sessions() -> Response:
    """Sign out everywhere else: every other session of the account ends; this one stays."""
    if not FlaskForm().validate_on_submit():
        return redirect(url_for("account.index"))
    session[GENERATION] = operations.end_sessions(current_user.id)
    record(_actor(), "end_sessions", "user", current_user.id, organisation_id=current_user.organisation_id)
    flash(_("Every other session of your account has ended."), "success")
    return redirect(url_for("account.index"))


@bp.route("/password", methods=["POST"])
@signed_in
def change_password() -> Response | tuple[str, int]:
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        return _page(form, 422)
    user = db.session.get(User, current_user.id)
    assert user is not None
    try:
        generation = operations.change_password(
            _actor(), user, form.current_password.data or "", form.password.data or ""
        )
    except DomainError as error:
        db.session.rollback()
        getattr(form, error.field or "password").errors.append(error.localized())
        return _page(form, 422)
    session[GENERATION] = generation  # this session stays; every other one ended
    flash(_("Your password is changed. Every other session of your account has ended."), "success")
    return redirect(url_for("account.index"))


@bp.route("/mail", methods=["POST"])
@signed_in
def mail_preferences() -> Response | tuple[str, int]:
    """Which optional mails the user receives; the required ones stay on whatever the form says."""
    if not FlaskForm().validate_on_submit():
        return redirect(url_for("account.index"))
    try:
        off = preferences.save_preferences(_actor(), current_user.role, request.form.getlist("receive"))
    except DomainError as error:
        db.session.rollback()
        return _page(status=422, mail_error=error.localized())
    if off:
        flash(_("Your mail preferences are saved: %(count)d kind(s) of mail turned off.", count=len(off)), "success")
    else:
        flash(_("Your mail preferences are saved: you receive every mail."), "success")
    return redirect(url_for("account.index"))
