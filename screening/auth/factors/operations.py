"""Every write of the second factor: enrolling an authenticator app, checking a code once, recovery codes.

A TOTP code is accepted once: the step it belongs to is stored, and the update that stores it is
conditional on the stored step being older, so two requests with the same code (a replay, or a race)
cannot both pass. A recovery code is marked used by an equally conditional update.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, func, or_, select, update

from screening.actors import Actor
from screening.audit.operations import record
from screening.auth.factors import totp
from screening.auth.models import RecoveryCode, SecurityKey, User
from screening.config import SecurityConfig
from screening.db import db
from screening.vault import IdentifierVault

#: What proved the second factor (kept in the session and the audit trail).
TOTP, RECOVERY, SECURITY_KEY = "totp", "recovery code", "security key"


def required_for(user: User | object, config: SecurityConfig) -> bool:
    """Does this account need a second factor before any page but enrolment?"""
    role, source = getattr(user, "role", None), getattr(user, "source", None)
    if role not in config.second_factor_roles:
        return False
    return not (source == "directory" and config.directory_enforces_second_factor)


def has_second_factor(user_id: int) -> bool:
    """An authenticator app or at least one security key is enrolled (one query)."""
    keys = exists().where(SecurityKey.user_id == User.id)
    return bool(db.session.scalar(select(or_(User.totp_secret.is_not(None), keys)).where(User.id == user_id)))


def enrol_totp(
    actor: Actor, user: User, vault: IdentifierVault, secret: str, code: str, now: datetime
) -> list[str] | None:
    """Keep ``secret`` once ``code`` proves the authenticator app holds it; returns the new recovery codes
    (shown once) or None when the code is wrong. A second enrolment replaces the first."""
    step = totp.matching_step(secret, code, now)
    if step is None:
        return None
    user.totp_secret = vault.encrypt(secret)
    user.totp_last_step = step  # the code that enrolled is spent too
    db.session.flush()
    record(actor, "enrol_totp", "user", user.id, organisation_id=user.organisation_id)
    return replace_recovery_codes(actor, user)


def replace_recovery_codes(actor: Actor, user: User) -> list[str]:
    """New recovery codes, the old ones void; only their salted hashes are kept."""
    db.session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id))
    codes = totp.new_recovery_codes()
    rows = []
    for code in codes:
        salt = totp.new_salt()
        rows.append(RecoveryCode(user_id=user.id, salt=salt, code_hash=totp.hash_recovery_code(code, salt)))
    db.session.add_all(rows)
    db.session.flush()
    record(actor, "new_recovery_codes", "user", user.id, organisation_id=user.organisation_id)
    return codes


def recovery_codes_left(user_id: int) -> int:
    return (
        db.session.scalar(select(func.count()).where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)))
        or 0
    )


def check_code(user: User, vault: IdentifierVault, code: str, now: datetime) -> str | None:
    """TOTP (a step never accepted before) or an unused recovery code: what proved it, or None.

    Writes (the step, the code's use) are conditional updates, so a replay or two requests at once
    with the same code succeed once."""
    if user.totp_secret is not None:
        step = totp.matching_step(vault.decrypt(user.totp_secret), code, now)
        if step is not None:
            taken = db.session.execute(
                update(User)
                .where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
                .values(totp_last_step=step)
                .execution_options(synchronize_session=False)
            )
            return TOTP if taken.rowcount == 1 else None
    normalised = totp.normalise_recovery_code(code)
    if len(normalised) != 12:
        return None
    unused = db.session.execute(
        select(RecoveryCode.id, RecoveryCode.salt, RecoveryCode.code_hash).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    ).all()
    for row in unused:
        if totp.hash_recovery_code(normalised, row.salt) == row.code_hash:
            spent = db.session.execute(
                update(RecoveryCode)
                .where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
                .values(used_at=now)
                .execution_options(synchronize_session=False)
            )
            return RECOVERY if spent.rowcount == 1 else None
    return None
