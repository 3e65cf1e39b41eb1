"""Fee statements: the employer's own organisation, the authority's port-wide overview and any
organisation's statement; PDF and CSV downloads, each in the audit trail."""

from __future__ import annotations

import io
from datetime import date

from flask import Blueprint, abort, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from screening.actors import Actor
from screening.audit.operations import record_read
from screening.auth.access import roles
from screening.clock import local_date, utcnow
from screening.extensions import settings
from screening.fees import document
from screening.fees.statement import month_bounds, monthly_statement, parse_month, port_overview, statements_total
from screening.formats import format_day, formatting_locale
from screening.organisations import queries
from workflows.roles import AUTHORITY_ROLES, EMPLOYER_ROLES, READER_ROLES

bp = Blueprint("fees", __name__)

FORMATS = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}


def _month() -> date:
    """The month asked for (``?month=2026-11``), else the previous month; a bad value is 404."""
    text = request.args.get("month")
    if text is None:
        first = local_date(utcnow()).replace(day=1)
        return month_bounds(date(first.year - 1, 12, 1) if first.month == 1 else first.replace(month=first.month - 1))[
            0
        ]
    month = parse_month(text)
    if month is None:
        abort(404)
    return month


def _neighbours(month: date) -> tuple[str, str]:
    previous = date(month.year - 1, 12, 1) if month.month == 1 else month.replace(month=month.month - 1)
    following = month_bounds(month)[1]
    return previous.isoformat()[:7], following.isoformat()[:7]


def month_label(month: date, language: str) -> str:
    from babel.dates import format_date

    return format_date(month, "MMMM y", locale=formatting_locale(language))


def type_labels() -> dict[str, str]:
    return {
        "positive": _("Positive advice"),
        "positive_with_warning": _("Positive advice with warning"),
        "negative": _("Negative advice"),
    }


@bp.route("/fees")
@roles(*READER_ROLES)
def index() -> str | Response:
    """The employer's statement of the month; the authority's overview of every organisation."""
    month = _month()
    if current_user.role in EMPLOYER_ROLES:
        return redirect(
            url_for("fees.statement", organisation_id=current_user.organisation_id, month=month.isoformat()[:7])
        )
    statements = port_overview(month, settings().fees)
    names = queries.organisation_names(set(statements))
    rows = sorted(statements.values(), key=lambda s: (names.get(s.organisation_id, ""), s.organisation_id))
    count, total = statements_total(statements)
    previous, following = _neighbours(month)
    return render_template(
        "fees/overview.html", rows=rows, names=names, count=count, total=total, month=month,
        month_text=month.isoformat()[:7], previous=previous, following=following, euro=_euro,
    )  # fmt: skip


@bp.route("/fees/<int:organisation_id>")
@roles(*READER_ROLES)
def statement(organisation_id: int) -> str:
    organisation = queries.visible_organisation(current_user, organisation_id)
    month = _month()
    result = monthly_statement(organisation.id, month, settings().fees)
    previous, following = _neighbours(month)
    return render_template(
        "fees/statement.html", organisation=organisation, statement=result, labels=type_labels(), month=month,
        month_text=month.isoformat()[:7], previous=previous, following=following,
        authority=current_user.role in AUTHORITY_ROLES, euro=_euro,
        month_name=month_label(month, current_locale_name()),
    )  # fmt: skip


@bp.route("/fees/<int:organisation_id>.<fmt>")
@roles(*READER_ROLES)
def download(organisation_id: int, fmt: str) -> Response:
    if fmt not in FORMATS:
        abort(404)
    organisation = queries.visible_organisation(current_user, organisation_id)
    month = _month()
    result = monthly_statement(organisation.id, month, settings().fees)
    texts = statement_texts(organisation.name, month, str(current_locale_name()))
    data = document.to_pdf(result, texts) if fmt == "pdf" else document.to_csv(result, texts).encode("utf-8")
    record_read(
        Actor.of(current_user, request.remote_addr), "export_fee_statement", "organisation", organisation.id,
        organisation_id=organisation.id, reason=f"{month.isoformat()[:7]} {fmt}",
    )  # fmt: skip
    response = send_file(
        io.BytesIO(data), mimetype=FORMATS[fmt], as_attachment=True,
        download_name=f"fees-{organisation.code}-{month.isoformat()[:7]}.{fmt}",
    )  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return response


def _euro(cents: int) -> str:
    return document.euro(cents, current_locale_name())


def current_locale_name() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "en")


def statement_texts(organisation: str, month: date, language: str) -> document.StatementTexts:
    first, after = month_bounds(month)
    last = date.fromordinal(after.toordinal() - 1)
    return document.StatementTexts(
        language=language,
        title=_("Fee statement %(month)s", month=month_label(month, language)),
        organisation=organisation,
        period=_("Advice given from %(first)s to %(last)s", first=format_day(first, language=language),
                 last=format_day(last, language=language)),
        headings=(_("Advice type"), _("Fee"), _("Number"), _("Amount")),
        type_labels=type_labels(),
        total=_("Total"),
        empty=_("No advice this month"),
        note=_("Each advice is charged at the fee in force on the day it was given."),
    )  # fmt: skip
