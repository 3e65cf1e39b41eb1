"""Certificates: HR's export page (one PDF, a streamed ZIP, the CSV register) and the public check.

Every export is recorded (issue rows, audit entry) in the request's transaction, which commits when the
view returns; only then does the body stream. Downloads are POSTs: they write, and they carry CSRF.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from screening.actors import Actor
from screening.auth.access import public, roles
from screening.certificates import operations, queries
from screening.certificates.bulk import entry_name, stream_zip
from screening.certificates.document import render_certificate
from screening.certificates.forms import ExportForm, VerifyForm
from screening.certificates.keyset import MEDIA_TYPE as KEY_SET_MEDIA_TYPE
from screening.certificates.operations import IssueSettings
from screening.certificates.setup import certificate_keys, published_key_set
from screening.certificates.signing import (
    CertificateKeys,
    InvalidCode,
    TamperedToken,
    UnknownKey,
    is_token,
    lookup_code,
    normalise_code,
)
from screening.clearances.queries import holders_for
from screening.clock import local_date, today, utcnow
from screening.csv_guard import SafeWriter
from screening.db import own_session, session_factory
from screening.errors import Conflict
from screening.extensions import settings
from screening.inputs import parse_id
from screening.web import STATE_LABELS

bp = Blueprint("certificates", __name__)

#: Who may print a certificate for one clearance: HR for its own organisation, officers for any.
ISSUERS = ("hr", "officer")


def _actor() -> Actor:
    return Actor.of(current_user, request.remote_addr)


def _keys() -> CertificateKeys:
    keys = certificate_keys()
    if keys is None:
        raise Conflict("Certificates are not configured on this server: the administrator must set a signing key.")
    return keys


def _issue_settings(keys: CertificateKeys, english: bool, day: date) -> IssueSettings:
    return IssueSettings(
        keys=keys,
        base_url=settings().app.base_url,
        issue_date=day,
        english=english,
        organisation_id=current_user.organisation_id if current_user.is_employer else None,
    )


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


# -- HR: the export page ---------------------------------------------------------------------------


def _export_page(form: ExportForm, status: int = 200, error: str | None = None) -> tuple[str, int]:
    page = queries.list_certifiable(
        current_user,
        today=today(),
        page=request.args.get("page", 1, type=int) or 1,
        per_page=settings().app.page_size,
    )
    selected = set(request.form.getlist("selected")) if request.method == "POST" else set()
    page_html = render_template(
        "certificates/export.html", page=page, form=form, error=error, selected=selected,
        configured=certificate_keys() is not None, holders=holders_for(current_user, page.items),
    )  # fmt: skip
    return page_html, status


@bp.route("/certificates")
@roles("hr")
def export() -> tuple[str, int]:
    form = ExportForm(english=settings().certificates.english)
    return _export_page(form)


@bp.route("/certificates/zip", methods=["POST"])
@roles("hr")
def export_zip() -> Response | tuple[str, int]:
    form = ExportForm()
    if not form.validate_on_submit():
        return _export_page(form, 422, _("The form was incomplete. Please try again."))
    keys = _keys()
    day = today()
    scope = request.form.get("scope")
    if scope == "all":
        ids = queries.certifiable_ids(current_user, day)
        if not ids:
            return _export_page(form, 422, _("Your organisation has no clearance valid today."))
    elif scope == "selected":
        raw = request.form.getlist("selected")
        if not raw:
            return _export_page(form, 422, _("Tick the certificates to include, or choose all of them."))
        chosen = [parse_id(value) for value in raw]
        if None in chosen:
            return _export_page(form, 422, _("The selection was not understood. Please tick the certificates again."))
        ids = queries.selected_ids(current_user, (value for value in chosen if value is not None), day)  # 404 outside
        still_valid = set(queries.certifiable_ids_among(ids, day))
        if still_valid != set(ids):
            return _export_page(
                form, 409, _("Some of the selected clearances are no longer valid today. Please tick them again.")
            )
    else:
        return _export_page(form, 422, _("Choose whether to export the selection or all certificates."))
    issue = _issue_settings(keys, bool(form.english.data), day)
    count = operations.issue_many(_actor(), ids, issue, scope="all valid" if scope == "all" else "selection")
    sessions = session_factory(current_app)  # taken now: the stream runs after the request's context
    body = stream_zip(operations.render_batches(sessions, ids, issue), english=issue.english)
    name = f"certificates-{current_user.organisation.code}-{day.isoformat()}.zip"
    headers = {**_attachment(name), "X-Certificate-Count": str(count)}
    return Response(body, mimetype="application/zip", headers=headers)


@bp.route("/certificates/register.csv", methods=["POST"])
@roles("hr")
def register_csv() -> Response | tuple[str, int]:
    form = ExportForm()
    if not form.validate_on_submit():
        return _export_page(form, 422, _("The form was incomplete. Please try again."))
    statement = queries.register_statement(current_user)
    rows = queries.count_rows(statement)
    operations.record_register_export(_actor(), current_user.organisation_id, rows, "csv")
    day = today()
    header = [
        _("Reference"), _("Family name"), _("Given names"), _("Date of birth"), _("State"), _("Valid from"),
        _("Valid until"), _("Revoked on"), _("Valid on %(day)s", day=day.isoformat()),
    ]  # fmt: skip
    labels = {state: str(label) for state, label in STATE_LABELS.items()}
    yes, no = _("yes"), _("no")
    body = _csv_rows(session_factory(current_app), statement, header, labels, day, yes, no)
    name = f"clearances-{current_user.organisation.code}-{day.isoformat()}.csv"
    return Response(body, mimetype="text/csv; charset=utf-8", headers=_attachment(name))


def _csv_rows(
    sessions: Any, statement: Any, header: list[str], labels: dict[str, str], day: date, yes: str, no: str
) -> Iterator[str]:
    """The register, a batch of rows at a time from a session of its own (the request has committed)."""
    buffer = io.StringIO()
    writer = SafeWriter(buffer)
    writer.writerow(header)
    yield "\ufeff" + _drain(buffer)  # the BOM lets spreadsheet programs read "Çelik" as UTF-8
    with own_session(sessions) as session:
        for count, row in enumerate(queries.stream_rows(session, statement), start=1):
            valid = row.state in ("valid", "under_reevaluation") and row.valid_from <= day <= row.valid_until
            writer.writerow(
                [
                    row.reference, row.family_name, row.given_names, row.date_of_birth.isoformat(),
                    labels.get(row.state, row.state), row.valid_from.isoformat(), row.valid_until.isoformat(),
                    local_date(row.revoked_at).isoformat() if row.revoked_at else "", yes if valid else no,
                ]
            )  # fmt: skip
            if count % queries.BATCH == 0:
                yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


# -- one certificate (HR of the organisation, or an officer) ---------------------------------------


def _clearance_page(clearance_id: int, form: ExportForm, status: int = 200) -> tuple[str, int]:
    clearance = queries.clearance_for_certificate(current_user, clearance_id)
    day = today()
    certifiable = clearance.state == "valid" and clearance.valid_from <= day <= clearance.valid_until
    html = render_template(
        "certificates/clearance.html", clearance=clearance, form=form, certifiable=certifiable,
        configured=certificate_keys() is not None, holder=holders_for(current_user, [clearance]).get(clearance.id),
    )  # fmt: skip
    return html, status


@bp.route("/certificates/clearances/<int:clearance_id>")
@roles(*ISSUERS)
def clearance(clearance_id: int) -> tuple[str, int]:
    return _clearance_page(clearance_id, ExportForm(english=settings().certificates.english))


@bp.route("/certificates/clearances/<int:clearance_id>.pdf", methods=["POST"])
@roles(*ISSUERS)
def download(clearance_id: int) -> Response | tuple[str, int]:
    clearance = queries.clearance_for_certificate(current_user, clearance_id)  # 404 outside the scope
    form = ExportForm()
    if not form.validate_on_submit():
        return _clearance_page(clearance_id, form, 422)
    day = today()
    data = operations.issue_one(_actor(), clearance, _issue_settings(_keys(), bool(form.english.data), day), today=day)
    pdf = render_certificate(data, english=bool(form.english.data))
    return Response(pdf, mimetype="application/pdf", headers=_attachment(entry_name(data)))


# -- the public check ------------------------------------------------------------------------------


@bp.route("/verify", methods=["GET", "POST"])
@public
def verify_form() -> Response | tuple[str, int]:
    """A typed code (or a pasted verify link) goes to the page that checks it."""
    form = VerifyForm()
    if form.validate_on_submit():
        text = (form.code.data or "").strip()
        if "/verify/" in text:
            text = text.rsplit("/verify/", 1)[1].strip("/ ")
        if is_token(text):
            return redirect(url_for(".verify", text=text))
        try:
            return redirect(url_for(".verify", text=normalise_code(text)))
        except InvalidCode:
            form.code.errors = [code_problem(text)]
    status = 422 if form.is_submitted() else 200
    return render_template("certificates/verify_form.html", form=form), status


def code_problem(text: str) -> str:
    """Why a typed code is not one, in the user's language: a typo (the check character) or the wrong shape."""
    compact = "".join(char for char in text if char.isalnum())
    if len(compact) == 12:
        return _("This code contains a typing error: please check it against the certificate.")
    return _("A verification code has 12 letters and digits, like 7KQ4-M2XD-9PAY.")


