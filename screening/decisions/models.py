"""Decisions are records, never overwritten (house style 13; ZGW's "besluit").

Each advice, appeal, ruling, re-evaluation and revocation is a row of its own, written once by the
operation that takes the step and never updated afterwards: the ORM refuses an UPDATE of a decision (see
:func:`_refuse_update`). A decision that ends another names it (``ends_id``) and says why
(``end_reason``, the ZGW ``vervalreden``); the ended one keeps its dates and grounds, so the file's history
reads as it happened. The only change a decision ever sees is the erasure of its texts when the file's
retention period is over (a bulk statement of :mod:`screening.retention.operations`, by law).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, LargeBinary, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from screening.db import Base, UTCDateTime
from workflows.machine import DECISION_KINDS

_KINDS = ", ".join(f"'{kind}'" for kind in DECISION_KINDS)
#: Why a decision ended another (ZGW ``vervalreden``).
END_REASONS = ("annulled_on_appeal", "confirmed_on_appeal", "revoked", "annulled_revocation")
_END_REASONS = ", ".join(f"'{reason}'" for reason in END_REASONS)
#: What a decision decided, by kind: the advice types, a ruling's and a re-evaluation's outcome.
OUTCOMES = ("positive", "positive_with_warning", "negative", "upheld", "rejected", "confirmed", "revoked")
_OUTCOMES = ", ".join(f"'{outcome}'" for outcome in OUTCOMES)


class Decision(Base):
    """One decision of the authority about one file (application) or one clearance."""

    __tablename__ = "decisions"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_KINDS})", name="kind_known"),
        CheckConstraint(f"outcome IS NULL OR outcome IN ({_OUTCOMES})", name="outcome_known"),
        CheckConstraint("(application_id IS NULL) <> (clearance_id IS NULL)", name="one_subject"),
        CheckConstraint("(ends_id IS NULL) = (end_reason IS NULL)", name="end_has_reason"),
        CheckConstraint(f"end_reason IS NULL OR end_reason IN ({_END_REASONS})", name="end_reason_known"),
        CheckConstraint("valid_until IS NULL OR valid_from IS NULL OR valid_until >= valid_from", name="validity"),
        CheckConstraint("kind <> 'appeal' OR outcome IS NULL", name="appeal_has_no_outcome"),
        CheckConstraint("kind = 'appeal' OR outcome IS NOT NULL", name="decision_has_outcome"),
        Index("ix_decisions_application", "application_id", "id"),
        Index("ix_decisions_clearance", "clearance_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"))
    clearance_id: Mapped[int | None] = mapped_column(ForeignKey("clearances.id"))
    #: advice, appeal, ruling, reevaluation or revocation (``workflows.machine.DECISION_KINDS``).
    kind: Mapped[str] = mapped_column(String(16))
    #: The machine event that recorded it (its label in the history).
    event: Mapped[str] = mapped_column(String(40))
    #: What was decided (:data:`OUTCOMES`); None for an appeal, which asks for a decision.
    outcome: Mapped[str | None] = mapped_column(String(24))
    #: The day it was taken, or for an appeal the day it was lodged with the appeal body (may be earlier).
    decided_on: Mapped[date] = mapped_column(Date)
    #: When it was recorded here, and by whom (None: the system, or carried over by migration 0017).
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The grounds: authority only, every read audited, never on an employer's page or message.
    grounds: Mapped[str | None] = mapped_column(Text)
    #: The part of the grounds the officer decided the person may be told (never the employer).
    disclosed_grounds: Mapped[str | None] = mapped_column(Text)
    #: In force from (ZGW ``ingangsdatum``) and until (``vervaldatum``, e.g. a clearance's end date).
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    #: The decision this one ends, and why (ZGW ``vervalreden``).
    ends_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    end_reason: Mapped[str | None] = mapped_column(String(24))


class DecisionDocument(Base):
    """A document filed with a decision: the appeal letter, uploaded by the officer who records the appeal.

    Stored like the paper consent form (type sniffed from the bytes, size and digest kept) and deleted with
    the file's other personal data when its retention period is over."""

    __tablename__ = "decision_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), unique=True)
    #: Sniffed from the bytes: application/pdf, image/jpeg or image/png.
    media_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DecisionChanged(RuntimeError):
    """A decision is a record: a later decision ends it, nothing rewrites it."""


@event.listens_for(Decision, "before_update")
def _refuse_update(_mapper: Any, _connection: Any, target: Decision) -> None:
    raise DecisionChanged(f"decision {target.id} is a record and is never changed; record a new decision")


@event.listens_for(DecisionDocument, "before_update")
def _refuse_document_update(_mapper: Any, _connection: Any, target: DecisionDocument) -> None:
    raise DecisionChanged(f"the document of decision {target.decision_id} is never changed")
