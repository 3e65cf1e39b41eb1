"""Stored reports: the list and the downloads. Every download is in the audit trail (written outside the
download's read transaction) and sent ``Cache-Control: no-store``."""

from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from screening.actors import Actor
from screening.audit.operations import record_read
from screening.auth.access import roles
from screening.db import db
from screening.extensions import settings
from screening.jobs.views import run_now, say_result
from screening.organisations.models import Organisation
from screening.reports import queries
from screening.reports.models import REPORT_KINDS
from workflows.roles import READER_ROLES

bp = Blueprint("reports", __name__)

READERS = READER_ROLES
FORMATS = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}


@bp.route("/reports")
@roles(*READERS)
def index() -> str:
    kind = request.args.get("kind") if request.args.get("kind") in REPORT_KINDS else None
    page = queries.list_reports(
        current_user, page=request.args.get("page", 1, type=int) or 1, per_page=settings().app.page_size, kind=kind
    )
    ids = {r.organisation_id for r in page.items if r.organisation_id}
    names = dict(db.session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))).all())
    return render_template("reports/index.html", page=page, kind=kind, names=names)


#: What the reports page's buttons build: the jobs that build them (the same as ``screening reports build``).
BUILDS = {"weekly": "weekly_report", "monthly": "monthly_reports"}


@bp.route("/reports/build/<kind>", methods=["POST"])
@roles("officer")
def build(kind: str) -> Response:
    """Build the previous week's operations report or the previous month's organisation reports now (a
    report already built for that period is not built again)."""
    if kind not in BUILDS:
        abort(404)
    result = run_now(BUILDS[kind], Actor.of(current_user, request.remote_addr), action="build_report")
    if result.status == "done" and result.items:
        flash(ngettext("%(num)d report built.", "%(num)d reports built.", result.items), "success")
    elif result.status == "done":
        flash(_("Nothing new to build: the reports of the last period are already there."), "info")
    else:
        say_result(BUILDS[kind], result)
    return redirect(url_for("reports.index"))


@bp.route("/reports/<int:report_id>.<fmt>")
@roles(*READERS)
def download(report_id: int, fmt: str) -> Response:
    if fmt not in FORMATS:
        abort(404)
    report = queries.get_report(current_user, report_id)
    # Written when the request ends, in a transaction of its own: not in this GET's read transaction.
    record_read(
        Actor.of(current_user, request.remote_addr), "download_report", "report", report.id,
        organisation_id=report.organisation_id, reason=fmt,
    )  # fmt: skip
    data = report.pdf if fmt == "pdf" else report.csv.encode("utf-8")
    return send_file(io.BytesIO(data), mimetype=FORMATS[fmt], as_attachment=True, download_name=report.filename(fmt))
