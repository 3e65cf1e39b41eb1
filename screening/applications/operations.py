"""Every write to an application. Operations flush, never commit (one transaction per
request or job), take plain arguments and an :class:`~screening.actors.Actor`, and record each change
in the audit trail. State changes are decided by the declared machine in ``workflows/application.py``;
what each event does besides is the table of :mod:`screening.applications.effects`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from screening.actors import Actor
from screening.applications.declaration import declared_values
from screening.applications.effects import Step, announce, apply_effects
from screening.applications.models import Application
from screening.applications.notices import notify
from screening.audit.operations import record
from screening.catalogue.models import CriticalFunction
from screening.clearances.models import Clearance
from screening.clearances.operations import lock_person
from screening.clearances.queries import covered_persons, covering_clearance
from screening.clearances.recognition import final_negatives, notify_bodies
from screening.clock import local_date, utcnow
from screening.config import DeadlinesConfig
from screening.db import db
from screening.decisions.operations import Letter
from screening.errors import Conflict, DomainError, InvalidInput, Label, NotAllowed
from screening.people.models import Person
from screening.people.operations import PersonDetails, find_or_create_person
from screening.references import next_reference
from screening.rows import lock_rows, write_locked
from screening.vault import IdentifierVault
from workflows.application import (
    ADVICE_EVENTS,
    APPLICATION,
    CONSENT_EXPIRY,
    GROUNDS_EVENTS,
    MISSED_TERM_APPEAL,
    PAPER_ONLY,
)
from workflows.machine import GuardFailed, IllegalTransition, NotPermitted, TransitionError

#: Events after which an advice is final negative: the bodies that must act are told (clearances.recognition).
FINAL_NEGATIVE_EVENTS = frozenset({"appeal_rejected", "close_appeal_window"})


def create_application(
    actor: Actor,
    vault: IdentifierVault,
    *,
    organisation_id: int,
    function_id: int,
    person: PersonDetails,
    external_id: str | None = None,
    now: datetime | None = None,
) -> Application:
    """A draft application of the actor's own organisation; ``external_id`` is the employer's own id of the
    file (its HR system's), unique within the organisation."""
    if actor.role != "requester":
        raise NotAllowed("Only an employer's screening manager can create applications.")
    if actor.organisation_id != organisation_id:
        raise NotAllowed("You can only create applications for your own organisation.")
    now = now or utcnow()
    declared, holder = _declared(vault, function_id, person)
    external_id = _external_id(organisation_id, external_id)
    application = Application(
        reference=next_reference("SCR", now.year),
        organisation_id=organisation_id,
        person=holder,
        function_id=function_id,
        state="draft",
        created_by_id=actor.user_id,
        created_at=now,
        state_changed_at=now,
        **declared,
        external_id=external_id,
    )
    db.session.add(application)
    try:
        db.session.flush()
    except IntegrityError:
        if external_id is None:
            raise
        # The same external id, created at the same instant by another request (the request rolls back).
        raise _external_id_taken() from None
    record(
        actor, "create", "application", application.id, organisation_id=organisation_id,
        to_state="draft", now=now,
    )  # fmt: skip
    return application


def _declared(vault: IdentifierVault, function_id: int, person: PersonDetails) -> tuple[dict[str, Any], Person]:
    """The checks of a new or edited draft: an active function, the declaration, and the person's record."""
    function = db.session.get(CriticalFunction, function_id)
    if function is None or not function.active:
        raise InvalidInput("Choose a critical function from the catalogue.", field="function_id")
    return declared_values(person), find_or_create_person(vault, person)


def edit_draft(
    application: Application,
    actor: Actor,
    vault: IdentifierVault,
    *,
    function_id: int,
    person: PersonDetails,
    expected_version: int,
    now: datetime | None = None,
) -> tuple[str, ...]:
    """Change a draft before it is submitted: the same checks as :func:`create_application`, against the
    version the requester saw. Returns the names of what changed (the audit entry lists them, not their
    values); nothing changed is no write. A changed identifier links the draft to the record it names; the
    record the draft leaves is removed if nothing else refers to it (it was made by this draft)."""
    if actor.role != "requester":
        raise NotAllowed("Only an employer's screening manager can edit applications.")
    _check_scope(actor, application)
    lock_rows(application)
    if expected_version != application.version:
        raise Conflict("Someone else changed this application meanwhile. Review its current state and try again.")
    if application.state != "draft":
        raise Conflict("Only a draft can be edited; this application has been submitted.")
    now = now or utcnow()
    declared, holder = _declared(vault, function_id, person)
    changed = [
        key.removeprefix("declared_")
        for key, value in declared.items()
        if key not in ("declared_search_name", "declared_search_given") and getattr(application, key) != value
    ]
    left = application.person_id if holder.id != application.person_id else None
    if left is not None:
        changed.append("identifier")
    if function_id != application.function_id:
        changed.append("function")
    if not changed:
        return ()
    for key, value in declared.items():
        setattr(application, key, value)
    application.person_id = holder.id
    application.function_id = function_id
    try:
        db.session.flush()
    except StaleDataError:
        raise Conflict("Someone else changed this application meanwhile. Review its current state.") from None
    db.session.expire(application, ["person", "function"])
    if left is not None:
        _drop_unreferenced_person(left)
    record(
        actor, "edit", "application", application.id, organisation_id=application.organisation_id,
        reason="changed: " + ", ".join(changed), now=now,
    )  # fmt: skip
    return tuple(changed)


def _drop_unreferenced_person(person_id: int) -> None:
    """Delete the record if no file or clearance refers to it any more."""
    referenced = db.session.scalar(
        select(Application.id).where(Application.person_id == person_id).limit(1)
    ) or db.session.scalar(select(Clearance.id).where(Clearance.person_id == person_id).limit(1))
    if referenced is None:
        db.session.execute(delete(Person).where(Person.id == person_id).execution_options(synchronize_session=False))


EXTERNAL_ID_MAX = 64


def _external_id_taken() -> Conflict:
    return Conflict("Your organisation already has an application with this external id.", field="external_id")


def _external_id(organisation_id: int, value: str | None) -> str | None:
    value = (value or "").strip() or None
    if value is None:
        return None
    if len(value) > EXTERNAL_ID_MAX or not value.isprintable():
        raise InvalidInput(
            "Give an external id of at most %(n)d visible characters.", field="external_id", n=EXTERNAL_ID_MAX
        )
    taken = db.session.scalar(
        select(Application.id).where(Application.organisation_id == organisation_id, Application.external_id == value)
    )
    if taken is not None:
        raise _external_id_taken()
    return value


def _context(
    application: Application, today: date, deadlines: DeadlinesConfig, covered: Collection[int] | None = None
) -> dict[str, Any]:
    """Facts the machine's guards read; gathered here so guards stay pure. ``covered``: the persons of a
    batch who hold a covering clearance, read once for the batch (else one query for this file)."""
    context: dict[str, Any] = {}
    if application.state == "awaiting_consent":
        asked_on = local_date(application.state_changed_at)
        days = CONSENT_EXPIRY.days(deadlines)
        context["consent_period_over"] = today >= asked_on + relativedelta(days=days)
        # screened once, decided only when the person consents: before that a covered person's file and
        # anyone else's look the same to the employer (same state, page, mail)
        context["holds_valid_clearance"] = (
            covering_clearance(application.person_id, today) is not None
            if covered is None
            else application.person_id in covered
        )
    if application.state == "negative":
        closes = application.appeal_deadline
        context["appeal_window_closed"] = closes is not None and today > closes
    if application.state in ("submitted", "in_review", "info_requested"):
        due = application.due_on
        context["legal_term_passed"] = due is not None and today > due
        context["missed_term_appeal_closed"] = due is None or today > due + relativedelta(
            days=MISSED_TERM_APPEAL.days(deadlines)
        )
    return context


def available_events(application: Application, role: str, today: date, deadlines: DeadlinesConfig) -> tuple[str, ...]:
    """What ``role`` may do now with a button: the web layer shows exactly these actions. An event the role
    records only with evidence (:data:`~workflows.application.PAPER_ONLY`) has its own page, not a button."""
    context = _context(application, today, deadlines)
    available = APPLICATION.available(application.state, role, context)
    return tuple(t.event for t in available if (t.event, role) not in PAPER_ONLY)


def _check_scope(actor: Actor, application: Application) -> None:
    if actor.is_employer and actor.organisation_id != application.organisation_id:
        raise NotAllowed("This application belongs to another organisation.")


def fire(
    application: Application,
    event: str,
    actor: Actor,
    deadlines: DeadlinesConfig,
    *,
    reason: str | None = None,
    disclosed_grounds: str | None = None,
    lodged_on: date | None = None,
    letter: Letter | None = None,
    expected_version: int | None = None,
    paper_form: bool = False,
    now: datetime | None = None,
) -> Application:
    """Take one transition of the application machine, with its side effects, audit entry and mail.

    ``disclosed_grounds`` (advice and appeal rulings) is what the officer decided the person may be told;
    the person's notice carries it, the employer's never does (see :mod:`screening.applications.notices`).
    ``lodged_on`` and ``letter`` (appeals) are the day the appeal reached the appeal body and its letter,
    checked by :func:`screening.decisions.operations.check_letter`.

    ``expected_version`` is the version the user saw: if someone else acted meanwhile, the user gets a
    conflict instead of acting on a state they have not seen. The version column makes the UPDATE itself
    conditional, so two simultaneous requests cannot both succeed.

    ``paper_form`` says the signed paper form was uploaded with this step (only
    :func:`screening.applications.paper.record_paper_consent` says so): an event of
    :data:`~workflows.application.PAPER_ONLY` is refused without it.
    """
    now = now or utcnow()
    _check_scope(actor, application)
    if (event, actor.role) in PAPER_ONLY and not paper_form:
        raise NotAllowed("An employer records consent only by uploading the form the person signed.")
    # Lock the row and read its latest state: a second officer waits here, then sees the first one's
    # decision (PostgreSQL); SQLite serialises writing requests at BEGIN, to the same effect.
    lock_rows(application)
    if expected_version is not None and expected_version != application.version:
        raise Conflict("Someone else changed this application meanwhile. Review its current state and try again.")
    if event == "consent" or event in ADVICE_EVENTS or event == "appeal_upheld":
        lock_person(application.person_id)  # screened once, or a clearance granted: one decision at a time
    if lodged_on is not None and lodged_on > local_date(now):
        raise InvalidInput("The lodging date cannot be in the future.", field="lodged_on")
    _step(application, event, actor, deadlines, reason, now, disclosed_grounds, lodged_on, letter)
    try:
        db.session.flush()
    except StaleDataError:
        raise Conflict("Someone else changed this application meanwhile. Review its current state.") from None
    announce([application], event, now)
    if event in FINAL_NEGATIVE_EVENTS:
        notify_bodies(final_negatives([application], local_date(now)), actor, now)
    return application


def fire_many(
    applications: Sequence[Application], event: str, actor: Actor, deadlines: DeadlinesConfig, *, now: datetime
) -> tuple[list[Application], list[tuple[Application, DomainError]]]:
    """The scheduler's automatic transitions, a batch at a time: the same checks, side effects and audit
    entries as :func:`fire`, with one locking read, one flush and one audit insert for the whole batch
    instead of four statements per file. Returns the files that moved and those refused, with the reason
    (a file that moved meanwhile: withdrawn, consent given)."""
    lock_rows(*applications)
    waiting = [a.person_id for a in applications if a.state == "awaiting_consent"]
    covered = covered_persons(waiting, local_date(now))  # one query, not one per file (and no autoflush each)
    fired: list[Application] = []
    refused: list[tuple[Application, DomainError]] = []
    for application in applications:
        try:
            _check_scope(actor, application)
            _step(application, event, actor, deadlines, None, now, covered=covered)
        except DomainError as error:
            refused.append((application, error))
            continue
        fired.append(application)
    write_locked(fired)
    db.session.flush()  # the audit entries, notices and anything _write_locked left to the ORM
    announce(fired, event, now)
    if event in FINAL_NEGATIVE_EVENTS:
        notify_bodies(final_negatives(fired, local_date(now)), actor, now)
    return fired, refused


def _step(
    application: Application,
    event: str,
    actor: Actor,
    deadlines: DeadlinesConfig,
    reason: str | None,
    now: datetime,
    disclosed_grounds: str | None = None,
    lodged_on: date | None = None,
    letter: Letter | None = None,
    *,
    covered: Collection[int] | None = None,
) -> None:
    """Resolve ``event`` against the machine for the locked ``application`` and apply it, unflushed."""
    today = local_date(now)
    context = _context(application, today, deadlines, covered)
    try:
        step = APPLICATION.resolve(application.state, event, actor.role, context)
    except NotPermitted:
        raise NotAllowed("You may not do this.") from None
    except IllegalTransition:
        raise Conflict(
            "This is not possible while the application is %(state)s.",
            state=Label(APPLICATION.state(application.state).label, lower=True),
        ) from None
    except GuardFailed as error:
        raise Conflict(error.refusal) from error
    except TransitionError as error:
        raise InvalidInput(str(error)) from error
    reason = (reason or "").strip() or None
    if step.requires_reason and not reason:
        raise InvalidInput("Please give the reason or text for this step.", field="reason")
    source = application.state
    disclosed = (disclosed_grounds or "").strip() or None
    apply_effects(
        Step(application, event, step.target, actor, reason, deadlines, now, today, disclosed, lodged_on, letter)
    )
    application.state = step.target
    application.state_changed_at = now
    record(
        actor, event, "application", application.id, organisation_id=application.organisation_id,
        from_state=source, to_state=step.target, reason=_audit_reason(event, reason), now=now,
    )  # fmt: skip
    notify(application, event, step.target, now, actor)


def _audit_reason(event: str, reason: str | None) -> str | None:
    """Grounds are kept on the file (authority only); the trail notes that they were given."""
    if event in GROUNDS_EVENTS:
        return "grounds recorded" if reason else None
    return reason
