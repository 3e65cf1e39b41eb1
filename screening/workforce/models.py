from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from screening.db import Base, UTCDateTime


class WorkforceMember(Base):
    """One person in a critical function as their employer declares them: the employer's register (issue 17).

    The row is the employer's declaration, never the authority's record of the person: the national register
    number is kept as ``persons`` keeps it (encrypted, masked for display) and its keyed hash finds the
    person's files without a copy of the number in clear. ``ended_on`` is the last day in the function: from
    the next day the organisation no longer relies on the person's clearance (no more expiry notices to it).
    """

    __tablename__ = "workforce_members"
    __table_args__ = (
        CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="ended_after_start"),
        # The employer's own key: an import matches its rows by it (re-uploading a file changes nothing).
        Index("uq_workforce_members_org_personnel", "organisation_id", "personnel_number", unique=True),
        # The register's list, by name; and its search from the start of the family or given name.
        Index("ix_workforce_members_org_name", "organisation_id", "search_name", "id"),
        Index("ix_workforce_members_org_given", "organisation_id", "search_given"),
        # Matching: the person's files by identity, and whether an organisation's register says they left.
        Index("ix_workforce_members_identity_org", "identity_hash", "organisation_id", "ended_on"),
        # The reminders' daily scan: members whose deadline (their start, in a function required at once) is near.
        Index("ix_workforce_members_started_on", "started_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    personnel_number: Mapped[str] = mapped_column(String(64))
    given_names: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    #: Lower-case "family given" without accents, and "given family": the indexed prefix search.
    search_name: Mapped[str] = mapped_column(String(201))
    search_given: Mapped[str] = mapped_column(String(201))
    date_of_birth: Mapped[date] = mapped_column(Date)
    #: Keyed hash of the national register (or BIS) number, as ``persons.identity_hash``.
    identity_hash: Mapped[str] = mapped_column(String(64))
    national_number_encrypted: Mapped[str] = mapped_column(Text)
    national_number_masked: Mapped[str] = mapped_column(String(16))
    function_id: Mapped[int] = mapped_column(ForeignKey("critical_functions.id"), index=True)
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __mapper_args__ = {"version_id_col": version}

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.family_name}"

    def left_by(self, day: date) -> bool:
        """Whether the person had left the function before ``day``."""
        return self.ended_on is not None and self.ended_on < day


class ChangeCounter(Base):
    """A counter bumped by database triggers in every transaction that changes what a memoised read depends
    on (migrations 0033 and 0034 list them): ``workforce_summary`` is the port-wide compliance summary's version
    (:mod:`screening.workforce.summary`); ``compliance:<organisation id>`` and ``compliance:0`` (the catalogue)
    version an organisation's compliance view (:mod:`screening.workforce.page_memo`). Triggers, not the
    operations, so no write path can forget it."""

    __tablename__ = "change_counters"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
