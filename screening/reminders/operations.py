"""The register's reminders, as a scan the scheduler runs (the rules of
:mod:`screening.applications.deadlines`): each organisation's screening managers get one mail per batch
listing the members whose deadline is 60, 30 or 7 days away without a covering advice, and the covered
members whose clearance's renewal must start (:func:`screening.catalogue.deadlines.renewal_starts_on`).

Only what is due is read: the deadline is the member's start (an indexed range) or their function's date
(the few functions whose date is near); the renewal is a range on the clearance's end. A row of
``register_reminders`` per member and level makes each reminder once-only; a missed day sends only the
closest level reached (no 60-day reminder 20 days before the deadline). Leavers get nothing.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, insert, or_, select

from screening.applications.models import Application
from screening.auth.models import User
from screening.batches import Batch
from screening.catalogue.models import CriticalFunction
from screening.clearances.models import Clearance
from screening.clock import local_date
from screening.db import db
from screening.notifications.operations import (
    Mail,
    Recipient,
    app_link,
    enqueue,
    language_for,
    organisation_recipients,
)
from screening.people.models import Person
from screening.reminders.models import RegisterReminder
from screening.workforce.compliance import DEADLINE
from screening.workforce.models import WorkforceMember
from workflows.clearance import COVERING_STATES
from workflows.roles import Role

#: Days before a member's deadline when their screening managers hear, farthest first.
LEVELS = (60, 30, 7)
TEMPLATE = "register_reminders"
Member = WorkforceMember
Reminder = RegisterReminder
_COLUMNS = (
    Member.id, Member.organisation_id, Member.personnel_number, Member.given_names, Member.family_name,
    CriticalFunction.name_en, CriticalFunction.name_nl, CriticalFunction.name_fr,
)  # fmt: skip


def _not_reminded(kind: str, due_on: Any, level: int) -> ColumnElement[bool]:
    """No reminder of ``kind`` at ``level`` or closer was sent for this member and date."""
    return ~exists().where(
        Reminder.member_id == Member.id, Reminder.kind == kind, Reminder.due_on == due_on, Reminder.days <= level
    )


def _due_deadlines(today: date, limit: int) -> list[Any]:
    """Members without a covering advice whose deadline is within the farthest level and not yet reminded
    at the level reached. Read by the start's index, or by the function when its own date is near."""
    first, last = today + timedelta(days=1), today + timedelta(days=LEVELS[0])
    near_functions = list(
        db.session.scalars(select(CriticalFunction.id).where(CriticalFunction.required_from.between(first, last)))
    )
    near = Member.started_on.between(first, last)
    if near_functions:
        near = or_(
            near, and_(Member.function_id.in_(near_functions), Member.started_on <= CriticalFunction.required_from)
        )
    covered = exists().where(
        Application.organisation_id == Member.organisation_id, Person.id == Application.person_id,
        Person.identity_hash == Member.identity_hash, Clearance.id == Application.clearance_id,
        Clearance.state.in_(sorted(COVERING_STATES)), Clearance.valid_until >= DEADLINE,
    )  # fmt: skip
    pending = or_(
        *(and_(DEADLINE <= today + timedelta(days=n), _not_reminded("deadline", DEADLINE, n)) for n in LEVELS)  # noqa: SIM300
    )
    return list(
        db.session.execute(
            select(*_COLUMNS, DEADLINE.label("due_on"))
            .join(CriticalFunction, CriticalFunction.id == Member.function_id)
            .where(
                near,
                DEADLINE.between(first, last),
                or_(Member.ended_on.is_(None), Member.ended_on >= DEADLINE),
                ~covered,
                pending,
            )
            .order_by(DEADLINE, Member.id)
            .limit(limit)
        )  # fmt: skip
    )


