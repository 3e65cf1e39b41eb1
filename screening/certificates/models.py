"""Issued certificates (so ``/verify/<code>`` finds the clearance) and the log of public checks."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from screening.clearances.models import Clearance
from screening.db import Base, UTCDateTime

#: The languages printed on a certificate: Dutch and French always, English on request.
LANGUAGE_SETS = ("nl-fr", "nl-fr-en")
#: What the public page answered; ``refused`` is never stored (a refused check rolls back), listed for clarity.
CHECK_OUTCOMES = ("valid", "expired", "revoked", "under_reevaluation", "unknown", "not_genuine", "typo")

_LANGUAGES = ", ".join(f"'{value}'" for value in LANGUAGE_SETS)
_OUTCOMES = ", ".join(f"'{value}'" for value in CHECK_OUTCOMES)


class CertificateIssue(Base):
    """One certificate as printed: its verification code, the clearance it proves, the key that signed it.

    One row per code, not a column on the clearance: every issue date (or key) gives a new code, and the
    codes on certificates printed earlier must keep answering. Re-exporting on the same day with the same
    key gives the same code, so the first issue's row stands and later exports are in the audit trail.
    """

    __tablename__ = "certificate_issues"
    __table_args__ = (CheckConstraint(f"languages IN ({_LANGUAGES})", name="languages_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The grouped form, as :func:`screening.certificates.signing.verification_code` returns it.
    code: Mapped[str] = mapped_column(String(14), unique=True)
    clearance_id: Mapped[int] = mapped_column(ForeignKey("clearances.id"), index=True)
    kid: Mapped[str] = mapped_column(String(16))
    issue_date: Mapped[date] = mapped_column(Date)
    languages: Mapped[str] = mapped_column(String(8))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    clearance: Mapped[Clearance] = relationship(lazy="raise")


class CertificateCheck(Base):
    """One answer of the public verification page: the check log, and the count behind its rate limit.

    Kept apart from the audit trail on purpose: checks come from anyone, many a day, and would drown the
    staff actions the audit trail is for. Rows are small and are pruned after ``check_log_days``.
    """

    __tablename__ = "certificate_checks"
    __table_args__ = (
        CheckConstraint(f"outcome IN ({_OUTCOMES})", name="outcome_known"),
        Index("ix_certificate_checks_address_at", "client_address", "checked_at"),
        Index("ix_certificate_checks_checked_at", "checked_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    client_address: Mapped[str | None] = mapped_column(String(45))
    outcome: Mapped[str] = mapped_column(String(20))
    #: The certificate the check found, if any (a forged or mistyped code finds none).
    issue_id: Mapped[int | None] = mapped_column(ForeignKey("certificate_issues.id"), index=True)
