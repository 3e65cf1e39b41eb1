"""Importing the register from a file, for the employer's screening manager: the templates, the upload, the
preview (what each row would do, the wrong cells), confirm or discard, the progress of the job, the result
report. Another organisation's import answers 404; every change and the report are in the audit trail."""

from __future__ import annotations

import io
import json
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from screening.actors import Actor
from screening.audit.operations import record_read
from screening.auth.access import roles
from screening.clock import utcnow
from screening.csv_guard import SafeWriter
from screening.db import db
from screening.errors import DomainError
from screening.extensions import settings, vault
from screening.imports import operations, queries, tabular
from screening.imports.forms import ConfirmForm, UploadForm
from screening.imports.models import RegisterImport, RegisterImportRow
from screening.inputs import parse_id

bp = Blueprint("imports", __name__, url_prefix="/register/imports")

TEMPLATES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _locale() -> str:
    return str(get_locale() or "en")


def _actor() -> Actor:
    return Actor.of(current_user, request.remote_addr)


def _import(import_id: int) -> RegisterImport:
    return queries.get_import(current_user.organisation_id, import_id)


def action_labels() -> dict[str, str]:
    return {
        "add": _("To add"), "update": _("To update"), "unchanged": _("Unchanged"), "error": _("Error"),
        "failed": _("Not written"),
    }  # fmt: skip


def column_labels() -> dict[str, str]:
    """The file's columns named as the user's template names them."""
    locale = _locale()
    return {key: names.get(locale, names["en"]) for key, names in tabular.HEADERS.items()}


@bp.route("", methods=["GET", "POST"])
@roles("requester")
def index() -> str | Response | tuple[str, int]:
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.document.data
        try:
            content = upload.stream.read(settings().imports.max_mb * 1024 * 1024 + 1)
        finally:
            upload.close()
        problem = _content_problem(content)
        if problem is None:
            job = operations.upload(_actor(), vault(), content, upload.filename or "", _locale(), utcnow())
            db.session.commit()
            return redirect(url_for("imports.preview", import_id=job.id))
        form.document.errors = [problem]
    status = 422 if form.errors else 200
    page = render_template(
        "imports/index.html", form=form, imports=queries.recent_imports(current_user.organisation_id),
        max_mb=settings().imports.max_mb, max_rows=settings().imports.max_rows, labels=state_labels(),
    )  # fmt: skip
    return page, status


def _content_problem(content: bytes) -> str | None:
    if not content:
        return _("The file is empty: the first row must hold the template's column names.")
    if len(content) > settings().imports.max_mb * 1024 * 1024:
        return _("The file is larger than %(size)d MB: split it into smaller files.", size=settings().imports.max_mb)
    return None


def state_labels() -> dict[str, str]:
    return {
        "checking": _("Being checked"), "checked": _("Waiting for your confirmation"), "refused": _("Refused"),
        "applying": _("Being written to the register"), "applied": _("Imported"), "discarded": _("Discarded"),
    }  # fmt: skip


@bp.route("/template.<fmt>")
@roles("requester")
def template(fmt: str) -> Response:
    """The empty template, its column names in the user's language."""
    if fmt not in TEMPLATES:
        abort(404)
    data = tabular.template_csv(_locale()) if fmt == "csv" else tabular.template_xlsx(_locale())
    return send_file(io.BytesIO(data), mimetype=TEMPLATES[fmt], as_attachment=True,
                     download_name=f"register-{_locale()}.{fmt}")  # fmt: skip


@bp.route("/<int:import_id>")
@roles("requester")
def preview(import_id: int) -> str:
    job = _import(import_id)
    shown = request.args.get("show", "error" if job.errors or job.failed else "add")
    if shown not in queries.SHOWN:
        abort(404)
    page = queries.rows_page(job, shown, request.args.get("page", 1, type=int) or 1, settings().app.page_size)
    return render_template(
        "imports/preview.html", job=job, page=page, shown=shown, actions=action_labels(), columns=column_labels(),
        problems=_problems(page.items), labels=state_labels(), form=ConfirmForm(version=job.version),
    )  # fmt: skip


def _problems(rows: list[RegisterImportRow]) -> dict[int, dict[str, str]]:
    return {row.id: json.loads(row.problems) for row in rows if row.problems}


@bp.route("/<int:import_id>/progress")
@roles("requester")
def progress(import_id: int) -> Response:
    """What the progress bar polls: the state and the rows done of the rows expected."""
    job = _import(import_id)
    return jsonify(state=job.state, done=job.rows_done, total=job.rows_total)


@bp.route("/<int:import_id>/<any(confirm, discard):decision>", methods=["POST"])
@roles("requester")
def decide(import_id: int, decision: str) -> Response:
    job = _import(import_id)
    form = ConfirmForm()
    version = parse_id(form.version.data) if form.validate_on_submit() else None
    if version is None:
        abort(400)
    try:
        if decision == "confirm":
            operations.confirm(_actor(), job, version, utcnow())
        else:
            operations.discard(_actor(), job, utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(_(error.template, **error.params), "danger")
        return redirect(url_for("imports.preview", import_id=import_id))
    db.session.commit()
    if decision == "confirm":
        flash(_("The rows are being written to your register."), "success")
    else:
        flash(_("The import was discarded."), "success")
    return redirect(url_for("imports.preview", import_id=import_id))


@bp.route("/<int:import_id>/report.csv")
@roles("requester")
def report(import_id: int) -> Response:
    """Every row with what it did (or would do) and the message of each wrong cell, one line per message;
    cells defused for spreadsheets (screening.csv_guard)."""
    job = _import(import_id)
    if job.state in ("checking", "refused"):
        abort(404)
    out = io.StringIO()
    writer = SafeWriter(out, delimiter=";")
    writer.writerow([_("Row"), column_labels()["personnel_number"], column_labels()["family_name"],
                     column_labels()["given_names"], _("Result"), _("Column"), _("Message")])  # fmt: skip
    for row in queries.all_rows(job):
        _report_lines(writer, row)
    record_read(_actor(), "export_register_import_report", "register_import", job.id,
                organisation_id=job.organisation_id)  # fmt: skip
    db.session.commit()
    data = "\ufeff" + out.getvalue()  # a BOM: Excel opens UTF-8 at a double click
    response = send_file(io.BytesIO(data.encode("utf-8")), mimetype="text/csv; charset=utf-8", as_attachment=True,
                         download_name=f"register-import-{job.id}.csv")  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return response


def _report_lines(writer: Any, row: RegisterImportRow) -> None:
    start = [row.line, row.personnel_number, row.family_name, row.given_names, action_labels()[row.action]]
    problems = json.loads(row.problems) if row.problems else {}
    if not problems:
        changes = [column_labels().get(key, key) for key in (row.changes or "").split(",") if key]
        writer.writerow([*start, ", ".join(changes), ""])
    for key, message in problems.items():
        writer.writerow([*start, column_labels().get(key, key), message])
