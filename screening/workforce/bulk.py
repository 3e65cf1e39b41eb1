"""Requesting screenings from the compliance view: the screening manager ticks people who are not requested,
completes what the register does not hold (nationality, language, e-mail) on one review page, and every
person gets a submitted file, filled from the register, with their personnel number as its external id.

Each person is one savepoint inside the request: a person refused (a file already under way, an external id
already used) is skipped with the reason and never half-written, and the others are still requested. The
files are the same as the application form makes: :func:`create_application` and :func:`fire` ("submit"),
with their checks and audit entries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from screening.actors import Actor
from screening.applications.assignment import BULK_LIMIT
from screening.applications.models import Application
from screening.applications.operations import create_application, fire
from screening.config import DeadlinesConfig
from screening.db import db
from screening.errors import Conflict, DomainError
from screening.people.operations import PersonDetails
from screening.vault import IdentifierVault
from screening.workforce.compliance import Line, line_of, lines_statement
from screening.workforce.models import WorkforceMember
from workflows.compliance import Standing

#: At most this many people per request (the queue's bulk action's limit).
REQUEST_LIMIT = BULK_LIMIT


@dataclass(frozen=True)
class Completion:
    """What the manager adds on the review page to a register entry: the register does not hold it, and the
    authority's record of the person is never shown to an employer."""

    nationality: str
    locale: str
    email: str | None = None


def requestable(line: Line) -> bool:
    """A line a screening can be requested for: not requested, and no draft of this employer waiting."""
    return line.compliance.standing is Standing.NOT_REQUESTED and line.row.state != "draft"


def chosen_lines(organisation_id: int, member_ids: Iterable[int], today: date, locale: str) -> list[Line]:
    """The organisation's current members among ``member_ids``, by name: another organisation's ids, a
    leaver's or an unknown one are simply not there."""
    ids = sorted(set(member_ids))[:REQUEST_LIMIT]
    if not ids:
        return []
    statement = lines_statement(organisation_id, today, locale).where(WorkforceMember.id.in_(ids))
    return [line_of(row, today) for row in db.session.execute(statement)]


@dataclass
class Outcome:
    requested: list[Application]
    skipped: list[tuple[str, str]]  #: (name, reason)


def request_screenings(
    actor: Actor,
    vault: IdentifierVault,
    deadlines: DeadlinesConfig,
    organisation_id: int,
    completions: dict[int, Completion],
    *,
    today: date,
    locale: str,
) -> Outcome:
    """One submitted file per chosen member (see the module's docstring); the caller commits."""
    outcome = Outcome([], [])
    for line in chosen_lines(organisation_id, completions, today, locale):
        name = f"{line.row.given_names} {line.row.family_name}"
        try:
            with db.session.begin_nested():
                outcome.requested.append(_request_one(actor, vault, deadlines, line, completions[line.row.id]))
        except DomainError as error:
            outcome.skipped.append((name, error.localized()))
    return outcome


def _request_one(
    actor: Actor, vault: IdentifierVault, deadlines: DeadlinesConfig, line: Line, completion: Completion
) -> Application:
    member = _locked_member(line.row.id)
    if not requestable(line):
        raise Conflict("A screening is already requested or drafted for this person.")
    person = PersonDetails(
        given_names=member.given_names, family_name=member.family_name, date_of_birth=member.date_of_birth,
        nationality=completion.nationality, national_number=vault.decrypt(member.national_number_encrypted),
        email=completion.email, locale=completion.locale,
    )  # fmt: skip
    application = create_application(
        actor, vault, organisation_id=member.organisation_id, function_id=member.function_id, person=person,
        external_id=member.personnel_number,
    )  # fmt: skip
    return fire(application, "submit", actor, deadlines)


def _locked_member(member_id: int) -> WorkforceMember:
    """The entry, locked (PostgreSQL): two confirms of the same page wait for each other, and the second
    finds the first one's file by its external id."""
    return db.session.scalars(select(WorkforceMember).where(WorkforceMember.id == member_id).with_for_update()).one()


def parse_member_ids(values: Sequence[str]) -> list[int] | None:
    """The ticked ids; None when one is not a number or there are more than the limit."""
    if len(values) > REQUEST_LIMIT:
        return None
    ids = [int(value) for value in values if value.isdigit() and len(value) < 12]
    return ids if len(ids) == len(values) else None
