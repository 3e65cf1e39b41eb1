from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from screening.db import Base


class CriticalFunction(Base):
    """A critical port function listed by the Shipping Code; category 1 is the most sensitive."""

    __tablename__ = "critical_functions"
    __table_args__ = (CheckConstraint("category BETWEEN 1 AND 4", name="category_range"),)

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

    def name(self, locale: str) -> str:
        return {"nl": self.name_nl, "fr": self.name_fr}.get(locale, self.name_en)
