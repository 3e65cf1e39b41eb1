from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from screening.db import Base, UTCDateTime


class AuditEntry(Base):
    """One line of the append-only audit trail: who did what to which object, when, and why.

    ``entry_hash`` is SHA-256 over the previous entry's hash and this entry's canonical content (see
    :mod:`screening.audit.chain`), so an entry edited, removed or inserted afterwards breaks the chain.
    """

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_object", "object_type", "object_id", "id"),
        Index("ix_audit_entries_organisation", "organisation_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Who acted, as shown in the trail: a username, "system" or "person".
    actor: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None]
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    client_address: Mapped[str | None] = mapped_column(String(45))
    #: SHA-256 of ``reason`` and ``client_address``: the chain covers this digest, so the two may be erased
    #: (set to NULL together, when the file's personal data go) without breaking the chain, and any other edit
    #: of them is detected.
    redactable_digest: Mapped[str] = mapped_column(String(64))
    #: SHA-256 (hex) of the previous entry's hash followed by this entry's canonical content.
    entry_hash: Mapped[str] = mapped_column(String(64))


class AuditChainHead(Base):
    """The one row holding the hash of the newest entry: writers lock it, so two can never fork the chain."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_hash: Mapped[str] = mapped_column(String(64))
    #: Entries chained so far (a cheap check that the trail was not cut at its end).
    entries: Mapped[int] = mapped_column(Integer)
