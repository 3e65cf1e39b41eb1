"""What one employer declared about the person of one application, and how it differs from the authority's
record.

Each application keeps the person as its employer typed them (``Application.declared_*``). Employers'
pages, mails, letters and exports show only that; the shared ``persons`` row is the authority's and is
never changed by an employer's form. A difference between the two is for officers only (the file page).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple, Protocol

from screening.applications.models import Application
from screening.errors import InvalidInput
from screening.notifications.operations import Recipient, language_for
from screening.people.identifiers import parse_national_number
from screening.people.models import Person
from screening.people.operations import PersonDetails, search_key
from screening.person_link.operations import confirmed_address
from screening.vault import IdentifierVault

#: The languages a person may be written to in (the form's choice), named in themselves.
LANGUAGE_NAMES = {"nl": "Nederlands", "fr": "Français", "en": "English"}
#: Fields compared with the authority's record, in the order the officer's flag names them.
COMPARED = ("given_names", "family_name", "date_of_birth")


def declared_values(details: PersonDetails) -> dict[str, Any]:
    """The ``declared_*`` columns for ``details``; refuses blank names (answered at the field)."""
    given, family = details.given_names.strip(), details.family_name.strip()
    for field, value in (("given_names", given), ("family_name", family)):
        if not value:
            raise InvalidInput("This field is required.", field=field)
    return {
        "declared_given_names": given,
        "declared_family_name": family,
        "declared_search_name": search_key(f"{family} {given}"),
        "declared_search_given": search_key(f"{given} {family}"),
        "declared_date_of_birth": details.date_of_birth,
        "declared_nationality": details.nationality.strip().upper(),
        "declared_email": (details.email or "").strip() or None,
        "declared_locale": details.locale,
    }


def declared_form_data(application: Application, vault: IdentifierVault) -> dict[str, Any]:
    """The draft's form as its employer filled it in: the declaration, and the identifier it gave (the
    record's identifier is the one the employer typed: that is how the draft was linked to it)."""
    person = application.person
    number = vault.decrypt(person.national_number_encrypted) if person.national_number_encrypted else None
    document = vault.decrypt(person.document_number_encrypted) if person.document_number_encrypted else None
    return {
        "given_names": application.declared_given_names,
        "family_name": application.declared_family_name,
        "date_of_birth": application.declared_date_of_birth,
        "nationality": application.declared_nationality,
        "national_number": parse_national_number(number).formatted if number else "",
        "document_number": document or "",
        "document_type": person.document_type or "",
        "document_country": person.document_country or "",
        "email": application.declared_email or "",
        "locale": application.declared_locale,
        "function_id": application.function_id,
        "version": str(application.version),
    }


class Recorded(NamedTuple):
    """The authority's record of a person as :func:`differences` compares it, from a flat row of the file page
    (``queries.get_file``) instead of a loaded :class:`Person`."""

    given_names: str
    family_name: str
    date_of_birth: date
    erased_at: datetime | None


def differences(application: Application, person: Person | Recorded) -> tuple[str, ...]:
    """The fields (of :data:`COMPARED`) where the declaration differs from the authority's record; names
    compared without case, accents or surrounding spaces. For officers only: never shown to an employer."""
    if person.erased_at is not None or application.erased_at is not None:
        return ()
    found = []
    if search_key(application.declared_given_names) != search_key(person.given_names):
        found.append("given_names")
    if search_key(application.declared_family_name) != search_key(person.family_name):
        found.append("family_name")
    if application.declared_date_of_birth != person.date_of_birth:
        found.append("date_of_birth")
    return tuple(found)


class Declared(Protocol):
    """An application, or a row selected with its ``declared_email`` and ``declared_locale`` columns."""

    @property
    def declared_email(self) -> str | None: ...
    @property
    def declared_locale(self) -> str: ...


def person_recipient(application: Declared) -> Recipient | None:
    """Where the request for consent (the consent link only) goes: the address declared on this application,
    in its language; never the shared record's address, which another employer may have typed."""
    if not application.declared_email:
        return None
    return Recipient(application.declared_email, language_for(application.declared_locale))


def own_recipient(application: Application) -> Recipient | None:
    """Where the person's own mail goes (notices, disclosed grounds, the file link): only the address the
    person typed or confirmed on the consent page, in the declared language; never one an employer declared.
    None without one: the notice then goes by post."""
    address = confirmed_address(application.id)
    return Recipient(address, language_for(application.declared_locale)) if address else None
