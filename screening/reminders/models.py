from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from screening.db import Base, UTCDateTime


class RegisterReminder(Base):
    """A reminder sent about one register member: the row, not the mail, makes it once-only, because one mail
    lists many members and a member's next level must still go out in a later mail."""

    __tablename__ = "register_reminders"
    __table_args__ = (
        Index("uq_register_reminders_member_kind_due_days", "member_id", "kind", "due_on", "days", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("workforce_members.id", ondelete="CASCADE"))
    #: "deadline" (no advice yet) or "renewal" (the covering clearance's renewal must start).
    kind: Mapped[str] = mapped_column(String(16))
    #: The member's deadline, or the end of the covering clearance: a new date gets its reminders again.
    due_on: Mapped[date] = mapped_column(Date)
    #: The level reached (60, 30, 7 days before the deadline); 0 for a renewal.
    days: Mapped[int] = mapped_column(SmallInteger)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
