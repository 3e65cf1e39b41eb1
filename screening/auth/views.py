"""Sign-in and sign-out."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from screening.actors import Actor
from screening.auth import operations
from screening.auth.access import public, signed_in
from screening.auth.forms import LoginForm
from screening.auth.models import User
from screening.clock import utcnow
from screening.db import db
from screening.extensions import login_manager, settings

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


def _safe_next(target: str | None) -> str:
    """Only local paths: an open redirect would help phishing."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("core.home")


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> str | Response | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    if form.validate_on_submit():
        config = settings().security
        now = utcnow()
        username, address = form.username.data or "", request.remote_addr
        window = timedelta(minutes=config.login_window_minutes)
        if operations.too_many_failures(username, address, limit=config.login_attempts, window=window, now=now):
            current_app.logger.warning("sign-in throttled for %r from %s", username, address)
            form.username.errors.append(_("Too many failed attempts. Please wait a few minutes and try again."))
            return render_template("auth/login.html", form=form), 429
        user = operations.authenticate_local(username, form.password.data or "")
        if user is None:
            operations.note_failure(username, address, now)
            current_app.logger.info("local sign-in failed for %r from %s", username, address)
            form.password.errors.append(_("Unknown user name or wrong password."))
            return render_template("auth/login.html", form=form)
        operations.clear_failures(username)
        session.clear()
        login_user(user)
        session.permanent = True
        operations.note_sign_in(user, Actor.of(user, address))
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@signed_in
def logout() -> Response:
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
@public
def language() -> Response:
    choice = request.form.get("locale", "")
    if choice in settings().app.languages:
        session["locale"] = choice
        if current_user.is_authenticated:
            current_user.locale = choice
    return redirect(_safe_next(request.form.get("next")))
