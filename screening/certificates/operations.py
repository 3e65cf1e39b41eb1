"""Issuing certificates and recording exports and checks. Operations flush, never commit.

An export is recorded (issue rows and the audit entry) inside the request's transaction, before a byte is
sent: the request commits when the view returns, and only then does the response body (a PDF, a ZIP of
thousands, a CSV) start to stream. A stream that breaks half-way was still an export, and is on record.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from screening.actors import Actor
from screening.audit.operations import record, record_read
from screening.certificates import queries
from screening.certificates.document import CertificateData, issue_certificate_data
from screening.certificates.models import CertificateCheck, CertificateIssue
from screening.certificates.signing import CertificateKeys
from screening.clearances.models import Clearance
from screening.clearances.queries import Holder, holders
from screening.clock import utcnow
from screening.db import db, own_session
from screening.errors import Conflict
from screening.people.models import initials_of


@dataclass(frozen=True)
class IssueSettings:
    """Everything needed to sign a certificate again the same way, without the request or the app."""

    keys: CertificateKeys
    base_url: str
    issue_date: date
    english: bool
    organisation_id: int | None

    @property
    def languages(self) -> str:
        return "nl-fr-en" if self.english else "nl-fr"


def certificate_data(
    clearance: Clearance, settings: IssueSettings, function_names: Sequence[str] = (), holder: Holder | None = None
) -> CertificateData:
    """Sign one clearance's certificate (no database access: the clearance and its holder are loaded). An
    employer's certificate names the holder as its own file declared them (``holder``, from
    :func:`screening.clearances.queries.holders`); without it, the authority's record."""
    person = clearance.person
    holder = holder or Holder(person.given_names, person.family_name, person.date_of_birth)
    return issue_certificate_data(
        settings.keys,
        base_url=settings.base_url,
        holder_name=holder.full_name,
        date_of_birth=holder.date_of_birth,
        masked_national_number=person.national_number_masked,
        advice_type="positive",  # "with warning" prints as positive: the warning is about the grounds
        valid_from=clearance.valid_from,
        valid_until=clearance.valid_until,
        clearance_reference=clearance.reference,
        issue_date=settings.issue_date,
        function_names=function_names,
        initials=initials_of(holder.full_name),
    )


def _note_issues(
    items: Sequence[tuple[Clearance, CertificateData]], settings: IssueSettings, actor: Actor, now: datetime
) -> None:
    """Insert the codes not yet on file (re-exporting the same day with the same key gives the same code)."""
    known = queries.existing_codes([data.verification_code for _, data in items])
    db.session.add_all(_new_issues(items, settings, known, now, actor.user_id))


def _new_issues(
    items: Sequence[tuple[Clearance, CertificateData]],
    settings: IssueSettings,
    known: set[str],
    now: datetime,
    issued_by_id: int | None,
) -> list[CertificateIssue]:
    """One row per code not in ``known`` (a selection may name a clearance twice: one row still)."""
    rows = []
    for clearance, data in items:
        if data.verification_code in known:
            continue
        known.add(data.verification_code)
        rows.append(
            CertificateIssue(
                code=data.verification_code,
                clearance_id=clearance.id,
                kid=settings.keys.kid,
                issue_date=settings.issue_date,
                languages=settings.languages,
                issued_at=now,
                issued_by_id=issued_by_id,
            )
        )
    return rows


def issue_one(actor: Actor, clearance: Clearance, settings: IssueSettings, *, today: date) -> CertificateData:
    """One certificate for one clearance valid today, recorded and audited."""
    if not (clearance.state == "valid" and clearance.valid_from <= today <= clearance.valid_until):
        raise Conflict("Only a clearance that is valid today gets a certificate.")
    now = utcnow()
    names = queries.function_names([clearance.id], settings.organisation_id, english=settings.english)
    holder = holders(settings.organisation_id, [clearance]).get(clearance.id)
    data = certificate_data(clearance, settings, names.get(clearance.id, ()), holder)
    _note_issues([(clearance, data)], settings, actor, now)
    db.session.flush()
    record(
        actor, "export_certificate", "clearance", clearance.id,
        organisation_id=settings.organisation_id,
        reason=f"certificate {data.verification_code} ({settings.languages}, key {settings.keys.kid})",
        now=now,
    )  # fmt: skip
    return data


