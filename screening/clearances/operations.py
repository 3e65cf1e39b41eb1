"""Every write to a clearance: granted or extended by a positive advice, then re-evaluated, confirmed, revoked
or expired through its own machine (``workflows/clearance.py``). Operations flush, never commit, and record
each change in the audit trail; a change a gate acts on also goes on the status list (``screening.statuslist``)
in the same transaction."""

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
from screening.clearances import recognition, rescreening
from screening.clearances.models import Clearance
from screening.clearances.queries import covering_clearance
from screening.clock import local_date, utcnow
from screening.config import DeadlinesConfig
from screening.db import db
from screening.decisions.models import Decision
from screening.decisions.operations import Letter, record_decision
from screening.decisions.queries import latest
from screening.errors import Conflict, DomainError, InvalidInput, Label, NotAllowed
from screening.notifications.operations import app_link
from screening.people.models import Person
from screening.references import next_reference
from screening.rows import lock_rows, write_locked
from screening.statuslist import operations as statuslist
from screening.webhooks.events import Notice, emit
from workflows.clearance import (
    CLEARANCE,
    COVERING_STATES,
    DECISION_EVENTS,
    ENDED_STATES,  # no longer covering (expired, revoked): relying employers' HR systems hear
    GROUNDS_EVENTS,
    REVOCATION_APPEAL_WINDOW,
)
from workflows.deadlines import appeal_deadline
from workflows.machine import GuardFailed, NotPermitted, TransitionError


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
        _clearance_step(clearance, "expire", Actor.system("advice"), None, now, None)
    statuslist.record_changes([c.id for c in lapsed], "expire", now)
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
    rescreen_on: date | None = None,
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
        if rescreen_on is not None:  # a fresh advice: its re-screening period starts again
            existing.rescreen_due_on = rescreen_on
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
        rescreen_due_on=rescreen_on,
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


def revocation_appeal_deadline(clearance: Clearance, deadlines: DeadlinesConfig) -> date | None:
    """The last day an appeal against the clearance's revocation may be lodged (the working-day rule)."""
    if clearance.revoked_at is None:
        return None
    return appeal_deadline(local_date(clearance.revoked_at), REVOCATION_APPEAL_WINDOW.days(deadlines))


def _context(clearance: Clearance, today: date, deadlines: DeadlinesConfig | None) -> dict[str, object]:
    """Facts the clearance machine's guards read, gathered here so guards stay pure."""
    context: dict[str, object] = {"end_date_reached": today > clearance.valid_until}
    if clearance.state == "revoked":
        closes = revocation_appeal_deadline(clearance, deadlines) if deadlines is not None else None
        revocation = latest(clearance_id=clearance.id, kinds=("revocation",))
        appeal = latest(clearance_id=clearance.id, kinds=("appeal",))
        appealed = appeal is not None and revocation is not None and appeal.id > revocation.id
        context["appeal_window_closed"] = closes is None or today > closes or appealed
    return context


def available_clearance_events(
    clearance: Clearance, role: str, today: date, deadlines: DeadlinesConfig
) -> tuple[str, ...]:
    """What ``role`` may do with the clearance now: the page shows exactly these actions."""
    context = _context(clearance, today, deadlines)
    return tuple(t.event for t in CLEARANCE.available(clearance.state, role, context))


