"""Recording people. The identity hash finds a person again across organisations ("screened once")."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from screening.db import db
from screening.errors import InvalidInput
from screening.people.identifiers import (
    DOCUMENT_TYPES,
    IdentifierError,
    NationalNumber,
    parse_document_number,
    parse_national_number,
)
from screening.people.models import Person
from screening.vault import IdentifierVault


@dataclass(frozen=True)
class PersonDetails:
    """A person as one employer declared them. Only identifiers find the authority's record; the rest is
    the declaration, kept on the employer's application (never written over the record)."""

    given_names: str
    family_name: str
    date_of_birth: date
    nationality: str
    national_number: str | None = None
    document_number: str | None = None
    #: With a document number: one of :data:`~screening.people.identifiers.DOCUMENT_TYPES`, and the issuing
    #: country (ISO 3166 alpha-2); the nationality when not given.
    document_type: str | None = None
    document_country: str | None = None
    email: str | None = None
    locale: str = "nl"


@dataclass(frozen=True)
class Identity:
    """A validated identifier: what finds the authority's record of a person."""

    hash: str
    national_number: NationalNumber | None = None
    document_number: str | None = None
    document_type: str | None = None
    document_country: str | None = None
    #: The hash the same document had before its type was part of the identity (records without a type).
    legacy_hash: str | None = None


def search_key(text: str) -> str:
    """Lower-case, accents removed: "Çelik" is found by "celik"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def _blank(value: str | None) -> bool:
    return not (value or "").strip()


def identify(vault: IdentifierVault, details: PersonDetails) -> Identity:
    """Validate the identifier and hash it. Blank or whitespace is "missing"; every refusal names its field.

    A national register number hashes exactly as before issue 12 (``BE-NRN`` and the 11 digits), so every
    stored person is found again. A document's identity is its type, issuing country and number.
    """
    if not _blank(details.national_number):
        try:
            number = parse_national_number(details.national_number or "")
        except IdentifierError as error:
            raise InvalidInput(str(error), field="national_number") from None
        return Identity(vault.lookup_hash("BE-NRN", number.digits), national_number=number)
    if _blank(details.document_number):
        raise InvalidInput("Give a national register number, or an identity document number.", field="national_number")
    try:
        document = parse_document_number(details.document_number or "")
    except IdentifierError as error:
        raise InvalidInput(str(error), field="document_number") from None
    kind = (details.document_type or "").strip()
    if kind not in DOCUMENT_TYPES:
        raise InvalidInput("Choose the type of the identity document.", field="document_type")
    country = (details.document_country or details.nationality or "").strip().upper()
    if len(country) != 2 or not country.isascii() or not country.isalpha():
        raise InvalidInput("Choose the country that issued the document.", field="document_country")
    return Identity(
        vault.lookup_hash(f"DOC-{kind}-{country}", document),
        document_number=document,
        document_type=kind,
        document_country=country,
        legacy_hash=vault.lookup_hash(f"DOC-{country}", (details.document_number or "").strip().upper()),
    )


def identity_hash(vault: IdentifierVault, details: PersonDetails) -> str:
    return identify(vault, details).hash


def _find(identity: Identity) -> Person | None:
    person = db.session.scalar(select(Person).where(Person.identity_hash == identity.hash))
    if person is None and identity.legacy_hash is not None:
        # A document person recorded before the type was asked (migration 0015): matched by country and
        # number as it was then, and only a record without a type (a typed one is matched by its own hash).
        person = db.session.scalar(
            select(Person).where(Person.identity_hash == identity.legacy_hash, Person.document_type.is_(None))
        )
    return person


def find_person(vault: IdentifierVault, details: PersonDetails) -> Person | None:
    return _find(identify(vault, details))


def find_or_create_person(vault: IdentifierVault, details: PersonDetails) -> Person:
    """The authority's record of the person with this identifier, or a new one made from this declaration.

    An existing record is never changed by what an employer typed (names, date of birth, e-mail address,
    language): the employer's application keeps its own declaration, and an employer never learns that
    another organisation screened the same person, nor what that organisation declared.
    """
    identity = identify(vault, details)
    existing = _find(identity)
    if existing is not None:
        return existing
    number = identity.national_number
    person = Person(
        given_names=details.given_names.strip(),
        family_name=details.family_name.strip(),
        search_name=search_key(f"{details.family_name} {details.given_names}"),
        search_given=search_key(f"{details.given_names} {details.family_name}"),
        date_of_birth=details.date_of_birth,
        nationality=details.nationality.upper(),
        identity_hash=identity.hash,
        national_number_encrypted=vault.encrypt(number.digits) if number else None,
        national_number_masked=number.masked if number else None,
        document_number_encrypted=vault.encrypt(identity.document_number) if identity.document_number else None,
        document_type=identity.document_type,
        document_country=identity.document_country,
        email=details.email or None,
        locale=details.locale,
    )
    try:
        with db.session.begin_nested():  # two employers registering the same person at once
            db.session.add(person)
            db.session.flush()
    except IntegrityError:
        existing = _find(identity)
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
