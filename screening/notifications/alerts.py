"""Telling the administrators that mail is failing: a banner on their pages and a mail to the operator.

"Failing" means what a user would notice: a message has waited, with a delivery error, for longer than
``mail.warn_after_minutes``, or messages were given up after ``mail.give_up_hours`` (an outage, not a
permanent refusal of one address: those are one person's problem and stay on the outbox page). Both are
read from the outbox itself, so every web process and the scheduler agree without any state of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from screening.db import db
from screening.extensions import settings
from screening.notifications.mailer import GAVE_UP
from screening.notifications.models import OutboxMessage
from screening.notifications.operations import Mail, Recipient, app_link, enqueue, language_for


@dataclass(frozen=True)
class MailTrouble:
    #: When the oldest message still waiting with an error was written (None: only given-up messages).
    since: datetime | None
    waiting: int
    given_up: int
    last_error: str


def mail_trouble(now: datetime) -> MailTrouble | None:
    """Whether mail has been failing for longer than ``mail.warn_after_minutes``; two indexed reads."""
    config = settings().mail
    waiting, since = db.session.execute(
        select(func.count(), func.min(OutboxMessage.created_at)).where(
            OutboxMessage.state == "pending", OutboxMessage.last_error.is_not(None),
            OutboxMessage.created_at <= now - timedelta(minutes=config.warn_after_minutes),
        )
    ).one()  # fmt: skip
    given_up = db.session.scalar(
        select(func.count()).where(OutboxMessage.state == "failed", OutboxMessage.last_error.startswith(GAVE_UP))
    )
    if not waiting and not given_up:
        return None
    last_error = db.session.scalar(
        select(OutboxMessage.last_error)
        .where(OutboxMessage.state.in_(("pending", "failed")), OutboxMessage.last_error.is_not(None))
        .order_by(OutboxMessage.next_attempt_at.desc())
        .limit(1)
    )
    return MailTrouble(since if waiting else None, int(waiting), int(given_up or 0), (last_error or "")[:300])


def warn_operator(now: datetime) -> int:
    """Write one mail to ``mail.operator_address`` per incident, named by when its oldest waiting message was
    written (so every run of the delivery job during one outage finds the same key); returns 0 or 1."""
    config = settings().mail
    if not config.operator_address.strip():
        return 0
    trouble = mail_trouble(now)
    if trouble is None or trouble.since is None:
        return 0
    since = trouble.since
    context = {
        "since": since.isoformat(), "waiting": trouble.waiting, "given_up": trouble.given_up,
        "give_up_hours": config.give_up_hours, "last_error": trouble.last_error,
        "link": app_link("outbox.index", state="failed" if trouble.given_up else "pending"),
    }  # fmt: skip
    key = f"mail_failing:{since:%Y%m%dT%H%M%S}"
    operator = Recipient(config.operator_address.strip(), language_for(None))
    return enqueue([Mail(key, operator, "mail_failing", context)], now)
