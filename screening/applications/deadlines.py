"""The application deadlines of the brief, as scans the scheduler runs: each handles one batch of what is due.

Every scan selects by state and date through an index (cut-offs computed once per call), takes at most
``limit`` of the due rows, handles them so that they leave the selection (a transition, a reminder marker),
writes its mail to the outbox in the same transaction and flushes; the job commits (see
:mod:`scheduler.jobs`) and calls again until a batch comes back short. A file that cannot move (someone
acted on it meanwhile) is returned in ``skipped`` and excluded from the next calls of the same run, so it is
never retried for ever. Batches are ordered by the indexed date, never by id: ``ORDER BY id LIMIT n`` would
tempt a planner into walking the whole table in key order.

The number of queries depends on the number of due rows, never on the size of the tables: recipients and
markers are read and written in bulk per batch, and so are state changes:
:func:`~screening.applications.operations.fire_many` takes the same steps as a user's transition (row lock,
guard, side effects, audit entry) with one locking read and one flush for the whole batch.

Running a scan twice changes nothing the second time: transitions have left the state; reminders are marked
(``reminded_at``) and their outbox rows carry idempotency keys. Deadlines count in Belgian calendar days,
like the guards of the workflow. The clearances' scans are in :mod:`screening.clearances.deadlines`.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import joinedload

from screening.actors import Actor
from screening.applications.declaration import person_recipient
from screening.applications.models import Application
from screening.applications.operations import fire_many
from screening.batches import Batch, digest, excluding, left, stamp
from screening.clock import entered_before, local_date
from screening.config import DeadlinesConfig
from screening.db import db
from screening.notifications.operations import (
    Mail,
    app_link,
    employer_recipients,
    enqueue,
    officer_recipients,
)
from screening.organisations.models import Organisation
from screening.person_link.tokens import make_link_token
from workflows.application import APPEAL_RULING, CONSENT_EXPIRY, CONSENT_REMINDER, INFO_REMINDER, QUEUE_STATES

log = logging.getLogger(__name__)

#: Overdue files listed in the officers' mail; the mail gives the total and links to the queue for the rest.
OVERDUE_LISTED = 20


def _not_reminded() -> ColumnElement[bool]:
    """No reminder yet since the file (last) entered its state."""
    return or_(Application.reminded_at.is_(None), Application.reminded_at < Application.state_changed_at)


def _due_for_reminder(state: str, days: int, today: date, skip: Collection[int]) -> tuple[ColumnElement[bool], ...]:
    """Files in ``state`` for ``days`` days or more, not erased, not yet reminded: one range of the index
    ``(state, erased_at, state_changed_at)``, read oldest first."""
    return (
        Application.state == state,
        Application.erased_at.is_(None),
        Application.state_changed_at < entered_before(today, days),
        _not_reminded(),
        excluding(Application.id, skip),
    )


def _mark_reminded(ids: Sequence[int], now: datetime) -> None:
    # A plain UPDATE: a reminder is not a change of the file, so it does not bump the version an officer's
    # open page was built on.
    if ids:
        table = Application.__table__
        db.session.execute(update(table).where(table.c.id.in_(ids)).values(reminded_at=now))


def _application_link(application_id: int) -> str:
    return app_link("applications.detail", application_id=application_id)


# -- consent ---------------------------------------------------------------------------------------------
def remind_consent(now: datetime, deadlines: DeadlinesConfig, *, skip: Collection[int] = (), limit: int = 500) -> Batch:
    """Remind the person (or, without an address, the requester) once, ``consent_reminder_days`` after consent
    was asked; not once the consent period is over (the expiry job ends those files)."""
    today = local_date(now)
    rows = db.session.execute(
        select(
            Application.id, Application.reference, Application.state_changed_at, Application.person_id,
            Application.organisation_id, Application.created_by_id, Application.declared_given_names,
            Application.declared_family_name, Application.declared_email, Application.declared_locale,
            Organisation.name.label("organisation"),
        )
        .join(Organisation, Organisation.id == Application.organisation_id)
        .where(
            *_due_for_reminder("awaiting_consent", CONSENT_REMINDER.days(deadlines), today, skip),
            Application.state_changed_at >= entered_before(today, CONSENT_EXPIRY.days(deadlines)),
        )
        .order_by(Application.state_changed_at, Application.id)
        .limit(limit)
    ).all()  # fmt: skip
    if not rows:
        return Batch(0, 0)
    secret = current_app.config["SECRET_KEY"]
    to_person = {row.id: person_recipient(row) for row in rows}
    without_address = [row for row in rows if to_person[row.id] is None]
    employers = dict(
        zip(
            (row.id for row in without_address),
            employer_recipients([(row.created_by_id, row.organisation_id) for row in without_address]),
            strict=True,
        )
    )
    mails = []
    for row in rows:
        asked_on = local_date(row.state_changed_at)
        context: dict[str, Any] = {
            "reference": row.reference,
            "given_names": row.declared_given_names,
            "person": f"{row.declared_given_names} {row.declared_family_name}",
            "organisation": row.organisation,
            "asked_on": asked_on.isoformat(),
            # the expiry job ends the file on the morning of the day the period is over
            "answer_by": (asked_on + timedelta(days=CONSENT_EXPIRY.days(deadlines) - 1)).isoformat(),
        }
        key = f"consent_reminder:{row.id}:{stamp(row.state_changed_at)}"
        recipient = to_person[row.id]
        if recipient is not None:
            token = make_link_token(secret, row.id, row.person_id, row.state_changed_at)
            context["link"] = app_link("person.consent", token=token)
            mails.append(Mail(key, recipient, "consent_reminder", context))
        else:
            context["link"] = _application_link(row.id)
            mails.extend(Mail(key, r, "consent_reminder_requester", context) for r in employers[row.id])
    enqueue(mails, now)
    _mark_reminded([row.id for row in rows], now)
    return Batch(len(rows), len(mails))


def _due_files(
    where: Sequence[ColumnElement[bool]], order: Sequence[Any], skip: Collection[int], limit: int
) -> list[Application]:
    return list(
        db.session.scalars(
            select(Application)
            .options(joinedload(Application.organisation), joinedload(Application.function))
            .where(*where, excluding(Application.id, skip))
            .order_by(*order, Application.id)
            .limit(limit)
        ).unique()
    )


def _fire_all(
    files: Sequence[Application], event: str, job: str, deadlines: DeadlinesConfig, now: datetime
) -> list[Application]:
    """Fire ``event`` as the system on each file; one that moved meanwhile (withdrawn, consent given) is skipped."""
    fired, refused = fire_many(files, event, Actor.system(job), deadlines, now=now)
    for application, error in refused:
        log.info("%s: %s skipped for %s: %s", job, event, application.reference, error.message)
    return fired


def _file_context(application: Application, language: str) -> dict[str, Any]:
    return {
        "reference": application.reference,
        "person": application.declared_name,
        "organisation": application.organisation.name,
        "function": application.function.name(language),
        "link": _application_link(application.id),
    }


def expire_consent(now: datetime, deadlines: DeadlinesConfig, *, skip: Collection[int] = (), limit: int = 500) -> Batch:
    """No consent within ``consent_expiry_days``: the file ends as consent_expired (through the workflow, as
    the system) and the requester is told."""
    today = local_date(now)
    files = _due_files(
        [
            Application.state == "awaiting_consent",
            Application.erased_at.is_(None),
            Application.state_changed_at < entered_before(today, CONSENT_EXPIRY.days(deadlines)),
        ],
        [Application.state_changed_at],
        skip,
        limit,
    )
    fired = _fire_all(files, "expire_consent", "consent_expiry", deadlines, now)
    recipients = employer_recipients([(a.created_by_id, a.organisation_id) for a in fired])
    mails = [
        Mail(f"consent_expired:{a.id}", r, "consent_expired", _file_context(a, r.language))
        for a, chosen in zip(fired, recipients, strict=True)
        for r in chosen
    ]
    enqueue(mails, now)
    return Batch(len(files), len(fired), left(files, fired))


# -- information requested -------------------------------------------------------------------------------
def remind_info_requests(
    now: datetime, deadlines: DeadlinesConfig, *, skip: Collection[int] = (), limit: int = 500
) -> Batch:
    """Remind the requester once per request for information left unanswered ``info_reminder_days``."""
    today = local_date(now)
    rows = db.session.execute(
        select(
            Application.id, Application.reference, Application.state_changed_at, Application.organisation_id,
            Application.created_by_id, Application.declared_given_names, Application.declared_family_name,
        )
        .where(
            *_due_for_reminder("info_requested", INFO_REMINDER.days(deadlines), today, skip),
        )
        .order_by(Application.state_changed_at, Application.id)
        .limit(limit)
    ).all()  # fmt: skip
    if not rows:
        return Batch(0, 0)
    recipients = employer_recipients([(row.created_by_id, row.organisation_id) for row in rows])
    mails = []
    for row, chosen in zip(rows, recipients, strict=True):
        context = {
            "reference": row.reference,
            "person": f"{row.declared_given_names} {row.declared_family_name}",
            "asked_on": local_date(row.state_changed_at).isoformat(),
            "link": _application_link(row.id),
        }
        key = f"info_reminder:{row.id}:{stamp(row.state_changed_at)}"
        mails.extend(Mail(key, r, "info_reminder", context) for r in chosen)
    enqueue(mails, now)
    _mark_reminded([row.id for row in rows], now)
    return Batch(len(rows), len(mails))


# -- reviews ---------------------------------------------------------------------------------------------
def mail_overdue_reviews(now: datetime) -> int:
    """Each officer gets, once a day, the number of files past their advice date and the oldest of them."""
    today = local_date(now)
    overdue = and_(Application.state.in_(sorted(QUEUE_STATES)), Application.due_on < today)
    total = db.session.scalar(select(func.count()).select_from(Application).where(overdue)) or 0
    if not total:
        return 0
    oldest = db.session.execute(
        select(Application.reference, Application.due_on, Application.state)
        .where(overdue)
        .order_by(Application.due_on, Application.id)
        .limit(OVERDUE_LISTED)
    ).all()
    context = {
        "count": total,
        "today": today.isoformat(),
        "files": [{"reference": r.reference, "due_on": r.due_on.isoformat(), "state": r.state} for r in oldest],
        "link": app_link("applications.queue"),
    }
    enqueue(
        [Mail(f"overdue_reviews:{today.isoformat()}", r, "overdue_reviews", context) for r in officer_recipients()],
        now,
    )
    return total


# -- appeals ---------------------------------------------------------------------------------------------
def close_appeal_windows(
    now: datetime, deadlines: DeadlinesConfig, *, skip: Collection[int] = (), limit: int = 500
) -> Batch:
    """After the appeal deadline (Belgian working-day rule, computed when the advice was given) a negative
    advice becomes final; the employer is told to keep the person out of critical functions."""
    today = local_date(now)
    files = _due_files(
        [Application.state == "negative", Application.appeal_deadline < today],
        [Application.appeal_deadline],
        skip,
        limit,
    )
    fired = _fire_all(files, "close_appeal_window", "appeal_windows", deadlines, now)
    recipients = employer_recipients([(a.created_by_id, a.organisation_id) for a in fired], also_organisation=True)
    mails = []
    for application, chosen in zip(fired, recipients, strict=True):
        for r in chosen:
            context = _file_context(application, r.language)
            context["appeal_deadline"] = application.appeal_deadline.isoformat() if application.appeal_deadline else ""
            mails.append(Mail(f"appeal_closed:{application.id}", r, "appeal_closed", context))
    enqueue(mails, now)
    return Batch(len(files), len(fired), left(files, fired))


def remind_appeal_rulings(
    now: datetime, deadlines: DeadlinesConfig, *, skip: Collection[int] = (), limit: int = 500
) -> Batch:
    """Officers are reminded, once per appeal, to record a ruling still missing ``appeal_ruling_days`` after
    lodging: one message per officer listing the appeals of the batch."""
    today = local_date(now)
    rows = db.session.execute(
        select(Application.id, Application.reference, Application.appealed_at)
        .where(
            *_due_for_reminder("appealed", APPEAL_RULING.days(deadlines), today, skip),
        )
        .order_by(Application.state_changed_at, Application.id)
        .limit(limit)
    ).all()
    if not rows:
        return Batch(0, 0)
    context = {
        "files": [
            {"reference": r.reference, "appealed_on": local_date(r.appealed_at).isoformat() if r.appealed_at else ""}
            for r in rows
        ],
        "days": APPEAL_RULING.days(deadlines),
        "link": app_link("applications.queue", state="appealed"),
    }
    key = f"appeal_ruling_reminder:{digest([r.id for r in rows])}"
    written = enqueue([Mail(key, r, "appeal_ruling_reminder", context) for r in officer_recipients()], now)
    _mark_reminded([r.id for r in rows], now)
    return Batch(len(rows), written)
