"""The person's pages (no account), reached through the two links of :mod:`screening.person_link.tokens`.

- ``/p/<token>``: the consent page of the consent link (mailed to the declared address, printed on the
  letter), also reached from the short code typed at ``/c``. It answers one open request for consent, once;
  afterwards, or for a file that moved on in any way, it says the link was used and shows nothing of the file.
- ``/my/<token>``: the person's own file (its state, the notices, the grounds the person may be told, the
  withdrawal of consent), through the link mailed only to the address the person gave on the consent page.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from screening.actors import Actor
from screening.applications import operations
from screening.applications.models import Application
from screening.applications.paper import PAPER_FORM_VERSION
from screening.audit.operations import record_read
from screening.auth.access import public
from screening.certificates.document.qr import qr_matrix
from screening.clock import local_date, today, utcnow
from screening.db import db, keep_refusal
from screening.errors import DomainError
from screening.extensions import settings
from screening.notifications.operations import Mail, Recipient, app_link, enqueue, language_for
from screening.person_link import operations as links
from screening.person_link.forms import CodeForm, ConsentAnswerForm
from screening.person_link.tokens import (
    LinkError,
    consent_code,
    form_code,
    format_code,
    make_file_token,
    make_link_token,
    normalise_code,
    read_file_token,
    read_link_token,
)
from workflows.application import CONSENT_EXPIRY

bp = Blueprint("person", __name__)

#: What the consent link may do; the file link only withdraws consent.
ANSWERS = ("consent", "refuse")


def _secret() -> str:
    return str(current_app.config["SECRET_KEY"])


def _consent_days() -> int:
    """A consent link lives as long as the consent period (a day more: the expiry job runs in the morning)."""
    return CONSENT_EXPIRY.days(settings().deadlines) + 1


def link_for(application: Application) -> str:
    """The consent link of an application awaiting consent (mailed, and printed on the letter)."""
    token = make_link_token(_secret(), application.id, application.person_id, application.state_changed_at)
    return settings().app.base_url.rstrip("/") + url_for("person.consent", token=token)


def file_link(application: Application) -> str:
    """The person's own file link, absolute, built without a request: only ever mailed to the address the
    person gave (:func:`screening.person_link.operations.confirmed_address`)."""
    return app_link("person.file", token=make_file_token(_secret(), application.id, application.person_id))


def qr_svg(text: str) -> Markup:
    """A QR code as inline SVG (no script, no style: the page's CSP allows it), four modules of quiet zone."""
    matrix = qr_matrix(text)
    size = len(matrix) + 8
    runs = []
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                runs.append(f"M{start + 4} {y + 4}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    svg = Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" class="qr" role="img" '
        'aria-labelledby="qr-title" shape-rendering="crispEdges"><title id="qr-title">QR</title>'
        '<rect width="{size}" height="{size}" fill="#fff"/><path fill="#000" d="{path}"/></svg>'
    )
    return svg.format(size=size, path="".join(runs))


def letter_context(application: Application) -> dict[str, Any]:
    """What the printed consent letter shows: the consent link as a QR code, the short code and where to type
    it, and the form code the upload of the signed letter asks for."""
    request_row = links.open_request(_secret(), application.id, application.state_changed_at)
    link = link_for(application)
    code = consent_code(_secret(), application.id, application.state_changed_at, request_row.code_round)
    base = settings().app.base_url.rstrip("/")
    return {
        "link": link,
        "qr": qr_svg(link),
        "code": format_code(code),
        "short_url": base + url_for("person.code"),
        "form_code": form_code(_secret(), application.id, application.state_changed_at, PAPER_FORM_VERSION),
        "answer_by": local_date(application.state_changed_at)
        + timedelta(days=CONSENT_EXPIRY.days(settings().deadlines) - 1),
    }


# -- the consent page ----------------------------------------------------------------------------------------
def _load(application_id: int, person_id: int) -> Application | None:
    return db.session.scalar(
        select(Application)
        .where(Application.id == application_id, Application.person_id == person_id)
        .options(joinedload(Application.person), joinedload(Application.organisation), joinedload(Application.function))
    )


def _asking(application: Application, asked_at: float | datetime) -> bool:
    """The file still awaits the answer to this very request for consent."""
    moment = asked_at.timestamp() if isinstance(asked_at, datetime) else asked_at
    return application.state == "awaiting_consent" and abs(application.state_changed_at.timestamp() - moment) < 0.01


def _open(token: str) -> Application:
    """The application whose request for consent this link answers, still open; :class:`LinkError` otherwise
    (``expired`` for a link that was valid: used, out of time or ended, with nothing said of which)."""
    link = read_link_token(_secret(), token, _consent_days())
    application = _load(link.application_id, link.person_id)
    if application is None:
        raise LinkError("This link is not valid.")
    if not _asking(application, link.asked_at):
        raise LinkError("This link has already been used.", expired=True)
    return application


def _used(error: LinkError) -> tuple[str, int]:
    """Nothing of the file: not its reference, not its state."""
    return render_template("person/invalid.html", expired=error.expired), 410 if error.expired else 404


@bp.route("/p/<token>")
@public
def consent(token: str) -> tuple[str, int] | str:
    try:
        application = _open(token)
    except LinkError as error:
        return _used(error)
    form = ConsentAnswerForm(email=application.declared_email)
    return render_template("person/consent.html", application=application, form=form, token=token)


@bp.route("/p/<token>/<event>", methods=["POST"])
@public
def answer(token: str, event: str) -> Response | tuple[str, int]:
    if event not in ANSWERS:
        abort(404)
    try:
        application = _open(token)
    except LinkError as error:
        return _used(error)
    form = ConsentAnswerForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        page = render_template("person/consent.html", application=application, form=form, token=token)
        return page, 422
    now = utcnow()
    request_row = links.open_request(_secret(), application.id, application.state_changed_at)
    email = (form.email.data or "").strip() or None
    links.give_address(request_row, email, now)
    try:
        operations.fire(application, event, Actor.person(application.person_id, request.remote_addr),
                        settings().deadlines, now=now)  # fmt: skip
    except DomainError as error:
        db.session.rollback()
        flash(error.localized(), "danger")
        return redirect(url_for("person.consent", token=token))
    if email:
        _send_file_link(application, email, event, now)
    messages = {
        "consent": _("Thank you. Your consent was recorded."),
        "refuse": _("Your refusal was recorded. No verification will take place."),
    }
    flash(messages[event], "success")
    if email:
        flash(_("The link to your own file was sent to the address you gave."), "info")
    return redirect(url_for("person.answered"))


def _send_file_link(application: Application, email: str, event: str, now: datetime) -> None:
    language = language_for(application.declared_locale)
    context = {
        "given_names": application.declared_given_names,
        "reference": application.reference,
        "organisation": application.organisation.name,
        "answer": event,
        "link": file_link(application),
    }
    key = f"person_file_link:{application.id}:{event}"
    enqueue([Mail(key, Recipient(email, language), "person_file_link", context)], now)


@bp.route("/p/answered")
@public
def answered() -> str:
    """Where an answer lands: the flash message and nothing of the file (the consent link is spent)."""
    return render_template("person/answered.html")


# -- the short code ------------------------------------------------------------------------------------------
def _throttled() -> bool:
    config = settings().security
    since = utcnow() - timedelta(minutes=config.consent_code_window_minutes)
    mine, everyone = links.failures_since(request.remote_addr, since)
    return mine >= config.consent_code_attempts or everyone >= config.consent_code_global_attempts


def _code_page(form: CodeForm, status: int, *, throttled: bool = False) -> tuple[str, int, dict[str, str]]:
    minutes = settings().security.consent_code_window_minutes
    headers = {"Retry-After": str(minutes * 60)} if throttled else {}
    return render_template("person/code.html", form=form, throttled=throttled, minutes=minutes), status, headers


@bp.route("/c", methods=["GET", "POST"])
@public
def code() -> Response | tuple[str, int, dict[str, str]]:
    """The short URL of the letter: the code typed in opens the consent page, while the request is open.

    Guessing is throttled: 40 bits of code against a few thousand open requests, at most
    ``consent_code_attempts`` failures per address (an IPv6 /64) and ``consent_code_global_attempts`` from
    everywhere per window; past either, the page answers 429 (the QR code and the link still work)."""
    form = CodeForm()
    if _throttled():
        return _code_page(form, 429, throttled=True)
    if not form.validate_on_submit():
        return _code_page(form, 422 if form.is_submitted() else 200)
    typed = normalise_code(form.code.data or "")
    if typed is None:
        form.code.errors = [_("A code has 8 letters and digits, like K7M2-9QXD.")]
        return _code_page(form, 422)
    found = links.find_by_code(_secret(), typed)
    application = db.session.get(Application, found.application_id) if found is not None else None
    if found is None or application is None or not _asking(application, found.asked_at):
        window = timedelta(minutes=settings().security.consent_code_window_minutes)
        links.log_failure(request.remote_addr, utcnow(), window)
        keep_refusal()
        form.code.errors = [_("This code is not valid, or it has already been used.")]
        return _code_page(form, 422)
    token = make_link_token(_secret(), application.id, application.person_id, application.state_changed_at)
    return redirect(url_for("person.consent", token=token))


# -- the person's own file -----------------------------------------------------------------------------------
def _own(token: str) -> Application:
    """The file of a file link, while the person's address for it stands; :class:`LinkError` otherwise."""
    link = read_file_token(_secret(), token, settings().security.person_link_days)
    application = _load(link.application_id, link.person_id)
    if application is None or application.erased_at is not None or links.confirmed_address(application.id) is None:
        raise LinkError("This link is not valid.")
    return application


#: The states in which the person's page (and notice) shows the grounds that may be disclosed to them.
GROUNDS_STATES = frozenset({"negative", "appealed", "final_negative"})


def record_grounds_read(application: Application, action: str) -> None:
    """Every read of grounds is on the trail, the person's own included (ASVS V7): who (the person, by the
    address they came from), which file, when; written at the request's end like every audited read."""
    if application.state in GROUNDS_STATES:
        actor = Actor.person(application.person_id, request.remote_addr)
        record_read(actor, action, "application", application.id, organisation_id=application.organisation_id)


def _file_page(application: Application, token: str, status: int = 200) -> tuple[str, int]:
    allowed = operations.available_events(application, "person", today(), settings().deadlines)
    events = tuple(e for e in allowed if e == "withdraw_consent")
    page = render_template("person/file.html", application=application, events=events, form=FlaskForm(), token=token)
    return page, status


@bp.route("/my/<token>")
@public
def file(token: str) -> tuple[str, int]:
    try:
        application = _own(token)
    except LinkError as error:
        return _used(error)
    record_grounds_read(application, "read_disclosed_grounds")
    return _file_page(application, token)


@bp.route("/my/<token>/withdraw_consent", methods=["POST"])
@public
def withdraw(token: str) -> Response | tuple[str, int]:
    try:
        application = _own(token)
    except LinkError as error:
        return _used(error)
    if not FlaskForm().validate_on_submit():
        abort(400)
    allowed = operations.available_events(application, "person", today(), settings().deadlines)
    if "withdraw_consent" not in allowed:
        flash(_("This step is no longer possible: your file has moved on."), "warning")
        return _file_page(application, token, 409)
    try:
        operations.fire(application, "withdraw_consent", Actor.person(application.person_id, request.remote_addr),
                        settings().deadlines)  # fmt: skip
    except DomainError as error:
        db.session.rollback()
        flash(error.localized(), "danger")
        return redirect(url_for("person.file", token=token))
    flash(_("Your consent was withdrawn. The verification stops."), "success")
    return redirect(url_for("person.file", token=token))


def letter_language(application: Application) -> str:
    """The language the letter is printed in: the person's, as declared."""
    return language_for(application.declared_locale)
