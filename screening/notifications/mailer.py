"""Delivering the outbox over SMTP, with retries and exponential back-off.

Delivery is a sequence of small steps that the ``deliver_mail`` job commits one by one:
:func:`claim_due` marks a batch as being attempted (so a crash makes it due again after a short while,
never lost), :func:`send_all` talks to the SMTP server without any transaction open, and
:func:`record_outcome` marks each message sent only once the server has accepted it. A crash between the
server's acceptance and that commit is the one case that sends a message twice; its Message-ID is derived
from the idempotency key, so the receiving side sees the same message twice, not two messages.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy import select, update

from screening.config import MailConfig
from screening.db import db
from screening.notifications.models import OutboxMessage

#: A claimed message becomes due again after this long if its sender died mid-way (the delivery job passes
#: its job lease, ``scheduler.job_lease_seconds``: a claim lasts as long as the run that made it may).
CLAIM_SECONDS = 120


@dataclass(frozen=True)
class DeliveryError:
    """Why a message was not accepted; ``permanent`` refusals (5xx) are not retried."""

    reason: str
    permanent: bool = False


def claim_due(now: datetime, limit: int, claim_seconds: int = CLAIM_SECONDS) -> list[OutboxMessage]:
    """Pending messages due at ``now`` (oldest first), marked as attempted so no other sender takes them.

    On PostgreSQL ``SKIP LOCKED`` lets two senders claim different rows instead of waiting on each other. There
    the batch is chosen in a CTE: as ``id IN (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED)`` the planner re-ran
    the locking subquery and one claim took every due message, not ``limit`` (found by the fault suite: a
    scheduler killed mid-delivery then left the whole backlog claimed until the claims lapsed).
    """
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.state == "pending", OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        batch = due.with_for_update(skip_locked=True).cte("due_batch")
        chosen = OutboxMessage.id == batch.c.id
    else:
        chosen = OutboxMessage.id.in_(due)
    claimed = db.session.scalars(
        update(OutboxMessage)
        .where(chosen, OutboxMessage.state == "pending", OutboxMessage.next_attempt_at <= now)
        .values(attempts=OutboxMessage.attempts + 1, next_attempt_at=now + timedelta(seconds=claim_seconds))
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    ).all()
    if not claimed:
        return []
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.id.in_(claimed))
            .order_by(OutboxMessage.id)
            .execution_options(populate_existing=True)
        )
    )


def capture_pending() -> int:
    """Without SMTP (demo, no host) pending messages are kept in the app as captured instead of sent."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.state == "pending")
        .values(state="captured")
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def sealed_placeholder(name: str) -> str:
    """What a message's stored body holds in place of a sealed value (``context["sealed"][name]``, an
    encrypted token): the value itself is opened only while the e-mail is built."""
    return f"[[sealed:{name}]]"


def unsealed_body(message: OutboxMessage, unseal: Callable[[str], str] | None) -> str:
    """The body with its sealed values opened (the recognition notice's national register number)."""
    body = message.body
    for name, token in ((message.context or {}).get("sealed") or {}).items():
        body = body.replace(sealed_placeholder(name), unseal(token) if unseal is not None else "")
    return body


def build_message(
    message: OutboxMessage, config: MailConfig, now: datetime, unseal: Callable[[str], str] | None = None
) -> EmailMessage:
    """The e-mail as sent: plain text, UTF-8, a Message-ID that is the same for every attempt. ``unseal``
    decrypts the message's sealed values (the identifier vault's ``decrypt``)."""
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = config.from_address
    email["To"] = message.recipient
    email["Date"] = format_datetime(now)
    domain = config.from_address.rpartition("@")[2] or "screening.invalid"
    digest = hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:40]
    email["Message-ID"] = f"<{digest}@{domain}>"
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(unsealed_body(message, unseal))
    email["Content-Language"] = message.language  # after set_content, which resets Content-* headers
    return email


def _connect(config: MailConfig) -> smtplib.SMTP:
    smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout_seconds)
    try:
        if config.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if config.username:
            smtp.login(config.username, config.password)
    except BaseException:
        smtp.close()
        raise
    return smtp


