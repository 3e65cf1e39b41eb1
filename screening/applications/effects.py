"""What each event of the application machine does to the file besides moving its state: one function per
event, ``on_<event>``, in one table keyed by event (python-statemachine's ``on_<event>`` callbacks, written
as data so the table can be read and checked against the declaration).

:func:`screening.applications.operations.fire` calls the event's effect after the machine allowed the
step and before the state changes, inside the same transaction. An event with nothing to do besides the
state change is listed in :data:`NO_EFFECT`, so a new transition cannot be forgotten here (a test checks
that every event of ``workflows/application.py`` is in exactly one of the two).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from dateutil.relativedelta import relativedelta
from flask import current_app

from screening.actors import Actor
from screening.applications.models import Application
from screening.clearances.operations import grant_clearance
from screening.clearances.queries import covering_clearance
from screening.clearances.rescreening import rescreen_due
from screening.config import DeadlinesConfig
from screening.decisions.models import Decision
from screening.decisions.operations import Letter, record_decision
from screening.notifications.operations import app_link
from screening.person_link.operations import close_request, open_request, request_for
from screening.webhooks.events import Notice, emit
from workflows.application import ADVICE_EVENTS, APPEAL_RULING, APPEAL_WINDOW, REVIEW_DUE
from workflows.deadlines import appeal_deadline


@dataclass(frozen=True)
class Step:
    """One transition being applied: the locked file, where it goes, and what the actor gave."""

    application: Application
    event: str
    target: str
    actor: Actor
    #: The reason or text the actor gave (stripped; None when empty).
    reason: str | None
    deadlines: DeadlinesConfig
    now: datetime
    #: ``now`` as a Belgian calendar day, which deadlines count in.
    today: date
    #: With an advice or ruling: what the person may be told of the grounds.
    disclosed: str | None = None
    #: With an appeal: the day it was lodged with the appeal body, and its letter.
    lodged_on: date | None = None
    letter: Letter | None = None


def on_submit(step: Step) -> None:
    """Consent is asked: the request for consent, with the short code of the letter, is opened."""
    open_request(current_app.config["SECRET_KEY"], step.application.id, step.now)


def on_consent(step: Step) -> None:
    """Screened once: a person who still holds a valid clearance is covered by it from their consent on (the
    employer learns it only now). Otherwise the file reaches the authority; the advice is due ``REVIEW_DUE``
    days later."""
    _close_request(step)
    if step.target == "covered":
        clearance = covering_clearance(step.application.person_id, step.today)
        assert clearance is not None  # the guard said so in this transaction
        step.application.clearance_id = clearance.id
        return
    step.application.submitted_at = step.now
    step.application.due_on = step.today + relativedelta(days=REVIEW_DUE.days(step.deadlines))


def on_refuse(step: Step) -> None:
    _close_request(step)


def _close_request(step: Step) -> None:
    """Answered: the consent link and the short code stop (a file submitted before requests were kept has none)."""
    request = request_for(step.application.id)
    if request is not None:
        close_request(request, step.now)


def on_request_info(step: Step) -> None:
    step.application.info_request = step.reason
    step.application.info_response = None


def on_provide_info(step: Step) -> None:
    step.application.info_response = step.reason


def on_advise(step: Step) -> None:
    """An advice (positive, with warning, negative): a decision record with its grounds, which the file's
    outcome rests on; a positive one grants or extends the person's clearance, a negative one opens the appeal
    window."""
    application = step.application
    application.advice_type = ADVICE_EVENTS[step.event]
    application.decided_at = step.now
    application.notified_at = step.now
    valid_until = None
    if step.target == "positive":
        valid_until = _grant_clearance(step)
    else:
        application.appeal_deadline = appeal_deadline(step.today, APPEAL_WINDOW.days(step.deadlines))
    application.decision = _decide(step, "advice", application.advice_type, valid_until=valid_until)


def on_lodge_appeal(step: Step) -> None:
    """An appeal (against the advice, or against its absence once the legal term passed): its own record with
    the lodging date and letter; the ruling is due ``APPEAL_RULING`` days after lodging, and the queue shows
    that day instead of the advice's."""
    application = step.application
    lodged_on = step.lodged_on or step.today
    application.appealed_at = step.now
    application.due_on = lodged_on + relativedelta(days=APPEAL_RULING.days(step.deadlines))
    record_decision(
        step.actor, kind="appeal", event=step.event, outcome=None, decided_on=lodged_on, now=step.now,
        application_id=application.id, letter=step.letter,
    )  # fmt: skip


