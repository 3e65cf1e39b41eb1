"""The scheduled jobs: thin wrappers, run inside an application context, around operations of
``screening/``. Each takes ``now`` (the injected clock), runs its operation batch after batch and commits
after each batch, and returns how many items it handled. Operations never commit; jobs do, per batch, so a
crash loses at most one batch, which the next run redoes (every operation is idempotent).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from screening.applications import deadlines
from screening.audit import sealing
from screening.audit.setup import audit_keys
from screening.batches import Batch
from screening.clearances import deadlines as clearance_deadlines
from screening.db import db
from screening.extensions import settings, vault
from screening.imports import operations as imports
from screening.imports import queries as imports_queries
from screening.jobs.leases import new_holder
from screening.notifications import alerts, mailer
from screening.notifications.audit_heads import mail_exported_head
from screening.notifications.operations import capture_mode
from screening.reminders import operations as reminders
from screening.reports import operations as reports
from screening.retention import operations as retention
from screening.webhooks import delivery as webhooks
from screening.webhooks.operations import announce_disabled

Job = Callable[[datetime], int]


def _until_done(step: Callable[[frozenset[int], int], Batch], limit: int | None = None) -> int:
    """Call ``step(skip, limit)`` until a batch comes back short, committing after each. Every row a batch
    takes leaves the selection (handled) or joins ``skip`` (could not be handled), so this always ends."""
    limit = limit or settings().scheduler.batch_size
    skip: frozenset[int] = frozenset()
    total = 0
    while True:
        batch = step(skip, limit)
        db.session.commit()
        total += batch.items
        skip |= frozenset(batch.skipped)
        if batch.scanned < limit:
            return total


def _in_pages(step: Callable[[int, int], Batch], limit: int) -> int:
    """Call ``step(after_id, limit)`` page after page (organisations: every one, in key order)."""
    after, total = 0, 0
    while True:
        batch = step(after, limit)
        db.session.commit()
        total += batch.items
        if batch.scanned < limit or batch.last_id is None:
            return total
        after = batch.last_id


def deliver_mail(now: datetime) -> int:
    """Send what is due; each message is marked sent (and committed) as soon as the server accepted it."""
    config = settings().mail
    if capture_mode():
        captured = mailer.capture_pending()
        db.session.commit()
        return captured
    sent = 0
    while True:
        messages = mailer.claim_due(now, config.batch_size, settings().scheduler.job_lease_seconds)
        db.session.commit()
        for message, error in mailer.send_all(messages, config, now, vault().decrypt):
            mailer.record_outcome(message, error, now, config)
            db.session.commit()
            sent += error is None
        if len(messages) < config.batch_size:
            break
    alerts.warn_operator(now)  # mail failing for over an hour: once per incident (sent when SMTP takes it)
    db.session.commit()
    return sent


def deliver_webhooks(now: datetime) -> int:
    """Send due webhook deliveries, a claimed batch at a time: claim (committed), send with no transaction
    open, record every attempt (committed); endpoints failing for too long are disabled and their
    organisations' screening managers mailed. Returns the deliveries that reached their endpoint."""
    config = settings().webhooks
    holder = new_holder("webhooks")
    delivered = 0
    with webhooks.make_client(config) as client:
        while True:
            claimed = webhooks.claim_due(now, holder, config)
            items = webhooks.outgoing(claimed, now, vault().decrypt)
            db.session.commit()
            outcomes = webhooks.send_batch(items, config, client)
            announce_disabled(webhooks.record_outcomes(outcomes, holder, now, config), now)
            db.session.commit()
            delivered += sum(outcome.delivered for outcome in outcomes)
            if len(claimed) < config.batch_size:
                return delivered


def consent_reminders(now: datetime) -> int:
    """Files waiting for consent past the reminder day: remind the person once."""
    return _until_done(lambda skip, limit: deadlines.remind_consent(now, settings().deadlines, skip=skip, limit=limit))


def consent_expiry(now: datetime) -> int:
    """No consent in time: consent_expired through the workflow, and the requester told."""
    return _until_done(lambda skip, limit: deadlines.expire_consent(now, settings().deadlines, skip=skip, limit=limit))


def info_reminders(now: datetime) -> int:
    """Unanswered requests for information: remind the requester once per request."""
    return _until_done(
        lambda skip, limit: deadlines.remind_info_requests(now, settings().deadlines, skip=skip, limit=limit)
    )


