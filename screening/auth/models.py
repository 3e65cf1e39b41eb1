from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from screening.db import Base, UTCDateTime
from screening.organisations.models import Organisation
from workflows.roles import ACCOUNT_ROLES, AUTHORITY_ROLES, EMPLOYER_ROLES

_ROLES = ", ".join(f"'{role}'" for role in ACCOUNT_ROLES)


class AccountMixin:
    """The Flask-Login protocol and the role helpers, shared by the ORM :class:`User` and the request's
    read-only :class:`~screening.auth.current.SignedInUser` (no annotations here: they would become columns
    of the one and fields of the other)."""

    __slots__ = ()

    @property
    def is_active(self) -> bool:
        return self.active  # type: ignore[attr-defined]

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)  # type: ignore[attr-defined]

    @property
    def is_employer(self) -> bool:
        return self.role in EMPLOYER_ROLES  # type: ignore[attr-defined]

    @property
    def is_authority(self) -> bool:
        return self.role in AUTHORITY_ROLES  # type: ignore[attr-defined]


class User(AccountMixin, Base):
    """A signed-in account: local (hashed password) or synced from the directory at each sign-in."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN ({_ROLES})", name="role_known"),
        CheckConstraint(
            "role NOT IN ('requester', 'hr') OR organisation_id IS NOT NULL", name="employer_has_organisation"
        ),
        CheckConstraint("source IN ('local', 'directory')", name="source_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    source: Mapped[str] = mapped_column(String(10), default="local", server_default="local")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    locale: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Raised to end every session of the account at once (logout, password or role change, deactivation):
    #: a session cookie is honoured only while it carries the current value (screening.auth.current).
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    #: The TOTP secret, encrypted with the identifier keys (None: no authenticator app enrolled).
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    #: The last TOTP time step accepted: a code is good once, never again within its window.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")


class LoginAttempt(Base):
    """Failed sign-ins, counted per (account, address) pair and per address to slow down password
    guessing, and wrong second-factor codes per account (screening.auth.operations)."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_username_at", "username", "at"),
        Index("ix_login_attempts_address_at", "client_address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    username: Mapped[str] = mapped_column(String(120))
    client_address: Mapped[str | None] = mapped_column(String(45))
    #: "password" (a wrong password or unknown name) or "code" (a wrong second factor after a right password).
    kind: Mapped[str] = mapped_column(String(10), default="password", server_default="password")


class RecoveryCode(Base):
    """A one-time code for when the authenticator is lost: shown once, kept salted and hashed, used once."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    salt: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SecurityKey(Base):
    """A WebAuthn credential (security key, platform authenticator) registered by its account."""

    __tablename__ = "security_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: The credential id, base64url without padding.
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AccountProposal(Base):
    """A change that takes two administrators: one proposes, another approves or rejects (screening.auth.duties).

    ``create``: a new local account holding ``role`` (officer, auditor or admin); ``role``: the target
    account's role becomes ``role`` (granting or removing officer or auditor, or making an admin)."""

    __tablename__ = "account_proposals"
    __table_args__ = (
        CheckConstraint("kind IN ('create', 'role')", name="kind_known"),
        CheckConstraint("outcome IS NULL OR outcome IN ('approved', 'rejected')", name="outcome_known"),
        CheckConstraint("(outcome IS NULL) = (decided_at IS NULL)", name="decided_has_date"),
        CheckConstraint("decided_by_id IS NULL OR decided_by_id <> proposed_by_id", name="four_eyes"),
        CheckConstraint("kind <> 'role' OR target_user_id IS NOT NULL", name="role_has_target"),
        Index("ix_account_proposals_pending", "decided_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    target_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    username: Mapped[str] = mapped_column(String(120))
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    #: The role asked for; the role the target held when proposed (a change since makes it stale).
    role: Mapped[str] = mapped_column(String(20))
    previous_role: Mapped[str | None] = mapped_column(String(20))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    #: A new account's password, hashed at once (the proposer typed it; it is never shown).
    password_hash: Mapped[str | None] = mapped_column(String(255))
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(10))
