"""A leaver ends the organisation's reliance: once the register says the holder's last day has passed, that
organisation hears no more of the clearance's end (notices, expiry, webhooks); an organisation without a
register entry for the holder, or whose entry is still open, hears as before. The clock is moved."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from screening.actors import Actor
from screening.applications.models import Application
from screening.auth.models import User
from screening.clearances.models import Clearance
from screening.clock import day_start
from screening.db import db
from screening.extensions import vault
from screening.workforce.models import WorkforceMember
from screening.workforce.operations import MemberFields, add_member, record_leaver
from tests.conftest import fresh
from tests.scheduler.conftest import T0, World, days, tick


def _relied_on_by_three(world: World):
    """One clearance, relied on by a leaving, a staying and an unregistered organisation (each with HR mail)."""
    details = world.factory.person_details()
    managers = []
    for name in ("leaving", "staying", "unregistered"):
        organisation = world.organisation()
        world.user("hr", organisation, email=f"hr@{name}.example", locale="en")
        managers.append(world.requester(email=f"req@{name}.example", organisation=organisation))
    positive = world.application("positive", requester=managers[0], person=details)
    for manager in managers[1:]:
        covered = world.application("draft", requester=manager, person=details)
        world.fire(covered, "submit", T0 + days(1))
        world.fire(covered, "consent", T0 + days(1))
    fresh()
    clearance = db.session.get(Clearance, db.session.get(Application, positive.id).clearance_id)
    function = world.factory.function()
    for manager in managers[:2]:
        add_member(Actor.of(manager), vault(), manager.organisation_id, MemberFields(
            "P-1", details.given_names, details.family_name, details.date_of_birth, function.id, date(2026, 1, 5),
            details.national_number,
        ), now=T0)  # fmt: skip
    db.session.commit()
    return clearance, managers


def _leave(manager: User, day: date) -> None:
    member = db.session.scalar(
        select(WorkforceMember).where(WorkforceMember.organisation_id == manager.organisation_id)
    )
    record_leaver(Actor.of(manager), member, day, expected_version=member.version, now=T0)
    db.session.commit()


def _hr_mail(smtp, name):
    return [m for m in smtp.to(f"hr@{name}.example")]


def test_a_leaver_stops_the_expiry_notices_to_that_organisation_only(world: World, smtp):
    clearance, managers = _relied_on_by_three(world)
    end = clearance.valid_until
    at = lambda days_before: day_start(end - timedelta(days=days_before)) + timedelta(hours=6)  # noqa: E731
    tick(world.app, "clearance_expiry_notices", at(180))
    assert [len(_hr_mail(smtp, n)) for n in ("leaving", "staying", "unregistered")] == [1, 1, 1]

    last_day = end - timedelta(days=95)
    _leave(managers[0], last_day)
    tick(world.app, "clearance_expiry_notices", at(90))  # the last day has passed: no notice to the leaver's employer
    assert [len(_hr_mail(smtp, n)) for n in ("leaving", "staying", "unregistered")] == [1, 2, 2]

    tick(world.app, "clearance_expiry_notices", at(30))
    tick(world.app, "clearance_expiry", day_start(end + timedelta(days=1)) + timedelta(hours=1))
    assert [len(_hr_mail(smtp, n)) for n in ("leaving", "staying", "unregistered")] == [1, 4, 4]


def test_a_last_day_still_to_come_keeps_the_notices(world: World, smtp):
    clearance, managers = _relied_on_by_three(world)
    end = clearance.valid_until
    _leave(managers[0], end - timedelta(days=90))  # the notice day is the last day: still in the function
    tick(world.app, "clearance_expiry_notices", day_start(end - timedelta(days=90)) + timedelta(hours=6))
    assert len(_hr_mail(smtp, "leaving")) == 1
