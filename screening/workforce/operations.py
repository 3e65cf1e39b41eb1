"""Recording the register: joiners, changes and leavers, each audited. The page and (later) an import call
the same functions; :func:`add_or_update_members` is the import's (a batch at a time), keyed by the
employer's personnel number so that re-uploading the same rows changes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from screening.actors import Actor
from screening.audit.operations import record
from screening.catalogue.models import CriticalFunction
from screening.clock import local_date, utcnow
from screening.db import db
from screening.errors import Conflict, DomainError, InvalidInput, NotAllowed
from screening.people.identifiers import parse_national_number
from screening.people.operations import search_key
from screening.people.rules import birth_date_problem, name_problem, national_number_problem, text_value_problem
from screening.rows import lock_rows, write_locked
from screening.vault import IdentifierVault
from screening.workforce.models import WorkforceMember

PERSONNEL_NUMBER_MAX = 64
#: The fields an edit compares, in the order the audit entry names them (never their values).
_COMPARED = ("personnel_number", "given_names", "family_name", "date_of_birth", "function_id", "started_on")


@dataclass(frozen=True)
class MemberFields:
    """A person in a critical function as the employer declares them (a form, an import row, the API).

    ``national_number`` None on an edit keeps the stored number (the page never shows it in clear)."""

    personnel_number: str
    given_names: str
    family_name: str
    date_of_birth: date
    function_id: int
    started_on: date
    national_number: str | None = None


def _check_actor(actor: Actor, organisation_id: int) -> None:
    if actor.role != "requester":
        raise NotAllowed("Only an employer's screening manager can change the register.")
    if actor.organisation_id != organisation_id:
        raise NotAllowed("This register belongs to another organisation.")


def personnel_number_problem(value: str | None) -> Any:
    """The employer's key of a person: required, one line, at most :data:`PERSONNEL_NUMBER_MAX` characters."""
    return text_value_problem(value, PERSONNEL_NUMBER_MAX)


def _checked(problem: Any, field: str) -> None:
    if problem is not None:
        raise InvalidInput(str(problem), field=field)


def _values(vault: IdentifierVault, fields: MemberFields, today: date) -> dict[str, Any]:
    """The columns for ``fields``, checked with the application form's rules (screening/people/rules.py);
    each refusal names its field, so a page or an import row shows it where the value was typed."""
    _checked(personnel_number_problem(fields.personnel_number), "personnel_number")
    _checked(name_problem(fields.given_names), "given_names")
    _checked(name_problem(fields.family_name), "family_name")
    _checked(birth_date_problem(fields.date_of_birth, today), "date_of_birth")
    if fields.started_on < fields.date_of_birth:
        raise InvalidInput("The start date is before the date of birth.", field="started_on")
    function = db.session.get(CriticalFunction, fields.function_id)
    if function is None or not function.active:
        raise InvalidInput("Choose a critical function from the catalogue.", field="function_id")
    given, family = fields.given_names.strip(), fields.family_name.strip()
    values: dict[str, Any] = {
        "personnel_number": fields.personnel_number.strip(),
        "given_names": given,
        "family_name": family,
        "search_name": search_key(f"{family} {given}"),
        "search_given": search_key(f"{given} {family}"),
        "date_of_birth": fields.date_of_birth,
        "function_id": fields.function_id,
        "started_on": fields.started_on,
    }
    if fields.national_number is not None:
        _checked(national_number_problem(fields.national_number, fields.date_of_birth), "national_number")
        number = parse_national_number(fields.national_number)
        values |= {
            "identity_hash": vault.lookup_hash("BE-NRN", number.digits),
            "national_number_encrypted": vault.encrypt(number.digits),
            "national_number_masked": number.masked,
        }
    return values


def _find(organisation_id: int, personnel_number: str) -> WorkforceMember | None:
    return db.session.scalar(
        select(WorkforceMember).where(
            WorkforceMember.organisation_id == organisation_id,
            WorkforceMember.personnel_number == personnel_number.strip(),
        )
    )


def _taken() -> InvalidInput:
    return InvalidInput("Your register already holds someone with this personnel number.", field="personnel_number")


