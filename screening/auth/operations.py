"""Local accounts, directory accounts synced at each sign-in, and sign-in bookkeeping.

Who may sign in how (:func:`sign_in`): a name that belongs to a local account is checked against its
local password and never sent to the directory, so break-glass administrators sign in whether the
directory answers or not; every other name goes to the directory, which is then the source of truth for
the account's role, organisation, name and e-mail (:func:`sync_directory_user`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, or_, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from screening.actors import Actor
from screening.audit.operations import record
from screening.auth.directory.errors import (
    EMPTY_PASSWORD,
    N_,
    NO_SUCH_USER,
    WRONG_PASSWORD,
    AccountDisabled,
    DirectoryError,
    InvalidCredentials,
    NotMapped,
)
from screening.auth.models import LoginAttempt, User
from screening.clock import utcnow
from screening.db import db
from screening.errors import InvalidInput
from screening.organisations.models import ACCESS_CONTROL, Organisation
from screening.people.identifiers import IdentifierError, parse_enterprise_number
from workflows.roles import ACCOUNT_ROLES, EMPLOYER_ROLES, Role

if TYPE_CHECKING:
    from screening.auth.directory import Directory, DirectoryAccount

log = logging.getLogger("screening.auth")

MIN_PASSWORD_LENGTH = 12
#: How local passwords are hashed: scrypt with N = 2**15, r = 8, p = 1 (Werkzeug's default, written out so that
#: a change of Werkzeug's default never changes ours unseen; about 70 ms on one core). The test suite lowers N
#: for its own accounts (tests/conftest.py), as the hash's own prefix names its parameters.
HASH_METHOD = "scrypt:32768:8:1"


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=HASH_METHOD)


def _dummy_hash() -> str:
    """A hash to compare against when the account does not exist, made as the real ones are, so that both
    answers take as long."""
    return _dummy_hash_for(HASH_METHOD)


@lru_cache(maxsize=4)
def _dummy_hash_for(method: str) -> str:
    return generate_password_hash("not-a-real-password-0000", method=method)


_dummy_hash_for(HASH_METHOD)  # made at start: the first refusal takes as long as the next ones


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("A password has at least %(n)d characters.", field="password", n=MIN_PASSWORD_LENGTH)


@dataclass(frozen=True)
class CheckedAccount:
    username: str
    organisation_id: int | None


def validate_new_account(
    *, username: str, role: str, password: str | None, organisation_code: str | None, existing: User | None = None,
    check_strength: bool = True,
) -> CheckedAccount:  # fmt: skip
    """The checks of an account's name, role, organisation and password, before it is made or proposed."""
    username = username.strip().lower()
    if not username:
        raise InvalidInput("A user name is required.", field="username")
    if role not in ACCOUNT_ROLES:
        raise InvalidInput(
            "Unknown role %(role)s; choose one of %(roles)s.", field="role", role=role, roles=", ".join(ACCOUNT_ROLES)
        )
    if existing is None and db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise InvalidInput("This user name is taken.", field="username")
    organisation = None
    if organisation_code:
        organisation = db.session.scalar(select(Organisation).where(Organisation.code == organisation_code))
        if organisation is None:
            raise InvalidInput(
                "No organisation with code %(code)s.", field="organisation", code=repr(organisation_code)
            )
    if role in EMPLOYER_ROLES and organisation is None:
        raise InvalidInput("Employer roles need an organisation.", field="organisation")
    if organisation is not None and organisation.is_access_control:
        raise InvalidInput(
            "An access-control organisation has no accounts: an administrator makes its API tokens.",
            field="organisation",
        )
    if password is not None and check_strength:
        check_password_strength(password)
    return CheckedAccount(username, organisation.id if organisation is not None else None)