@bp.route("/verify/<path:text>")
@public
def verify(text: str) -> tuple[str, int, dict[str, str]]:
    """The live status behind a QR code or a typed code: the state, the initials and the dates, no more."""
    config = settings().certificates
    address = request.remote_addr
    window = timedelta(minutes=config.verify_window_minutes)
    if queries.checks_since(address, utcnow() - window) >= config.verify_limit:
        headers = {"Retry-After": str(int(window.total_seconds()))}
        page = render_template("certificates/rate_limited.html", minutes=config.verify_window_minutes)
        return page, 429, headers
    keys = certificate_keys()
    status = None
    try:
        code = lookup_code(text.strip(), keys.public_keys if keys else {})
    except (TamperedToken, UnknownKey):
        outcome = "not_genuine"
    except InvalidCode:
        outcome = "typo"
    else:
        status = queries.live_status(code, today())
        outcome = status.outcome if status else "unknown"
    operations.log_check(session_factory(current_app), address, outcome, status.issue_id if status else None)
    form = VerifyForm(formdata=None)
    return render_template("certificates/verify.html", outcome=outcome, status=status, form=form), 200, {}


#: The key set changes only when the app restarts with a rotated key: an hour of caching is harmless.
KEY_SET_MAX_AGE = 3600


@bp.route("/.well-known/screening-keys.json")
@public
def key_set() -> Response:
    """The public verification keys as a JWK Set, for anyone who checks a certificate or a status list
    offline: public, cacheable (ETag, an hour), readable from any site's scripts (nothing secret in it)."""
    published = published_key_set()
    response = Response(published.body, mimetype=KEY_SET_MEDIA_TYPE)
    response.headers["Cache-Control"] = f"public, max-age={KEY_SET_MAX_AGE}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.set_etag(published.etag)
    return response.make_conditional(request)
