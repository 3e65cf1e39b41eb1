"""Webhooks: an organisation's endpoints, the events written for it, and their deliveries and attempts.

An event is a row written in the transaction of the change it announces; each subscribed endpoint gets a
delivery row beside it. The ``deliver_webhooks`` job claims due deliveries in batches under a lease
(``claimed_by``, ``next_attempt_at``), sends them, and logs every attempt as a row of its own.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from screening.db import Base, UTCDateTime

#: active: deliveries go out; disabled: by its organisation, or after failing ``disable_after_hours``.
ENDPOINT_STATES = ("active", "disabled")
#: pending: waiting for (another) attempt; delivered: a 2xx answer; failed: given up after ``give_up_hours``.
DELIVERY_STATES = ("pending", "delivered", "failed")
#: delivered (2xx), failed (an answer that is not 2xx, no answer, a refused address), abandoned (the sender
#: stopped mid-attempt: its lease lapsed without an outcome).
ATTEMPT_OUTCOMES = ("delivered", "failed", "abandoned")


def _known(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"
    __table_args__ = (
        CheckConstraint(_known("state", ENDPOINT_STATES), name="state_known"),
        Index("ix_webhook_endpoints_org", "organisation_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    #: The event types subscribed to (a list of names of ``webhooks.events.EVENT_TYPES``).
    event_types: Mapped[list[str]] = mapped_column(JSON)
    #: The signing secret (``whsec_...``), encrypted with the identifier keys; shown once when made.
    secret: Mapped[str] = mapped_column(Text)
    #: The secret before the last rotation, which also signs until ``previous_secret_until``.
    previous_secret: Mapped[str | None] = mapped_column(Text)
    previous_secret_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(10), default="active")
    #: The first failure since the last success; None while the endpoint answers.
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class WebhookEvent(Base):
    """One event for one organisation: the exact body every delivery of it sends (and signs)."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        Index("ix_webhook_events_org", "organisation_id", "id"),
        Index("ix_webhook_events_created_at", "created_at", "id"),  # the retention purge, oldest first
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The ``webhook-id`` header: the same for every attempt and redelivery, so receivers can deduplicate.
    msg_id: Mapped[str] = mapped_column(String(40), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    event_type: Mapped[str] = mapped_column(String(60))
    #: The JSON body as sent, byte for byte (what the signature covers).
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebhookDelivery(Base):
    """One event to one endpoint, until it is delivered or given up."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint(_known("state", DELIVERY_STATES), name="state_known"),
        CheckConstraint("state <> 'delivered' OR delivered_at IS NOT NULL", name="delivered_has_date"),
        Index("ix_webhook_deliveries_state_next", "state", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("webhook_events.id"), index=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id"))
    state: Mapped[str] = mapped_column(String(10), default="pending")
    #: Attempts claimed so far; the number of the attempt in flight while ``claimed_by`` is set.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: Due from then; while claimed, the end of the sender's lease.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The sender holding the attempt in flight; cleared with its outcome.
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    #: ``event``, ``test`` or ``redelivery`` (of the delivery ``redelivery_of_id``).
    origin: Mapped[str] = mapped_column(String(12), default="event")
    redelivery_of_id: Mapped[int | None] = mapped_column(ForeignKey("webhook_deliveries.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookAttempt(Base):
    """One attempt of a delivery: at most one per (delivery, number), so no attempt is sent twice."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (
        CheckConstraint(_known("outcome", ATTEMPT_OUTCOMES), name="outcome_known"),
        UniqueConstraint("delivery_id", "number", name="uq_webhook_attempts_delivery_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id"))
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(10))
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    #: The start of the receiver's answer (``webhooks.response_chars``).
    response: Mapped[str | None] = mapped_column(Text)
    holder: Mapped[str] = mapped_column(String(120))
