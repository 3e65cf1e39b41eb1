"""Who works on a file: an officer claims it (the queue's "assigned to me"), and starts the review of
several ticked files at once. Every change is version-checked against what the officer saw and audited;
a bulk action is one transaction: one file that moved meanwhile refuses the whole batch, nothing is half done.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Select
from sqlalchemy.orm.exc import StaleDataError

from screening.actors import Actor
from screening.applications.models import Application
from screening.applications.operations import fire_many
from screening.audit.operations import record
from screening.clock import utcnow
from screening.config import DeadlinesConfig
from screening.db import db
from screening.errors import Conflict, InvalidInput
from screening.rows import lock_rows
from workflows.application import QUEUE_STATES

#: How many files one bulk action takes: a page of the queue, never an unbounded list.
BULK_LIMIT = 200


def _assign(application: Application, actor: Actor, now: datetime) -> None:
    previous = application.assigned_to_id
    application.assigned_to_id, application.assigned_at = actor.user_id, now
    record(
        actor, "claim", "application", application.id, organisation_id=application.organisation_id,
        reason=None if previous is None else f"from user {previous}", now=now,
    )  # fmt: skip


def claim(application: Application, actor: Actor, *, expected_version: int, now: datetime | None = None) -> None:
    """Assign an open file to the officer ``actor``; taking over another officer's file is allowed and
    recorded (the audit entry names the previous assignee)."""
    now = now or utcnow()
    lock_rows(application)
    if expected_version != application.version:
        raise Conflict("Someone else changed this application meanwhile. Review its current state and try again.")
    if application.state not in QUEUE_STATES:
        raise InvalidInput("Only files in the work queue can be claimed.")
    if application.assigned_to_id == actor.user_id:
        return
    _assign(application, actor, now)
    try:
        db.session.flush()
    except StaleDataError:
        raise Conflict("Someone else changed this application meanwhile. Review its current state.") from None


def start_reviews(
    scope: Select[tuple[Application]],
    versions: Mapping[int, int],
    actor: Actor,
    deadlines: DeadlinesConfig,
    *,
    now: datetime | None = None,
) -> list[Application]:
    """Start the review of every file in ``versions`` (id -> the version the officer saw), claiming those
    nobody has claimed. ``scope`` is the officer's visible applications (``queries.visible``): an id
    outside it counts as missing. All or nothing."""
    now = now or utcnow()
    if not versions:
        raise InvalidInput("Tick at least one file.")
    if len(versions) > BULK_LIMIT:
        raise InvalidInput("At most %(limit)d files at once.", limit=BULK_LIMIT)
    files = list(db.session.scalars(scope.where(Application.id.in_(list(versions))).order_by(Application.id)))
    if len(files) != len(versions):
        raise InvalidInput("Some of the ticked files do not exist or are not yours to see.")
    lock_rows(*files)
    moved = [a.reference for a in files if a.version != versions[a.id]]
    if moved:
        raise Conflict(
            "Someone else changed %(references)s meanwhile; nothing was started.", references=", ".join(moved)
        )
    for application in files:
        if application.assigned_to_id is None:
            _assign(application, actor, now)  # written with the state change, in the same statement
    fired, refused = fire_many(files, "start_review", actor, deadlines, now=now)
    if refused:
        references = ", ".join(application.reference for application, _error in refused)
        raise InvalidInput("The review of %(references)s cannot start; nothing was started.", references=references)
    try:
        db.session.flush()
    except StaleDataError:
        raise Conflict("Someone else changed one of the ticked files meanwhile; nothing was started.") from None
    return fired
