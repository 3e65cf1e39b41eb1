"""Sign-in and sign-out."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from screening.actors import Actor
from screening.audit.operations import record
from screening.auth import operations
from screening.auth.access import SECOND_FACTOR, enrolment, public, roles
from screening.auth.current import SignedInUser, load_signed_in, open_session, set_locale
from screening.auth.directory import (
    Directory,
    DirectoryError,
    DirectoryTLSError,
    DirectoryUnavailable,
    InvalidCredentials,
)
from screening.auth.factors.operations import has_second_factor, required_for
from screening.auth.forms import DirectoryLookupForm, LoginForm
from screening.auth.ldap import directory, directory_config
from screening.auth.models import User
from screening.auth.queries import lookup
from screening.clock import utcnow
from screening.db import db, keep_refusal
from screening.extensions import login_manager, settings, vault

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def _load_user(user_id: str) -> SignedInUser | None:
    # One Core query, read fresh each request; the session's generation and age checked (screening.auth.current).
    return load_signed_in(user_id, settings().app.session_absolute_minutes)


def _safe_next(target: str | None) -> str:
    """Only local paths: an open redirect would help phishing."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("core.home")


#: Refusals where the directory, not the person, is the problem: 503, and never counted as a guess.
_DIRECTORY_DOWN = (DirectoryUnavailable, DirectoryTLSError)


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
        throttled = operations.too_many_failures(username, address, limit=config.login_attempts, window=window, now=now)
        if throttled and not (form.code.data or "").strip():
            current_app.logger.warning("sign-in throttled for %r from %s", username, address)
            return _throttled(form)
        ldap_config = directory_config()
        try:
            user = operations.sign_in(
                username, form.password.data or "", directory=directory(), address=address,
                local_accounts=ldap_config.local_accounts if ldap_config else "all",
            )  # fmt: skip
        except DirectoryError as error:  # logged, precisely, where it was raised
            if throttled:
                if isinstance(error, operations.GUESSES):
                    operations.note_failure(username, address, now)
                    keep_refusal()
                return _throttled(form)
            return _refused(form, error, username, address, now)
        if throttled:  # others failed here: the password and a second factor together still open it
            return _throttled_sign_in(form, user, now)
        if has_second_factor(user.id):  # the password is half: the code or the key comes next
            return start_second_factor(user, request.args.get("next"))
        return finish_sign_in(user, None, request.args.get("next"))
    return render_template("auth/login.html", form=form, ask_code=bool(form.code.data))


def _throttled(form: LoginForm) -> tuple[str, int]:
    """One answer for every throttled refusal, so it never tells whether the password was right."""
    form.form_errors.append(_("Too many failed attempts. Please wait a few minutes and try again."))
    form.form_errors.append(
        _("If your account has a second factor, you can sign in now: enter your password and a code together.")
    )
    return render_template("auth/login.html", form=form, ask_code=True), 429


def _throttled_sign_in(form: LoginForm, user: User, now: datetime) -> Response | tuple[str, int]:
    from screening.auth.factors.operations import check_code

    config = settings().security
    address = request.remote_addr
    if has_second_factor(user.id) and not operations.too_many_code_failures(
        user.username, address, limit=config.login_attempts, window_minutes=config.login_window_minutes, now=now
    ):
        proved = check_code(user, vault(), form.code.data or "", now)
        if proved is not None:
            current_app.logger.warning("throttled sign-in of %r from %s passed with %s", user.username, address, proved)
            return finish_sign_in(user, proved, request.args.get("next"))
        operations.note_failure(user.username, address, now, kind="code")
        keep_refusal()
    current_app.logger.warning("throttled sign-in of %r from %s refused", user.username, address)
    return _throttled(form)


def _fresh_session() -> None:
    """A new session for a new sign-in state (no fixation), keeping the language picked on the sign-in page."""
    chosen = session.get("locale")  # checked by language(): the user's choice
    session.clear()
    if chosen:
        session["locale"] = chosen


