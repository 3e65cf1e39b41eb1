"""The second factor's pages: the sign-in step after the password, and enrolment on the account page.

An account whose role needs a second factor (``security.second_factor_roles``) and has none is signed
in with its password only as far as :func:`enrol` (screening.auth.access); enrolling ends every other
session of the account, and this one counts as proved from then on.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response

from screening.actors import Actor
from screening.auth import operations as accounts
from screening.auth.access import SECOND_FACTOR, enrolment, public, signed_in
from screening.auth.current import GENERATION
from screening.auth.factors import keys, operations, totp
from screening.auth.factors.forms import CodeForm, EnrolForm
from screening.auth.models import SecurityKey, User
from screening.auth.views import PENDING, finish_sign_in, pending_user
from screening.clock import utcnow
from screening.db import db
from screening.extensions import settings, vault

bp = Blueprint("factors", __name__)

#: The session key of the secret shown on the enrolment page, until its first code confirms it.
ENROLLING = "_totp_enrolling"
ISSUER = "Port security screening"


def _throttled(username: str) -> bool:
    config = settings().security
    return accounts.too_many_code_failures(
        username, request.remote_addr, limit=config.login_attempts, window_minutes=config.login_window_minutes,
        now=utcnow(),
    )  # fmt: skip


@bp.route("/login/second-factor", methods=["GET", "POST"])
@public
def verify() -> str | Response | tuple[str, int]:
    """The code (or the security key) after the password; refusals are counted like wrong passwords."""
    user = pending_user()
    if user is None:
        flash(_("Please sign in again."), "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    has_keys = db.session.scalar(select(SecurityKey.id).where(SecurityKey.user_id == user.id).limit(1)) is not None
    page = {"form": form, "has_keys": has_keys, "has_totp": user.totp_secret is not None}
    if not form.validate_on_submit():
        return render_template("auth/second_factor.html", **page), 422 if request.method == "POST" else 200
    if _throttled(user.username):
        session.pop(PENDING, None)
        form.code.errors.append(_("Too many failed attempts. Please wait a few minutes and try again."))
        return render_template("auth/second_factor.html", **page), 429
    proved = operations.check_code(user, vault(), form.code.data or "", utcnow())
    if proved is None:
        accounts.note_failure(user.username, request.remote_addr, utcnow(), kind="code")
        current_app.logger.warning("wrong second factor for %r from %s", user.username, request.remote_addr)
        form.code.errors.append(_("This code is not right, or was used already."))
        return render_template("auth/second_factor.html", **page), 200
    next_url = session.get(PENDING, {}).get("next")
    response = finish_sign_in(user, proved, next_url)
    if proved == operations.RECOVERY:
        left = operations.recovery_codes_left(user.id)
        flash(_("You used a recovery code; %(n)d are left. Make new ones on your account page.", n=left), "warning")
    return response


@bp.route("/account/second-factor", methods=["GET", "POST"])
@enrolment
def enrol() -> str | tuple[str, int]:
    """Enrol (or replace) the authenticator app: the secret is shown, its first code confirms it."""
    form = EnrolForm()
    user = db.session.get(User, current_user.id)
    assert user is not None
    replacing = user.totp_secret is not None
    if replacing and not session.get(SECOND_FACTOR):  # never replaced without first proving the current one
        return render_template("auth/enrol.html", form=None, required=True, replacing=True), 403
    secret = session.get(ENROLLING)
    if request.method == "GET" or not isinstance(secret, str):
        secret = session[ENROLLING] = totp.new_secret()
    if form.validate_on_submit():
        codes = operations.enrol_totp(Actor.of(current_user, request.remote_addr), user, vault(), secret,
                                      form.code.data or "", utcnow())  # fmt: skip
        if codes is not None:
            session.pop(ENROLLING, None)
            session[GENERATION] = accounts.end_sessions(user.id)  # every other session ends; this one proved it
            session[SECOND_FACTOR] = operations.TOTP
            return render_template("auth/recovery_codes.html", codes=codes, enrolled=True)
        form.code.errors.append(_("This code is not right. Check the clock of your phone and try the next code."))
    uri = totp.provisioning_uri(secret, user.username, ISSUER)
    required = operations.required_for(current_user, settings().security)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "auth/enrol.html", form=form, secret=secret, qr=totp.qr_svg(uri, _("QR code of the secret")), uri=uri,
        required=required, replacing=replacing,
    ), status  # fmt: skip


@bp.route("/account/recovery-codes", methods=["POST"])
@signed_in
def recovery_codes() -> str | Response:
    """New recovery codes (the old ones stop working), shown once."""
    if not FlaskForm().validate_on_submit() or not session.get(SECOND_FACTOR):
        return redirect(url_for("account.index"))
    user = db.session.get(User, current_user.id)
    assert user is not None
    codes = operations.replace_recovery_codes(Actor.of(current_user, request.remote_addr), user)
    return render_template("auth/recovery_codes.html", codes=codes, enrolled=False)


# -- security keys (WebAuthn): the browser's JavaScript (static/webauthn.js) posts JSON ------------------
#: The session key of the challenge handed to the browser; taken (single use) by the verification.
CHALLENGE = "_webauthn_challenge"


def _party() -> keys.RelyingParty:
    return keys.RelyingParty.of(settings().app.base_url, ISSUER)


def _take_challenge() -> str | None:
    challenge = session.pop(CHALLENGE, None)
    return challenge if isinstance(challenge, str) else None


def _refused(message: str, status: int = 400) -> tuple[Response, int]:
    return jsonify({"error": message}), status


@bp.route("/account/security-keys/options", methods=["POST"])
@enrolment
def key_options() -> Response | tuple[Response, int]:
    user = db.session.get(User, current_user.id)
    assert user is not None
    if operations.has_second_factor(user.id) and not session.get(SECOND_FACTOR):
        return _refused(_("Sign in with your second factor before adding another."), 403)
    options, session[CHALLENGE] = keys.registration_options(_party(), user)
    return current_app.response_class(options, mimetype="application/json")


@bp.route("/account/security-keys", methods=["POST"])
@enrolment
def key_register() -> Response | tuple[Response, int]:
    user = db.session.get(User, current_user.id)
    assert user is not None
    challenge = _take_challenge()
    if challenge is None or (operations.has_second_factor(user.id) and not session.get(SECOND_FACTOR)):
        return _refused(_("Please start again."))
    try:
        keys.register(Actor.of(current_user, request.remote_addr), _party(), user, request.get_data(as_text=True),
                      challenge, _("Security key"), utcnow())  # fmt: skip
    except keys.KeyRefused as error:
        current_app.logger.warning("security key of %r refused: %s", user.username, error)
        return _refused(_("The security key could not be registered. Please try again."))
    session[GENERATION] = accounts.end_sessions(user.id)  # every other session ends; this one proved a key
    session[SECOND_FACTOR] = operations.SECURITY_KEY
    flash(_("Your security key is registered. Every other session of your account has ended."), "success")
    return jsonify({"redirect": url_for("account.index")})


@bp.route("/login/security-key/options", methods=["POST"])
@public
def key_sign_in_options() -> Response | tuple[Response, int]:
    user = pending_user()
    if user is None:
        return _refused(_("Please sign in again."), 403)
    options, session[CHALLENGE] = keys.authentication_options(_party(), user.id)
    return current_app.response_class(options, mimetype="application/json")


@bp.route("/login/security-key", methods=["POST"])
@public
def key_sign_in() -> Response | tuple[Response, int]:
    user, challenge = pending_user(), _take_challenge()
    if user is None or challenge is None:
        return _refused(_("Please sign in again."), 403)
    if _throttled(user.username):
        session.pop(PENDING, None)
        return _refused(_("Too many failed attempts. Please wait a few minutes and try again."), 429)
    try:
        keys.authenticate(_party(), user.id, request.get_data(as_text=True), challenge, utcnow())
    except keys.KeyRefused as error:
        accounts.note_failure(user.username, request.remote_addr, utcnow(), kind="code")
        current_app.logger.warning("security key sign-in of %r from %s refused: %s", user.username,
                                   request.remote_addr, error)  # fmt: skip
        return jsonify({"error": _("The security key was not accepted.")})  # 200: the failure is counted
    response = finish_sign_in(user, operations.SECURITY_KEY, session.get(PENDING, {}).get("next"))
    return jsonify({"redirect": response.location})
