"""Buttons, not commands: an admin runs a job from the jobs page and an officer builds a report from the
reports page (audited, CSRF, under the job's lease); schedules read in words; runs that changed nothing
are hidden until asked for; an employer report of small counts says so instead of drawing an empty chart."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from screening.audit.models import AuditEntry
from screening.clock import utcnow
from screening.db import db
from screening.jobs import leases
from screening.jobs.models import JobRun
from screening.jobs.words import schedule_in_words
from screening.reports.models import Report
from tests.conftest import csrf_token, fresh
from tests.scheduler.test_reports import pdf_text


@pytest.mark.parametrize(
    ("expression", "english", "dutch"),
    [
        ("every 5 seconds", "every 5 seconds", "elke 5 seconden"),
        ("every 1 minute", "every minute", "elke minuut"),
        ("* * * * *", "every minute", "elke minuut"),
        ("*/10 * * * *", "every 10 minutes", "elke 10 minuten"),
        ("30 2 * * *", "every day at 02:30", "elke dag om 02:30"),
        ("0 7 * * mon-fri", "Monday to Friday at 07:00", "maandag tot vrijdag om 07:00"),
        ("0 6 * * mon", "every Monday at 06:00", "elke maandag om 06:00"),
        ("0 5 1 * *", "on day 1 of every month at 05:00", "op dag 1 van elke maand om 05:00"),
        ("", "off", "uit"),
        ("0 5 1 1 *", "0 5 1 1 *", "0 5 1 1 *"),  # not covered: shown as written
        ("0 5-7 * * *", "0 5-7 * * *", "0 5-7 * * *"),
    ],
)
def test_schedules_in_words(app, expression, english, dutch):
    with app.test_request_context("/"):
        assert schedule_in_words(expression) == english
        with force_locale("nl"):
            assert schedule_in_words(expression) == dutch


def _runs_listed(page: str) -> list[str]:
    return re.findall(r"<tr><td>(\d+)</td><td>(\w+)</td>", page)


def test_jobs_page_in_words_without_commands(as_role):
    client, _ = as_role("admin")
    page = client.get("/admin/jobs").text
    assert "every 5 seconds" in page and "every day at 02:30" in page and "Monday to Friday at 07:00" in page
    assert "`" not in page and "Run now" in page


def test_an_admin_runs_a_job_now_audited_under_its_lease(app, as_role):
    client, admin = as_role("admin")
    page = client.get("/admin/jobs").text
    response = client.post("/admin/jobs/consent_reminders/run", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert "consent_reminders ran now: 0 items handled." in client.get("/admin/jobs").text
    fresh()
    (run,) = db.session.scalars(select(JobRun).where(JobRun.job == "consent_reminders"))
    assert run.trigger == "manual" and run.holder.startswith(f"web:{admin.username}") and run.finished_at
    (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "run_job"))
    assert (entry.actor, entry.reason) == (admin.username, "consent_reminders")
    # the job is running elsewhere (the scheduler, a second click): this click does not run it again
    assert leases.acquire(db.engine, leases.job_lease("consent_reminders"), "scheduler:other", utcnow(), 60)
    db.session.commit()
    client.post("/admin/jobs/consent_reminders/run", data={"csrf_token": csrf_token(page)})
    assert "did not run: it is already running in another process" in client.get("/admin/jobs").text
    fresh()
    assert db.session.scalar(select(func.count()).select_from(JobRun)) == 1


def test_run_now_refuses_without_csrf_role_or_known_job(as_role):
    client, _ = as_role("admin")
    token = csrf_token(client.get("/admin/jobs").text)
    assert client.post("/admin/jobs/consent_reminders/run").status_code == 400
    assert client.post("/admin/jobs/no_such_job/run", data={"csrf_token": token}).status_code == 404
    officer, _ = as_role("officer")
    assert officer.post("/admin/jobs/consent_reminders/run", data={"csrf_token": token}).status_code in (400, 403)
    fresh()
    assert db.session.scalar(select(func.count()).select_from(JobRun)) == 0


def test_runs_that_changed_nothing_are_hidden_until_asked_for(as_role):
    client, _ = as_role("admin")
    now = datetime.now(UTC)
    runs = [
        JobRun(
            job="seal_audit_log", trigger="schedule", holder="s", as_of=now, started_at=now, finished_at=now, items=0
        ),
        JobRun(job="deliver_mail", trigger="schedule", holder="s", as_of=now, started_at=now, finished_at=now, items=3),
        JobRun(
            job="retention_purge",
            trigger="schedule",
            holder="s",
            as_of=now,
            started_at=now,
            finished_at=now,
            items=0,
            error="OperationalError: boom",
        ),  # fmt: skip
        JobRun(job="monthly_reports", trigger="schedule", holder="s", as_of=now, started_at=now),  # running
    ]
    db.session.add_all(runs)
    db.session.commit()
    shown = {job for _id, job in _runs_listed(client.get("/admin/jobs").text)}
    assert shown == {"deliver_mail", "retention_purge", "monthly_reports"}
    every = client.get("/admin/jobs?all=1").text
    assert {job for _id, job in _runs_listed(every)} == shown | {"seal_audit_log"}
    assert "Hide runs that changed nothing" in every


def test_an_officer_builds_the_reports_now(as_role, factory):
    client, officer = as_role("officer")
    factory.application("positive", now=datetime.now(UTC) - timedelta(days=8))
    page = client.get("/reports").text
    assert "No reports yet" in page and "`" not in page
    response = client.post("/reports/build/weekly", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert "1 report built." in client.get("/reports").text
    client.post("/reports/build/weekly", data={"csrf_token": csrf_token(page)})
    assert "Nothing new to build" in client.get("/reports").text
    fresh()
    assert db.session.scalar(select(func.count()).select_from(Report)) == 1
    entries = list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "build_report")))
    assert [(e.actor, e.reason) for e in entries] == [(officer.username, "weekly_report")] * 2
    assert client.post("/reports/build/yearly", data={"csrf_token": csrf_token(page)}).status_code == 404
    requester, _ = as_role("requester")
    assert requester.post("/reports/build/weekly", data={"csrf_token": csrf_token(page)}).status_code in (400, 403)
    assert 'action="/reports/build/' not in requester.get("/reports").text


def test_a_report_of_small_counts_says_so_instead_of_an_empty_chart():
    from screening.reports.build import to_pdf
    from screening.reports.operations import organisation_document

    figures = {
        "period_start": "2026-03-01", "period_end": "2026-04-01", "as_of": "2026-04-01",
        "applications": {"submitted": 2, "positive": 1, "withdrawn": 0},
        "decisions": {"total": 1, "positive": 1, "positive_with_warning": 0, "negative": 0},
        "clearances": {"valid": 1, "expiring_90_days": 0},
    }  # fmt: skip
    small = organisation_document("Small NV", figures, mask_below=5)
    assert small.chart is None
    text = " ".join(pdf_text(to_pdf(small)).split())
    assert "below 5 this month, so no chart is drawn" in text
    figures["applications"]["submitted"] = 7
    assert organisation_document("Big NV", figures, mask_below=5).chart is not None
