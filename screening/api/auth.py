"""Who calls the API: a bearer token of one organisation, read fresh on every request.

A token is ``scr_`` followed by 256 random bits (base64url); the database keeps its SHA-256 only, so a
copy of the database gives no working token. A token works while it is not revoked nor expired, and while
the screening manager who made it is active, still of that organisation and still its screening manager,
and the organisation is active: a deactivation stops it at its next request, as it ends a session. An
access-control organisation's token (made by an administrator, since such an organisation has no
accounts) works while its maker is an active administrator, and holds the access-control scope only.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple, TypeVar

from flask import g
from sqlalchemy import bindparam, select, update

from screening.actors import Actor
from screening.api.models import ACCESS_CONTROL_SCOPE, ApiToken
from screening.auth.models import User
from screening.clock import utcnow
from screening.db import Prepared, db, writing_session
from screening.organisations.models import ACCESS_CONTROL, ACCESS_CONTROL_MAKER, Organisation

F = TypeVar("F", bound=Callable[..., Any])

TOKEN_PREFIX = "scr_"  # noqa: S105 - the recognisable start of every token, not a secret
#: Characters of the token kept in clear beside its hash, so its owner recognises it (``scr_`` + 6).
SHOWN_CHARACTERS = 10
#: The last use is written at most this often per token (a write on every call would queue every
#: reading request behind SQLite's write lock).
LAST_USE_EVERY = timedelta(minutes=1)
#: The role a token acts in: the screening manager's, for its organisation.
TOKEN_ROLE = "requester"  # noqa: S105 - a role name
#: The role a token of the authority's own tools (no organisation) acts in, read only.
AUTHORITY_TOKEN_ROLE = "officer"  # noqa: S105 - a role name
#: The role an access-control organisation's token acts in (made by ``ACCESS_CONTROL_MAKER``).
ACCESS_CONTROL_ROLE = "access_control"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class TokenUser:
    """What the queries need of a caller (role, organisation), for the token's organisation: the same
    scoping as the screening manager's pages."""

    id: int
    username: str
    role: str
    #: None for a token of the authority's own tools, which reads as an officer.
    organisation_id: int | None
    token_id: int
    token_name: str
    scopes: frozenset[str]

    @property
    def is_employer(self) -> bool:
        return self.role == TOKEN_ROLE

    @property
    def is_authority(self) -> bool:
        return self.organisation_id is None

    def actor(self, client_address: str | None) -> Actor:
        """The audit trail names the token beside its maker."""
        label = f"{self.username} (API token: {self.token_name})"[:120]
        return Actor(label, self.role, self.id, self.organisation_id, client_address)


_tokens = ApiToken.__table__.c
_users = User.__table__.c
_organisations = Organisation.__table__.c
#: The token's row with its maker's and organisation's, run on the DBAPI cursor: a call's first statement.
_LOAD = Prepared(
    select(
        _tokens.id, _tokens.name, _tokens.scopes, _tokens.organisation_id, _tokens.expires_at, _tokens.revoked_at,
        _tokens.last_used_at, _users.id.label("user_id"), _users.username, _users.active.label("user_active"),
        _users.role, _users.organisation_id.label("user_organisation_id"),
        _organisations.active.label("organisation_active"), _organisations.kind.label("organisation_kind"),
    )
    .select_from(
        ApiToken.__table__.join(User.__table__, _users.id == _tokens.created_by_id).outerjoin(
            Organisation.__table__, _organisations.id == _tokens.organisation_id
        )
    )
    .where(_tokens.token_hash == bindparam("digest"))
)  # fmt: skip


class _Row(NamedTuple):
    """A row of ``_LOAD``, its columns by name."""

    id: int
    name: str
    scopes: str
    organisation_id: int | None
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    user_id: int
    username: str
    user_active: bool
    role: str
    user_organisation_id: int | None
    organisation_active: bool | None
    organisation_kind: str | None


def token_user(token: str, now: datetime | None = None) -> TokenUser | None:
    """The caller behind ``token``, or None when the token does not work (for any reason: the answer is
    the same 401, so a caller learns nothing about other organisations' tokens)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    found = _LOAD.rows(db.session.connection(), {"digest": token_digest(token)})
    now = now or utcnow()
    row = _Row(*found[0]) if found else None
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= now:
        return None
    if not row.user_active:
        return None
    role, scopes = _role_and_scopes(row)
    if role is None:
        return None
    if row.last_used_at is None or now - row.last_used_at >= LAST_USE_EVERY:
        g.api_last_use = (row.id, now)  # written when the request is over: note_last_use
    return TokenUser(row.user_id, row.username, role, row.organisation_id, row.id, row.name, scopes)


def _role_and_scopes(row: Any) -> tuple[str | None, frozenset[str]]:
    """The role the token acts in (None: its maker no longer fits it) and the scopes it holds, checked again
    on every request whatever the row says. The authority's own tools (no organisation): made by a security
    officer of the authority, read only. An access-control organisation's: made by an administrator, the
    access-control scope only. An employer's: its active organisation's screening manager, never that scope."""
    scopes = frozenset(row.scopes.split())
    if row.organisation_id is None:
        fits = row.role == AUTHORITY_TOKEN_ROLE and row.user_organisation_id is None
        return (AUTHORITY_TOKEN_ROLE if fits else None), scopes & {"read"}  # also a CHECK on the table
    if not row.organisation_active:
        return None, scopes
    if row.organisation_kind == ACCESS_CONTROL:
        return (ACCESS_CONTROL_ROLE if row.role == ACCESS_CONTROL_MAKER else None), scopes & {ACCESS_CONTROL_SCOPE}
    if row.role != TOKEN_ROLE or row.user_organisation_id != row.organisation_id:
        return None, scopes
    return TOKEN_ROLE, scopes - {ACCESS_CONTROL_SCOPE}


def note_last_use() -> None:
    """Record the token's last use after the request's own commit or rollback, in a short transaction of its
    own (a use is a fact whatever the answer was), at most once a minute per token; two requests at once
    write it twice at worst. Never inside the request: on SQLite a writing request holds the write lock."""
    pending = g.pop("api_last_use", None)
    if pending is None:
        return
    token_id, now = pending
    with writing_session() as session:
        session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))


def current_token_user() -> TokenUser:
    return g.api_user


# -- scopes: deny by default ----------------------------------------------------------------------


def scoped(scope: str) -> Callable[[F], F]:
    """The API view needs a token holding ``scope``; a view without it is refused (deny by default)."""

    def mark(view: F) -> F:
        view.api_scope = scope  # type: ignore[attr-defined]
        return view

    return mark