#: The session key of a password checked, its second factor still to come: account, generation, when.
PENDING = "_pending_sign_in"
#: How long the second-factor step waits after the password.
PENDING_SECONDS = 300


def start_second_factor(user: User, next_url: str | None) -> Response:
    _fresh_session()
    session[PENDING] = {"user": user.id, "generation": user.session_generation, "at": int(time.time()),
                        "next": _safe_next(next_url)}  # fmt: skip
    return redirect(url_for("factors.verify"))


def pending_user() -> User | None:
    """The account whose password this session proved, while its second-factor step is open."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or not isinstance(pending.get("at"), int):
        return None
    if time.time() - pending["at"] > PENDING_SECONDS:
        session.pop(PENDING, None)
        return None
    user = db.session.get(User, pending.get("user"))
    if user is None or not user.active or user.session_generation != pending.get("generation"):
        session.pop(PENDING, None)
        return None
    return user


def finish_sign_in(user: User, proved: str | None, next_url: str | None) -> Response:
    """Sign the account in: a new session at its current generation, saying whether (and how) it proved
    a second factor; failures of this account from this address are forgotten."""
    operations.clear_failures(user.username, request.remote_addr)
    _fresh_session()
    login_user(user)
    open_session(user.session_generation)
    session.permanent = True
    if proved:
        session[SECOND_FACTOR] = proved
    if session.get("locale"):
        user.locale = session["locale"]
    operations.note_sign_in(user, Actor.of(user, request.remote_addr), proved)
    if proved is None and required_for(user, settings().security):
        return redirect(url_for("factors.enrol"))  # the only page open to it until it enrols
    return redirect(_safe_next(next_url))


def _refused(
    form: LoginForm, error: DirectoryError, username: str, address: str | None, now: datetime
) -> tuple[str, int]:
    """The refusal's user-safe message on the form; guesses counted for throttling (the 200 commits them)."""
    message = _(error.user_message)  # msgids marked with N_ in screening/auth/directory/errors.py
    if isinstance(error, operations.GUESSES):
        operations.note_failure(username, address, now)
    if isinstance(error, InvalidCredentials):
        form.password.errors.append(message)
    else:
        form.form_errors.append(message)
    status = 503 if isinstance(error, _DIRECTORY_DOWN) or type(error) is DirectoryError else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@enrolment
def logout() -> Response:
    """Signing out ends every session of the account, wherever its cookie was kept."""
    operations.end_sessions(current_user.id)
    record(Actor.of(current_user, request.remote_addr), "sign_out", "user", current_user.id,
           organisation_id=current_user.organisation_id)  # fmt: skip
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
            set_locale(current_user.id, choice)
    return redirect(_safe_next(request.form.get("next")))


# -- the operator's directory look-up --------------------------------------------------------
@bp.route("/admin/directory", methods=["GET", "POST"])
@roles("admin")
def directory_lookup() -> str | tuple[str, int]:
    """What the directory says about one user, as ``screening ldap test`` prints it; audited."""
    form = DirectoryLookupForm()
    config = directory_config()
    if config is None:
        return render_template("admin/directory.html", form=form, configured=False, found=None)
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("admin/directory.html", form=form, configured=True, found=None), status
    username = (form.username.data or "").strip()
    actor = Actor.of(current_user, request.remote_addr)
    try:
        found = lookup(directory() or _unreachable(), username)
    except DirectoryError as error:
        current_app.logger.warning("directory look-up of %r by %s failed: %s", username, actor.label, error.log_message)
        record(actor, "directory_lookup", "directory", None, reason=f"{username!r}: {error.log_message}"[:1000])
        form.username.errors.append(_(error.user_message))
        return render_template(
            "admin/directory.html", form=form, configured=True, found=None, failure=error.log_message
        )
    outcome = f"refused: {found.problem}" if found.problem else f"allowed as {found.inspection.role}"
    record(actor, "directory_lookup", "directory", None, reason=f"{username!r}: {outcome}"[:1000])
    return render_template("admin/directory.html", form=form, configured=True, found=found)


def _unreachable() -> Directory:
    raise RuntimeError("directory_config() is set, so directory() is too")