def overdue_reviews(now: datetime) -> int:
    """Officers get the day's list of files past their advice date (once a day)."""
    count = deadlines.mail_overdue_reviews(now)
    db.session.commit()
    return count


def appeal_windows(now: datetime) -> int:
    """Ended appeal windows: negative -> final_negative, and the employer told."""
    return _until_done(
        lambda skip, limit: deadlines.close_appeal_windows(now, settings().deadlines, skip=skip, limit=limit)
    )


def appeal_ruling_reminders(now: datetime) -> int:
    """Appeals without a ruling after the expected time: one reminder to officers per appeal."""
    return _until_done(
        lambda skip, limit: deadlines.remind_appeal_rulings(now, settings().deadlines, skip=skip, limit=limit)
    )


def clearance_expiry_notices(now: datetime) -> int:
    """Relying organisations warned 180, 90 and 30 days before a clearance ends."""
    return _until_done(
        lambda skip, limit: clearance_deadlines.notify_clearance_expiry(
            now, settings().deadlines, skip=skip, limit=limit
        )
    )


def clearance_expiry(now: datetime) -> int:
    """Clearances past their last valid day expire; relying organisations told."""
    return _until_done(lambda skip, limit: clearance_deadlines.expire_clearances(now, skip=skip, limit=limit))


def rescreening(now: datetime) -> int:
    """Valid clearances due for their periodic re-screening: a re-evaluation opened for each, in batches."""
    return _until_done(lambda skip, limit: clearance_deadlines.open_due_rescreenings(now, skip=skip, limit=limit))


def register_reminders(now: datetime) -> int:
    """Screening managers hear of members nearing their deadline without advice and of renewals to start."""
    return _until_done(lambda _skip, limit: reminders.remind_register(now, limit=limit))


def retention_purge(now: datetime) -> int:
    """Erase closed files past their retention period, then delete old mail, reports and job runs."""
    config = settings()
    limit = config.scheduler.batch_size
    erased = 0
    while True:
        scanned, done = retention.purge_due(now, config.retention, limit=limit)
        db.session.commit()
        erased += done
        if scanned < limit:
            break
    while retention.purge_records(now, config.retention):
        db.session.commit()
    db.session.commit()
    return erased


def weekly_report(now: datetime) -> int:
    """The operations report of the previous week, built and announced once."""
    built = reports.build_operations_report(now, settings())
    db.session.commit()
    return 0 if built.report is None else 1


def monthly_reports(now: datetime) -> int:
    """Every active organisation's report of the previous month, built and announced once."""
    limit = min(100, settings().scheduler.batch_size)  # one PDF each: smaller batches, shorter transactions
    return _in_pages(
        lambda after, limit: reports.build_organisation_reports(now, settings(), after_id=after, limit=limit), limit
    )


def seal_audit_log(now: datetime) -> int:
    """Seal the committed audit entries into the Merkle log (a signed head per batch); export the last head
    of a past day. Runs under its own job lease: one sealer at a time across nodes."""
    sealed = sealing.seal_log(audit_keys(), now, settings())
    mail_exported_head(sealing.export_daily_head(now, settings()), now, settings())
    db.session.commit()
    return sealed.entries


def register_imports(now: datetime) -> int:
    """Check the uploaded register files into their previews and write the confirmed ones to the register,
    committing after each batch of rows (the manager's progress bar reads it); discard stale previews."""
    handled = 0
    for job in imports_queries.pending_imports():
        for _done in imports.work(job, vault(), settings().imports, now):
            db.session.commit()
        db.session.commit()
        handled += 1
    handled += imports.expire_previews(now, settings().imports.keep_days)
    db.session.commit()
    return handled


JOBS: dict[str, Job] = {
    "deliver_mail": deliver_mail,
    "consent_reminders": consent_reminders,
    "consent_expiry": consent_expiry,
    "info_reminders": info_reminders,
    "overdue_reviews": overdue_reviews,
    "appeal_windows": appeal_windows,
    "appeal_ruling_reminders": appeal_ruling_reminders,
    "clearance_expiry_notices": clearance_expiry_notices,
    "clearance_expiry": clearance_expiry,
    "rescreening": rescreening,
    "retention_purge": retention_purge,
    "weekly_report": weekly_report,
    "monthly_reports": monthly_reports,
    "seal_audit_log": seal_audit_log,
    "deliver_webhooks": deliver_webhooks,
    "register_imports": register_imports,
    "register_reminders": register_reminders,
}
