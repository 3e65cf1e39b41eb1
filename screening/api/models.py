"""API tokens and the answers kept for idempotent retries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from screening.db import Base, UTCDateTime

#: What a token may do: read (lists, files, certificates), write (create, submit, withdraw, answer),
#: webhooks (manage the organisation's webhook subscriptions), access-control (read the status list).
SCOPES = ("read", "write", "webhooks", "access-control")
#: The scopes of an employer's token, which its screening manager chooses from.
EMPLOYER_SCOPES = ("read", "write", "webhooks")
#: The only scope of an access-control organisation's token (and no employer's token holds it).
ACCESS_CONTROL_SCOPE = "access-control"


class ApiToken(Base):
    """A bearer token of one organisation, made by its screening manager (an access-control organisation's:
    by an administrator), or of the authority's own tools, made by a security officer. Only the SHA-256 of
    the token is kept: the token itself is shown once, when it is made."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint("(revoked_at IS NULL) = (revoked_by_id IS NULL)", name="revoked_has_author"),
        CheckConstraint("organisation_id IS NOT NULL OR scopes = 'read'", name="authority_reads_only"),
        Index("ix_api_tokens_organisation_created", "organisation_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: None for a token of the authority's own tools (made by a security officer; read only).
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    #: The token's first characters (``scr_`` and 6 more), so its owner recognises it in the list and in logs.
    prefix: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: Space-separated, from :data:`SCOPES`.
    scopes: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Written at most once a minute per token (not on every request).
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())


class IdempotentRequest(Base):
    """The first answer to a POST sent with an ``Idempotency-Key``: a retry with the same key gets it again.

    Written in the request's own transaction before the work is done, so a second request with the same key
    waits on the unique index (PostgreSQL) or the write lock (SQLite) instead of doing the work twice; a
    request that fails leaves no row, and its retry runs afresh."""

    __tablename__ = "api_idempotent_requests"
    __table_args__ = (
        UniqueConstraint("token_id", "key", name="uq_api_idempotent_requests_token_key"),
        Index("ix_api_idempotent_requests_token_created", "token_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    #: SHA-256 of the method, the path and the body: the same key with another request is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[int | None] = mapped_column(Integer)
    #: The answer's headers that matter to the client (JSON: Content-Type, ETag, Location).
    headers: Mapped[str | None] = mapped_column(Text)
    body: Mapped[bytes | None] = mapped_column(LargeBinary)


class RateCount(Base):
    """The calls of one token in one window of the rate limit, added by every node now and then (not on every
    call): the cluster's count (``api/ratelimit.py``). A token's older windows are deleted when its next
    window's row is made."""

    __tablename__ = "api_rate_counts"

    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"), primary_key=True)
    #: The window's start, in seconds since 1970 (UTC), a multiple of ``[api] rate_window_seconds``.
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(Integer)
