"""The clearance deadlines, as scans the scheduler runs (see :mod:`screening.applications.deadlines` for the
rules every scan follows): the notices before a clearance ends, and its expiry after its last valid day.
Relying organisations are those with a file linked to the clearance; they are read in bulk per batch."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.orm import joinedload

from screening.actors import Actor
from screening.applications.models import Application
from screening.batches import Batch, excluding, left
from screening.clearances.models import Clearance
from screening.clearances.operations import clearance_notices, fire_clearance_many
from screening.clearances.rescreening import PERIODIC_REASON
from screening.clock import local_date
from screening.config import DeadlinesConfig
from screening.db import db
from screening.notifications.operations import Mail, app_link, enqueue, organisation_recipients
from screening.people.models import Person
from screening.webhooks.events import emit
from screening.workforce.models import WorkforceMember
from workflows.clearance import COVERING_STATES

log = logging.getLogger(__name__)


def _relying_organisations(clearance_ids: Sequence[int], today: date) -> dict[int, dict[int, str]]:
    """Organisations relying on each clearance (those with a file linked to it), each with the holder's name
    as its own latest such file declared it: an employer's mail never carries another employer's words.
    An organisation whose register says the holder left before ``today`` relies on it no more."""
    relying: dict[int, dict[int, str]] = defaultdict(dict)
    if clearance_ids:
        rows = db.session.execute(
            select(
                Application.clearance_id, Application.organisation_id, Application.declared_given_names,
                Application.declared_family_name,
            )
            .where(Application.clearance_id.in_(clearance_ids))
            .order_by(Application.clearance_id, Application.organisation_id, Application.id)
        )  # fmt: skip
        for clearance_id, organisation_id, given, family in rows:
            relying[clearance_id][organisation_id] = f"{given} {family}"  # the latest file's, by id order
        for clearance_id, organisation_id in _departed(clearance_ids, today):
            relying[clearance_id].pop(organisation_id, None)
    return relying


def _departed(clearance_ids: Sequence[int], today: date) -> list[tuple[int, int]]:
    """(clearance, organisation) where the organisation's register holds the holder and every entry of them
    ended before ``today``. Without a register entry an organisation relies on the clearance as before."""
    member = WorkforceMember
    still_there = case((or_(member.ended_on.is_(None), member.ended_on >= today), 1), else_=0)
    rows = db.session.execute(
        select(Clearance.id, member.organisation_id)
        .join(Person, Person.id == Clearance.person_id)
        .join(member, member.identity_hash == Person.identity_hash)
        .where(Clearance.id.in_(clearance_ids))
        .group_by(Clearance.id, member.organisation_id)
        .having(func.max(still_there) == 0)
    )
    return [(clearance_id, organisation_id) for clearance_id, organisation_id in rows]


def notify_clearance_expiry(
    now: datetime, deadlines: DeadlinesConfig, *, skip: Collection[int] = (), limit: int = 500
) -> Batch:
    """Every organisation relying on a clearance hears ``expiry_notice_days`` (180, 90, 30) before its end.

    A notice is due when its day has come and no notice of that level or closer was sent for the current
    end date; a missed run sends only the closest level (no 180-day notice 20 days before the end), and an
    extended clearance gets its notices again for the new end date.
    """
    levels = sorted(set(deadlines.expiry_notice_days), reverse=True)
    if not levels:
        return Batch(0, 0)
    today = local_date(now)
    pending = or_(
        *(
            and_(
                Clearance.valid_until <= today + timedelta(days=level),
                or_(
                    Clearance.expiry_notice_until.is_(None),
                    Clearance.expiry_notice_until != Clearance.valid_until,
                    Clearance.expiry_notice_days > level,
                ),
            )
            for level in levels
        )
    )
    rows = db.session.execute(
        select(Clearance.id, Clearance.reference, Clearance.state, Clearance.valid_until)
        .where(
            Clearance.state.in_(sorted(COVERING_STATES)),
            Clearance.valid_until >= today,
            Clearance.valid_until <= today + timedelta(days=levels[0]),
            pending,
            excluding(Clearance.id, skip),
        )
        .order_by(Clearance.valid_until, Clearance.id)
        .limit(limit)
    ).all()
    if not rows:
        return Batch(0, 0)
    relying = _relying_organisations([r.id for r in rows], today)
    addresses = organisation_recipients(org for orgs in relying.values() for org in orgs)
    by_level: dict[int, list[int]] = defaultdict(list)
    mails = []
    for row in rows:
        level = min(level for level in levels if row.valid_until <= today + timedelta(days=level))
        by_level[level].append(row.id)
        context = {
            "reference": row.reference,
            "valid_until": row.valid_until.isoformat(),
            "days": (row.valid_until - today).days,
            "link": app_link("clearances.detail", clearance_id=row.id),
        }
        for org, person in relying.get(row.id, {}).items():
            key = f"clearance_expiry:{row.id}:{row.valid_until.isoformat()}:{level}:{org}"
            named = context | {"person": person}
            mails.extend(Mail(key, r, "clearance_expiry_notice", named) for r in addresses[org])
    enqueue(mails, now)
    emit(clearance_notices("clearance.expiring", rows, relying), now)  # webhooks: once per notice, as the mail
    table = Clearance.__table__
    for level, ids in by_level.items():  # a plain UPDATE: a notice does not change the clearance's version
        db.session.execute(
            update(table)
            .where(table.c.id.in_(ids))
            .values(expiry_notice_days=level, expiry_notice_until=table.c.valid_until)
        )
    return Batch(len(rows), len(mails))


def expire_clearances(now: datetime, *, skip: Collection[int] = (), limit: int = 500) -> Batch:
    """A clearance past its last valid day expires (the clearance machine, as the system); relying
    organisations are told the person is no longer cleared."""
    today = local_date(now)
    clearances = list(
        db.session.scalars(
            select(Clearance)
            .options(joinedload(Clearance.person))
            .where(
                Clearance.state.in_(sorted(COVERING_STATES)),
                Clearance.valid_until < today,
                excluding(Clearance.id, skip),
            )
            .order_by(Clearance.valid_until, Clearance.id)
            .limit(limit)
        ).unique()
    )
    expired, refused = fire_clearance_many(clearances, "expire", Actor.system("clearance_expiry"), now=now)
    for clearance, error in refused:
        log.info("clearance_expiry: %s skipped: %s", clearance.reference, error.message)
    relying = _relying_organisations([c.id for c in expired], today)
    addresses = organisation_recipients(org for orgs in relying.values() for org in orgs)
    mails = []
    for clearance in expired:
        context = {
            "reference": clearance.reference,
            "valid_until": clearance.valid_until.isoformat(),
            "link": app_link("clearances.detail", clearance_id=clearance.id),
        }
        for org, person in relying.get(clearance.id, {}).items():
            key = f"clearance_expired:{clearance.id}:{org}"
            named = context | {"person": person}
            mails.extend(Mail(key, r, "clearance_expired", named) for r in addresses[org])
    enqueue(mails, now)
    return Batch(len(clearances), len(expired), left(clearances, expired))


def open_due_rescreenings(now: datetime, *, skip: Collection[int] = (), limit: int = 500) -> Batch:
    """Open the periodic re-evaluation of up to ``limit`` valid clearances whose re-screening is due."""
    today = local_date(now)
    clearances = list(
        db.session.scalars(
            select(Clearance)
            .where(Clearance.state == "valid", Clearance.rescreen_due_on <= today, excluding(Clearance.id, skip))
            .order_by(Clearance.rescreen_due_on, Clearance.id)
            .limit(limit)
        )
    )
    opened, refused = fire_clearance_many(
        clearances, "start_reevaluation", Actor.system("rescreening"), now=now, reason=PERIODIC_REASON
    )
    for clearance, error in refused:
        log.info("rescreening: %s skipped: %s", clearance.reference, error.message)
    return Batch(len(clearances), len(opened), left(clearances, opened))