def _due_renewals(today: date, limit: int) -> list[Any]:
    """Members covered by a clearance their organisation relies on whose renewal start day has come (the
    clearance's end less their function's renewal days), not yet reminded for that end."""
    windows = sorted(set(db.session.scalars(select(CriticalFunction.renewal_days).distinct())))
    if not windows:
        return []
    started = or_(
        *(and_(CriticalFunction.renewal_days == n, Clearance.valid_until <= today + timedelta(days=n)) for n in windows)
    )
    rows = db.session.execute(
        select(*_COLUMNS, Clearance.valid_until.label("due_on"))
        .select_from(Clearance)
        .join(Application, Application.clearance_id == Clearance.id)
        .join(Person, Person.id == Application.person_id)
        .join(
            Member,
            and_(Member.identity_hash == Person.identity_hash, Member.organisation_id == Application.organisation_id),
        )
        .join(CriticalFunction, CriticalFunction.id == Member.function_id)
        .where(
            Clearance.state.in_(sorted(COVERING_STATES)),
            Clearance.valid_until.between(today, today + timedelta(days=windows[-1])), started,
            or_(Member.ended_on.is_(None), Member.ended_on >= Clearance.valid_until),
            _not_reminded("renewal", Clearance.valid_until, 0),
        )
        .distinct()
        .order_by(Clearance.valid_until, Member.id)
        .limit(limit)
    )  # fmt: skip
    return list({row.id: row for row in rows}.values())  # two files linked to one clearance: one line


def manager_recipients(organisation_ids: Iterable[int]) -> dict[int, list[Recipient]]:
    """Each organisation's active screening managers with an address; without one, its usual addresses."""
    ids = sorted(set(organisation_ids))
    found: dict[int, list[Recipient]] = defaultdict(list)
    if ids:
        for org, email, locale, user_id in db.session.execute(
            select(User.organisation_id, User.email, User.locale, User.id)
            .where(
                User.organisation_id.in_(ids), User.role == Role.REQUESTER.value, User.active.is_(True),
                User.email.is_not(None),
            )
            .order_by(User.id)
        ):  # fmt: skip
            if email and org is not None:
                found[org].append(Recipient(email, language_for(locale), user_id))
    found.update(organisation_recipients(org for org in ids if org not in found))
    return found


def _line(row: Any, today: date, level: int) -> dict[str, Any]:
    return {
        "name": f"{row.given_names} {row.family_name}", "personnel_number": row.personnel_number,
        "function": {"en": row.name_en, "nl": row.name_nl, "fr": row.name_fr},
        "due_on": row.due_on.isoformat(), "days": (row.due_on - today).days, "level": level,
    }  # fmt: skip


def _level(due_on: date, today: date) -> int:
    return min(n for n in LEVELS if due_on <= today + timedelta(days=n))


def remind_register(now: datetime, *, limit: int = 500) -> Batch:
    """One batch of due deadline and renewal reminders: recorded per member, mailed per organisation."""
    today = local_date(now)
    deadlines, renewals = _due_deadlines(today, limit), _due_renewals(today, limit)
    if not deadlines and not renewals:
        return Batch(0, 0)
    sent: list[dict[str, Any]] = []
    lines: dict[int, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: {"deadlines": [], "renewals": []})
    for kind, rows in (("deadlines", deadlines), ("renewals", renewals)):
        for row in rows:
            level = _level(row.due_on, today) if kind == "deadlines" else 0
            sent.append({"member_id": row.id, "kind": kind[:-1], "due_on": row.due_on, "days": level, "sent_at": now})
            line = _line(row, today, level) | {"key": f"{row.id}:{kind}:{row.due_on}:{level}"}
            lines[row.organisation_id][kind].append(line)
    db.session.execute(insert(Reminder), sent)
    enqueue(_mails(lines, today), now)
    return Batch(max(len(deadlines), len(renewals)), len(sent))


def _mails(lines: dict[int, dict[str, list[dict[str, Any]]]], today: date) -> list[Mail]:
    """One mail per organisation and batch; its key names the reminders it carries (sent once)."""
    addresses = manager_recipients(lines)
    mails = []
    for org, listed in lines.items():
        items = sorted(line["key"] for kind in listed.values() for line in kind)
        digest = hashlib.sha256(" ".join(items).encode()).hexdigest()[:16]
        link = app_link("workforce.compliance_view", organisation_id=org)
        context = {"today": today.isoformat(), "link": link, **listed}
        key = f"register_reminders:{org}:{digest}"
        mails.extend(Mail(key, r, TEMPLATE, context) for r in addresses.get(org, []))
    return mails
