from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, String, func
from sqlalchemy.orm import Mapped, mapped_column

from screening.db import Base, UTCDateTime

#: employer: requests screenings and relies on clearances (every organisation before kinds existed);
#: authority: the screening authority itself, as an organisation (its accounts are still known by their
#: roles, officer and auditor, never by this); access_control: the operator of a port facility's gates or
#: of the badge system, which has no accounts and reads only the status list, with tokens the
#: administrator makes.
KINDS = ("employer", "authority", "access_control")
ACCESS_CONTROL = "access_control"
#: Who acts for an access-control organisation (it has no accounts): makes its tokens, subscribes its
#: webhook endpoints.
ACCESS_CONTROL_MAKER = "admin"


class Organisation(Base):
    """A port employer, the authority itself, or an access-control operator (see :data:`KINDS`)."""

    __tablename__ = "organisations"
    __table_args__ = (CheckConstraint(f"kind IN ({', '.join(repr(k) for k in KINDS)})", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    enterprise_number: Mapped[str] = mapped_column(String(12), unique=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    contact_email: Mapped[str | None] = mapped_column(String(254))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    kind: Mapped[str] = mapped_column(String(20), default="employer", server_default="employer")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())

    @property
    def is_access_control(self) -> bool:
        return self.kind == ACCESS_CONTROL

    def __repr__(self) -> str:
        return f"<Organisation {self.code}>"
