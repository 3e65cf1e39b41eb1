"""What the person and the employer are told, written to the outbox in the transaction of the change.

- On submit the person is asked for consent by e-mail, in their language, with their signed link (without an
  address the requester prints the letter instead).
- On an advice the person gets a notice: the outcome; for a negative advice the grounds the officer decided
  may be disclosed, the appeal deadline (Belgian working-day rule) and how to appeal.
- The employer is told the outcome only: positive (and until when) or negative, never any grounds.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app

from screening.applications.models import Application
from screening.catalogue.models import CriticalFunction
from screening.clearances.models import Clearance
from screening.clock import local_date
from screening.db import db
from screening.extensions import settings
from screening.notifications.operations import Mail, Recipient, app_link, employer_recipients, enqueue, language_for
from screening.organisations.models import Organisation
from screening.people.models import Person
from screening.person_link.tokens import make_link_token
from workflows.application import APPEAL_WINDOW, CONSENT_EXPIRY

#: Events after which the person and the employer hear about the advice, with the outcome they are told.
OUTCOMES = {
    "advise_positive": "positive",
    "advise_positive_with_warning": "positive",
    "advise_negative": "negative",
    "appeal_upheld": "positive",
    "appeal_rejected": "final_negative",
}


def person_link(application: Application, asked_at: datetime) -> str:
    """The person's link, absolute, built without a request (also from jobs)."""
    token = make_link_token(current_app.config["SECRET_KEY"], application.id, application.person_id, asked_at)
    return app_link("person.file", token=token)


def _base(application: Application, language: str) -> dict[str, Any]:
    organisation = db.session.get(Organisation, application.organisation_id)
    function = db.session.get(CriticalFunction, application.function_id)
    return {
        "reference": application.reference,
        "organisation": organisation.name if organisation else "",
        "function": function.name(language) if function else "",
    }


def notify(application: Application, event: str, target: str, now: datetime) -> int:
    """The mail an application's transition causes; returns how many outbox rows were written."""
    if event == "submit" and target == "awaiting_consent":
        return ask_consent(application, now)
    if event in OUTCOMES:
        return tell_advice(application, OUTCOMES[event], now)
    return 0


def ask_consent(application: Application, now: datetime) -> int:
    person = db.session.get(Person, application.person_id)
    if person is None or not person.email:
        return 0
    language = language_for(person.locale)
    asked_on = local_date(application.state_changed_at)
    config = settings()
    context = _base(application, language) | {
        "given_names": person.given_names,
        "link": person_link(application, application.state_changed_at),
        "answer_by": (asked_on + timedelta(days=CONSENT_EXPIRY.days(config.deadlines) - 1)).isoformat(),
        "appeal_days": APPEAL_WINDOW.days(config.deadlines),
    }
    key = f"consent_request:{application.id}:{application.state_changed_at.strftime('%Y%m%dT%H%M%S%f')}"
    return enqueue([Mail(key, Recipient(person.email, language), "consent_request", context)], now)


def tell_advice(application: Application, outcome: str, now: datetime) -> int:
    mails = []
    valid_until = ""
    if outcome == "positive" and application.clearance_id is not None:
        clearance = db.session.get(Clearance, application.clearance_id)
        valid_until = clearance.valid_until.isoformat() if clearance else ""
    person = db.session.get(Person, application.person_id)
    if person is not None and person.email:
        language = language_for(person.locale)
        context = _base(application, language) | {
            "given_names": person.given_names,
            "outcome": outcome,
            "valid_until": valid_until,
            "disclosed_grounds": application.disclosed_grounds or "",
            "appeal_deadline": application.appeal_deadline.isoformat() if application.appeal_deadline else "",
            "link": person_link(application, application.state_changed_at),
        }
        key = f"advice_notice:{application.id}:{outcome}"
        mails.append(Mail(key, Recipient(person.email, language), "advice_notice", context))
    (employers,) = employer_recipients(
        [(application.created_by_id, application.organisation_id)], also_organisation=True
    )
    for recipient in employers:
        # The employer's message is built from the outcome alone: no field of it can carry grounds.
        context = _base(application, recipient.language) | {
            "person": f"{person.given_names} {person.family_name}" if person else "",
            "outcome": outcome,
            "valid_until": valid_until,
            "link": app_link("applications.detail", application_id=application.id),
        }
        mails.append(Mail(f"advice_outcome:{application.id}:{outcome}", recipient, "advice_outcome", context))
    return enqueue(mails, now)
