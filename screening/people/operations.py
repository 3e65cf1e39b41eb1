"""Recording people. The identity hash finds a person again across organisations ("screened once")."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from screening.db import db
from screening.people.identifiers import parse_national_number
from screening.people.models import Person
from screening.vault import IdentifierVault


@dataclass(frozen=True)
class PersonDetails:
    given_names: str
    family_name: str
    date_of_birth: date
    nationality: str
    national_number: str | None = None
    document_number: str | None = None
    email: str | None = None
    locale: str = "nl"


def search_key(text: str) -> str:
    """Lower-case, accents removed: "Çelik" is found by "celik"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def identity_hash(vault: IdentifierVault, details: PersonDetails) -> str:
    if details.national_number:
        return vault.lookup_hash("BE-NRN", parse_national_number(details.national_number).digits)
    if not details.document_number:
        raise ValueError("a person needs a national register number or a document number")
    return vault.lookup_hash(f"DOC-{details.nationality.upper()}", details.document_number.strip().upper())


def find_person(vault: IdentifierVault, details: PersonDetails) -> Person | None:
    return db.session.scalar(select(Person).where(Person.identity_hash == identity_hash(vault, details)))


def find_or_create_person(vault: IdentifierVault, details: PersonDetails) -> Person:
    """The existing person with this identifier, or a new one.

    An existing record is not overwritten by what one employer typed: the authority's record stays the
    reference, and an employer never learns that another organisation screened the same person.
    """
    existing = find_person(vault, details)
    if existing is not None:
        if details.email and not existing.email:
            existing.email = details.email
        return existing
    number = parse_national_number(details.national_number) if details.national_number else None
    person = Person(
        given_names=details.given_names.strip(),
        family_name=details.family_name.strip(),
        search_name=search_key(f"{details.family_name} {details.given_names}"),
        search_given=search_key(f"{details.given_names} {details.family_name}"),
        date_of_birth=details.date_of_birth,
        nationality=details.nationality.upper(),
        identity_hash=identity_hash(vault, details),
        national_number_encrypted=vault.encrypt(number.digits) if number else None,
        national_number_masked=number.masked if number else None,
        document_number_encrypted=(
            vault.encrypt(details.document_number.strip().upper()) if details.document_number else None
        ),
        email=details.email or None,
        locale=details.locale,
    )
    try:
        with db.session.begin_nested():  # two employers registering the same person at once
            db.session.add(person)
            db.session.flush()
    except IntegrityError:
        existing = find_person(vault, details)
        if existing is None:
            raise
        return existing
    return person


def rotate_identifiers(vault: IdentifierVault, *, after: int, limit: int) -> tuple[int, int]:
    """Re-encrypt the identifiers of up to ``limit`` people with id > ``after`` with the first key.

    Returns (people handled, last id handled). One UPDATE for the whole batch.
    """
    rows = db.session.execute(
        select(Person.id, Person.national_number_encrypted, Person.document_number_encrypted)
        .where(Person.id > after)
        .order_by(Person.id)
        .limit(limit)
    ).all()
    if not rows:
        return 0, after
    changes = [
        {
            "id": row.id,
            "national_number_encrypted": vault.rotate(row.national_number_encrypted)
            if row.national_number_encrypted
            else None,
            "document_number_encrypted": vault.rotate(row.document_number_encrypted)
            if row.document_number_encrypted
            else None,
        }
        for row in rows
    ]
    db.session.execute(update(Person), changes)
    return len(rows), rows[-1].id