def fire_clearance(
    clearance: Clearance,
    event: str,
    actor: Actor,
    *,
    deadlines: DeadlinesConfig | None = None,
    reason: str | None = None,
    disclosed_grounds: str | None = None,
    lodged_on: date | None = None,
    letter: Letter | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Clearance:
    """Re-evaluation, confirmation, revocation, its appeal and ruling, and expiry of a clearance, through its
    own machine. Each decision among them is a record of its own (``screening.decisions``)."""
    now = now or utcnow()
    lock_rows(clearance)
    if expected_version is not None and expected_version != clearance.version:
        raise Conflict("Someone else changed this clearance meanwhile. Review its current state and try again.")
    if lodged_on is not None and lodged_on > local_date(now):
        raise InvalidInput("The lodging date cannot be in the future.", field="lodged_on")
    if event == "revocation_appeal_upheld":
        lock_person(clearance.person_id)  # the clearance covers again: one covering clearance at a time
    details = _Details(disclosed_grounds, lodged_on, letter)
    covered_before = clearance.state in COVERING_STATES
    periodic = clearance.rescreen_opened_at is not None  # a routine re-check, cleared by the step
    _clearance_step(clearance, event, actor, reason, now, deadlines, details)
    try:
        db.session.flush()
    except StaleDataError:
        raise Conflict("Someone else changed this clearance meanwhile. Review its current state.") from None
    except IntegrityError as error:
        if "uq_clearances_person_covering" not in str(error.orig) and "clearances.person_id" not in str(error.orig):
            raise
        raise Conflict("The person holds another valid clearance now: this one cannot cover them again.") from None
    covered_after = clearance.state in COVERING_STATES
    statuslist.record_changes([clearance.id], event, now, periodic=periodic)
    if event == "start_reevaluation":
        rescreening.reevaluation_opened([clearance], now)
    if event == "revoke":
        decision = latest(clearance_id=clearance.id, kinds=("revocation",))
        if decision is not None:
            outcomes = recognition.revocation(clearance.id, clearance.person_id, decision.id, local_date(now))
            recognition.notify_bodies(outcomes, actor, now)
    if covered_before and not covered_after:
        announce_ended([clearance], now)
    elif covered_after and not covered_before:  # a revocation annulled on appeal
        emit(clearance_notices("clearance.reinstated", [clearance]), now)
    return clearance


def fire_clearance_many(
    clearances: Sequence[Clearance], event: str, actor: Actor, *, now: datetime, reason: str | None = None
) -> tuple[list[Clearance], list[tuple[Clearance, DomainError]]]:
    """:func:`fire_clearance` for a batch of the scheduler (expiry, periodic re-screening): one locking read,
    one flush."""
    lock_rows(*clearances)
    fired: list[Clearance] = []
    refused: list[tuple[Clearance, DomainError]] = []
    for clearance in clearances:
        try:
            _clearance_step(clearance, event, actor, reason, now, None)
        except DomainError as error:
            refused.append((clearance, error))
            continue
        fired.append(clearance)
    write_locked(fired)
    db.session.flush()
    statuslist.record_changes([c.id for c in fired], event, now, periodic=actor.role == "system")
    announce_ended(fired, now)
    if event == "start_reevaluation":
        rescreening.reevaluation_opened(fired, now)
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


class _Details:
    """What an officer gives with a decision besides its grounds."""

    def __init__(self, disclosed: str | None = None, lodged_on: date | None = None, letter: Letter | None = None):
        self.disclosed = disclosed
        self.lodged_on = lodged_on
        self.letter = letter


def _clearance_step(
    clearance: Clearance,
    event: str,
    actor: Actor,
    reason: str | None,
    now: datetime,
    deadlines: DeadlinesConfig | None,
    details: _Details | None = None,
) -> None:
    today = local_date(now)
    try:
        step = CLEARANCE.resolve(clearance.state, event, actor.role, _context(clearance, today, deadlines))
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
    if event in DECISION_EVENTS:
        _decide(clearance, event, actor, reason, now, today, details or _Details())
    clearance.state = step.target
    clearance.state_changed_at = now
    if step.target == "revoked" and source != "revocation_appealed":
        clearance.revoked_at = now
    if step.target == "valid" and source == "revocation_appealed":
        clearance.revoked_at = None  # the revocation was annulled; its record stays in the history
    if event == "start_reevaluation":  # opened: no longer due; periodic when the scheduler opened it
        clearance.rescreen_due_on = None
        clearance.rescreen_opened_at = now if actor.role == "system" else None
    elif event == "confirm":  # re-checked: the period starts again
        function_id = db.session.scalar(
            select(Application.function_id).where(Application.id == clearance.application_id)
        )
        clearance.rescreen_due_on = rescreening.rescreen_due(function_id, today) if function_id else None
        clearance.rescreen_opened_at = None
    trail_reason = ("grounds recorded" if reason else None) if event in GROUNDS_EVENTS else reason
    record(
        actor, event, "clearance", clearance.id, from_state=source, to_state=step.target, reason=trail_reason, now=now
    )


#: The outcome each decision of the clearance machine records (None: an appeal, which asks for one).
_OUTCOMES = {
    "confirm": "confirmed",
    "revoke": "revoked",
    "lodge_revocation_appeal": None,
    "revocation_appeal_upheld": "upheld",
    "revocation_appeal_rejected": "rejected",
}


def _decide(
    clearance: Clearance, event: str, actor: Actor, reason: str | None, now: datetime, today: date, details: _Details
) -> Decision:
    """The decision record of a clearance step; a revocation ends the positive decision the clearance rests
    on, an upheld appeal ends the revocation."""
    kind = DECISION_EVENTS[event]
    ends: Decision | None = None
    end_reason: str | None = None
    if event == "revoke":
        ends = _in_force(clearance)
        end_reason = "revoked"
    elif event == "revocation_appeal_upheld":
        ends = latest(clearance_id=clearance.id, kinds=("revocation",))
        end_reason = "annulled_revocation"
    in_force = kind != "appeal" and event != "revocation_appeal_rejected"
    return record_decision(
        actor, kind=kind, event=event, outcome=_OUTCOMES[event],
        decided_on=details.lodged_on or today if kind == "appeal" else today, now=now, clearance_id=clearance.id,
        grounds=reason if kind != "appeal" else None, disclosed_grounds=details.disclosed,
        valid_from=today if kind != "appeal" else None,
        valid_until=clearance.valid_until if in_force and event != "revoke" else None,
        ends=ends, end_reason=end_reason, letter=details.letter,
    )  # fmt: skip


def _in_force(clearance: Clearance) -> Decision | None:
    """The positive decision the clearance rests on now: its latest confirmation or annulled revocation, or else
    the advice or ruling of the file that created it."""
    own = latest(clearance_id=clearance.id, kinds=("reevaluation", "ruling"), outcomes=("confirmed", "upheld"))
    if own is not None:
        return own
    return latest(
        application_id=clearance.application_id, kinds=("advice", "ruling"),
        outcomes=("positive", "positive_with_warning", "upheld"),
    )  # fmt: skip
