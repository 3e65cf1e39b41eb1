"""Scheduler bookkeeping: leases (who may run what) and the history of job runs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from screening.db import Base, UTCDateTime


class SchedulerLease(Base):
    """A named lease held until ``expires_at``: ``scheduler`` (the one active scheduler process) and
    ``job:<name>`` (one run of a job at a time). A holder renews its lease; anyone may take an expired one."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


#: The runs that changed something (or failed, or are running): the jobs page lists these by default. The
#: views' condition is written the same way, so SQLite's planner sees that the partial index covers it.
CHANGED_RUNS = "NOT (finished_at IS NOT NULL AND error IS NULL AND items = 0)"


class JobRun(Base):
    """One run of a job: when, by which process, as of which (possibly moved) clock, and what it did."""

    __tablename__ = "job_runs"
    __table_args__ = (
        Index("ix_job_runs_job_id", "job", "id"),
        Index("ix_job_runs_finished_at", "finished_at"),
        Index("ix_job_runs_changed", "id", sqlite_where=text(CHANGED_RUNS), postgresql_where=text(CHANGED_RUNS)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(60))
    #: ``schedule`` (the scheduler process) or ``manual`` (``screening jobs run``).
    trigger: Mapped[str] = mapped_column(String(10))
    holder: Mapped[str] = mapped_column(String(120))
    #: The "now" the job worked with; differs from ``started_at`` when run by hand with ``--now``.
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Items handled: messages written or sent, transitions fired, files erased, reports built.
    items: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
