"""The signed-in user of a request: one statement per request on the connection's cursor, no ORM object.

Flask-Login loads the user on every request. Loading the ORM ``User`` with its organisation cost about
twice a plain query returning the same row (docs/benchmarks-pages.md), and a request only reads the
user: who it is, its role and organisation, its language. :class:`SignedInUser` holds that row, read
fresh on every request, so an account deactivated or given another role is refused or restricted from
its very next request (nothing is cached between requests). Code that changes an account loads the ORM
``User`` itself (``db.session.get(User, current_user.id)``).

The session cookie carries the account's *session generation* and the moment of sign-in beside the
account id (:func:`open_session`). Logout, a password change, a deactivation or a role change raise the
generation (:func:`screening.auth.operations.end_sessions`), so every cookie issued before stops reading
anything at its next request, wherever it was saved; a session older than ``session_absolute_minutes``
ends however active it is; an employer's session ends when its organisation is deactivated.
"""

from __future__ import annotations

import time
from collections import namedtuple
from dataclasses import dataclass

from flask import flash, session
from flask_babel import gettext as _
from sqlalchemy import bindparam, select, update

from screening.auth.models import AccountMixin, User
from screening.db import Prepared, db
from screening.organisations.models import Organisation

_users = User.__table__.c
_organisations = Organisation.__table__.c

#: Plain table columns (no ORM entity), run on the DBAPI cursor of the request's connection (every signed-in
#: request runs it: :class:`screening.db.Prepared` costs a fraction of Core's execution and result rows).
_LOAD = Prepared(
    select(
        _users.id, _users.username, _users.display_name, _users.email, _users.role, _users.organisation_id,
        _users.source, _users.active, _users.locale, _users.session_generation,
        _organisations.name.label("organisation_name"), _organisations.code.label("organisation_code"),
        _organisations.enterprise_number.label("organisation_enterprise_number"),
        _organisations.active.label("organisation_active"),
    )
    .select_from(User.__table__.outerjoin(Organisation.__table__, _organisations.id == _users.organisation_id))
    .where(_users.id == bindparam("user_id"))
)  # fmt: skip
_Row = namedtuple("_Row", _LOAD.keys)  # type: ignore[misc]  # noqa: PYI024 - the statement's own columns


@dataclass(frozen=True, slots=True)
class SignedInOrganisation:
    id: int
    name: str
    code: str
    enterprise_number: str
    active: bool


@dataclass(frozen=True, slots=True)
class SignedInUser(AccountMixin):
    """What a request knows of its signed-in account; the Flask-Login protocol and ``User``'s helpers."""

    id: int
    username: str
    display_name: str
    email: str | None
    role: str
    organisation_id: int | None
    source: str
    active: bool
    locale: str | None
    organisation: SignedInOrganisation | None


#: The session's keys beside Flask-Login's: the account's session generation and when it signed in.
GENERATION, SIGNED_IN_AT = "_generation", "_signed_in_at"


def open_session(generation: int) -> None:
    """Mark the (just cleared) session as signed in now, at the account's current generation."""
    session[GENERATION] = generation
    session[SIGNED_IN_AT] = int(time.time())


def _end(reason: str | None) -> None:
    """The session's sign-in is over: forget it (the next page is the sign-in page) and say why."""
    for key in ("_user_id", "_fresh", "_id", GENERATION, SIGNED_IN_AT):
        session.pop(key, None)
    if reason:
        flash(reason, "warning")


def load_signed_in(user_id: str, absolute_minutes: int) -> SignedInUser | None:
    """The active account ``user_id`` (the session's), or None: then the request is not signed in.

    None too when the session was issued before the account's sessions were ended, when it is older
    than ``absolute_minutes``, or when the account's organisation is deactivated (the page says why)."""
    if not user_id.isdigit() or len(user_id) > 18:
        return None
    rows = _LOAD.rows(db.session.connection(), {"user_id": int(user_id)})
    row = _Row._make(rows[0]) if rows else None
    if row is None or not row.active or session.get(GENERATION) != row.session_generation:
        _end(None)
        return None
    signed_in_at = session.get(SIGNED_IN_AT)
    if not isinstance(signed_in_at, int) or time.time() - signed_in_at >= absolute_minutes * 60:
        _end(_("Your session has ended. Please sign in again."))
        return None
    if row.organisation_id is not None and not row.organisation_active:
        _end(_("Your organisation's access has been deactivated. Please contact the screening authority."))
        return None
    organisation = None
    if row.organisation_id is not None:
        organisation = SignedInOrganisation(
            row.organisation_id,
            row.organisation_name,
            row.organisation_code,
            row.organisation_enterprise_number,
            bool(row.organisation_active),
        )
    return SignedInUser(
        row.id, row.username, row.display_name, row.email, row.role, row.organisation_id, row.source,
        bool(row.active), row.locale, organisation,
    )  # fmt: skip


def set_locale(user_id: int, locale: str) -> None:
    """Remember the account's language choice (the signed-in user is read-only)."""
    db.session.execute(update(User).where(User.id == user_id).values(locale=locale))
