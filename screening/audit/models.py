from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from screening.db import Base, UTCDateTime


class AuditEntry(Base):
    """One line of the append-only audit trail: who did what to which object, when, and why.

    Written like any row, inside the transaction of the change it records, and nothing else is locked. The
    sealer later appends it to the Merkle log (:mod:`screening.audit.log`) and gives it ``leaf_index``;
    from then on the signed tree heads cover it.
    """

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_object", "object_type", "object_id", "id"),
        Index("ix_audit_entries_organisation", "organisation_id", "id"),
        Index("ix_audit_entries_leaf_index", "leaf_index", unique=True),
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
    #: SHA-256 of ``reason`` and ``client_address``: the leaf covers this digest, so the two may be erased
    #: (set to NULL together, by a logged erasure event) without changing the leaf, and any other edit of
    #: them is detected.
    redactable_digest: Mapped[str] = mapped_column(String(64))
    #: On an erasure event only: the digest of the ids of the entries it blanked (:class:`AuditErasure`).
    erases_digest: Mapped[str | None] = mapped_column(String(64))
    #: Position in the Merkle log, given by the sealer in the order it seals; NULL until then.
    leaf_index: Mapped[int | None] = mapped_column(BigInteger)


class AuditErasure(Base):
    """Entry ``entry_id`` had its reason and address blanked by the erasure event ``erasure_id``."""

    __tablename__ = "audit_erasures"

    entry_id: Mapped[int] = mapped_column(ForeignKey("audit_entries.id"), primary_key=True)
    erasure_id: Mapped[int] = mapped_column(ForeignKey("audit_entries.id"), index=True)


class AuditTreeNode(Base):
    """The hash of one complete subtree of the log: leaves ``index * 2**level`` to ``(index+1) * 2**level``."""

    __tablename__ = "audit_tree_nodes"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditTreeHead(Base):
    """A signed tree head: the log's size and root hash at a moment, signed by the audit key ``key_id``."""

    __tablename__ = "audit_tree_heads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tree_size: Mapped[int] = mapped_column(BigInteger, unique=True)
    root_hash: Mapped[str] = mapped_column(String(64))
    #: The signed time, exactly as signed (``YYYY-MM-DDTHH:MM:SS.ffffffZ``).
    timestamp: Mapped[str] = mapped_column(String(32))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    key_id: Mapped[str] = mapped_column(String(32))
    signature: Mapped[str] = mapped_column(String(100))
    #: When this head was exported (file and mail to the auditors) as the last head of its day.
    exported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
