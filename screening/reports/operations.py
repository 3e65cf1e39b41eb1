"""Building, storing and announcing the periodic reports. Figures come from grouped SQL counts (a fixed
number of queries per report, or per batch of organisations); turnaround percentiles are computed from
the durations of the period only, which is bounded by the period's decisions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select

from screening.applications.models import Application
from screening.batches import Batch
from screening.clearances.models import Clearance
from screening.clock import day_start, local_date
from screening.config import Config
from screening.db import db
from screening.fees.statement import port_overview
from screening.notifications.operations import (
    Mail,
    Recipient,
    app_link,
    enqueue,
    language_for,
    officer_recipients,
    organisation_recipients,
)
from screening.organisations.models import Organisation
from screening.reports.build import Chart, ReportDocument, Row, Section, to_csv, to_pdf
from screening.reports.models import Report
from workflows.application import ADVICE_EVENTS, ADVICE_LABELS, APPLICATION, OPEN_STATES, QUEUE_STATES
from workflows.clearance import COVERING_STATES
from workflows.employer import EMPLOYER_ADVICE, EMPLOYER_ADVICE_TYPES

ADVICE_TYPES = tuple(ADVICE_EVENTS.values())  # positive, positive_with_warning, negative
#: A clearance "expiring soon" in the organisation report ends within this many days.
EXPIRING_DAYS = 90


def previous_week(today: date) -> tuple[date, date]:
    """Monday to Monday (the second excluded) of the week before ``today``'s week."""
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(days=7), monday


def previous_month(today: date) -> tuple[date, date]:
    first = today.replace(day=1)
    return (first - timedelta(days=1)).replace(day=1), first


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks, as PostgreSQL's ``percentile_cont``."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _state_label(state: str) -> str:
    return APPLICATION.state(state).label


def _period_text(start: date, end: date) -> str:
    return f"{start.isoformat()} to {(end - timedelta(days=1)).isoformat()}"


