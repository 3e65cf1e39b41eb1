"""Which mails a user may turn off, and which the law requires them to receive.

The kinds are declared here, each with the templates it covers and the roles that receive it; a user's
page lists the kinds of their role. Turning a kind off writes a row of ``mail_opt_outs``;
:func:`screening.notifications.operations.enqueue` leaves out, in one query per batch, the messages of an
optional kind to a user who turned it off. A required kind (the outcome of an advice, which the employer
must act on; the end of a clearance) cannot be turned off: :func:`save_preferences` refuses it, and
``enqueue`` never asks about it. Mail to a person or to an organisation's contact address is not a user's
and always goes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from screening.actors import Actor
from screening.audit.operations import record
from screening.clock import utcnow
from screening.db import db
from screening.errors import InvalidInput
from screening.notifications.models import MailOptOut
from workflows.text import N_

EMPLOYER = frozenset({"requester", "hr"})
OFFICER = frozenset({"officer"})


@dataclass(frozen=True)
class MailKind:
    name: str
    label: str
    templates: tuple[str, ...]
    roles: frozenset[str]
    #: Required by law (or by what the recipient must do): always sent, cannot be turned off.
    required: bool = False


KINDS = (
    MailKind("info_requested", N_("An officer asks you for information"), ("info_requested",), EMPLOYER),
    MailKind("info_provided", N_("The employer answered your request for information"), ("info_provided",), OFFICER),
    MailKind(
        "consent_answered", N_("The person gave, refused or withdrew consent"), ("consent_answered",), EMPLOYER
    ),
    MailKind("appeal_lodged", N_("The person appealed against a negative advice"), ("appeal_lodged",), EMPLOYER),
    MailKind(
        "employer_reminders", N_("Reminders: consent still missing, information still to give"),
        ("consent_reminder_requester", "info_reminder"), EMPLOYER,
    ),
    MailKind(
        "officer_reminders", N_("Reminders: files past their advice date, appeal rulings to record"),
        ("overdue_reviews", "appeal_ruling_reminder"), OFFICER,
    ),
    MailKind("report_ready", N_("A new report is ready"), ("report_ready",), EMPLOYER | OFFICER),
    MailKind(
        "advice_outcome", N_("The outcome of an advice or appeal, and a file ended without consent"),
        ("advice_outcome", "appeal_closed", "consent_expired"), EMPLOYER, required=True,
    ),
    MailKind(
        "clearance_end", N_("A clearance you rely on ends or has ended"),
        ("clearance_expiry_notice", "clearance_expired"), EMPLOYER, required=True,
    ),
)  # fmt: skip
BY_NAME = {kind.name: kind for kind in KINDS}
#: Template -> the optional kind it belongs to (required templates are not here: nothing filters them).
OPTIONAL_TEMPLATES = {template: kind.name for kind in KINDS if not kind.required for template in kind.templates}


def kinds_for(role: str) -> tuple[MailKind, ...]:
    """The kinds of mail a user of ``role`` may receive, optional ones first."""
    return tuple(sorted((k for k in KINDS if role in k.roles), key=lambda k: k.required))


def turned_off(user_id: int) -> set[str]:
    return set(db.session.scalars(select(MailOptOut.kind).where(MailOptOut.user_id == user_id)))


def opted_out(pairs: Iterable[tuple[int, str]]) -> set[tuple[int, str]]:
    """Which of the (user id, optional kind) pairs are turned off: one query for a whole batch."""
    wanted = set(pairs)
    if not wanted:
        return set()
    users = {user_id for user_id, _kind in wanted}
    kinds = {kind for _user, kind in wanted}
    rows = db.session.execute(
        select(MailOptOut.user_id, MailOptOut.kind).where(MailOptOut.user_id.in_(users), MailOptOut.kind.in_(kinds))
    )
    return {(user_id, kind) for user_id, kind in rows} & wanted


def save_preferences(actor: Actor, role: str, receive: Iterable[str], now: datetime | None = None) -> set[str]:
    """Turn off every optional kind of the user's role that is not in ``receive``; returns the kinds off.

    A required kind missing from ``receive`` is refused (nothing changes): the page shows it ticked and
    disabled, so only a forged request leaves it out."""
    assert actor.user_id is not None
    mine = kinds_for(role)
    receive = set(receive)
    unknown = receive - {k.name for k in mine}
    if unknown:
        raise InvalidInput("Choose among the mails listed.", field="receive")
    refused = [k for k in mine if k.required and k.name not in receive]
    if refused:
        raise InvalidInput("This mail is required by law and cannot be turned off.", field="receive")
    off = {k.name for k in mine if not k.required and k.name not in receive}
    before = turned_off(actor.user_id)
    if off == before:
        return off
    now = now or utcnow()
    db.session.execute(delete(MailOptOut).where(MailOptOut.user_id == actor.user_id))
    db.session.add_all(MailOptOut(user_id=actor.user_id, kind=kind, created_at=now) for kind in sorted(off))
    db.session.flush()
    record(
        actor, "mail_preferences", "user", actor.user_id, organisation_id=actor.organisation_id,
        reason="off: " + (", ".join(sorted(off)) or "none"), now=now,
    )  # fmt: skip
    return off
