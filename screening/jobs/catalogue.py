"""What the scheduled jobs are and when they run next, for the admin page and ``screening jobs list``.

The job functions themselves live in :mod:`scheduler.jobs` (above ``screening/`` in the layers); this
module holds only their names, descriptions and schedules, which the web application may show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from apscheduler.triggers.interval import IntervalTrigger

from screening.config import JOB_SCHEDULES, SchedulerConfig, schedule_trigger


def N_(message: str) -> str:
    """Marks a string for the catalogues without translating it: the CLI prints English, the admin page
    translates it with ``_()`` (N_ is one of Babel's default extraction keywords)."""
    return message


DESCRIPTIONS = {
    "deliver_mail": N_("Send pending mail from the outbox, with retries and back-off."),
    "consent_reminders": N_("Remind the person who has not consented after the reminder period."),
    "consent_expiry": N_("End applications without consent after the consent period (consent expired)."),
    "info_reminders": N_("Remind the requester of an unanswered request for information."),
    "overdue_reviews": N_("Mail officers the files past their advice date."),
    "appeal_windows": N_("Close ended appeal windows (final negative) and tell the employer."),
    "appeal_ruling_reminders": N_("Remind officers of appeals without a ruling."),
    "clearance_expiry_notices": N_("Tell relying organisations that a clearance ends in 180, 90 or 30 days."),
    "clearance_expiry": N_("Expire clearances after their last valid day and tell relying organisations."),
    "rescreening": N_("Open the periodic re-evaluation of valid clearances due for re-screening."),
    "retention_purge": N_("Erase personal data of closed files past their period; delete old mail, reports, runs."),
    "weekly_report": N_("Build and announce the weekly operations report."),
    "monthly_reports": N_("Build and announce each organisation's monthly report."),
    "seal_audit_log": N_("Seal new audit entries into the signed audit log; export each day's last signed head."),
    "deliver_webhooks": N_("Send due webhook deliveries to the employers' endpoints, with retries and back-off."),
    "register_imports": N_("Check uploaded register files into their preview; write confirmed imports."),
    "register_reminders": N_("Tell screening managers of register deadlines in 60, 30 or 7 days and renewals due."),
}
JOB_NAMES = tuple(JOB_SCHEDULES)


@dataclass(frozen=True)
class JobInfo:
    name: str
    description: str
    #: Crontab expression or ``every N seconds``, empty when the job is switched off.
    schedule: str
    next_run: datetime | None


def next_run(expression: str, timezone: str, now: datetime) -> datetime | None:
    """When a schedule fires next after ``now`` (in its time zone; an interval: one interval on); None when
    switched off."""
    if not expression:
        return None
    trigger = schedule_trigger(expression, timezone)
    if isinstance(trigger, IntervalTrigger):
        return now + trigger.interval
    return trigger.get_next_fire_time(None, now)


def job_table(config: SchedulerConfig, now: datetime) -> list[JobInfo]:
    return [
        JobInfo(name, DESCRIPTIONS[name], config.schedule(name), next_run(config.schedule(name), config.timezone, now))
        for name in JOB_NAMES
    ]
