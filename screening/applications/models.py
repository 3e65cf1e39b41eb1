from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from screening.auth.models import User
from screening.catalogue.models import CriticalFunction
from screening.db import Base, UTCDateTime
from screening.organisations.models import Organisation
from screening.people.models import Person
from workflows.application import APPLICATION, DECIDED_STATES

_STATES = ", ".join(f"'{s.name}'" for s in APPLICATION.states)
_DECIDED = ", ".join(f"'{s}'" for s in sorted(DECIDED_STATES))


class ReferenceCounter(Base):
    """Per-year counters behind human references (SCR-2026-000123); incremented atomically."""

    __tablename__ = "reference_counters"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class Application(Base):
    """One request to screen one person, for one organisation, for one critical function."""

    __tablename__ = "applications"
    __table_args__ = (
        CheckConstraint(f"state IN ({_STATES})", name="state_known"),
        CheckConstraint(
            f"state NOT IN ({_DECIDED}) OR (decided_at IS NOT NULL AND advice_type IS NOT NULL)",
            name="decided_has_advice",
        ),
        CheckConstraint("state <> 'covered' OR clearance_id IS NOT NULL", name="covered_has_clearance"),
        CheckConstraint(
            "advice_type IS NULL OR advice_type IN ('positive', 'positive_with_warning', 'negative')",
            name="advice_type_known",
        ),
        Index("ix_applications_org_created", "organisation_id", "created_at"),
        Index("ix_applications_org_state_created", "organisation_id", "state", "created_at"),
        Index("ix_applications_state_submitted", "state", "submitted_at"),
        # Scheduler scans: what is due by state and date (reminders, expiry, retention), and decisions per period.
        Index("ix_applications_state_erased_changed", "state", "erased_at", "state_changed_at"),
        Index("ix_applications_state_due_on", "state", "due_on"),
        Index("ix_applications_decided_at", "decided_at"),
        # Page speed (migration 0006): all files newest first, by state; the clearances an employer relies on.
        Index("ix_applications_created", "created_at", "id"),
        Index("ix_applications_state_created", "state", "created_at", "id"),
        Index("ix_applications_org_clearance", "organisation_id", "clearance_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    function_id: Mapped[int] = mapped_column(ForeignKey("critical_functions.id"))
    state: Mapped[str] = mapped_column(String(20), default="draft")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When the file reached the authority (consent given).
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The advice is due on this day (review deadline).
    due_on: Mapped[date | None] = mapped_column(Date)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    advice_type: Mapped[str | None] = mapped_column(String(24))
    #: Grounds of the advice and officers' notes: authority only, never on employer pages.
    grounds: Mapped[str | None] = mapped_column(Text)
    #: The part of the grounds the officer decided may be told to the person (never to the employer).
    disclosed_grounds: Mapped[str | None] = mapped_column(Text)
    officer_notes: Mapped[str | None] = mapped_column(Text)
    #: The question put to the requester, and the answer; both visible to the requester.
    info_request: Mapped[str | None] = mapped_column(Text)
    info_response: Mapped[str | None] = mapped_column(Text)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    appeal_deadline: Mapped[date | None] = mapped_column(Date)
    appealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clearance_id: Mapped[int | None] = mapped_column(ForeignKey("clearances.id"), index=True)
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
    #: When the scheduler last reminded someone about this file; a reminder is due again only after the
    #: file re-enters a state (``reminded_at < state_changed_at``).
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the retention purge erased the personal data of this (closed) file; the row stays for statistics.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship(lazy="raise")
    person: Mapped[Person] = relationship(lazy="raise")
    function: Mapped[CriticalFunction] = relationship(lazy="raise")
    created_by: Mapped[User | None] = relationship(lazy="raise")
    clearance: Mapped[Clearance | None] = relationship(lazy="raise", foreign_keys=[clearance_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def decided(self) -> bool:
        return self.state in DECIDED_STATES


class Clearance(Base):
    """A person's positive security advice, relied on by every organisation that employs them."""

    __tablename__ = "clearances"
    __table_args__ = (
        CheckConstraint("state IN ('valid', 'under_reevaluation', 'revoked', 'expired')", name="state_known"),
        CheckConstraint("valid_until >= valid_from", name="validity_ordered"),
        CheckConstraint("state <> 'revoked' OR revoked_at IS NOT NULL", name="revoked_has_date"),
        Index("ix_clearances_person_state", "person_id", "state"),
        Index("ix_clearances_state_valid_until", "state", "valid_until"),
        Index("ix_clearances_state_erased_until", "state", "erased_at", "valid_until"),
        Index("ix_clearances_valid_until", "valid_until", "id"),  # officers' list, first to end first (0006)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    #: The application whose advice created it.
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", use_alter=True), unique=True)
    advice_type: Mapped[str] = mapped_column(String(24))
    state: Mapped[str] = mapped_column(String(20), default="valid")
    version: Mapped[int] = mapped_column(Integer, default=1)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The smallest expiry notice (days ahead) already sent, and the end date it was sent for: a notice is
    #: due again when the clearance is extended (``expiry_notice_until <> valid_until``).
    expiry_notice_days: Mapped[int | None] = mapped_column(Integer)
    expiry_notice_until: Mapped[date | None] = mapped_column(Date)
    #: When the retention purge erased the files relying on this (ended) clearance.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    person: Mapped[Person] = relationship(lazy="raise")

    __mapper_args__ = {"version_id_col": version}
