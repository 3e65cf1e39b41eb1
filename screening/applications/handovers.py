"""Every hand-over of a file is told by mail: whoever the file now waits for, or whoever waited for it.

One function per event, ``tell_<event>``, in one table keyed by event (like the effects of
:mod:`screening.applications.effects`); :func:`screening.applications.notices.notify` calls the event's
entry in the transaction of the change, so a change that rolls back has told nobody.

- information requested: the requester who created the file (or the organisation's addresses);
- information provided: the officer the file is assigned to, else the one who asked (from the trail), else
  every officer;
- consent given, refused or withdrawn by the person: the requester;
- appeal lodged: the requester (outcome only, never grounds) and the person (that the appeal is recorded).

The advice and the appeal ruling are told by :func:`screening.applications.notices.tell_advice`. Every
message here is one a user may turn off (``screening/notifications/preferences.py``); the advice notices
are required and cannot be.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from screening.actors import Actor
from screening.applications.declaration import own_recipient
from screening.applications.models import Application, InfoAttachment
from screening.audit.models import AuditEntry
from screening.catalogue.models import CriticalFunction
from screening.db import db
from screening.notifications.operations import (
    Mail,
    Recipient,
    app_link,
    employer_recipients,
    enqueue,
    officer_recipients,
    user_recipients,
)
from screening.person_link.tokens import make_file_token, make_link_token


def person_link(application: Application, asked_at: datetime | None = None) -> str:
    """The consent link, absolute, built without a request (also from jobs); made for the request for consent
    of ``asked_at`` (by default the file's last change). It opens only the consent page, while that is open."""
    asked_at = asked_at or application.state_changed_at
    token = make_link_token(current_app.config["SECRET_KEY"], application.id, application.person_id, asked_at)
    return app_link("person.consent", token=token)


def file_link(application: Application) -> str:
    """The person's own file link: only ever sent to the address the person gave on the consent page
    (:func:`~screening.person_link.operations.confirmed_address`), never to one an employer declared."""
    token = make_file_token(current_app.config["SECRET_KEY"], application.id, application.person_id)
    return app_link("person.file", token=token)


def _file(application: Application, language: str) -> dict[str, Any]:
    """What every hand-over mail names: the file, its function, the person (as the file's employer declared
    them), and a link to the file."""
    function = db.session.get(CriticalFunction, application.function_id)
    return {
        "reference": application.reference,
        "function": function.name(language) if function else "",
        "person": application.declared_name,
        "link": app_link("applications.detail", application_id=application.id),
    }


def _requesters(application: Application) -> list[Recipient]:
    (chosen,) = employer_recipients([(application.created_by_id, application.organisation_id)])
    return chosen


def _stamp(application: Application) -> str:
    """Keys name the step, so a second request for information on the same file is a new message."""
    return application.state_changed_at.strftime("%Y%m%dT%H%M%S%f")


def _to(
    recipients: list[Recipient], application: Application, template: str, extra: dict[str, Any], now: datetime
) -> int:
    key = f"{template}:{application.id}:{_stamp(application)}"
    mails = [Mail(key, recipient, template, _file(application, recipient.language) | extra) for recipient in recipients]
    return enqueue(mails, now)


def tell_request_info(application: Application, actor: Actor, now: datetime) -> int:
    """The officer's question reaches the requester (the question is theirs to read: it asks them)."""
    return _to(_requesters(application), application, "info_requested", {"question": application.info_request}, now)


def asking_officer(application: Application) -> int | None:
    """The officer who put the question being answered: the last ``request_info`` of the trail."""
    return db.session.scalar(
        select(AuditEntry.actor_user_id)
        .where(
            AuditEntry.object_type == "application", AuditEntry.object_id == application.id,
            AuditEntry.action == "request_info",
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )  # fmt: skip


def tell_provide_info(application: Application, actor: Actor, now: datetime) -> int:
    """The answer reaches the officer the file is assigned to, else the officer who asked; every officer
    when that account is gone or has no address."""
    chosen = application.assigned_to_id or asking_officer(application)
    found = user_recipients([chosen]) if chosen is not None else {}
    recipients = list(found.values()) or officer_recipients()
    return _to(recipients, application, "info_provided", {"attachments": _attached_at(application.id, now)}, now)


def _attached_at(application_id: int, at: datetime) -> int:
    """How many documents came with the answer given at ``at`` (stored just before its transition)."""
    count = db.session.scalar(
        select(func.count())
        .select_from(InfoAttachment)
        .where(InfoAttachment.application_id == application_id, InfoAttachment.uploaded_at == at)
    )
    return count or 0


def _tell_consent(answer: str) -> Callable[[Application, Actor, datetime], int]:
    def tell(application: Application, actor: Actor, now: datetime) -> int:
        """The requester hears the person's answer (not when they recorded it themselves from paper)."""
        if actor.role == "requester":
            return 0
        said = "covered" if application.state == "covered" else answer
        return _to(_requesters(application), application, "consent_answered", {"answer": said}, now)

    tell.__name__ = f"tell_consent_{answer}"
    return tell


def tell_lodge_appeal(application: Application, actor: Actor, now: datetime) -> int:
    """The employer learns the advice is not final yet; the person that their appeal is on the file."""
    against = "missing" if application.state == "appealed_no_advice" else "negative"
    written = _to(_requesters(application), application, "appeal_lodged", {"against": against}, now)
    recipient = own_recipient(application)  # the person's own address, never the one an employer declared
    if recipient is not None:
        extra = {
            "given_names": application.declared_given_names, "person_link": file_link(application),
            "against": against,
        }  # fmt: skip
        written += _to([recipient], application, "appeal_recorded", extra, now)
    return written


#: The hand-over mail of each event that has one, keyed by event.
HANDOVERS: dict[str, Callable[[Application, Actor, datetime], int]] = {
    "request_info": tell_request_info,
    "provide_info": tell_provide_info,
    "consent": _tell_consent("given"),
    "refuse": _tell_consent("refused"),
    "withdraw_consent": _tell_consent("withdrawn"),
    "lodge_appeal": tell_lodge_appeal,
    "lodge_appeal_missed_term": tell_lodge_appeal,
}