def add_member(
    actor: Actor, vault: IdentifierVault, organisation_id: int, fields: MemberFields, *, now: datetime | None = None
) -> WorkforceMember:
    """Record a joiner. A personnel number the register already holds is refused at its field."""
    _check_actor(actor, organisation_id)
    now = now or utcnow()
    if fields.national_number is None:
        raise InvalidInput("This field is required.", field="national_number")
    values = _values(vault, fields, local_date(now))
    if _find(organisation_id, values["personnel_number"]) is not None:
        raise _taken()
    member = WorkforceMember(organisation_id=organisation_id, created_at=now, updated_at=now, **values)
    try:
        with db.session.begin_nested():  # two managers adding the same number at once
            db.session.add(member)
            db.session.flush()
    except IntegrityError:
        raise _taken() from None
    record(actor, "add_member", "workforce_member", member.id, organisation_id=organisation_id, now=now)
    return member


def edit_member(
    actor: Actor,
    vault: IdentifierVault,
    member: WorkforceMember,
    fields: MemberFields,
    *,
    expected_version: int,
    now: datetime | None = None,
) -> tuple[str, ...]:
    """Change what the register says of a person, against the version the manager saw. Returns the names of
    what changed (the audit entry lists them, not their values); nothing changed is no write."""
    _check_actor(actor, member.organisation_id)
    lock_rows(member)
    if expected_version != member.version:
        raise Conflict("Someone else changed this entry meanwhile. Review it and try again.")
    now = now or utcnow()
    values = _values(vault, fields, local_date(now))
    if values["personnel_number"] != member.personnel_number:
        other = _find(member.organisation_id, values["personnel_number"])
        if other is not None:
            raise _taken()
    if member.ended_on is not None and values["started_on"] > member.ended_on:
        raise InvalidInput("The start date is after the last day in the function.", field="started_on")
    changed = _changed(member, values)
    if not changed:
        return ()
    for key, value in values.items():
        setattr(member, key, value)
    member.updated_at = now
    _flush()
    record(
        actor, "change_member", "workforce_member", member.id, organisation_id=member.organisation_id,
        reason="changed: " + ", ".join(changed), now=now,
    )  # fmt: skip
    return tuple(changed)


def _changed(member: WorkforceMember, values: dict[str, Any]) -> list[str]:
    """The names of what ``values`` change in the entry (the audit entry lists them, never their values)."""
    changed = [key for key in _COMPARED if getattr(member, key) != values[key]]
    if "identity_hash" in values and values["identity_hash"] != member.identity_hash:
        changed.append("national_number")
    return changed


def add_or_update_member(
    actor: Actor, vault: IdentifierVault, organisation_id: int, fields: MemberFields, *, now: datetime | None = None
) -> tuple[WorkforceMember, tuple[str, ...]]:
    """The import's write: the row with this personnel number is added, or changed to match; the same row
    again changes nothing. Returns the member and what changed (``("added",)`` for a joiner)."""
    existing = _find(organisation_id, fields.personnel_number)
    if existing is None:
        return add_member(actor, vault, organisation_id, fields, now=now), ("added",)
    return existing, edit_member(actor, vault, existing, fields, expected_version=existing.version, now=now)


#: What the batched write says of each row: the entry and what changed, or why the register refused it.
Outcome = tuple[WorkforceMember, tuple[str, ...]] | DomainError


def add_or_update_members(
    actor: Actor, vault: IdentifierVault, organisation_id: int, batch: Sequence[MemberFields], *, now: datetime
) -> list[Outcome]:
    """:func:`add_or_update_member` for each of ``batch``, with the same checks, refusals and audit entries,
    in a few statements for the whole batch (one read and lock of its entries, one flush of the joiners, one
    executemany per shape of change, one of the audit entries) instead of a few per row: an import writes
    10,000 rows. A personnel number twice in the batch, or added meanwhile by someone else (the unique index
    refuses it), raises :class:`Conflict` with nothing written: the caller then writes that batch a row at a
    time, which answers each row as the form would."""
    _check_actor(actor, organisation_id)
    numbers = [fields.personnel_number.strip() for fields in batch]
    if len(set(numbers)) < len(numbers):
        raise Conflict("A personnel number is twice in the batch.")
    existing = {
        member.personnel_number: member
        for member in db.session.scalars(
            select(WorkforceMember).where(
                WorkforceMember.organisation_id == organisation_id, WorkforceMember.personnel_number.in_(numbers)
            )
        )
    }
    lock_rows(*existing.values())
    # Held for the loop: the identity map keeps only weak references, so each row's check of its function
    # would otherwise read the catalogue again.
    functions = db.session.scalars(
        select(CriticalFunction).where(CriticalFunction.id.in_({f.function_id for f in batch}))
    ).all()
    outcomes: list[Outcome] = []
    with db.session.no_autoflush:
        for fields, number in zip(batch, numbers, strict=True):
            try:
                outcomes.append(_prepare(vault, organisation_id, fields, existing.get(number), now))
            except DomainError as error:
                outcomes.append(error)
    _write(actor, outcomes, organisation_id, now)
    del functions
    return outcomes