def on_appeal_upheld(step: Step) -> None:
    """The ruling turns the outcome positive and annuls the advice it was against (if there was one): the
    person gets (or keeps) a clearance. The advice stays in the history with its own grounds and date."""
    application = step.application
    annulled = application.decision
    application.advice_type = "positive"
    application.decided_at = step.now
    valid_until = _grant_clearance(step)
    application.decision = _decide(
        step, "ruling", "upheld", valid_until=valid_until, ends=annulled,
        end_reason="annulled_on_appeal" if annulled is not None else None,
    )  # fmt: skip


def on_appeal_rejected(step: Step) -> None:
    """The ruling confirms the negative outcome (or, against a missing advice, gives it): final negative."""
    application = step.application
    application.advice_type = application.advice_type or "negative"
    application.decided_at = step.now
    application.decision = _decide(step, "ruling", "rejected")


def _decide(step: Step, kind: str, outcome: str, **more: Any) -> Decision:
    return record_decision(
        step.actor, kind=kind, event=step.event, outcome=outcome, decided_on=step.today, now=step.now,
        application_id=step.application.id, grounds=step.reason, disclosed_grounds=step.disclosed,
        valid_from=step.today, **more,
    )  # fmt: skip


def on_withdraw(step: Step) -> None:
    step.application.withdrawal_reason = step.reason


def _grant_clearance(step: Step) -> date:
    """A positive advice creates a clearance, or extends the one the person holds; the file links to it.
    Returns the clearance's end date (the advice's validity)."""
    application = step.application
    clearance = grant_clearance(
        step.actor, person_id=application.person_id, application_id=application.id,
        organisation_id=application.organisation_id, advice_type=application.advice_type or "positive",
        validity_years=step.deadlines.clearance_validity_years, now=step.now, today=step.today,
        rescreen_on=rescreen_due(application.function_id, step.today),
    )  # fmt: skip
    application.clearance_id = clearance.id
    return clearance.valid_until


#: The side effects of each event, keyed by event.
EFFECTS: dict[str, Callable[[Step], None]] = {
    "submit": on_submit,
    "consent": on_consent,
    "refuse": on_refuse,
    "request_info": on_request_info,
    "provide_info": on_provide_info,
    **dict.fromkeys(ADVICE_EVENTS, on_advise),
    "lodge_appeal": on_lodge_appeal,
    "lodge_appeal_missed_term": on_lodge_appeal,
    "appeal_upheld": on_appeal_upheld,
    "appeal_rejected": on_appeal_rejected,
    "withdraw": on_withdraw,
}
#: Events that change nothing but the state (their audit entry and mail are written for every event).
NO_EFFECT = frozenset({"expire_consent", "start_review", "close_appeal_window", "withdraw_consent"})


def apply_effects(step: Step) -> None:
    """Run the event's side effects (none for the events of :data:`NO_EFFECT`)."""
    effect = EFFECTS.get(step.event)
    if effect is not None:
        effect(step)


def announce(applications: Sequence[Application], event: str, now: datetime) -> int:
    """Webhook events for the files that just took ``event`` (their new state is set), in the transaction of
    the change: ``application.state_changed`` for each, ``application.information_requested`` as well for a
    request for information. The state is the file's state as the employer sees it (an advice with warning
    is "positive": the warning is the advice type, authority only; "covered" comes only with the person's
    consent, so nothing before it tells of a clearance); the data never carries grounds."""
    notices = []
    for application in applications:
        data = {
            "reference": application.reference,
            "external_id": application.external_id,
            "state": application.state,
            "link": app_link("applications.detail", application_id=application.id),
        }
        notices.append(Notice(application.organisation_id, "application.state_changed", data))
        if event == "request_info":
            notices.append(Notice(application.organisation_id, "application.information_requested", data))
    return emit(notices, now)
