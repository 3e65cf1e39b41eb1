from __future__ import annotations

from sqlalchemy import select

from screening.actors import Actor
from screening.audit.operations import record
from screening.db import db
from screening.errors import InvalidInput
from screening.organisations.models import KINDS, Organisation
from screening.people.identifiers import IdentifierError, parse_enterprise_number


def save_organisation(
    actor: Actor,
    *,
    name: str,
    enterprise_number: str,
    code: str,
    contact_email: str | None = None,
    active: bool = True,
    kind: str = "employer",
    organisation: Organisation | None = None,
) -> Organisation:
    """Create or update an organisation; the enterprise number must pass its mod-97 check."""
    _check_kind(kind)
    try:
        number = parse_enterprise_number(enterprise_number)
    except IdentifierError as error:
        raise InvalidInput(str(error), field="enterprise_number") from None
    code = code.strip().lower()
    if not name.strip():
        raise InvalidInput("A name is required.", field="name")
    for column, value, field in (
        (Organisation.enterprise_number, number, "enterprise_number"),
        (Organisation.code, code, "code"),
    ):
        clash = db.session.scalar(select(Organisation.id).where(column == value))
        if clash is not None and (organisation is None or clash != organisation.id):
            raise InvalidInput("Another organisation already uses this value.", field=field)
    action = "update_organisation" if organisation else "create_organisation"
    if organisation is None:
        organisation = Organisation()
        db.session.add(organisation)
    organisation.name = name.strip()
    organisation.enterprise_number = number
    organisation.code = code
    organisation.contact_email = contact_email or None
    organisation.active = active
    organisation.kind = kind
    db.session.flush()
    record(actor, action, "organisation", organisation.id, organisation_id=organisation.id)
    return organisation


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise InvalidInput("Choose a kind of organisation.", field="kind")