def _refusal(error: smtplib.SMTPException) -> DeliveryError:
    code = 0
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code = min((c for c, _m in error.recipients.values()), default=0)
    elif isinstance(error, smtplib.SMTPResponseException):
        code = error.smtp_code
    return DeliveryError(f"{error.__class__.__name__}: {error}"[:1000], permanent=code >= 500)


def send_all(
    messages: Sequence[OutboxMessage], config: MailConfig, now: datetime, unseal: Callable[[str], str] | None = None
) -> Iterator[tuple[OutboxMessage, DeliveryError | None]]:
    """Send ``messages`` over one SMTP connection, yielding each with its outcome as soon as it is known.

    A connection that cannot be opened, or breaks, fails the remaining messages for a later retry.
    """
    if not messages:
        return
    try:
        smtp = _connect(config)
    except (OSError, smtplib.SMTPException) as error:
        failure = DeliveryError(f"cannot reach {config.host}:{config.port}: {error.__class__.__name__}: {error}")
        for message in messages:
            yield message, failure
        return
    broken: DeliveryError | None = None
    with smtp:
        for message in messages:
            if broken is not None:
                yield message, broken
                continue
            try:
                smtp.send_message(build_message(message, config, now, unseal), config.from_address, [message.recipient])
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
                yield message, _refusal(error)
            except (OSError, smtplib.SMTPException) as error:
                broken = DeliveryError(f"{error.__class__.__name__}: {error}"[:1000])
                yield message, broken
            else:
                yield message, None


def backoff(attempts: int, config: MailConfig) -> timedelta:
    """Wait before the next attempt: base, 2x base, 4x base, ... capped at ``retry_max_seconds``."""
    seconds = config.retry_base_seconds * 2 ** max(0, attempts - 1)
    return timedelta(seconds=min(seconds, config.retry_max_seconds))


#: The start of ``last_error`` of a message failed because it outlived ``mail.give_up_hours`` (an outage, as
#: opposed to a permanent refusal): these are the ones a bulk retry is for, and they keep the admin warned.
GAVE_UP = "gave up after"


def record_outcome(message: OutboxMessage, error: DeliveryError | None, now: datetime, config: MailConfig) -> None:
    """Sent once accepted; otherwise due again after the back-off, or failed for good: at once for a permanent
    refusal, else once the message is ``give_up_hours`` old (however many attempts that took)."""
    if error is None:
        message.state = "sent"
        message.sent_at = now
        message.last_error = None
    elif error.permanent:
        message.state = "failed"
        message.last_error = error.reason
    elif now - message.created_at >= timedelta(hours=config.give_up_hours):
        message.state = "failed"
        message.last_error = f"{GAVE_UP} {config.give_up_hours} hours and {message.attempts} attempts: {error.reason}"
    else:
        message.next_attempt_at = now + backoff(message.attempts, config)
        message.last_error = error.reason
    db.session.flush()


def retry(message: OutboxMessage, now: datetime) -> None:
    """An admin sends a failed message again: pending, due now, with a fresh count of attempts."""
    message.state = "pending"
    message.attempts = 0
    message.next_attempt_at = now
    db.session.flush()


def retry_failed(
    now: datetime, *, template: str | None = None, written_from: datetime | None = None,
    written_before: datetime | None = None,
) -> int:  # fmt: skip
    """Send failed messages again, in one statement: all of them, or those of one kind (``template``) and/or
    written in ``[written_from, written_before)``. Returns how many. The caller audits it."""
    statement = update(OutboxMessage).where(OutboxMessage.state == "failed")
    if template:
        statement = statement.where(OutboxMessage.template == template)
    if written_from is not None:
        statement = statement.where(OutboxMessage.created_at >= written_from)
    if written_before is not None:
        statement = statement.where(OutboxMessage.created_at < written_before)
    result = db.session.execute(
        statement.values(state="pending", attempts=0, next_attempt_at=now).execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)