def issue_many(actor: Actor, ids: Sequence[int], settings: IssueSettings, *, scope: str) -> int:
    """Record the certificates of a bulk export (issue rows in batches, one audit entry) before streaming.

    Returns how many. The PDFs themselves are rendered later, by :func:`render_batches`, from the same ids.
    """
    now = utcnow()
    for start in range(0, len(ids), queries.BATCH):
        batch = queries.clearances_with_holders(ids[start : start + queries.BATCH])
        named = holders(settings.organisation_id, batch)
        items = [
            (clearance, certificate_data(clearance, settings, holder=named.get(clearance.id))) for clearance in batch
        ]
        _note_issues(items, settings, actor, now)
        db.session.flush()
    record(
        actor, "export_certificates", "organisation", settings.organisation_id,
        organisation_id=settings.organisation_id,
        reason=f"ZIP of {len(ids)} certificates ({scope}, {settings.languages}, key {settings.keys.kid})",
        now=now,
    )  # fmt: skip
    return len(ids)


def render_batches(
    sessions: sessionmaker[Session], ids: Sequence[int], settings: IssueSettings
) -> Iterator[CertificateData]:
    """The certificates of a recorded bulk export, read back a batch at a time, in a session of their own.

    This runs while the response streams, after the request's transaction committed, outside any request
    context (so on SQLite it reads without the write lock). A clearance changed in the seconds between
    recording and streaming (extended, renamed) would sign to a new code: that code is recorded in a short
    transaction of its own, so every certificate in the archive answers on the verification page.
    """
    with own_session(sessions) as session:
        for start in range(0, len(ids), queries.BATCH):
            chunk = ids[start : start + queries.BATCH]
            batch = queries.clearances_with_holders(chunk, session)
            names = queries.function_names(chunk, settings.organisation_id, english=settings.english, session=session)
            named = holders(settings.organisation_id, batch, session)
            items = [
                (clearance, certificate_data(clearance, settings, names.get(clearance.id, ()), named.get(clearance.id)))
                for clearance in batch
            ]
            session.rollback()  # end the read: nothing is held while the batch renders and streams
            _record_late_codes(sessions, items, settings)
            yield from (data for _, data in items)


def _record_late_codes(
    sessions: sessionmaker[Session], items: Sequence[tuple[Clearance, CertificateData]], settings: IssueSettings
) -> None:
    codes = [data.verification_code for _, data in items]
    with own_session(sessions, write=True) as session:
        known = set(session.scalars(select(CertificateIssue.code).where(CertificateIssue.code.in_(codes))))
        session.add_all(_new_issues(items, settings, known, utcnow(), None))


def record_register_export(actor: Actor, organisation_id: int | None, rows: int, file_format: str) -> None:
    """The register is read, not changed: its entry is written when the request ends, apart from it."""
    record_read(
        actor, "export_clearance_register", "organisation", organisation_id,
        organisation_id=organisation_id, reason=f"{file_format.upper()} register of {rows} clearances",
    )  # fmt: skip


def log_check(sessions: sessionmaker[Session], address: str | None, outcome: str, issue_id: int | None) -> None:
    """Log one public check in a short transaction of its own: a check is a fact whatever becomes of the
    page, and the page itself only reads (on SQLite a reading request must not hold the write lock)."""
    with own_session(sessions, write=True) as session:
        log_checks(session, address, [(outcome, issue_id)])


def log_checks(session: Session, address: str | None, checks: Sequence[tuple[str, int | None]]) -> None:
    """Log checks (outcome, issue found) in ``session`` as one multi-row INSERT: a batch look-up of 1,000
    codes is one statement, not 1,000."""
    now = utcnow()
    rows = [
        {"checked_at": now, "client_address": address, "outcome": outcome, "issue_id": issue_id}
        for outcome, issue_id in checks
    ]
    session.execute(insert(CertificateCheck).values(rows))
