"""Mail through the outbox: a row first, in the transaction of the change; delivered after the commit,
exactly once in practice; retried with back-off while SMTP is down; captured in the demo."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from scheduler.runner import run_job
from screening.applications.models import Application
from screening.audit.models import AuditEntry
from screening.db import db
from screening.jobs.models import JobRun
from screening.notifications.models import OutboxMessage
from screening.notifications.operations import Mail, Recipient, enqueue
from tests.conftest import Factory, data_context, fresh
from tests.scheduler.conftest import T0, SMTPServer, World, count, days, mail_settings, outbox, run, tick

EVERY_JOB_BUT_DELIVERY = [
    "consent_reminders", "consent_expiry", "info_reminders", "overdue_reviews", "appeal_windows",
    "appeal_ruling_reminders", "clearance_expiry_notices", "clearance_expiry", "retention_purge",
    "weekly_report", "monthly_reports",
]  # fmt: skip


NOW = T0 + days(3 * 365)


def _something_due_for_every_job(world: World) -> None:
    organisation = world.organisation(contact="contact@employer.example")
    requester = world.requester(organisation=organisation)
    for state, age in [
        ("awaiting_consent", 8), ("awaiting_consent", 31), ("info_requested", 8), ("submitted", 40),
        ("negative", 20), ("appealed", 31), ("positive", 5 * 365 - 100), ("positive", 5 * 365 + 3),
        ("withdrawn", 400),
    ]:  # fmt: skip
        world.application(state, now=NOW - days(age), requester=requester)


def test_running_every_job_twice_sends_nothing_twice(world: World, smtp: SMTPServer):
    _something_due_for_every_job(world)
    audit_before = count(AuditEntry)
    for name in EVERY_JOB_BUT_DELIVERY:
        assert run(world.app, name, NOW).items >= 1, name  # every job had something to do
    run(world.app, "deliver_mail", NOW)
    sent, rows, audit = len(smtp.messages), count(OutboxMessage), count(AuditEntry)
    states = dict(db.session.execute(select(Application.id, Application.state)).all())
    assert {m.template for m in outbox()} == {
        "consent_reminder", "consent_expired", "info_reminder", "overdue_reviews", "appeal_closed",
        "appeal_ruling_reminder", "clearance_expiry_notice", "clearance_expired", "report_ready",
    }  # fmt: skip
    assert audit > audit_before

    for name in EVERY_JOB_BUT_DELIVERY:
        run(world.app, name, NOW + timedelta(minutes=5))
    run(world.app, "deliver_mail", NOW + timedelta(minutes=5))
    assert (len(smtp.messages), count(OutboxMessage), count(AuditEntry)) == (sent, rows, audit)
    assert dict(db.session.execute(select(Application.id, Application.state)).all()) == states
    assert sent == rows and {m.state for m in outbox()} == {"sent"}


def test_a_rolled_back_change_sends_nothing(world: World, smtp: SMTPServer, monkeypatch):
    """The job fails after writing its mail rows: the rows go with the rollback, the run records the error."""
    world.application("awaiting_consent")
    from screening.applications import deadlines

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(deadlines, "_mark_reminded", broken)
    result = run_job(world.app, "consent_reminders", holder="test", now=T0 + days(7))
    assert result.status == "failed" and "disk full" in (result.error or "")
    assert outbox() == []
    fresh()
    (stored_run,) = db.session.scalars(select(JobRun)).all()
    assert stored_run.error == "RuntimeError: disk full" and stored_run.finished_at is not None

    monkeypatch.undo()
    tick(world.app, "consent_reminders", T0 + days(7))
    assert len(smtp.messages) == 1


def test_killed_between_row_written_and_mail_sent_delivers_once_on_restart(make_app, smtp_port: int, smtp: SMTPServer):
    """A process writes the rows and dies before delivering; a new process (new app, new engine) sends each
    message once, and a second delivery run sends nothing more."""
    first = make_app(mail=mail_settings(smtp_port))
    with data_context(first):
        world = World(first)
        world.application("awaiting_consent")
        world.application("info_requested", requester=world.requester(email="other@employer.example"))
        run(first, "consent_reminders", T0 + days(7))
        run(first, "info_reminders", T0 + days(7))
    first.extensions["screening.engine"].dispose()  # the process is gone
    assert smtp.messages == []

    restarted = make_app(mail=mail_settings(smtp_port))
    with data_context(restarted):
        assert [m.state for m in outbox()] == ["pending", "pending"]
        run(
            restarted,
            "deliver_mail",
            T0
            + days(
                7,
            )
            + timedelta(minutes=1),
        )
        run(restarted, "deliver_mail", T0 + days(7) + timedelta(minutes=2))
        assert len(smtp.messages) == 2
        assert [m.state for m in outbox()] == ["sent", "sent"]


def test_smtp_down_keeps_mail_pending_with_back_off_until_it_returns(world: World, smtp_server: SMTPServer):
    world.application("awaiting_consent")
    now = T0 + days(7)
    run(world.app, "consent_reminders", now)
    run(world.app, "deliver_mail", now)  # nothing listens on the port
    (message,) = outbox()
    assert (message.state, message.attempts) == ("pending", 1)
    assert message.next_attempt_at == now + timedelta(seconds=60)
    assert "cannot reach 127.0.0.1" in (message.last_error or "")

    run(world.app, "deliver_mail", now + timedelta(seconds=30))  # not due yet: no attempt
    assert outbox()[0].attempts == 1
    run(world.app, "deliver_mail", now + timedelta(seconds=61))  # still down: the wait doubles
    (message,) = outbox()
    assert (message.attempts, message.next_attempt_at) == (2, now + timedelta(seconds=61 + 120))

    smtp_server.start()
    run(world.app, "deliver_mail", now + timedelta(seconds=150))  # up, but the message is not due yet
    assert smtp_server.messages == []
    run(world.app, "deliver_mail", now + timedelta(seconds=181))
    (message,) = outbox()
    assert (message.state, message.attempts, message.last_error) == ("sent", 3, None)
    assert message.sent_at == now + timedelta(seconds=181)
    assert len(smtp_server.messages) == 1
    run(world.app, "deliver_mail", now + timedelta(days=1))
    assert len(smtp_server.messages) == 1


def test_gives_up_after_a_duration_not_a_count_of_attempts(make_app, smtp_port: int):
    app = make_app(mail=mail_settings(smtp_port, give_up_hours=1, retry_base_seconds=10, retry_max_seconds=60))
    with data_context(app):
        World(app).application("awaiting_consent")
        now = T0 + days(7)
        run(app, "consent_reminders", now)
        for minute in range(0, 60, 2):  # SMTP down: tried again and again within the hour, never given up
            run(app, "deliver_mail", now + timedelta(minutes=minute))
        (message,) = outbox()
        assert message.state == "pending" and message.attempts >= 20
        run(app, "deliver_mail", now + timedelta(minutes=61))
        (message,) = outbox()
        assert message.state == "failed"
        assert (message.last_error or "").startswith(
            f"gave up after 1 hours and {message.attempts} attempts: cannot reach"
        )
        run(app, "deliver_mail", now + timedelta(days=1))
        assert outbox()[0].attempts == message.attempts


def test_a_permanent_refusal_is_not_retried_and_the_others_still_go(world: World, smtp: SMTPServer):
    first = world.application("awaiting_consent")
    world.application("awaiting_consent")
    refused = db.session.get(Application, first.id)
    from screening.people.models import Person

    smtp.refuse.add(db.session.get(Person, refused.person_id).email)
    tick(world.app, "consent_reminders", T0 + days(7))
    states = sorted(m.state for m in outbox())
    assert states == ["failed", "sent"]
    failed = next(m for m in outbox() if m.state == "failed")
    assert "550" in (failed.last_error or "") and failed.attempts == 1
    assert len(smtp.messages) == 1


def test_an_idempotency_key_is_written_once(app, factory: Factory):
    mail = Mail("report_ready:x", Recipient("A@Example.org", "en"), "report_ready",
                {"kind": "operations", "organisation": "", "period_start": "2026-03-02",
                 "period_last_day": "2026-03-08", "link": "https://x"})  # fmt: skip
    assert enqueue([mail, mail], T0) == 1
    db.session.commit()
    assert enqueue([Mail(mail.key, Recipient("a@example.org", "nl"), mail.template, mail.context)], T0) == 0
    db.session.commit()
    (row,) = outbox()
    assert row.idempotency_key == "report_ready:x|a@example.org"


def test_without_smtp_host_or_in_the_demo_mail_is_captured(make_app, smtp_port: int, smtp: SMTPServer):
    for sections in ({}, {"app": {"demo": True}, "mail": mail_settings(smtp_port)}):
        app = make_app(**sections)
        with data_context(app):
            World(app).application("awaiting_consent")
            tick(app, "consent_reminders", T0 + days(7))
            (message,) = outbox()
            assert message.state == "captured" and message.sent_at is None
            assert message.subject.startswith("Herinnering") and "/p/" in message.body
            db.session.query(OutboxMessage).delete()
            db.session.commit()
    assert smtp.messages == []


@pytest.mark.parametrize(("locale", "greeting"), [("en", "Dear"), ("fr", "Bonjour"), ("nl", "Beste"), ("de", "Dear")])
def test_mail_is_written_in_the_recipients_language(world: World, smtp: SMTPServer, locale: str, greeting: str):
    """English, Dutch and French templates; another language falls back to the default (English)."""
    details = world.factory.person_details(locale=locale)
    world.application("awaiting_consent", person=details)
    tick(world.app, "consent_reminders", T0 + days(7))
    (message,) = smtp.messages
    assert message.get_content().startswith(greeting)
    assert message["Content-Language"] == (locale if locale != "de" else "en")


def test_a_claim_takes_one_batch_not_the_whole_backlog(mail_app):
    """On PostgreSQL ``id IN (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED)`` claimed every due row: a sender
    killed mid-batch then held the whole backlog until the claims lapsed (found by tests/faults)."""
    from screening.notifications import mailer

    context = {"kind": "operations", "organisation": "", "period_start": "2026-03-02", "period_last_day": "2026-03-08",
               "link": "https://x"}  # fmt: skip
    enqueue(
        [Mail(f"backlog:{n}", Recipient(f"p{n}@example.org", "en"), "report_ready", context) for n in range(12)], T0
    )
    db.session.commit()
    first = mailer.claim_due(T0, 5, 60)
    db.session.commit()
    second = mailer.claim_due(T0, 5, 60)
    db.session.commit()
    assert (len(first), len(second)) == (5, 5) and not {m.id for m in first} & {m.id for m in second}
    assert sum(m.attempts for m in outbox()) == 10
