from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from screening.auth.models import User
from screening.catalogue.models import CriticalFunction
from screening.clearances.models import Clearance
from screening.db import Base, UTCDateTime
from screening.decisions.models import Decision
from screening.organisations.models import Organisation
from screening.people.models import Person
from workflows.application import APPLICATION, DECIDED_STATES

_STATES = ", ".join(f"'{s.name}'" for s in APPLICATION.states)
_DECIDED = ", ".join(f"'{s}'" for s in sorted(DECIDED_STATES))


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
        # The queue filtered to "assigned to me" (migration 0012), in submission order within a state.
        Index("ix_applications_assignee_state_submitted", "assigned_to_id", "state", "submitted_at"),
        # An employer's search by the family or given name it declared (migration 0015).
        Index("ix_applications_org_declared_name", "organisation_id", "declared_search_name"),
        Index("ix_applications_org_declared_given", "organisation_id", "declared_search_given"),
        # The API (migration 0018): the employer's own id of a file, and what changed since, in order.
        Index("uq_applications_org_external_id", "organisation_id", "external_id", unique=True),
        Index("ix_applications_org_changed", "organisation_id", "state_changed_at", "id"),
        # A person's files newest first (migration 0032): the officer's search by name reads indexes only.
        Index("ix_applications_person_created", "person_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
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
    #: The date and type of the outcome in force (the advice, or the ruling that replaced it): the file's state,
    #: kept beside its decisions, which are records of their own (``decisions``, never overwritten).
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    advice_type: Mapped[str | None] = mapped_column(String(24))
    #: The advice or ruling the outcome rests on now; its grounds are the file's grounds (authority only).
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id", use_alter=True), index=True)
    #: Officers' notes: authority only, never on employer pages.
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
    #: The officer who claimed the file (the queue's "assigned to me"), and when; the claim is audited.
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The employer's own identifier of the file (a personnel number), unique within its organisation.
    external_id: Mapped[str | None] = mapped_column(String(64))

    # The person as THIS employer declared them (issue 12): every employer-facing output shows these, never
    # the authority's shared ``persons`` row, which an employer's form never changes. Mails to the person go
    # to ``declared_email`` in ``declared_locale`` (screening.applications.declaration.person_recipient).
    declared_given_names: Mapped[str] = mapped_column(String(100))
    declared_family_name: Mapped[str] = mapped_column(String(100))
    #: Lower-case "family given" without accents, for the employer's indexed prefix search.
    declared_search_name: Mapped[str] = mapped_column(String(201))
    #: The same, "given family": found by the start of the given name too.
    declared_search_given: Mapped[str] = mapped_column(String(201))
    declared_date_of_birth: Mapped[date] = mapped_column(Date)
    declared_nationality: Mapped[str] = mapped_column(String(2))
    declared_email: Mapped[str | None] = mapped_column(String(254))
    declared_locale: Mapped[str] = mapped_column(String(5), default="nl", server_default="nl")

    organisation: Mapped[Organisation] = relationship(lazy="raise")
    person: Mapped[Person] = relationship(lazy="raise")
    function: Mapped[CriticalFunction] = relationship(lazy="raise")
    created_by: Mapped[User | None] = relationship(lazy="raise", foreign_keys=[created_by_id])
    assigned_to: Mapped[User | None] = relationship(lazy="raise", foreign_keys=[assigned_to_id])
    clearance: Mapped[Clearance | None] = relationship(lazy="raise", foreign_keys=[clearance_id])
    #: Loaded with the file by queries.get_application; elsewhere one read by primary key when asked for.
    decision: Mapped[Decision | None] = relationship(lazy="select", foreign_keys=[decision_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def decided(self) -> bool:
        return self.state in DECIDED_STATES

    @property
    def declared_name(self) -> str:
        return f"{self.declared_given_names} {self.declared_family_name}"

    @property
    def grounds(self) -> str | None:
        """The grounds of the advice or ruling in force: authority only, every read audited by the page."""
        return self.decision.grounds if self.decision is not None else None

    @property
    def disclosed_grounds(self) -> str | None:
        """What the person may be told of those grounds (never the employer)."""
        return self.decision.disclosed_grounds if self.decision is not None else None


class ConsentDocument(Base):
    """A consent form the person signed on paper, scanned and uploaded by the requester instead of the link.

    Kept in the database, in the transaction that records the consent, and deleted with the file's other
    personal data when its retention period is over.
    """

    __tablename__ = "consent_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    #: Sniffed from the bytes: application/pdf, image/jpeg or image/png.
    media_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class InfoAttachment(Base):
    """A document the requester attached to an answer to a request for information; officers only read it.

    Kept in the database, written in the transaction of the answer, deleted with the file's other personal
    data when its retention period is over (or on erasure)."""

    __tablename__ = "info_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    #: The sender's file name, cleaned (shown to officers; the download is named from the reference).
    filename: Mapped[str] = mapped_column(String(100))
    #: Sniffed from the bytes: application/pdf, image/jpeg or image/png.
    media_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The time of the answer it came with.
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
