"""A request for the person's consent (its short code, the address the person gave) and the failed short-code
attempts that throttle guessing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from screening.db import Base, UTCDateTime


class ConsentRequest(Base):
    """One request for consent of one file: opened on submit, answered once.

    The short code itself is not kept (it is derived from the secret key: see
    :func:`screening.person_link.tokens.consent_code`), only its keyed digest while the request is open, so the
    code finds the file; answering or ending the request clears it. ``email`` is the address the person gave
    on the consent page: the only address the person's own file link and notices go to (never the one the
    employer declared). It is erased with the file's other personal data.
    """

    __tablename__ = "consent_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    #: The moment consent was asked (the application's entry into awaiting_consent).
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Which derivation of the code is this request's (a code that collided with an open one takes the next).
    code_round: Mapped[int] = mapped_column(Integer, default=0)
    code_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: When the person (or the employer, with the signed form) answered; the links and the code then stop.
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email: Mapped[str | None] = mapped_column(String(254))
    email_given_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ConsentCodeAttempt(Base):
    """A short code typed in that found no open request: the count behind the guessing throttle.

    ``client_address`` is the address as throttled (an IPv6 address by its /64 network, which one host
    usually holds whole). Rows older than the window are deleted as new ones come in."""

    __tablename__ = "consent_code_attempts"
    __table_args__ = (
        Index("ix_consent_code_attempts_address_at", "client_address", "at"),
        Index("ix_consent_code_attempts_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    client_address: Mapped[str | None] = mapped_column(String(45))
