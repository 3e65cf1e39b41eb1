"""Reading clearances for certificates and the public check. Organisation scoping happens here.

Employers reach clearances only through :func:`screening.clearances.queries.visible_clearances`
(the clearances their own applications rely on); a clearance outside it is a 404, never a 403, so an
HR user cannot even learn that another organisation's clearance exists.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import abort
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, joinedload

from screening.applications.models import Application
from screening.auth.models import User
from screening.catalogue.models import CriticalFunction
from screening.certificates.models import CertificateCheck, CertificateIssue
from screening.clearances.models import Clearance
from screening.clearances.queries import declaring_files, visible_clearances
from screening.clock import local_date
from screening.db import db
from screening.pagination import Page, paginate
from screening.people.models import Person
from workflows.roles import EMPLOYER_ROLES

#: Clearances read per query when a whole organisation is exported: bounded memory, few round trips.
BATCH = 500


def certifiable(statement: Select[Any], today: date) -> Select[Any]:
    """Only a clearance that is valid today gets a new certificate: not one under re-evaluation, revoked,
    expired (even before the nightly expiry job has run), or not yet started."""
    return statement.where(Clearance.state == "valid", Clearance.valid_from <= today, Clearance.valid_until >= today)


def _with_holder(statement: Select[Any], user: User) -> tuple[Select[Any], tuple[Any, Any, Any, Any]]:
    """Join the holder's names as ``user`` may see them: for an employer as its own latest file relying on the
    clearance declared them, for the authority the record. Returns the statement and the (family name, given
    names, date of birth, sort key) columns."""
    if user.role in EMPLOYER_ROLES:
        files = declaring_files(user.organisation_id or 0).subquery("declaring")
        joined = statement.join(files, files.c.clearance_id == Clearance.id).join(
            Application, Application.id == files.c.application_id
        )
        declared = Application.declared_family_name, Application.declared_given_names
        return joined, (*declared, Application.declared_date_of_birth, Application.declared_search_name)
    joined = statement.join(Person, Person.id == Clearance.person_id)
    return joined, (Person.family_name, Person.given_names, Person.date_of_birth, Person.search_name)


def list_certifiable(user: User, *, today: date, page: int, per_page: int) -> Page[Clearance]:
    """The export page: the organisation's clearances valid today, by holder name (as the organisation
    declared them), with their holder."""
    statement, holder = _with_holder(certifiable(visible_clearances(user), today), user)
    statement = statement.options(joinedload(Clearance.person, innerjoin=True)).order_by(holder[3], Clearance.id)
    return paginate(statement, page, per_page)


def certifiable_ids(user: User, today: date) -> list[int]:
    """Every clearance id ``user`` may export today (ints only: a few bytes per clearance)."""
    statement = certifiable(visible_clearances(user), today).with_only_columns(Clearance.id).order_by(Clearance.id)
    return list(db.session.scalars(statement))


def selected_ids(user: User, requested: Iterable[int], today: date) -> list[int]:
    """The requested clearances, each checked against the user's scope: one outside it is a 404."""
    wanted = sorted(set(requested))
    found: set[int] = set()
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start : start + BATCH]
        found.update(
            db.session.scalars(visible_clearances(user).with_only_columns(Clearance.id).where(Clearance.id.in_(chunk)))
        )
    if found != set(wanted):
        abort(404)
    return wanted


def clearance_for_certificate(user: User, clearance_id: int) -> Clearance:
    """One clearance with its holder, if ``user`` may see it; 404 otherwise."""
    clearance = db.session.scalar(
        visible_clearances(user).where(Clearance.id == clearance_id).options(joinedload(Clearance.person))
    )
    if clearance is None:
        abort(404)
    return clearance


def clearances_with_holders(ids: Sequence[int], session: Session | None = None) -> list[Clearance]:
    """One batch of clearances with their holders, in id order (one query)."""
    session = session or db.session()
    return list(
        session.scalars(
            select(Clearance)
            .where(Clearance.id.in_(ids))
            .options(joinedload(Clearance.person, innerjoin=True))
            .order_by(Clearance.id)
        )
    )


