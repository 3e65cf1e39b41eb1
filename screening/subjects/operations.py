"""Data subject tools for officers: everything held about one person (export), and erasure on request.

The export gathers, in a fixed number of queries, the person's record (identifiers decrypted: the export is
for the person), their files with every text the authority holds, their clearances, the entries employers
made of them in their staff registers, paper consent forms (described, not embedded), the mail sent to them
and the audit trail of their files. Erasure reuses the retention code: the rows stay for the statistics, what
identifies or concerns the person goes; it is refused while a file is open (an appeal window running
included) or a clearance still covers the person.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select, update

from screening.actors import Actor
from screening.applications.models import Application, ConsentDocument
from screening.audit.models import AuditEntry
from screening.audit.operations import record
from screening.catalogue.models import CriticalFunction
from screening.clearances.models import Clearance
from screening.db import db
from screening.decisions.models import Decision
from screening.errors import Conflict, NotAllowed
from screening.notifications.models import OutboxMessage
from screening.organisations.models import Organisation
from screening.people.models import Person
from screening.retention.operations import erase_files
from screening.vault import IdentifierVault
from screening.workforce.models import WorkforceMember
from workflows.application import OPEN_STATES
from workflows.clearance import COVERING_STATES

ERASURE_REASON = "erasure at the person's request"


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _decision(decision: Decision) -> dict[str, Any]:
    return {
        "kind": decision.kind,
        "outcome": decision.outcome,
        "decided_on": _iso(decision.decided_on),
        "grounds": decision.grounds,
        "grounds_disclosed_to_the_person": decision.disclosed_grounds,
        "valid_from": _iso(decision.valid_from),
        "valid_until": _iso(decision.valid_until),
        "ends": decision.ends_id,
        "end_reason": decision.end_reason,
        "id": decision.id,
    }


def subject_record(person: Person, vault: IdentifierVault) -> dict[str, Any]:
    """Everything held about ``person``, as plain JSON-ready data."""
    files = db.session.execute(
        select(Application, Organisation.name, CriticalFunction.name_en)
        .join(Organisation, Organisation.id == Application.organisation_id)
        .join(CriticalFunction, CriticalFunction.id == Application.function_id)
        .where(Application.person_id == person.id)
        .order_by(Application.created_at)
    ).all()
    file_ids = [application.id for application, _org, _function in files]
    clearances = db.session.scalars(
        select(Clearance).where(Clearance.person_id == person.id).order_by(Clearance.valid_from)
    ).all()
    # Every decision about the files and clearances (with the file's in force among them): one statement.
    decisions = db.session.scalars(
        select(Decision)
        .where(or_(Decision.application_id.in_(file_ids), Decision.clearance_id.in_([c.id for c in clearances])))
        .order_by(Decision.id)
    ).all()
    documents = db.session.execute(
        select(ConsentDocument.application_id, ConsentDocument.media_type, ConsentDocument.size,
               ConsentDocument.sha256, ConsentDocument.uploaded_at)
        .where(ConsentDocument.application_id.in_(file_ids))
    ).all()  # fmt: skip
    # Mail to the person goes to the address each file declared (and the record's, from its first file).
    addresses = sorted({person.email, *(a.declared_email for a, _org, _function in files)} - {None, ""})
    mail = (
        db.session.execute(
            select(OutboxMessage.created_at, OutboxMessage.subject, OutboxMessage.state)
            .where(OutboxMessage.recipient.in_(addresses))
            .order_by(OutboxMessage.id)
        ).all()
        if addresses
        else []
    )
    # What employers declared of the person in their registers of staff in critical functions (issue 17).
    entries = db.session.execute(
        select(WorkforceMember, Organisation.name, CriticalFunction.name_en)
        .join(Organisation, Organisation.id == WorkforceMember.organisation_id)
        .join(CriticalFunction, CriticalFunction.id == WorkforceMember.function_id)
        .where(WorkforceMember.identity_hash == person.identity_hash)
        .order_by(WorkforceMember.id)
    ).all()
    trail = db.session.scalars(
        select(AuditEntry)
        .where(
            or_(
                (AuditEntry.object_type == "application") & AuditEntry.object_id.in_(file_ids),
                (AuditEntry.object_type == "person") & (AuditEntry.object_id == person.id),
                (AuditEntry.object_type == "clearance") & AuditEntry.object_id.in_([c.id for c in clearances]),
            )
        )
        .order_by(AuditEntry.id)
    ).all()
    return {
        "person": {
            "id": person.id,
            "given_names": person.given_names,
            "family_name": person.family_name,
            "date_of_birth": _iso(person.date_of_birth),
            "nationality": person.nationality,
            "national_number": vault.decrypt(person.national_number_encrypted)
            if person.national_number_encrypted
            else None,
            "document_number": vault.decrypt(person.document_number_encrypted)
            if person.document_number_encrypted
            else None,
            "email": person.email,
            "language": person.locale,
            "recorded_at": _iso(person.created_at),
            "erased_at": _iso(person.erased_at),
        },
        "applications": [
            {
                "reference": a.reference,
                "organisation": organisation,
                "critical_function": function,
                "state": a.state,
                "declared_by_the_employer": {
                    "given_names": a.declared_given_names,
                    "family_name": a.declared_family_name,
                    "date_of_birth": _iso(a.declared_date_of_birth),
                    "nationality": a.declared_nationality,
                    "email": a.declared_email,
                    "language": a.declared_locale,
                },
                "created_at": _iso(a.created_at),
                "submitted_at": _iso(a.submitted_at),
                "decided_at": _iso(a.decided_at),
                "advice_type": a.advice_type,
                "grounds": a.grounds,
                "grounds_disclosed_to_the_person": a.disclosed_grounds,
                "decisions": [_decision(d) for d in decisions if d.application_id == a.id],
                "officer_notes": a.officer_notes,
                "information_requested": a.info_request,
                "information_provided": a.info_response,
                "withdrawal_reason": a.withdrawal_reason,
                "appeal_deadline": _iso(a.appeal_deadline),
                "appealed_at": _iso(a.appealed_at),
                "erased_at": _iso(a.erased_at),
            }
            for a, organisation, function in files
        ],
        "clearances": [
            {
                "reference": c.reference,
                "advice_type": c.advice_type,
                "state": c.state,
                "valid_from": _iso(c.valid_from),
                "valid_until": _iso(c.valid_until),
                "revoked_at": _iso(c.revoked_at),
                "decisions": [_decision(d) for d in decisions if d.clearance_id == c.id],
            }
            for c in clearances
        ],
        "staff_registers": [
            {
                "organisation": organisation,
                "personnel_number": m.personnel_number,
                "given_names": m.given_names,
                "family_name": m.family_name,
                "date_of_birth": _iso(m.date_of_birth),
                "national_number": m.national_number_masked,
                "critical_function": function,
                "started_on": _iso(m.started_on),
                "ended_on": _iso(m.ended_on),
            }
            for m, organisation, function in entries
        ],
        "paper_consent_forms": [
            {
                "application": next(a.reference for a, _o, _f in files if a.id == d.application_id),
                "media_type": d.media_type,
                "size": d.size,
                "sha256": d.sha256,
                "uploaded_at": _iso(d.uploaded_at),
            }
            for d in documents
        ],
        "mail_sent": [{"at": _iso(m.created_at), "subject": m.subject, "state": m.state} for m in mail],
        "audit_trail": [
            {
                "at": _iso(e.at),
                "action": e.action,
                "object": f"{e.object_type} {e.object_id}",
                "role": e.role,
                "actor": e.actor,
                "from_state": e.from_state,
                "to_state": e.to_state,
            }
            for e in trail
        ],
    }


def check_erasable(person: Person) -> None:
    """Raise :class:`Conflict` saying why the law does not allow erasing ``person`` now."""
    if person.erased_at is not None:
        raise Conflict("This person's data were already erased.")
    open_file = db.session.scalar(
        select(Application.reference)
        .where(Application.person_id == person.id, Application.state.in_(OPEN_STATES))
        .limit(1)
    )
    if open_file is not None:
        raise Conflict(
            "File %(reference)s is still open (an appeal window may be running): it cannot be erased yet.",
            reference=open_file,
        )
    covering = db.session.scalar(
        select(Clearance.reference)
        .where(Clearance.person_id == person.id, Clearance.state.in_(COVERING_STATES))
        .limit(1)
    )
    if covering is not None:
        raise Conflict(
            "Clearance %(reference)s still covers this person: it must end before their data can be erased.",
            reference=covering,
        )


def erase_person(person: Person, actor: Actor, now: datetime) -> int:
    """Erase the person's data on request, leaving anonymised statistics; returns the files erased."""
    if actor.role != "officer":
        raise NotAllowed("Only a security officer can erase a person's data.")
    check_erasable(person)
    ids = list(db.session.scalars(select(Application.id).where(Application.person_id == person.id)))
    table = Clearance.__table__
    db.session.execute(
        update(table).where(table.c.person_id == person.id, table.c.erased_at.is_(None)).values(erased_at=now)
    )
    erased = erase_files(ids, actor, now, reason=ERASURE_REASON, persons=[person.id])
    record(actor, "erase_on_request", "person", person.id, reason=ERASURE_REASON, now=now)
    return erased.applications
