"""Human references (SCR-2026-000123 for applications, CLR-2026-000045 for clearances), never repeated."""

from __future__ import annotations

from sqlalchemy import Integer, String, update
from sqlalchemy.orm import Mapped, mapped_column

from screening.db import Base, db


class ReferenceCounter(Base):
    """Per-year counters behind human references (SCR-2026-000123); incremented atomically."""

    __tablename__ = "reference_counters"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


def next_reference(prefix: str, year: int) -> str:
    """SCR-2026-000123: a per-year counter, incremented atomically (row lock) so references never repeat."""
    name = f"{prefix}-{year}"
    value = db.session.scalar(
        update(ReferenceCounter)
        .where(ReferenceCounter.name == name)
        .values(value=ReferenceCounter.value + 1)
        .returning(ReferenceCounter.value)
    )
    if value is None:
        db.session.add(ReferenceCounter(name=name, value=1))
        db.session.flush()
        value = 1
    return f"{name}-{value:06d}"
