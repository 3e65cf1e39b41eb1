"""Notices to the body that must act on an outcome (dockworkers: the recognition body).

When an advice becomes final negative, or a clearance is revoked, for a function the catalogue marks
``notify_recognition``, the recipient of ``[recognition]`` is told the minimum it needs: the person's name,
date of birth and national register number, the function, and the day from which the person may no longer
work in it. Nothing is written for any other outcome or function.

Exactly once: each notice is a row of ``recognition_notices`` whose unique ``key`` names the outcome, written
with ``INSERT ... ON CONFLICT DO NOTHING`` in the transaction of the change; only a row that is new writes its
outbox message (whose own idempotency key is unique too) and its audit entry. The outbox then delivers it
like any mail (claims, retries, a crash between acceptance and commit sends the same Message-ID).

The national register number never leaves encrypted storage before the SMTP conversation: the outbox row
keeps a placeholder in its body and the Fernet token in ``context["sealed"]``;
:func:`screening.notifications.mailer.build_message` opens it only while building the e-mail.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from screening.actors import Actor
from screening.applications.models import Application
from screening.audit.operations import record
from screening.catalogue.models import CriticalFunction
from screening.clearances.models import RecognitionNotice
from screening.db import db
from screening.extensions import settings
from screening.notifications.mailer import sealed_placeholder
from screening.notifications.models import OutboxMessage
from screening.notifications.operations import Mail, Recipient, enqueue
from screening.people.models import Person

TEMPLATE = "recognition_notice"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """One person who may no longer work in one function from ``no_longer_from``, and why (``key``)."""

    key: str
    person_id: int
    function_id: int
    no_longer_from: date
    application_id: int | None = None
    clearance_id: int | None = None
    #: final_negative or revoked
    kind: str = "final_negative"


def final_negatives(applications: Sequence[Application], today: date) -> list[Outcome]:
    """The outcomes of files that just became final negative (their function decides, later)."""
    return [
        Outcome(f"final_negative:{a.id}", a.person_id, a.function_id, today, application_id=a.id)
        for a in applications
        if a.state == "final_negative"
    ]


def revocation(clearance_id: int, person_id: int, decision_id: int, today: date) -> list[Outcome]:
    """A revoked clearance: one outcome per function it was relied on for (the files linked to it; one query)."""
    functions = db.session.scalars(
        select(Application.function_id).where(Application.clearance_id == clearance_id).distinct()
    ).all()
    return [
        Outcome(f"revocation:{decision_id}:{f}", person_id, f, today, clearance_id=clearance_id, kind="revoked")
        for f in sorted(set(functions))
    ]


def notify_bodies(outcomes: Iterable[Outcome], actor: Actor, now: datetime) -> int:
    """Write the notice of each outcome whose function is marked, once; returns how many were new.

    A fixed number of statements for the whole batch: one read of the marked functions, one of the persons,
    one insert of the notices, one of the outbox rows, and the audit entries."""
    outcomes = list(outcomes)
    if not outcomes:
        return 0
    marked = {
        f.id: f
        for f in db.session.scalars(
            select(CriticalFunction).where(
                CriticalFunction.id.in_({o.function_id for o in outcomes}), CriticalFunction.notify_recognition
            )
        )
    }
    outcomes = [o for o in outcomes if o.function_id in marked]
    config = settings().recognition
    address = config.email.strip()
    if not outcomes:
        return 0
    if not address:
        log.warning("recognition: %d outcome(s) for marked functions, but [recognition] email is empty", len(outcomes))
        return 0
    person_ids = {o.person_id for o in outcomes}
    persons = {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(person_ids)))}
    recipient = Recipient(address, config.language)
    rows = [
        {
            "key": o.key, "application_id": o.application_id, "clearance_id": o.clearance_id,
            "function_id": o.function_id, "person_id": o.person_id, "no_longer_from": o.no_longer_from,
            "recipient": address, "outbox_key": Mail(f"recognition:{o.key}", recipient, TEMPLATE).idempotency_key,
            "created_at": now,
        }
        for o in outcomes
    ]  # fmt: skip
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    insert = dialect.insert(RecognitionNotice.__table__).on_conflict_do_nothing(index_elements=["key"])
    new = set(db.session.scalars(insert.returning(RecognitionNotice.key), rows).all())
    mails = []
    for outcome in outcomes:
        if outcome.key not in new:
            continue
        person = persons[outcome.person_id]
        mails.append(Mail(f"recognition:{outcome.key}", recipient, TEMPLATE, _context(outcome, person, marked)))
        code = marked[outcome.function_id].code
        record(
            actor, "notify_recognition", "application" if outcome.application_id else "clearance",
            outcome.application_id or outcome.clearance_id, reason=f"{outcome.kind}: {code}", now=now,
        )  # fmt: skip
    enqueue(mails, now)
    return len(mails)


def _context(outcome: Outcome, person: Person, functions: dict[int, CriticalFunction]) -> dict[str, Any]:
    function = functions[outcome.function_id]
    language = settings().recognition.language
    sealed = {"national_register_number": person.national_number_encrypted} if person.national_number_encrypted else {}
    return {
        "kind": outcome.kind,
        "name": f"{person.given_names} {person.family_name}",
        "date_of_birth": person.date_of_birth.isoformat(),
        "national_register_number": sealed_placeholder("national_register_number") if sealed else "",
        "function": function.name(language),
        "function_code": function.code,
        "no_longer_from": outcome.no_longer_from.isoformat(),
        "sealed": sealed,
    }


@dataclass(frozen=True)
class NoticeShown:
    """A notice as the file shows it: to whom, about what, and where its delivery is."""

    recipient: str
    kind: str
    no_longer_from: date
    written_at: datetime
    state: str
    sent_at: datetime | None


def notices_for(application_id: int, clearance_id: int | None = None) -> list[NoticeShown]:
    """The notices of a file (its final negative) and of the clearance it is linked to (a revocation), with
    their outbox state (one query)."""
    values = {"application_id": application_id, "clearance_id": clearance_id}
    rows = db.session.execute(_notices_statement(clearance_id is not None), values)
    return [
        NoticeShown(
            n.recipient,
            "final_negative" if n.application_id else "revoked",
            n.no_longer_from,
            n.created_at,
            state or "purged",
            sent_at,
        )
        for n, state, sent_at in rows
    ]


@cache
def _notices_statement(with_clearance: bool) -> Select[Any]:
    """:func:`notices_for`'s statement, with or without the clearance's notices, built once (an authority's
    file page reads it on every view)."""
    about = RecognitionNotice.application_id == bindparam("application_id")
    if with_clearance:
        about = or_(about, RecognitionNotice.clearance_id == bindparam("clearance_id"))
    return (
        select(RecognitionNotice, OutboxMessage.state, OutboxMessage.sent_at)
        .outerjoin(OutboxMessage, OutboxMessage.idempotency_key == RecognitionNotice.outbox_key)
        .where(about)
        .order_by(RecognitionNotice.id)
    )