def function_names(
    ids: Sequence[int], organisation_id: int | None, *, english: bool, session: Session | None = None
) -> dict[int, tuple[str, ...]]:
    """The critical functions the organisation's files rely on each clearance for, bilingual ("Functie /
    Fonction"), by clearance id: one query per batch. Without an organisation (an officer's export) none:
    a clearance is the person's, not one employer's."""
    if organisation_id is None or not ids:
        return {}
    session = session or db.session()
    rows = session.execute(
        select(Application.clearance_id, CriticalFunction.name_nl, CriticalFunction.name_fr, CriticalFunction.name_en)
        .join(CriticalFunction, CriticalFunction.id == Application.function_id)
        .where(Application.clearance_id.in_(ids), Application.organisation_id == organisation_id)
        .distinct()
        .order_by(Application.clearance_id, CriticalFunction.name_nl)
    )
    names: dict[int, list[str]] = {}
    for clearance_id, nl, fr, en in rows:
        parts = [nl] + ([fr] if fr != nl else []) + ([en] if english and en not in (nl, fr) else [])
        names.setdefault(clearance_id, []).append(" / ".join(parts))
    return {key: tuple(value) for key, value in names.items()}


def existing_codes(codes: Sequence[str]) -> set[str]:
    if not codes:
        return set()
    return set(db.session.scalars(select(CertificateIssue.code).where(CertificateIssue.code.in_(codes))))


# -- the register (CSV) ------------------------------------------------------------------------------


def register_statement(user: User) -> Select[Any]:
    """Every clearance the organisation relies on (whatever its state), as flat rows, by holder (as the
    organisation declared them)."""
    statement, (family, given, born, key) = _with_holder(visible_clearances(user), user)
    return statement.with_only_columns(
        Clearance.reference,
        family.label("family_name"),
        given.label("given_names"),
        born.label("date_of_birth"),
        Clearance.state,
        Clearance.valid_from,
        Clearance.valid_until,
        Clearance.revoked_at,
    ).order_by(key, Clearance.id)


def count_rows(statement: Select[Any]) -> int:
    counted = statement.order_by(None).subquery()
    return db.session.scalar(select(func.count()).select_from(counted)) or 0


def stream_rows(session: Session, statement: Select[Any], batch: int = BATCH) -> Iterator[Any]:
    """Rows of ``statement`` fetched ``batch`` at a time (a server-side cursor on PostgreSQL)."""
    result = session.execute(statement.execution_options(yield_per=batch))
    yield from result


# -- the public check --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveStatus:
    """What the public page may show: the live state, the holder's initials and the dates. Nothing else."""

    outcome: str
    initials: str
    valid_from: date
    valid_until: date
    issue_date: date
    revoked_on: date | None
    issue_id: int


def live_status(code: str, today: date) -> LiveStatus | None:
    """The live state of the clearance behind a stored code; ``None`` for a code never issued."""
    return live_statuses([code], today).get(code)


def live_statuses(codes: Sequence[str], today: date) -> dict[str, LiveStatus]:
    """The live state behind each stored code, in one query whatever the number of codes (a badge
    system's nightly batch); a code never issued is absent."""
    rows = db.session.execute(
        select(CertificateIssue, Clearance, Person)
        .join(Clearance, Clearance.id == CertificateIssue.clearance_id)
        .join(Person, Person.id == Clearance.person_id)
        .where(CertificateIssue.code.in_(codes))
    )
    return {issue.code: _live(issue, clearance, person, today) for issue, clearance, person in rows}


def _live(issue: CertificateIssue, clearance: Clearance, person: Person, today: date) -> LiveStatus:
    if clearance.state == "revoked":
        outcome = "revoked"
    elif clearance.state == "expired" or clearance.valid_until < today:
        outcome = "expired"
    elif clearance.state == "under_reevaluation":
        outcome = "under_reevaluation"
    else:
        outcome = "valid"
    return LiveStatus(
        outcome=outcome,
        initials=person.initials,
        valid_from=clearance.valid_from,
        valid_until=clearance.valid_until,
        issue_date=issue.issue_date,
        revoked_on=local_date(clearance.revoked_at) if clearance.revoked_at else None,
        issue_id=issue.id,
    )


def checks_since(address: str | None, since: datetime) -> int:
    """Checks answered for ``address`` since ``since`` (the rate limit's count; indexed)."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(CertificateCheck)
            .where(CertificateCheck.client_address == address, CertificateCheck.checked_at >= since)
        )
        or 0
    )


def certifiable_ids_among(ids: Sequence[int], today: date) -> list[int]:
    """Those of ``ids`` (already checked against the user's scope) that are valid today."""
    found: list[int] = []
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        statement = certifiable(select(Clearance.id), today).where(Clearance.id.in_(chunk))
        found.extend(db.session.scalars(statement))
    return found
