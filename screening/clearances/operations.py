"""Every write to a clearance: granted or extended by a positive advice, then re-evaluated, confirmed, revoked
or expired through its own machine (``workflows/clearance.py``). Operations flush, never commit, and record
each change in the audit trail."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from screening.actors import Actor
from screening.applications.models import Application
from screening.audit.operations import record
from screening.clearances.models import Clearance
from screening.clearances.queries import covering_clearance
from screening.clock import local_date, utcnow
from screening.db import db
from screening.errors import Conflict, DomainError, InvalidInput, Label, NotAllowed
from screening.notifications.operations import app_link
from screening.people.models import Person
from screening.references import next_reference
from screening.rows import lock_rows, write_locked
from screening.webhooks.events import Notice, emit
from workflows.clearance import CLEARANCE, COVERING_STATES
from workflows.machine import GuardFailed, NotPermitted, TransitionError

#: A clearance in these states no longer covers anyone (expired, revoked): relying employers' HR systems hear.
ENDED_STATES = frozenset(state.name for state in CLEARANCE.states if state.final)


def lock_person(person_id: int) -> None:
    """Serialise everything that decides whether a person is covered ("screened once", a positive advice):
    ``SELECT ... FOR UPDATE`` on the person's row on PostgreSQL, so a second officer's transaction waits and
    then sees the first one's clearance. SQLite needs nothing: a writing request holds the database's write
    lock from BEGIN (``BEGIN IMMEDIATE``, screening/db.py), so two such transactions never overlap."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(Person.id).where(Person.id == person_id).with_for_update())


def _expire_lapsed(person_id: int, now: datetime, today: date) -> None:
    """A clearance past its last day still ``valid`` because the nightly expiry has not run yet would block
    the new one (one covering clearance per person): it expires now, as the job would have."""
    lapsed = db.session.scalars(
        select(Clearance).where(
            Clearance.person_id == person_id, Clearance.state.in_(COVERING_STATES), Clearance.valid_until < today
        )
    ).all()
    for clearance in lapsed:
        lock_rows(clearance)
        _clearance_step(clearance, "expire", Actor.system("advice"), None, now)
    announce_ended(lapsed, now)


def grant_clearance(
    actor: Actor,
    *,
    person_id: int,
    application_id: int,
    organisation_id: int,
    advice_type: str,
    validity_years: int,
    now: datetime,
    today: date,
) -> Clearance:
    """A positive advice creates a clearance, or extends the one the person already holds.

    The caller locked the person (:func:`lock_person`, in ``applications.operations.fire``) and the schema
    allows one clearance in a covering state per person (``uq_clearances_person_covering``): two advices at
    the same instant on two files of one person give one clearance, extended by the second; should anything
    else slip through, the index refuses the second and the user gets the usual conflict, not a 500."""
    until = today + relativedelta(years=validity_years) - relativedelta(days=1)
    _expire_lapsed(person_id, now, today)
    existing = covering_clearance(person_id, today)
    if existing is not None:
        if existing.valid_until < until:
            existing.valid_until = until
        record(
            actor, "extend", "clearance", existing.id, organisation_id=organisation_id,
            from_state=existing.state, to_state=existing.state, reason=f"until {until.isoformat()}", now=now,
        )  # fmt: skip
        return existing
    clearance = Clearance(
        reference=next_reference("CLR", now.year),
        person_id=person_id,
        application_id=application_id,
        advice_type=advice_type,
        state="valid",
        valid_from=today,
        valid_until=until,
        created_at=now,
        state_changed_at=now,
    )
    db.session.add(clearance)
    try:
        db.session.flush()
    except IntegrityError as error:
        if "uq_clearances_person_covering" not in str(error.orig) and "clearances.person_id" not in str(error.orig):
            raise
        raise Conflict("Someone else changed this application meanwhile. Review its current state.") from None
    record(actor, "grant", "clearance", clearance.id, organisation_id=organisation_id, to_state="valid", now=now)
    return clearance