def check_kind_change(organisation: Organisation | None, kind: str) -> None:
    """An organisation becomes, or stops being, an access-control one only while it has no account: its
    screening managers would otherwise keep pages an access-control organisation may not have. (Its tokens
    need no check: a token works only while its maker fits the organisation's kind, screening.api.auth.)"""
    if organisation is None or ACCESS_CONTROL not in (kind, organisation.kind) or kind == organisation.kind:
        return
    if db.session.scalar(select(User.id).where(User.organisation_id == organisation.id).limit(1)) is not None:
        raise InvalidInput(
            "This organisation has accounts: it cannot become, or stop being, an access-control organisation.",
            field="kind",
        )


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
    """A local account made at once (the CLI, the demo, employer roles from the admin page; the
    authority's roles from the admin page go through screening.auth.duties), or a directory account's
    first appearance, with no password."""
    checked = validate_new_account(
        username=username, role=role, password=password, organisation_code=organisation_code,
        check_strength=check_strength,
    )  # fmt: skip
    user = User(
        username=checked.username,
        display_name=display_name.strip() or checked.username,
        role=role,
        organisation_id=checked.organisation_id,
        email=email or None,
        source=source,
        password_hash=hash_password(password) if password else None,
        active=True,
    )
    db.session.add(user)
    db.session.flush()
    record(actor, "create_user", "user", user.id, organisation_id=user.organisation_id, reason=f"role {role}")
    return user


def too_many_failures(username: str, address: str | None, *, limit: int, window: timedelta, now: datetime) -> bool:
    """Throttled: this account failed ``limit`` times from this address, or the address failed four
    times as often (a shared office tries several accounts). Failures of the account from *other*
    addresses do not count: nobody locks another out by guessing its password. A throttled sign-in is
    still possible with the password and a second-factor code together (``auth.views.login``)."""
    name = username.strip().lower()
    from_address = LoginAttempt.client_address.is_(None) if address is None else LoginAttempt.client_address == address
    counts = db.session.execute(
        select(func.count().filter(LoginAttempt.username == name), func.count()).where(
            LoginAttempt.at >= now - window, from_address
        )
    ).one()
    return counts[0] >= limit or counts[1] >= limit * 4


def too_many_code_failures(
    username: str, address: str | None, *, limit: int, window_minutes: int, now: datetime
) -> bool:
    """Second-factor codes refused: ``limit`` wrong codes of this account from this address, or four times
    as many from anywhere. Only someone who knows the password reaches the code, so this (and only
    this) limit counts across addresses: six digits must not be guessed from many machines."""
    name = username.strip().lower()
    pair = LoginAttempt.client_address.is_(None) if address is None else LoginAttempt.client_address == address
    counts = db.session.execute(
        select(func.count().filter(pair), func.count()).where(
            LoginAttempt.at >= now - timedelta(minutes=window_minutes),
            LoginAttempt.username == name,
            LoginAttempt.kind == "code",
        )
    ).one()
    return counts[0] >= limit or counts[1] >= limit * 4


def note_failure(username: str, address: str | None, now: datetime, kind: str = "password") -> None:
    db.session.add(LoginAttempt(at=now, username=username.strip().lower()[:120], client_address=address, kind=kind))


def clear_failures(username: str, address: str | None) -> None:
    """A full sign-in forgets this account's failures from this address (others' failures stay)."""
    db.session.execute(
        delete(LoginAttempt).where(
            LoginAttempt.username == username.strip().lower(), LoginAttempt.client_address == address
        )
    )


def end_sessions(user_id: int) -> int:
    """End every session of the account at once (each cookie carries the generation it was issued at,
    screening.auth.current); returns the new generation, for the session that stays, if any."""
    db.session.execute(update(User).where(User.id == user_id).values(session_generation=User.session_generation + 1))
    return db.session.scalar(select(User.session_generation).where(User.id == user_id)) or 0


def set_active(actor: Actor, user: User, active: bool) -> None:
    """Activate or deactivate an account; a deactivation ends its sessions at once."""
    user.active = active
    db.session.flush()
    if not active:
        end_sessions(user.id)
    record(actor, "activate_user" if active else "deactivate_user", "user", user.id,
           organisation_id=user.organisation_id)  # fmt: skip


