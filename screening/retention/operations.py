"""Retention: the personal data of closed files is erased after the configured period; statistics stay.

Erasing keeps every row (state, dates, advice type, organisation, function) so counts, throughput and
turnaround stay true, and removes what identifies or concerns the person: names become "erased", identifiers
and e-mail are removed, the date of birth keeps only its year, grounds, notes and the texts exchanged with
the requester are removed, and so are the free texts and client addresses of the file's audit entries (the
Merkle log's leaves cover their digest; the erasure is itself a logged event naming them). A person is
erased once no file of theirs still needs them (an open file, or a closed one still inside its period).
Every erasure is in the audit trail.

:func:`erase_files` is the reusable core (a future "right to erasure" request can call it);
:func:`purge_due` picks what the retention periods make due. Neither commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, delete, select, update

from screening.actors import Actor
from screening.applications.models import Application, ConsentDocument, InfoAttachment
from screening.audit.models import AuditEntry
from screening.audit.operations import blank_entries, record
from screening.certificates.models import CertificateCheck
from screening.clearances.models import Clearance
from screening.clock import local_date
from screening.config import RetentionConfig
from screening.db import db
from screening.decisions.models import Decision
from screening.decisions.operations import erase_decision_texts
from screening.jobs.models import JobRun
from screening.notifications.models import OutboxMessage
from screening.people.models import Person
from screening.person_link.models import ConsentRequest
from screening.reports.models import Report
from screening.webhooks.operations import purge_webhooks

#: Closed without an advice: withdrawn, consent refused, consent expired.
CLOSED_WITHOUT_ADVICE = ("withdrawn", "consent_refused", "consent_expired")
ERASED = "erased"
REASON = "retention period over"


@dataclass(frozen=True)
class Erased:
    applications: int
    persons: int


def erase_files(
    application_ids: Sequence[int], actor: Actor, now: datetime, *, reason: str = REASON, persons: Sequence[int] = ()
) -> Erased:
    """Erase the personal data of these files, and of their persons (and of ``persons``) once no other file
    needs them. Paper consent forms of the files are deleted."""
    files = db.session.execute(
        select(
            Application.id, Application.organisation_id, Application.person_id, Application.declared_date_of_birth
        ).where(Application.id.in_(application_ids), Application.erased_at.is_(None))
    ).all()
    if not files and not persons:
        return Erased(0, 0)
    if files:
        ids = [f.id for f in files]
        # The trail keeps who did what and when; the texts typed into it (reasons, answers) and the addresses
        # acted from go with the file, by an erasure event of the audit log naming the entries it blanked.
        trail = AuditEntry.__table__
        condition = (trail.c.object_type == "application") & trail.c.object_id.in_(ids)
        blank_entries(condition, actor, now, reason=reason)
        table = Application.__table__
        db.session.execute(
            update(table)
            .where(table.c.id.in_(ids))
            .values(
                officer_notes=None, info_request=None, info_response=None, withdrawal_reason=None, erased_at=now,
                declared_given_names=ERASED, declared_family_name=ERASED, declared_search_name=ERASED,
                declared_search_given=ERASED,
                declared_email=None,
            )
        )  # fmt: skip
        # What the employer declared goes like the record: names erased, the date of birth keeps its year.
        db.session.execute(
            update(table).where(table.c.id == bindparam("file_id")).values(declared_date_of_birth=bindparam("born")),
            [{"file_id": f.id, "born": date(f.declared_date_of_birth.year, 1, 1)} for f in files],
        )
        erase_decision_texts(Decision.application_id.in_(ids))
        for model in (ConsentDocument, ConsentRequest):  # the scan, and the address the person gave
            db.session.execute(
                delete(model).where(model.application_id.in_(ids)).execution_options(synchronize_session=False)
            )
        db.session.execute(
            delete(InfoAttachment)
            .where(InfoAttachment.application_id.in_(ids))
            .execution_options(synchronize_session=False)
        )
    for f in files:
        record(actor, "erase", "application", f.id, organisation_id=f.organisation_id, reason=reason, now=now)
    candidates = {f.person_id for f in files} | set(persons)
    still_needed = set(
        db.session.scalars(
            select(Application.person_id)
            .where(Application.person_id.in_(candidates), Application.erased_at.is_(None))
            .distinct()
        )
    )
    persons = db.session.execute(
        select(Person.id, Person.date_of_birth).where(
            Person.id.in_(candidates - still_needed), Person.erased_at.is_(None)
        )
    ).all()
    if persons:
        db.session.execute(
            update(Person),
            [
                {
                    "id": p.id, "given_names": ERASED, "family_name": ERASED, "search_name": ERASED,
                    "search_given": ERASED, "date_of_birth": date(p.date_of_birth.year, 1, 1),
                    "identity_hash": f"{ERASED}:{p.id}",
                    "national_number_encrypted": None, "national_number_masked": None,
                    "document_number_encrypted": None, "email": None, "erased_at": now,
                }
                for p in persons
            ],
        )  # fmt: skip
        for p in persons:
            record(actor, "erase", "person", p.id, reason=reason, now=now)
    db.session.flush()
    return Erased(len(files), len(persons))


def purge_due(now: datetime, retention: RetentionConfig, *, limit: int = 500) -> tuple[int, int]:
    """Erase files whose retention period is over, up to ``limit`` per kind; returns (rows taken, files erased).

    Erased files and clearances leave the selection (``erased_at``), so calling again continues where this
    call stopped. Each selection is one index range (state, erased_at, date), oldest first.
    """
    today = local_date(now)
    closed: list[int] = []
    for states, days in (
        (CLOSED_WITHOUT_ADVICE, retention.closed_days),
        (("final_negative",), retention.final_negative_days),
    ):
        closed += db.session.scalars(
            select(Application.id)
            .where(
                Application.state.in_(states),
                Application.erased_at.is_(None),
                Application.state_changed_at < now - timedelta(days=days),
            )
            .order_by(Application.state_changed_at)
            .limit(limit)
        )
    ended: list[int] = []
    for state, ended_before in (
        ("expired", Clearance.valid_until < today - timedelta(days=retention.positive_days)),
        ("revoked", Clearance.revoked_at < now - timedelta(days=retention.positive_days)),
    ):
        ended += db.session.scalars(
            select(Clearance.id)
            .where(Clearance.state == state, Clearance.erased_at.is_(None), ended_before)
            .order_by(Clearance.valid_until)
            .limit(limit)
        )
    relying: list[int] = []
    if ended:
        relying = list(
            db.session.scalars(
                select(Application.id).where(Application.clearance_id.in_(ended), Application.erased_at.is_(None))
            )
        )
        table = Clearance.__table__
        db.session.execute(update(table).where(table.c.id.in_(ended)).values(erased_at=now))
        erase_decision_texts(Decision.clearance_id.in_(ended))
    erased = erase_files(closed + relying, Actor.system("retention_purge"), now)
    return max(len(closed), len(ended)), erased.applications


def purge_records(now: datetime, retention: RetentionConfig, *, limit: int = 5000) -> int:
    """Delete delivered or abandoned mail, old reports, old job runs, old certificate checks and old webhook
    events past their periods (up to ``limit`` rows of each); the rows hold names and addresses that
    outlive their use."""
    mail = select(OutboxMessage.id).where(
        OutboxMessage.state.in_(("sent", "captured", "failed")),
        OutboxMessage.created_at < now - timedelta(days=retention.outbox_days),
    )
    reports = select(Report.id).where(Report.created_at < now - timedelta(days=retention.report_days))
    runs = select(JobRun.id).where(JobRun.finished_at < now - timedelta(days=retention.job_run_days))  # not running
    checks = select(CertificateCheck.id).where(
        CertificateCheck.checked_at < now - timedelta(days=retention.check_log_days)
    )
    deleted = 0
    for statement in (
        delete(OutboxMessage).where(OutboxMessage.id.in_(mail.limit(limit))),
        delete(Report).where(Report.id.in_(reports.limit(limit))),
        delete(JobRun).where(JobRun.id.in_(runs.limit(limit))),
        delete(CertificateCheck).where(CertificateCheck.id.in_(checks.limit(limit))),
    ):
        result = db.session.execute(statement.execution_options(synchronize_session=False))
        deleted += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return deleted + purge_webhooks(now - timedelta(days=retention.webhook_days), limit=limit)