def fire_clearance(
    clearance: Clearance,
    event: str,
    actor: Actor,
    *,
    reason: str | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Clearance:
    """Re-evaluation, confirmation, revocation and expiry of a clearance, through its own machine."""
    now = now or utcnow()
    lock_rows(clearance)
    if expected_version is not None and expected_version != clearance.version:
        raise Conflict("Someone else changed this clearance meanwhile. Review its current state and try again.")
    _clearance_step(clearance, event, actor, reason, now)
    try:
        db.session.flush()
    except StaleDataError:
        raise Conflict("Someone else changed this clearance meanwhile. Review its current state.") from None
    announce_ended([clearance], now)
    return clearance


def fire_clearance_many(
    clearances: Sequence[Clearance], event: str, actor: Actor, *, now: datetime
) -> tuple[list[Clearance], list[tuple[Clearance, DomainError]]]:
    """:func:`fire_clearance` for a batch of the scheduler (expiry): one locking read, one flush."""
    lock_rows(*clearances)
    fired: list[Clearance] = []
    refused: list[tuple[Clearance, DomainError]] = []
    for clearance in clearances:
        try:
            _clearance_step(clearance, event, actor, None, now)
        except DomainError as error:
            refused.append((clearance, error))
            continue
        fired.append(clearance)
    write_locked(fired)
    db.session.flush()
    announce_ended(fired, now)
    return fired, refused


def relying_organisations(clearance_ids: Sequence[int]) -> dict[int, list[int]]:
    """Organisations relying on each clearance: those with a file linked to it (one query)."""
    relying: dict[int, list[int]] = {}
    if clearance_ids:
        rows = db.session.execute(
            select(Application.clearance_id, Application.organisation_id)
            .where(Application.clearance_id.in_(sorted(set(clearance_ids))))
            .distinct()
            .order_by(Application.clearance_id, Application.organisation_id)
        )
        for clearance_id, organisation_id in rows:
            relying.setdefault(clearance_id, []).append(organisation_id)
    return relying


def clearance_notices(
    event_type: str, clearances: Sequence[Any], relying: Mapping[int, Sequence[int]] | None = None
) -> list[Notice]:
    """Webhook events about ``clearances`` (rows with id, reference, state, valid_until) for every
    organisation relying on them (``relying``, read when not given). A clearance is the person's, not the
    employer's file: ``external_id`` is null; the link is the clearance's page."""
    if relying is None:
        relying = relying_organisations([c.id for c in clearances])
    return [
        Notice(organisation_id, event_type, {
            "reference": c.reference, "external_id": None, "state": c.state,
            "valid_until": c.valid_until.isoformat(), "link": app_link("clearances.detail", clearance_id=c.id),
        })
        for c in clearances
        for organisation_id in relying.get(c.id, [])
    ]  # fmt: skip


def announce_ended(clearances: Sequence[Clearance], now: datetime) -> int:
    """``clearance.ended`` for the clearances among ``clearances`` that just expired or were revoked."""
    ended = [c for c in clearances if c.state in ENDED_STATES]
    return emit(clearance_notices("clearance.ended", ended), now) if ended else 0


def _clearance_step(clearance: Clearance, event: str, actor: Actor, reason: str | None, now: datetime) -> None:
    today = local_date(now)
    try:
        step = CLEARANCE.resolve(
            clearance.state, event, actor.role, {"end_date_reached": today > clearance.valid_until}
        )
    except NotPermitted:
        raise NotAllowed("You may not do this.") from None
    except GuardFailed as error:
        raise Conflict(error.refusal) from error
    except TransitionError:
        raise Conflict(
            "This is not possible while the clearance is %(state)s.",
            state=Label(CLEARANCE.state(clearance.state).label, lower=True),
        ) from None
    reason = (reason or "").strip() or None
    if step.requires_reason and not reason:
        raise InvalidInput("Please give the reason for this step.", field="reason")
    source = clearance.state
    clearance.state = step.target
    clearance.state_changed_at = now
    if step.target == "revoked":
        clearance.revoked_at = now
    record(actor, event, "clearance", clearance.id, from_state=source, to_state=step.target, reason=reason, now=now)