def change_password(actor: Actor, user: User, current: str, new: str) -> int:
    """A local account's new password (the current one checked first); every session of the account
    ends, and the new generation is returned so the session that asked may stay signed in."""
    if user.source != "local" or not user.password_hash:
        raise InvalidInput("This account signs in with the directory's password.", field="password")
    if not check_password_hash(user.password_hash, current):
        raise InvalidInput("The current password is not right.", field="current_password")
    check_password_strength(new)
    if new == current:
        raise InvalidInput("Choose a password other than the current one.", field="password")
    user.password_hash = hash_password(new)
    db.session.flush()
    record(actor, "change_password", "user", user.id, organisation_id=user.organisation_id)
    return end_sessions(user.id)


def note_sign_in(user: User, actor: Actor, second_factor: str | None = None) -> None:
    user.last_login_at = utcnow()
    reason = f"with {second_factor}" if second_factor else None
    record(actor, "sign_in", "user", user.id, organisation_id=user.organisation_id, reason=reason)


# -- signing in: local accounts and the directory ----------------------------------------------------
#: The reason logged when a local account exists but is deactivated (the page says "wrong password").
DEACTIVATED = "account deactivated"


class LocalAccountsOff(DirectoryError):
    """The password of a local account is right, but ``ldap.local_accounts = "admins"`` keeps local
    accounts other than administrators out while a directory is configured."""

    user_message = N_("Local accounts other than administrators are switched off: sign in with your directory account.")
    log_level = logging.WARNING


class AccountDeactivated(DirectoryError):
    """The directory vouches for the person, but an administrator deactivated the account here."""

    user_message = N_("This account is deactivated. Please contact your administrator.")
    log_level = logging.WARNING


class UnknownOrganisation(NotMapped):
    """An organisation mapping names an enterprise number or code the application does not know: the
    application's administrator must create the organisation (or fix the mapping)."""

    log_level = logging.ERROR


class OrganisationInactive(DirectoryError):
    """The password is right, but the account's organisation is deactivated: its people stay out."""

    user_message = N_("Your organisation's access has been deactivated. Please contact the screening authority.")
    log_level = logging.WARNING


class NameClash(DirectoryError):
    """The directory's username is a local account's name: never merged, an account takeover otherwise."""


#: Refusals that may be password guessing, counted by :func:`note_failure` (an AD account found disabled
#: is refused before its password is tried); the others come after a correct password or are the
#: directory's fault.
GUESSES = (InvalidCredentials, AccountDisabled)


def sign_in(
    username: str, password: str, *, directory: Directory | None, local_accounts: str, address: str | None
) -> User:
    """The account these credentials open, or a :class:`DirectoryError` (logged here) saying why not.

    Precedence: a name of a local account (``source = 'local'``) is checked locally, never by the
    directory; with a directory configured and ``local_accounts = "admins"`` only local administrators
    get in that way. Any other name is checked by the directory when one is configured.
    """
    name = username.strip().lower()
    local = db.session.scalar(select(User).where(User.username == name, User.source == "local"))
    try:
        if directory is None or local is not None:
            user = _check_local(local, name, password)
            if directory is not None and local_accounts != "all" and user.role != Role.ADMIN:
                raise LocalAccountsOff(f"local account {name!r} ({user.role}) refused: ldap.local_accounts = admins")
            _check_organisation(user)
            log.info("local sign-in of %r (%s) from %s", name, user.role, address)
            return user
    except DirectoryError as error:
        log.log(error.log_level, "local sign-in of %r from %s refused: %s", name, address, error.log_message)
        raise
    try:
        account = directory.authenticate(username, password)  # logs its own refusals
    except InvalidCredentials:
        check_password_hash(_dummy_hash(), password)  # as long as a local refusal: names stay unguessable
        raise
    try:
        user = sync_directory_user(account, address)
        _check_organisation(user)
        return user
    except DirectoryError as error:
        log.log(error.log_level, "directory sign-in of %r from %s refused: %s", name, address, error.log_message)
        raise


