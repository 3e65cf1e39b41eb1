from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from screening.db import Base, UTCDateTime
from screening.people.models import Person
from workflows.clearance import CLEARANCE

_STATES = ", ".join(f"'{s.name}'" for s in CLEARANCE.states)

#: The covering states (workflows.clearance.COVERING_STATES) as SQL, for the partial unique index.
COVERING_CONDITION = "state IN ('valid', 'under_reevaluation')"


class Clearance(Base):
    """A person's positive security advice, relied on by every organisation that employs them."""

    __tablename__ = "clearances"
    __table_args__ = (
        CheckConstraint(f"state IN ({_STATES})", name="state_known"),
        CheckConstraint("valid_until >= valid_from", name="validity_ordered"),
        CheckConstraint("state <> 'revoked' OR revoked_at IS NOT NULL", name="revoked_has_date"),
        Index("ix_clearances_person_state", "person_id", "state"),
        Index("ix_clearances_state_valid_until", "state", "valid_until"),
        Index("ix_clearances_state_erased_until", "state", "erased_at", "valid_until"),
        Index("ix_clearances_valid_until", "valid_until", "id"),  # officers' list, first to end first (0006)
        Index("ix_clearances_state_rescreen_due_on", "state", "rescreen_due_on"),  # the re-screening scan (0023)
        # At most one clearance that covers its holder per person, whatever the race (0011, issue 14).
        Index(
            "uq_clearances_person_covering",
            "person_id",
            unique=True,
            postgresql_where=text(COVERING_CONDITION),
            sqlite_where=text(COVERING_CONDITION),
        ),  # fmt: skip
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
    #: The day its periodic re-screening is due (``[rescreening]``, by the function's category); None: never,
    #: or opened already. Set by the advice that grants or extends it and by a confirmation.
    rescreen_due_on: Mapped[date | None] = mapped_column(Date)
    #: When the scheduler opened its current periodic re-evaluation (the officers' queue shows these apart).
    rescreen_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    person: Mapped[Person] = relationship(lazy="raise")

    __mapper_args__ = {"version_id_col": version}


class RecognitionNotice(Base):
    """A notice to the body that must act (``[recognition]``) that a person may no longer work in a marked
    function: a final negative advice (``application_id``) or a revoked clearance (``clearance_id``).

    ``key`` names the outcome it is about (``final_negative:<file>``, ``revocation:<decision>:<function>``):
    unique, so however often the change is replayed (a job run twice, two processes) there is one notice, and
    one outbox message (``outbox_key``), whose delivery the file shows."""

    __tablename__ = "recognition_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), index=True)
    clearance_id: Mapped[int | None] = mapped_column(ForeignKey("clearances.id"), index=True)
    function_id: Mapped[int] = mapped_column(ForeignKey("critical_functions.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    #: The day from which the person may no longer work in the function.
    no_longer_from: Mapped[date] = mapped_column(Date)
    recipient: Mapped[str] = mapped_column(String(254))
    outbox_key: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
