"""The admin's jobs and outbox pages, the command line, the configuration, and the promise that a scan's
number of queries does not grow with the tables."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from screening.applications.models import Application
from screening.cli import main
from screening.config import ConfigError, parse_config
from screening.db import db
from screening.jobs.models import JobRun
from screening.notifications.models import OutboxMessage
from screening.people.models import Person
from tests.conftest import csrf_token, fresh, sign_in
from tests.scheduler.conftest import T0, SMTPServer, StatementCounter, World, count, days, outbox, run, tick


# -- admin pages -----------------------------------------------------------------------------------------
def test_jobs_page_lists_schedules_next_runs_and_last_results(world: World):
    admin = world.user("admin")
    world.application("awaiting_consent")
    run(world.app, "consent_reminders", T0 + days(7))
    client = sign_in(world.app.test_client(), admin)
    page = client.get("/admin/jobs")
    assert page.status_code == 200
    for name in ("consent_reminders", "retention_purge", "monthly_reports", "0 5 1 * *"):
        assert name in page.text
    assert "No scheduler is running" in page.text
    officer = sign_in(world.app.test_client(), world.officer)
    assert officer.get("/admin/jobs").status_code == 403
    assert officer.get("/admin/outbox").status_code == 403


def test_outbox_page_shows_delivery_not_content_and_retries_failures(world: World):
    admin = world.user("admin")
    world.application("awaiting_consent")
    world.application("info_requested")
    run(world.app, "consent_reminders", T0 + days(7))
    run(world.app, "info_reminders", T0 + days(7))
    for attempt in range(8):  # SMTP is down; after 8 attempts delivery gives up
        run(world.app, "deliver_mail", T0 + days(8 + attempt))
    client = sign_in(world.app.test_client(), admin)
    listing = client.get("/admin/outbox")
    assert listing.status_code == 200 and "consent_reminder" in listing.text
    consent = next(m for m in outbox() if m.template == "consent_reminder")
    assert consent.state == "failed" and f"/admin/outbox/{consent.id}" in client.get("/admin/outbox?state=failed").text
    detail = client.get(f"/admin/outbox/{consent.id}")
    assert consent.recipient in detail.text and "cannot reach" in detail.text
    for secret in (consent.subject, "/p/", "Herinnering"):  # outside the demo: no content, no signed link
        assert secret not in detail.text and secret not in listing.text
    response = client.post(f"/admin/outbox/{consent.id}/retry", data={"csrf_token": csrf_token(detail.text)})
    assert response.status_code == 302
    fresh()
    retried = db.session.get(OutboxMessage, consent.id)
    assert (retried.state, retried.attempts) == ("pending", 0)


def test_in_the_demo_the_outbox_is_the_developers_mailbox(make_app):
    from tests.conftest import data_context

    app = make_app(app={"demo": True})
    with data_context(app):
        world = World(app)
        admin = world.user("admin")
        world.application("awaiting_consent")
        run(app, "consent_reminders", T0 + days(7))
        (message,) = outbox()
        client = sign_in(app.test_client(), admin)
        assert message.state == "captured" and message.subject in client.get("/admin/outbox").text
        detail = client.get(f"/admin/outbox/{message.id}").text
        assert "/p/" in detail and "Beste" in detail


# -- command line ----------------------------------------------------------------------------------------
def cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_jobs_list_and_run_by_hand_with_a_moved_clock(world: World, config_file, smtp: SMTPServer):
    listing = cli("--config", str(config_file), "jobs", "list")
    assert listing.exit_code == 0 and "consent_reminders" in listing.output and "deliver_mail" in listing.output
    application = world.application("awaiting_consent")

    early = cli("--config", str(config_file), "jobs", "run", "consent_reminders", "--now", "2026-03-08")
    assert early.exit_code == 0 and "consent_reminders: done (0 items)" in early.output
    result = cli("--config", str(config_file), "jobs", "run", "all", "--now", "2026-03-09T08:00")
    assert result.exit_code == 0, result.output
    assert "consent_reminders: done (1 items)" in result.output
    assert result.output.strip().splitlines()[-1].startswith("deliver_mail: done (")
    fresh()
    (reminder,) = smtp.to(db.session.get(Person, application.person_id).email)
    assert application.reference in reminder.get_content()
    fresh()
    manual = db.session.scalars(select(JobRun).where(JobRun.job == "consent_reminders").order_by(JobRun.id)).all()
    assert [run.trigger for run in manual] == ["manual", "manual"]
    assert manual[1].holder.startswith("cli:")

    built = cli("--config", str(config_file), "reports", "build", "weekly", "--now", "2026-03-16")
    assert built.exit_code == 0 and "weekly_report: done (1 items)" in built.output
    assert "operations:2026-03-09" in cli("--config", str(config_file), "reports", "list").output


def test_unknown_job_and_bad_date_are_one_line_errors(config_file):
    result = CliRunner().invoke(main, ["--config", str(config_file), "jobs", "run", "nope"])
    assert result.exit_code == 1 and "error: unknown job 'nope'; known jobs: deliver_mail," in result.output
    result = CliRunner().invoke(main, ["--config", str(config_file), "jobs", "run", "deliver_mail", "--now", "soon"])
    assert result.exit_code == 2 and "is not an ISO date" in result.output


# -- configuration ---------------------------------------------------------------------------------------
def test_a_bad_schedule_or_time_zone_is_named():
    with pytest.raises(ConfigError, match=r"scheduler\.schedules\.consent_expiry: not a crontab schedule"):
        parse_config({"scheduler": {"schedules": {"consent_expiry": "daily at 8"}}}, env={})
    with pytest.raises(ConfigError, match=r"scheduler\.schedules\.consent_expiry: not an interval"):
        parse_config({"scheduler": {"schedules": {"consent_expiry": "every day"}}}, env={})
    with pytest.raises(ConfigError, match=r"scheduler\.timezone: unknown time zone"):
        parse_config({"scheduler": {"timezone": "Mars/Olympus"}}, env={})


@pytest.mark.parametrize(
    "expression", ["every 0 seconds", "every 5 hours", "every -5 seconds", "every 5", "every 9999999 seconds", "every"]
)
def test_a_bad_interval_stops_the_start_naming_the_key(expression):
    with pytest.raises(ConfigError, match=r"^scheduler\.schedules\.seal_audit_log: not an interval \("):
        parse_config({"scheduler": {"schedules": {"seal_audit_log": expression}}}, env={})
    config = parse_config({"mail": {"host": "smtp.example.org"}}, env={"SCREENING_MAIL_PASSWORD": "s3cret"})
    assert config.mail.password == "s3cret" and config.scheduler.schedule("weekly_report") == "0 6 * * mon"


# -- cost of a scan --------------------------------------------------------------------------------------
def test_query_count_does_not_grow_with_the_tables(world: World):
    """Same number of due files, ten times more files that are not due: the same number of statements."""
    requester = world.requester()
    for _ in range(3):
        world.application("awaiting_consent", requester=requester)
        world.application("info_requested", requester=requester)
    now = T0 + days(8)

    def statements() -> list[int]:
        counts = []
        for name in ("consent_reminders", "info_reminders", "consent_expiry", "appeal_windows"):
            with StatementCounter(world.app) as counter:
                run(world.app, name, now)
            counts.append(counter.count)
        db.session.execute(
            Application.__table__.update().values(reminded_at=None)  # the same files are due again
        )
        db.session.commit()
        return counts

    statements()  # the first run of each job also creates its lease row
    small = statements()
    for _ in range(10):  # not due: too recent, or already past their step
        world.application("awaiting_consent", now=T0 + days(5), requester=requester)
        world.application("info_requested", now=T0 + days(5), requester=requester)
        world.application("submitted", requester=requester)
    assert statements() == small
    assert count(OutboxMessage) > 0


def test_delivery_needs_a_fixed_number_of_statements_per_message(world: World, smtp: SMTPServer):
    for _ in range(5):
        world.application("awaiting_consent")
    run(world.app, "consent_reminders", T0 + days(7))
    with StatementCounter(world.app) as counter:
        tick(world.app, "overdue_reviews", T0 + days(7) + timedelta(minutes=1))
    assert len(smtp.messages) == 5
    assert counter.count < 40