def _check_organisation(user: User) -> None:
    if user.organisation is not None and not user.organisation.active:
        raise OrganisationInactive(f"{user.username!r}: organisation {user.organisation.code!r} is deactivated")


def _check_local(user: User | None, name: str, password: str) -> User:
    if user is None or not user.password_hash:
        check_password_hash(_dummy_hash(), password)
        raise InvalidCredentials(f"no local account {name!r}", reason=NO_SUCH_USER)
    if not password:
        raise InvalidCredentials(f"empty password for {name!r}", reason=EMPTY_PASSWORD)
    if not check_password_hash(user.password_hash, password):
        raise InvalidCredentials(f"wrong password for local account {name!r}", reason=WRONG_PASSWORD)
    if not user.active:
        raise InvalidCredentials(f"local account {name!r} is deactivated", reason=DEACTIVATED)
    return user


def find_organisation(key: str) -> Organisation | None:
    """The organisation an ``[[ldap.organisation_mappings]]`` entry names: enterprise number or code
    (codes are kept in lower case, so "ACME" in the mapping finds "acme")."""
    try:
        number = parse_enterprise_number(key)
    except IdentifierError:
        number = None
    condition = Organisation.code == key.strip().lower()
    if number is not None:
        condition = or_(Organisation.enterprise_number == number, condition)
    return db.session.scalars(select(Organisation).where(condition).order_by(Organisation.id)).first()


def sync_directory_user(account: DirectoryAccount, address: str | None) -> User:
    """Create the directory's account at its first sign-in, else bring its role, organisation, name and
    e-mail in line with the directory (the source of truth); each creation or change is audited."""
    name = account.username.strip().lower()
    if len(name) > 120:
        raise NotMapped(f"{account.dn}: username of {len(name)} characters (at most 120 here)")
    organisation = None
    if account.organisation_key is not None:
        organisation = find_organisation(account.organisation_key)
        if organisation is None:
            raise UnknownOrganisation(
                f"{account.dn}: organisation mapping {account.organisation_key!r} matches no organisation's "
                "enterprise number or code in the application"
            )
    wanted = {
        "role": account.role,
        "organisation_id": organisation.id if organisation else None,
        "display_name": (account.display_name or name)[:200],
        "email": account.email if account.email and len(account.email) <= 254 else None,
    }
    user = db.session.scalar(select(User).where(User.username == name))
    if user is None:
        user = User(username=name, source="directory", password_hash=None, active=True, **wanted)
        db.session.add(user)
        db.session.flush()
        record(
            Actor.of(user, address), "create_user", "user", user.id, organisation_id=user.organisation_id,
            reason=f"first directory sign-in as {account.dn}: role {account.role}",
        )  # fmt: skip
        return user
    if user.source != "directory":
        raise NameClash(f"{account.dn}: the directory's username {name!r} is a local account here; not merged")
    if not user.active:
        raise AccountDeactivated(f"{account.dn}: account {name!r} is deactivated in the application")
    changes = [
        f"{key} {getattr(user, key)!r} -> {value!r}" for key, value in wanted.items() if getattr(user, key) != value
    ]
    if changes:
        role_changed = user.role != wanted["role"] or user.organisation_id != wanted["organisation_id"]
        for key, value in wanted.items():
            setattr(user, key, value)
        user.organisation = organisation
        db.session.flush()
        if role_changed:  # sessions opened under the old role or organisation end
            end_sessions(user.id)
        record(
            Actor.of(user, address), "sync_user", "user", user.id, organisation_id=user.organisation_id,
            reason=f"from the directory ({account.dn}): {'; '.join(changes)}"[:1000],
        )  # fmt: skip
    return user
