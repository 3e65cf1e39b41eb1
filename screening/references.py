"""Human references (SCR-2026-000123 for applications, CLR-2026-000045 for clearances), never repeated."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from screening.db import Base, db


class ReferenceCounter(Base):
    """Per-year counters behind human references (SCR-2026-000123); incremented atomically."""

    __tablename__ = "reference_counters"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


def next_reference(prefix: str, year: int) -> str:
    """SCR-2026-000123: a per-year counter, incremented atomically (one upsert) so references never repeat.

    One statement, also for the year's first reference: an UPDATE that found no row and then an INSERT let
    two first references of a year collide on the counter's key (a 500; found by tests/faults)."""
    name = f"{prefix}-{year}"
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    counter = dialect.insert(ReferenceCounter).values(name=name, value=1)
    value = db.session.scalar(
        counter.on_conflict_do_update(
            index_elements=[ReferenceCounter.name], set_={"value": ReferenceCounter.value + 1}
        ).returning(ReferenceCounter.value)
    )
    return f"{name}-{value:06d}"
