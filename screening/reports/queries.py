"""Reading stored reports. Organisation scoping happens here: employers see their organisation's monthly
reports only; the authority (officers, auditors) sees every report."""

from __future__ import annotations

from flask import abort
from sqlalchemy import Select, select

from screening.auth.models import User
from screening.db import db
from screening.pagination import Page, paginate
from screening.reports.models import Report
from workflows.roles import AUTHORITY_ROLES, EMPLOYER_ROLES


def visible_reports(user: User) -> Select[tuple[Report]]:
    statement = select(Report)
    if user.role in AUTHORITY_ROLES:
        return statement
    if user.role in EMPLOYER_ROLES:
        return statement.where(Report.kind == "organisation", Report.organisation_id == user.organisation_id)
    return statement.where(False)


def list_reports(user: User, *, page: int, per_page: int, kind: str | None = None) -> Page[Report]:
    statement = visible_reports(user)
    if kind:
        statement = statement.where(Report.kind == kind)
    return paginate(statement.order_by(Report.period_start.desc(), Report.id.desc()), page, per_page)


def get_report(user: User, report_id: int) -> Report:
    """The report if ``user`` may read it; 404 otherwise, so other organisations' reports stay unseen."""
    report = db.session.scalar(visible_reports(user).where(Report.id == report_id))
    if report is None:
        abort(404)
    return report
