"""The weekly operations report and the monthly organisation reports: figures equal direct counts, the
PDF renders (pdftotext), small counts leave the authority as "<5", downloads are scoped and audited."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from screening.applications.models import Application
from screening.audit.models import AuditEntry
from screening.clock import day_start
from screening.db import db
from screening.reports.build import ReportDocument, Row, Section, shown, to_csv
from screening.reports.models import Report
from screening.reports.operations import percentile
from tests.conftest import fresh, require_service, sign_in
from tests.scheduler.conftest import SMTPServer, World, count, outbox, run, subject, tick

MONDAY = datetime(2026, 3, 9, 5, 0, tzinfo=UTC)  # the report of the week 2 to 8 March 2026
WEEK = [day_start(date(2026, 3, 2)) + timedelta(days=n, hours=10) for n in range(7)]


def pdf_text(data: bytes) -> str:
    if shutil.which("pdftotext") is None:
        require_service("pdftotext", "install poppler-utils")
    result = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True)
    return result.stdout.decode("utf-8")


def figures(text: str) -> dict[str, str]:
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["metric", "value"]
    return dict(rows[1:])


def _decided(world: World, requester, event: str, submitted: datetime, decided: datetime):
    application = world.application("submitted", now=submitted, requester=requester)
    world.fire(application, "start_review", decided)
    return world.fire(application, event, decided)


@pytest.fixture
def week(world: World):
    """Decisions in the week with known turnarounds (1, 2, ..., 10 days; the last three negative),
    a decision just before and just after it, and a backlog."""
    requester = world.requester()
    for n in range(1, 11):
        decided = WEEK[n % 7]
        event = "advise_negative" if n > 7 else "advise_positive"
        _decided(world, requester, event, decided - timedelta(days=n), decided)
    _decided(world, requester, "advise_positive", WEEK[0] - timedelta(days=30), WEEK[0] - timedelta(hours=11))
    _decided(world, requester, "advise_positive", WEEK[6], WEEK[6] + timedelta(hours=14))  # Monday 9, 00:00+
    for state in ("awaiting_consent", "submitted", "submitted", "in_review", "info_requested"):
        world.application(state, now=WEEK[0] - timedelta(days=40), requester=requester)
    return requester


def test_weekly_operations_report_figures_equal_direct_counts(world: World, smtp: SMTPServer, week):
    tick(world.app, "weekly_report", MONDAY)
    (report,) = db.session.scalars(select(Report)).all()
    assert (report.kind, report.period_start, report.period_end) == ("operations", date(2026, 3, 2), date(2026, 3, 9))
    data = figures(report.csv)

    for state, number in db.session.execute(
        select(Application.state, func.count()).where(Application.state.in_(["awaiting_consent", "submitted",
                                                                              "in_review", "info_requested"]))
        .group_by(Application.state)
    ):  # fmt: skip
        assert data[f"backlog.{state}"] == str(number)
    in_week = (Application.decided_at >= day_start(date(2026, 3, 2))) & (
        Application.decided_at < day_start(date(2026, 3, 9))
    )
    assert data["decisions.total"] == str(count(Application, in_week)) == "10"
    assert data["decisions.negative"] == str(count(Application, in_week, Application.advice_type == "negative")) == "3"
    assert data["negative_rate_percent"] == "30.0"
    assert data["turnaround_days.median"] == "5.5" and data["turnaround_days.p90"] == "9.1"
    overdue = count(Application, Application.state.in_(["submitted", "in_review", "info_requested", "appealed"]),
                    Application.due_on < date(2026, 3, 9))  # fmt: skip
    assert data["overdue"] == str(overdue) == "4"

    text = pdf_text(report.pdf)
    assert "Weekly operations report" in text and "2026-03-02 to 2026-03-08" in text
    assert "Decisions (throughput)" in text and "Backlog per state" in text  # the table and the chart
    for label, value in (("Median", "5.5"), ("90th percentile", "9.1"), ("Negative rate (%)", "30.0")):
        line = next(line for line in text.splitlines() if line.strip().startswith(label))
        assert line.split()[-1] == value

    (message,) = smtp.to("officer@authority.example")
    assert subject(message) == "Weekly operations report, 2 March 2026 to 8 March 2026"
    assert "/reports" in message.get_content()
    tick(world.app, "weekly_report", MONDAY + timedelta(hours=1))
    assert count(Report) == 1 and len(smtp.messages) == 1


def test_monthly_organisation_report_masks_small_counts(world: World, smtp: SMTPServer):
    organisation = world.organisation(contact="security@big.example")
    requester = world.requester(organisation=organisation)
    march = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    for _ in range(6):
        world.application("submitted", now=march, requester=requester)
    for _ in range(2):
        world.application("withdrawn", now=march, requester=requester)
    for _ in range(5):
        _decided(world, requester, "advise_positive", march - timedelta(days=3), march)
    other = world.requester(organisation=world.organisation(contact="other@small.example"))
    world.application("submitted", now=march, requester=other)

    run(world.app, "monthly_reports", datetime(2026, 4, 1, 4, 0, tzinfo=UTC))
    run(world.app, "deliver_mail", datetime(2026, 4, 1, 4, 0, tzinfo=UTC))
    report = db.session.scalar(select(Report).where(Report.organisation_id == organisation.id))
    assert (report.period_start, report.period_end) == (date(2026, 3, 1), date(2026, 4, 1))
    data = figures(report.csv)
    assert data["applications.submitted"] == "6"
    assert data["applications.positive"] == "5"
    assert data["applications.withdrawn"] == "<5"  # 2
    assert data["applications.negative"] == "<5"  # 0
    assert data["decisions.total"] == "5" and data["decisions.negative"] == "<5"
    assert data["clearances.valid"] == "5" and data["clearances.expiring_90_days"] == "<5"
    assert report.figures["applications"]["withdrawn"] == 2  # the authority keeps the real figure

    text = pdf_text(report.pdf)
    assert "Monthly screening report" in text and organisation.name in text
    withdrawn = next(line for line in text.splitlines() if line.strip().startswith("Withdrawn"))
    assert withdrawn.split()[-1] == "<5"
    assert "Counts below 5 are shown as <5." in text

    (message,) = smtp.to("security@big.example")
    assert organisation.name in subject(message)
    assert len(smtp.to("other@small.example")) == 1
    run(world.app, "monthly_reports", datetime(2026, 4, 1, 6, 0, tzinfo=UTC))
    assert count(Report, Report.organisation_id == organisation.id) == 1


def test_reports_are_downloaded_by_their_readers_only_and_audited(world: World, smtp: SMTPServer):
    organisation = world.organisation()
    requester = world.requester(organisation=organisation)
    world.application("submitted", now=datetime(2026, 3, 10, tzinfo=UTC), requester=requester)
    other = world.requester(email="other@x.example")
    admin = world.user("admin")
    run(world.app, "monthly_reports", datetime(2026, 4, 1, 4, 0, tzinfo=UTC))
    run(world.app, "weekly_report", datetime(2026, 4, 1, 4, 0, tzinfo=UTC))
    own = db.session.scalar(select(Report).where(Report.organisation_id == organisation.id))
    operations = db.session.scalar(select(Report).where(Report.kind == "operations"))

    client = sign_in(world.app.test_client(), requester)
    listing = client.get("/reports")
    assert listing.status_code == 200 and f"/reports/{own.id}.pdf" in listing.text
    assert f"/reports/{operations.id}.pdf" not in listing.text
    response = client.get(f"/reports/{own.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert client.get(f"/reports/{own.id}.csv").text.startswith("metric,value")
    assert client.get(f"/reports/{operations.id}.pdf").status_code == 404

    stranger = sign_in(world.app.test_client(), other)
    assert stranger.get(f"/reports/{own.id}.pdf").status_code == 404
    officer = sign_in(world.app.test_client(), world.officer)
    assert officer.get(f"/reports/{operations.id}.csv").status_code == 200
    assert sign_in(world.app.test_client(), admin).get("/reports").status_code == 403

    fresh()
    downloads = db.session.execute(
        select(AuditEntry.actor, AuditEntry.object_id, AuditEntry.reason).where(AuditEntry.action == "download_report")
    ).all()
    assert sorted(downloads) == sorted(
        [(requester.username, own.id, "pdf"), (requester.username, own.id, "csv"),
         (world.officer.username, operations.id, "csv")]
    )  # fmt: skip
    assert outbox("report_ready")


def test_masking_and_percentiles():
    assert [shown(n, mask_below=5) for n in (0, 4, 5, 12)] == ["<5", "<5", "5", "12"]
    assert shown(2.25, count=False, mask_below=5) == "2.2" or shown(2.25, count=False, mask_below=5) == "2.3"
    assert shown(None) == "–"
    document = ReportDocument(
        "t", "s", [Section("x", [Row("a", "A", 3), Row("b", "B", 1.5, count=False)])], mask_below=5
    )
    assert to_csv(document) == "metric,value\na,<5\nb,1.5\n"
    assert percentile([], 0.5) is None
    assert percentile([4.0], 0.9) == 4.0
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5) == 5.5
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9) == pytest.approx(9.1)
