from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from screening.db import Base, UTCDateTime


def initials_of(name: str) -> str:
    """ "Jan Peeters" -> "J.P.": what the public certificate check shows of a holder."""
    return "".join(part[0].upper() + "." for part in name.split() if part)


class Person(Base):
    """The worker being screened. Identifiers are encrypted; ``identity_hash`` finds them again."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    given_names: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    #: Lower-case "family given" for indexed prefix search.
    search_name: Mapped[str] = mapped_column(String(201), index=True)
    #: The same folded, "given family": a file is found by the start of the given name too (migration 0012).
    search_given: Mapped[str] = mapped_column(String(201), index=True, default="", server_default="")
    date_of_birth: Mapped[date] = mapped_column(Date)
    nationality: Mapped[str] = mapped_column(String(2))
    #: Keyed hash of the national register number, or of document type + issuing country + document number.
    identity_hash: Mapped[str] = mapped_column(String(64), unique=True)
    national_number_encrypted: Mapped[str | None] = mapped_column(Text)
    #: The masked number (birth-date part only), safe to show to employers.
    national_number_masked: Mapped[str | None] = mapped_column(String(16))
    document_number_encrypted: Mapped[str | None] = mapped_column(Text)
    #: For a person identified by a document: its type (passport, identity_card, residence_permit) and issuing
    #: country, both part of the identity hash. NULL on records made before migration 0015 (hash without type).
    document_type: Mapped[str | None] = mapped_column(String(20))
    document_country: Mapped[str | None] = mapped_column(String(2))
    email: Mapped[str | None] = mapped_column(String(254))
    locale: Mapped[str] = mapped_column(String(5), default="nl", server_default="nl")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    #: When the retention purge anonymised this person (names "erased", identifiers and e-mail removed).
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.family_name}"

    @property
    def initials(self) -> str:
        return initials_of(self.full_name)
