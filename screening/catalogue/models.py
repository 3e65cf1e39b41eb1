from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, CheckConstraint, Date, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from screening.db import Base

#: Days before a clearance ends when its renewal (re-screening) must start, unless the function says otherwise.
DEFAULT_RENEWAL_DAYS = 180
#: The longest renewal period: a clearance lasts at most five years.
MAX_RENEWAL_DAYS = 1826


class CriticalFunction(Base):
    """A critical port function listed by the Shipping Code; category 1 is the most sensitive.

    ``required_from`` is the first day a positive advice is required for the function (the transition
    deadline the maritime security authority sets per function); none means required at once.
    ``renewal_days`` is how many days before a clearance ends its renewal must start.
    """

    __tablename__ = "critical_functions"
    __table_args__ = (
        CheckConstraint("category BETWEEN 1 AND 4", name="category_range"),
        CheckConstraint(f"renewal_days BETWEEN 0 AND {MAX_RENEWAL_DAYS}", name="renewal_days_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_nl: Mapped[str] = mapped_column(String(200))
    name_fr: Mapped[str] = mapped_column(String(200))
    category: Mapped[int] = mapped_column(SmallInteger)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    #: A final negative advice or a revocation for this function is notified to the body that must act on it
    #: (dockworkers: the recognition body; ``[recognition]`` names the recipient).
    notify_recognition: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    required_from: Mapped[date | None] = mapped_column(Date, default=None)
    renewal_days: Mapped[int] = mapped_column(
        SmallInteger, default=DEFAULT_RENEWAL_DAYS, server_default=str(DEFAULT_RENEWAL_DAYS)
    )

    def name(self, locale: str) -> str:
        return {"nl": self.name_nl, "fr": self.name_fr}.get(locale, self.name_en)