def _prepare(
    vault: IdentifierVault, organisation_id: int, fields: MemberFields, member: WorkforceMember | None, now: datetime
) -> Outcome:
    """One row of the batch, checked as :func:`add_member` or :func:`edit_member` check it, not yet written."""
    if member is None:
        if fields.national_number is None:
            raise InvalidInput("This field is required.", field="national_number")
        values = _values(vault, fields, local_date(now))
        return WorkforceMember(organisation_id=organisation_id, created_at=now, updated_at=now, **values), ("added",)
    values = _values(vault, fields, local_date(now))
    if member.ended_on is not None and values["started_on"] > member.ended_on:
        raise InvalidInput("The start date is after the last day in the function.", field="started_on")
    changed = _changed(member, values)
    if changed:
        for key, value in values.items():
            setattr(member, key, value)
        member.updated_at = now
    return member, tuple(changed)


def _write(actor: Actor, outcomes: list[Outcome], organisation_id: int, now: datetime) -> None:
    """The batch's changes, joiners and audit entries (in row order); a taken number raises before the
    audit, and the caller's savepoint takes back the changes."""
    written = [outcome for outcome in outcomes if not isinstance(outcome, DomainError) and outcome[1]]
    write_locked([member for member, changed in written if changed != ("added",)])  # clean before the flush
    try:
        with db.session.begin_nested():
            db.session.add_all([member for member, changed in written if changed == ("added",)])
            db.session.flush()
    except IntegrityError:
        raise Conflict("Someone else added one of these personnel numbers meanwhile.") from None
    for member, changed in written:
        if changed == ("added",):
            record(actor, "add_member", "workforce_member", member.id, organisation_id=organisation_id, now=now)
        else:
            record(actor, "change_member", "workforce_member", member.id, organisation_id=organisation_id,
                   reason="changed: " + ", ".join(changed), now=now)  # fmt: skip
    db.session.flush()


def record_leaver(
    actor: Actor, member: WorkforceMember, ended_on: date, *, expected_version: int, now: datetime | None = None
) -> None:
    """The person left the function; ``ended_on`` is their last day in it. From the next day the organisation
    no longer relies on their clearance. A later correction of the date is recorded the same way."""
    _check_actor(actor, member.organisation_id)
    lock_rows(member)
    if expected_version != member.version:
        raise Conflict("Someone else changed this entry meanwhile. Review it and try again.")
    if ended_on < member.started_on:
        raise InvalidInput("The last day cannot be before the start date.", field="ended_on")
    if ended_on == member.ended_on:
        return
    now = now or utcnow()
    member.ended_on = ended_on
    member.updated_at = now
    _flush()
    record(
        actor, "record_leaver", "workforce_member", member.id, organisation_id=member.organisation_id,
        reason=f"last day {ended_on.isoformat()}", now=now,
    )  # fmt: skip


def _flush() -> None:
    try:
        db.session.flush()
    except StaleDataError:
        raise Conflict("Someone else changed this entry meanwhile. Review it and try again.") from None
    except IntegrityError:
        raise _taken() from None


def rotate_register_numbers(vault: IdentifierVault, *, after: int, limit: int) -> tuple[int, int]:
    """Re-encrypt the numbers of up to ``limit`` register entries with id > ``after`` with the first key
    (``screening identifiers rotate``, beside the people's). Returns (entries handled, last id handled)."""
    rows = db.session.execute(
        select(WorkforceMember.id, WorkforceMember.national_number_encrypted)
        .where(WorkforceMember.id > after)
        .order_by(WorkforceMember.id)
        .limit(limit)
    ).all()
    if not rows:
        return 0, after
    table = WorkforceMember.__table__
    changes = [{"row_id": row.id, "number": vault.rotate(row.national_number_encrypted)} for row in rows]
    # A plain UPDATE: re-encrypting changes no entry's version (a manager's open page stays valid).
    statement = (
        update(table).where(table.c.id == bindparam("row_id")).values(national_number_encrypted=bindparam("number"))
    )
    db.session.execute(statement, changes)
    return len(rows), rows[-1].id
