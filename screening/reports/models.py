"""Stored reports: the PDF and CSV bytes live in the database, so every application node can serve them
without shared storage, and they go with the database's backups."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from screening.db import Base, UTCDateTime

REPORT_KINDS = ("operations", "organisation")


class Report(Base):
    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint("kind IN ('operations', 'organisation')", name="kind_known"),
        CheckConstraint("kind <> 'organisation' OR organisation_id IS NOT NULL", name="organisation_named"),
        Index("ix_reports_kind_org_period", "kind", "organisation_id", "period_start"),
        Index("ix_reports_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``operations:2026-03-02`` or ``organisation:17:2026-03-01``: a report is built once per period.
    key: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    #: The period covered, first day included, last day excluded.
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The figures as computed (unmasked), for the authority's own use and for tests.
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: Loaded only when downloaded, never by a listing.
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    csv: Mapped[str] = mapped_column(Text, deferred=True)

    @property
    def period_last_day(self) -> date:
        return self.period_end - timedelta(days=1)

    def filename(self, extension: str) -> str:
        scope = "operations" if self.kind == "operations" else f"organisation-{self.organisation_id}"
        return f"report-{scope}-{self.period_start.isoformat()}.{extension}"
