"""The mail outbox: every message is a row first, written in the transaction of the change that causes it.

A change that rolls back leaves no message; a committed message is delivered by the ``deliver_mail`` job
even if the process that wrote it died a moment later. The unique ``idempotency_key`` makes a second
attempt to write the same message (a job run twice, two processes at once) a no-op.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from screening.db import Base, UTCDateTime

#: pending: waiting for (another) attempt; sent: the SMTP server accepted it; failed: gave up after
#: ``mail.give_up_hours`` or a permanent refusal; captured: kept in the app instead of sent (demo, no SMTP host).
OUTBOX_STATES = ("pending", "sent", "failed", "captured")


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint(f"state IN ({', '.join(repr(s) for s in OUTBOX_STATES)})", name="state_known"),
        CheckConstraint("state <> 'sent' OR sent_at IS NOT NULL", name="sent_has_date"),
        Index("ix_outbox_messages_state_next_attempt", "state", "next_attempt_at"),
        Index("ix_outbox_messages_state_created", "state", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What the message is about and for whom, e.g. ``consent_reminder:42:20260301T091500|p@example.org``.
    idempotency_key: Mapped[str] = mapped_column(String(300), unique=True)
    recipient: Mapped[str] = mapped_column(String(254))
    template: Mapped[str] = mapped_column(String(60))
    language: Mapped[str] = mapped_column(String(5))
    #: The values the template was rendered with (JSON), kept to explain a message later.
    context: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: Rendered when the row is written, so what the admin sees is exactly what will be sent.
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MailOptOut(Base):
    """A kind of mail a user turned off (``screening/notifications/preferences.py`` names the kinds). Only
    kinds that are not legally required can be here: :func:`~.preferences.save_preferences` refuses the
    others, and :func:`~.operations.enqueue` reads only optional ones."""

    __tablename__ = "mail_opt_outs"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
