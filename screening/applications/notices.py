"""What the person and the employer are told, written to the outbox in the transaction of the change.

- On submit the person is asked for consent by e-mail, in their language, with the consent link, which opens
  only the consent page (without an address the requester prints the letter instead).
- On an advice the person gets a notice, only at the address the person gave on the consent page, with the
  link to their own file: the outcome; for a negative advice the grounds the officer decided
  may be disclosed, the appeal deadline (Belgian working-day rule) and how to appeal.
- The employer is told the outcome only: positive (and until when) or negative, never any grounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from screening.actors import Actor
from screening.applications.declaration import own_recipient, person_recipient
from screening.applications.handovers import HANDOVERS, file_link, person_link
from screening.applications.models import Application
from screening.catalogue.models import CriticalFunction
from screening.clearances.models import Clearance
from screening.clock import local_date
from screening.db import db
from screening.extensions import settings
from screening.notifications.operations import Mail, app_link, employer_recipients, enqueue
from screening.organisations.models import Organisation
from workflows.application import ADVICE_EVENTS, APPEAL_WINDOW, CONSENT_EXPIRY
from workflows.employer import EMPLOYER_ADVICE

#: Events after which the person and the employer hear about the advice, with the outcome they are told.
#: An advice's outcome is what an employer may be told of it (workflows/employer.py: "with warning" is positive).
OUTCOMES = {
    **{event: EMPLOYER_ADVICE[advice] for event, advice in ADVICE_EVENTS.items()},
    "appeal_upheld": "positive",
    "appeal_rejected": "final_negative",
}


def _base(application: Application, language: str) -> dict[str, Any]:
    organisation = db.session.get(Organisation, application.organisation_id)
    function = db.session.get(CriticalFunction, application.function_id)
    return {
        "reference": application.reference,
        "organisation": organisation.name if organisation else "",
        "function": function.name(language) if function else "",
    }


def notify(application: Application, event: str, target: str, now: datetime, actor: Actor | None = None) -> int:
    """The mail an application's transition causes; returns how many outbox rows were written."""
    if event == "submit" and target == "awaiting_consent":
        return ask_consent(application, now)
    if event in OUTCOMES:
        return tell_advice(application, OUTCOMES[event], now)
    if event in HANDOVERS:
        return HANDOVERS[event](application, actor or Actor.system(), now)
    return 0


@dataclass(frozen=True)
class AdviceTold:
    """What the person is told of an advice or ruling: read through :func:`advice_told`, never from the
    file's columns directly, so the notice follows wherever the decision is recorded."""

    disclosed_grounds: str
    appeal_deadline: date | None
    valid_until: date | None


def advice_told(application: Application) -> AdviceTold:
    """The latest advice or ruling on the file, as far as the person may be told it (never the grounds)."""
    valid_until = None
    if application.clearance_id is not None:
        clearance = db.session.get(Clearance, application.clearance_id)
        valid_until = clearance.valid_until if clearance else None
    return AdviceTold(application.disclosed_grounds or "", application.appeal_deadline, valid_until)


def ask_consent(application: Application, now: datetime) -> int:
    recipient = person_recipient(application)
    if recipient is None:
        return 0
    language = recipient.language
    asked_on = local_date(application.state_changed_at)
    config = settings()
    context = _base(application, language) | {
        "given_names": application.declared_given_names,
        "link": person_link(application, application.state_changed_at),
        "answer_by": (asked_on + timedelta(days=CONSENT_EXPIRY.days(config.deadlines) - 1)).isoformat(),
        "appeal_days": APPEAL_WINDOW.days(config.deadlines),
    }
    key = f"consent_request:{application.id}:{application.state_changed_at.strftime('%Y%m%dT%H%M%S%f')}"
    return enqueue([Mail(key, recipient, "consent_request", context)], now)


def tell_advice(application: Application, outcome: str, now: datetime) -> int:
    mails = []
    told = advice_told(application)
    valid_until = told.valid_until.isoformat() if outcome == "positive" and told.valid_until else ""
    # The notice carries the disclosed grounds and the file link: only to the address the person gave on the
    # consent page, never to one an employer declared (without one, the authority sends it by post).
    recipient = own_recipient(application)
    if recipient is not None:
        language = recipient.language
        link = file_link(application)
        context = _base(application, language) | {
            "given_names": application.declared_given_names,
            "outcome": outcome,
            "valid_until": valid_until,
            "disclosed_grounds": told.disclosed_grounds,
            "appeal_deadline": told.appeal_deadline.isoformat() if told.appeal_deadline else "",
            "link": link,
            "notice_link": f"{link}/notice.pdf",
            "appeal_body": settings().appeal.name_in(language),
            "appeal_address": "\n".join(settings().appeal.address_lines(language)),
            "appeal_email": settings().appeal.email,
        }
        key = f"advice_notice:{application.id}:{outcome}"
        mails.append(Mail(key, recipient, "advice_notice", context))
    (employers,) = employer_recipients(
        [(application.created_by_id, application.organisation_id)], also_organisation=True
    )
    for recipient in employers:
        # The employer's message is built from the outcome alone: no field of it can carry grounds.
        context = _base(application, recipient.language) | {
            "person": application.declared_name,
            "outcome": outcome,
            "valid_until": valid_until,
            "link": app_link("applications.detail", application_id=application.id),
        }
        mails.append(Mail(f"advice_outcome:{application.id}:{outcome}", recipient, "advice_outcome", context))
    return enqueue(mails, now)
