"""Local accounts and sign-in bookkeeping. Directory accounts are synced in :mod:`screening.auth.directory_sync`."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from werkzeug.security import check_password_hash, generate_password_hash

from screening.actors import Actor
from screening.audit.operations import record
from screening.auth.models import LoginAttempt, User
from screening.clock import utcnow
from screening.db import db
from screening.errors import InvalidInput
from screening.organisations.models import Organisation
from workflows.application import ACCOUNT_ROLES

MIN_PASSWORD_LENGTH = 12
#: A hash to compare against when the account does not exist, so both answers take as long.
_DUMMY_HASH = generate_password_hash("not-a-real-password-0000")


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("A password has at least %(n)d characters.", field="password", n=MIN_PASSWORD_LENGTH)


def create_user(
    actor: Actor,
    *,
    username: str,
    display_name: str,
    role: str,
    password: str | None,
    organisation_code: str | None = None,
    email: str | None = None,
    source: str = "local",
    check_strength: bool = True,
) -> User:
    """A local account (or a directory account's first appearance, with no password)."""
    username = username.strip().lower()
    if not username:
        raise InvalidInput("A user name is required.", field="username")
    if role not in ACCOUNT_ROLES:
        raise InvalidInput(
            "Unknown role %(role)s; choose one of %(roles)s.", field="role", role=role, roles=", ".join(ACCOUNT_ROLES)
        )
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise InvalidInput("This user name is taken.", field="username")
    organisation = None
    if organisation_code:
        organisation = db.session.scalar(select(Organisation).where(Organisation.code == organisation_code))
        if organisation is None:
            raise InvalidInput(
                "No organisation with code %(code)s.", field="organisation", code=repr(organisation_code)
            )
    if role in ("requester", "hr") and organisation is None:
        raise InvalidInput("Employer roles need an organisation.", field="organisation")
    if password is not None and check_strength:
        check_password_strength(password)
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        role=role,
        organisation_id=organisation.id if organisation else None,
        email=email or None,
        source=source,
        password_hash=hash_password(password) if password else None,
        active=True,
    )
    db.session.add(user)
    db.session.flush()
    record(actor, "create_user", "user", user.id, organisation_id=user.organisation_id, reason=f"role {role}")
    return user


def authenticate_local(username: str, password: str) -> User | None:
    """The active local account with this password, or None (same time either way)."""
    user = db.session.scalar(select(User).where(User.username == username.strip().lower(), User.source == "local"))
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


def too_many_failures(username: str, address: str | None, *, limit: int, window: timedelta, now: datetime) -> bool:
    since = now - window
    conditions = [LoginAttempt.username == username.strip().lower()]
    if address:
        conditions.append(LoginAttempt.client_address == address)
    counts = db.session.execute(
        select(
            func.count().filter(LoginAttempt.username == username.strip().lower()),
            func.count().filter(LoginAttempt.client_address == address) if address else func.count().filter(False),
        ).where(LoginAttempt.at >= since, or_(*conditions))
    ).one()
    # An address may try several accounts (a shared office), so it gets a larger allowance.
    return counts[0] >= limit or counts[1] >= limit * 4


def note_failure(username: str, address: str | None, now: datetime) -> None:
    db.session.add(LoginAttempt(at=now, username=username.strip().lower()[:120], client_address=address))


def clear_failures(username: str) -> None:
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.username == username.strip().lower()))


def note_sign_in(user: User, actor: Actor) -> None:
    user.last_login_at = utcnow()
    record(actor, "sign_in", "user", user.id, organisation_id=user.organisation_id)
