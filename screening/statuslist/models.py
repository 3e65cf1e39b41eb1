"""The status list for access control: one row per change of a printed code's status, never updated or
deleted (a code's status is its latest row). No person, no clearance: only what a gate may know."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from screening.db import Base, UTCDateTime

#: The kinds of entry, as ``canonical.STATUSES`` names them for gates (a model imports no domain module;
#: tests/statuslist checks the two agree).
STATUSES = ("revoked", "expired", "suspended", "reinstated")


class StatusEntry(Base):
    """A verification code (``certificate_issues.code``) took a status on a day. The primary key is the
    entry's sequence, which gates ask deltas from (``?since=``): writers take the table's lock first
    (:func:`screening.statuslist.operations.record_changes`), so a sequence number is never committed after a
    higher one and a gate's cursor misses nothing."""

    __tablename__ = "status_list_entries"
    __table_args__ = (
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in STATUSES)})", name="status_known"),
        Index("ix_status_list_entries_code", "code", "id"),  # a code's latest entry (the batch look-up)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(14))
    status: Mapped[str] = mapped_column(String(12))
    #: The day the status took effect (Brussels).
    entered_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
