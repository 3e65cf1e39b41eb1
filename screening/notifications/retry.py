"""Sending failed mail again in bulk, from the outbox page or ``screening mail retry``: after an outage
longer than ``mail.give_up_hours`` every given-up message goes again in one statement, audited once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from screening.actors import Actor
from screening.audit.operations import record
from screening.db import db
from screening.notifications import mailer
from screening.notifications.models import OutboxMessage


@dataclass(frozen=True)
class RetryFilter:
    """Which failed messages: of one kind (``template``), written from ``first_day`` to ``last_day``
    (inclusive, days in ``timezone``); each left empty means no limit."""

    template: str | None = None
    first_day: date | None = None
    last_day: date | None = None
    timezone: str = "Europe/Brussels"

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        zone = ZoneInfo(self.timezone)
        start = datetime.combine(self.first_day, time(), zone) if self.first_day else None
        end = datetime.combine(self.last_day + timedelta(days=1), time(), zone) if self.last_day else None
        return start, end

    def describe(self) -> str:
        parts = [f"template={self.template or 'any'}"]
        parts.append(f"written {self.first_day or '…'} to {self.last_day or '…'}")
        return ", ".join(parts)


def failed_kinds() -> list[str]:
    """The kinds (templates) of the failed messages, for the filter's choices (a handful of values)."""
    kinds = select(OutboxMessage.template).distinct().where(OutboxMessage.state == "failed")
    return list(db.session.scalars(kinds.order_by(OutboxMessage.template)))


def retry_failed_mail(actor: Actor, which: RetryFilter, now: datetime) -> int:
    """Make the chosen failed messages pending and due now (fresh attempts); one audit entry with the count."""
    start, end = which.bounds()
    count = mailer.retry_failed(now, template=which.template, written_from=start, written_before=end)
    record(actor, "retry_mail_bulk", "outbox_message", None, reason=f"{count} messages; {which.describe()}", now=now)
    return count