# -- the weekly operations report (inside the authority) ---------------------------------------------------
def operations_figures(now: datetime, start: date, end: date) -> dict[str, Any]:
    """Backlog per open state and overdue files as of ``now``; decisions, negative rate and turnaround
    (submission to decision, in days) of the period."""
    today = local_date(now)
    open_states = [s.name for s in APPLICATION.states if s.name in OPEN_STATES]
    backlog = dict.fromkeys(open_states, 0)
    backlog.update(
        db.session.execute(
            select(Application.state, func.count())
            .where(Application.state.in_(open_states))
            .group_by(Application.state)
        ).all()
    )
    overdue = db.session.scalar(
        select(func.count())
        .select_from(Application)
        .where(Application.state.in_(sorted(QUEUE_STATES)), Application.due_on < today)
    )
    in_period = and_(Application.decided_at >= day_start(start), Application.decided_at < day_start(end))
    decisions = dict.fromkeys(ADVICE_TYPES, 0)
    decisions.update(
        db.session.execute(
            select(Application.advice_type, func.count()).where(in_period).group_by(Application.advice_type)
        ).all()
    )
    durations = [
        (decided - submitted).total_seconds() / 86400
        for submitted, decided in db.session.execute(
            select(Application.submitted_at, Application.decided_at).where(
                in_period, Application.submitted_at.is_not(None)
            )
        )
    ]
    total = sum(decisions.values())
    return {
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "as_of": today.isoformat(),
        "backlog": backlog,
        "overdue": overdue or 0,
        "decisions": {"total": total, **decisions},
        "negative_rate": round(decisions["negative"] / total * 100, 1) if total else None,
        "turnaround_days": {
            "median": _round(percentile(durations, 0.5)),
            "p90": _round(percentile(durations, 0.9)),
        },
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def operations_document(figures: dict[str, Any]) -> ReportDocument:
    start, end = date.fromisoformat(figures["period_start"]), date.fromisoformat(figures["period_end"])
    backlog = figures["backlog"]
    decisions = figures["decisions"]
    return ReportDocument(
        title="Weekly operations report",
        subtitle=f"Week {_period_text(start, end)} · backlog as of {figures['as_of']}",
        sections=(
            Section(
                "Backlog",
                [Row(f"backlog.{state}", _state_label(state), n) for state, n in backlog.items()]
                + [Row("overdue", "Overdue (advice date passed)", figures["overdue"])],
            ),
            Section(
                "Decisions in the period",
                [Row("decisions.total", "Decisions (throughput)", decisions["total"])]
                + [Row(f"decisions.{kind}", ADVICE_LABELS[kind], decisions[kind]) for kind in ADVICE_TYPES]
                + [Row("negative_rate_percent", "Negative rate (%)", figures["negative_rate"], count=False)],
            ),
            Section(
                "Turnaround, submission to decision (days)",
                [
                    Row("turnaround_days.median", "Median", figures["turnaround_days"]["median"], count=False),
                    Row("turnaround_days.p90", "90th percentile", figures["turnaround_days"]["p90"], count=False),
                ],
            ),
        ),
        chart=Chart("Backlog per state", [_state_label(s) for s in backlog], list(backlog.values())),
    )


@dataclass(frozen=True)
class Built:
    report: Report | None
    mails: int


def _store(key: str, kind: str, organisation_id: int | None, start: date, end: date, figures: dict[str, Any],
           document: ReportDocument, now: datetime) -> Report:  # fmt: skip
    report = Report(
        key=key, kind=kind, organisation_id=organisation_id, period_start=start, period_end=end, created_at=now,
        figures=figures, pdf=to_pdf(document), csv=to_csv(document),
    )  # fmt: skip
    db.session.add(report)
    return report


def _announcements(report: Report, recipients: Sequence[Recipient], context: dict[str, Any]) -> list[Mail]:
    """ "Your report is ready" with a link to the reports page (the file itself stays in the app)."""
    context = {
        **context,
        "period_start": report.period_start.isoformat(),
        "period_last_day": (report.period_end - timedelta(days=1)).isoformat(),
        "link": app_link("reports.index"),
    }
    return [Mail(f"report_ready:{report.key}", r, "report_ready", context) for r in recipients]


def build_operations_report(now: datetime, config: Config) -> Built:
    """The weekly report of the week before ``now``, once: a second call for the same week does nothing."""
    start, end = previous_week(local_date(now))
    key = f"operations:{start.isoformat()}"
    if db.session.scalar(select(Report.id).where(Report.key == key)) is not None:
        return Built(None, 0)
    figures = operations_figures(now, start, end)
    report = _store(key, "operations", None, start, end, figures, operations_document(figures), now)
    db.session.flush()
    addresses = config.reports.operations_recipients
    recipients = [Recipient(a, language_for(None)) for a in addresses] if addresses else officer_recipients()
    mails = enqueue(_announcements(report, recipients, {"kind": "operations", "organisation": ""}), now)
    return Built(report, mails)


# -- the monthly organisation reports (they leave the authority: small counts masked) ----------------------
def organisation_figures(organisation_ids: Sequence[int], now: datetime, start: date, end: date) -> dict[int, dict]:
    """Per organisation: its files by state, its decisions of the period, the clearances it relies on that
    are valid and that end within 90 days. Three grouped queries for the whole batch."""
    today = local_date(now)
    states = [s.name for s in APPLICATION.states]
    figures: dict[int, dict[str, Any]] = {
        org: {
            "period_start": start.isoformat(),
            "period_end": end.isoformat(),
            "as_of": today.isoformat(),
            "applications": dict.fromkeys(states, 0),
            "decisions": {"total": 0, **dict.fromkeys(EMPLOYER_ADVICE_TYPES, 0)},
            "clearances": {"valid": 0, f"expiring_{EXPIRING_DAYS}_days": 0},
        }
        for org in organisation_ids
    }
    for org, state, n in db.session.execute(
        select(Application.organisation_id, Application.state, func.count())
        .where(Application.organisation_id.in_(organisation_ids))
        .group_by(Application.organisation_id, Application.state)
    ):
        figures[org]["applications"][state] = n
    for org, kind, n in db.session.execute(
        select(Application.organisation_id, Application.advice_type, func.count())
        .where(
            Application.organisation_id.in_(organisation_ids),
            Application.decided_at >= day_start(start),
            Application.decided_at < day_start(end),
        )
        .group_by(Application.organisation_id, Application.advice_type)
    ):
        figures[org]["decisions"][EMPLOYER_ADVICE[kind]] += n  # the report leaves the authority: no warnings
        figures[org]["decisions"]["total"] += n
    relied = (
        select(Application.organisation_id, Application.clearance_id)
        .where(Application.organisation_id.in_(organisation_ids), Application.clearance_id.is_not(None))
        .distinct()
        .subquery()
    )
    soon = today + timedelta(days=EXPIRING_DAYS)
    for org, valid, expiring in db.session.execute(
        select(
            relied.c.organisation_id,
            func.count(Clearance.id),
            func.count(case((Clearance.valid_until <= soon, Clearance.id))),
        )
        .join(Clearance, Clearance.id == relied.c.clearance_id)
        .where(
            Clearance.state.in_(sorted(COVERING_STATES)),
            Clearance.valid_from <= today,
            Clearance.valid_until >= today,
        )
        .group_by(relied.c.organisation_id)
    ):
        figures[org]["clearances"] = {"valid": valid, f"expiring_{EXPIRING_DAYS}_days": expiring}
    return figures


def organisation_document(name: str, figures: dict[str, Any], mask_below: int) -> ReportDocument:
    start, end = date.fromisoformat(figures["period_start"]), date.fromisoformat(figures["period_end"])
    applications = figures["applications"]
    decisions = figures["decisions"]
    clearances = figures["clearances"]
    notes = [f"Counts below {mask_below} are shown as &lt;{mask_below}."]
    chart: Chart | None = Chart(
        "Applications by state", [_state_label(s) for s in applications], list(applications.values())
    )
    if all(count < mask_below for count in applications.values()):
        # A chart of masked bars would be empty (and scaled to nothing): say it in a sentence instead.
        chart = None
        notes.append(
            f"Every count of your applications by state is below {mask_below} this month, so no chart is drawn: "
            "with so few files, a chart could point to the people screened."
        )
    return ReportDocument(
        title=f"Monthly screening report: {name}",
        subtitle=f"Month {_period_text(start, end)} · files and clearances as of {figures['as_of']}",
        sections=(
            Section(
                "Your applications by state",
                [Row(f"applications.{state}", _state_label(state), n) for state, n in applications.items()],
            ),
            Section(
                "Advice given in the month",
                [Row("decisions.total", "Advice given", decisions["total"])]
                + [Row(f"decisions.{kind}", ADVICE_LABELS[kind], decisions[kind]) for kind in EMPLOYER_ADVICE_TYPES],
            ),
            Section(
                "Clearances you rely on",
                [
                    Row("clearances.valid", "Valid today", clearances["valid"]),
                    Row(
                        f"clearances.expiring_{EXPIRING_DAYS}_days",
                        f"Ending within {EXPIRING_DAYS} days",
                        clearances[f"expiring_{EXPIRING_DAYS}_days"],
                    ),
                ],
            ),
        ),
        chart=chart,
        mask_below=mask_below,
        notes=notes,
    )


def build_organisation_reports(now: datetime, config: Config, *, after_id: int = 0, limit: int = 100) -> Batch:
    """The previous month's report of up to ``limit`` active organisations after ``after_id``; organisations
    that already have it are skipped, so a run that stopped half-way resumes without duplicates."""
    start, end = previous_month(local_date(now))
    organisations = db.session.execute(
        select(Organisation.id, Organisation.name)
        .where(Organisation.active.is_(True), Organisation.id > after_id)
        .order_by(Organisation.id)
        .limit(limit)
    ).all()
    if not organisations:
        return Batch(0, 0)
    keys = {org.id: f"organisation:{org.id}:{start.isoformat()}" for org in organisations}
    done = set(db.session.scalars(select(Report.key).where(Report.key.in_(keys.values()))))
    todo = [org for org in organisations if keys[org.id] not in done]
    figures = organisation_figures([org.id for org in todo], now, start, end) if todo else {}
    reports = []
    for org in todo:
        document = organisation_document(org.name, figures[org.id], config.reports.mask_below)
        reports.append(_store(keys[org.id], "organisation", org.id, start, end, figures[org.id], document, now))
    db.session.flush()
    if config.reports.mail_organisations and reports:
        addresses = organisation_recipients(r.organisation_id for r in reports if r.organisation_id)
        names = {org.id: org.name for org in todo}
        charged = port_overview(start, config.fees)  # the month's fee statements: one grouped query
        mails = [
            mail
            for report in reports
            if report.organisation_id is not None
            for mail in _announcements(
                report,
                addresses.get(report.organisation_id, []),
                {
                    "kind": "organisation",
                    "organisation": names[report.organisation_id],
                    "fees_count": charged[report.organisation_id].count if report.organisation_id in charged else 0,
                    "fees_link": app_link(
                        "fees.statement", organisation_id=report.organisation_id, month=start.isoformat()[:7]
                    ),
                },
            )
        ]
        enqueue(mails, now)
    return Batch(len(organisations), len(reports), last_id=organisations[-1].id)
