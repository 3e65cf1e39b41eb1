"""The register's reminders: a screening manager hears 60, 30 and 7 days before a member's deadline passes
without a covering advice, once per level (a missed day sends the closest level), and when a covered
member's renewal start day comes; leavers are left out. The clock is moved, the job run as the scheduler
runs it, the outbox read."""

from __future__ import annotations

from datetime import date, timedelta

from screening.actors import Actor
from screening.applications.models import Application
from screening.clearances.models import Clearance
from screening.clock import day_start, local_date
from screening.db import db
from screening.extensions import vault
from screening.workforce.models import WorkforceMember
from screening.workforce.operations import MemberFields, add_member, record_leaver
from tests.conftest import fresh
from tests.scheduler.conftest import T0, StatementCounter, World, days, outbox, run

TODAY = local_date(T0)


def _member(world: World, manager, function, started_on: date, details=None, number: str = "P-1"):
    details = details or world.factory.person_details()
    member = add_member(Actor.of(manager), vault(), manager.organisation_id, MemberFields(
        number, details.given_names, details.family_name, details.date_of_birth, function.id, started_on,
        details.national_number,
    ), now=T0)  # fmt: skip
    db.session.commit()
    return member


def _reminders(address: str) -> list[str]:
    return [m.body for m in outbox("register_reminders") if m.recipient == address]


def test_reminders_at_60_30_and_7_days_before_the_deadline_once_each(world: World):
    manager = world.requester(email="req@port.example")
    function = world.factory.function()  # required at once: the deadline is the day the person starts
    member = _member(world, manager, function, TODAY + timedelta(days=60))

    run(world.app, "register_reminders", T0)
    run(world.app, "register_reminders", T0)  # twice the same day: still one mail
    run(world.app, "register_reminders", T0 + days(1))
    bodies = _reminders("req@port.example")
    assert len(bodies) == 1
    assert member.given_names in bodies[0] and "60 days from now" in bodies[0]

    run(world.app, "register_reminders", T0 + days(30))
    run(world.app, "register_reminders", T0 + days(31))
    run(world.app, "register_reminders", T0 + days(53))
    run(world.app, "register_reminders", T0 + days(59))
    bodies = _reminders("req@port.example")
    assert len(bodies) == 3
    assert "30 days from now" in bodies[1] and "7 days from now" in bodies[2]


def test_a_missed_day_sends_the_closest_level_only(world: World):
    manager = world.requester(email="req@port.example", locale="nl")
    function = world.factory.function(required_from=TODAY + timedelta(days=20))
    _member(world, manager, function, date(2026, 1, 5))  # started before the function's date: that is the deadline

    run(world.app, "register_reminders", T0)
    bodies = _reminders("req@port.example")
    assert len(bodies) == 1 and "nog 20 dagen" in bodies[0]  # the 30-day level; no 60-day mail afterwards
    run(world.app, "register_reminders", T0 + days(14))
    assert len(_reminders("req@port.example")) == 2


def test_a_leaver_gets_nothing(world: World):
    manager = world.requester(email="req@port.example")
    function = world.factory.function(required_from=TODAY + timedelta(days=60))
    member = _member(world, manager, function, date(2026, 1, 5))
    fresh()
    member = db.session.get(WorkforceMember, member.id)
    record_leaver(Actor.of(manager), member, TODAY - timedelta(days=1), expected_version=member.version, now=T0)
    db.session.commit()

    for n in (0, 30, 53):
        run(world.app, "register_reminders", T0 + days(n))
    assert _reminders("req@port.example") == []


def test_a_covered_member_hears_of_the_renewal_on_its_start_day_only(world: World):
    manager = world.requester(email="req@port.example")
    details = world.factory.person_details()
    positive = world.application("positive", requester=manager, person=details)
    fresh()
    clearance = db.session.get(Clearance, db.session.get(Application, positive.id).clearance_id)
    function = world.factory.function(required_from=TODAY + timedelta(days=30), renewal_days=180)
    _member(world, manager, function, date(2026, 1, 5), details)

    run(world.app, "register_reminders", T0)  # covered: no deadline reminder, and no renewal yet
    start = clearance.valid_until - timedelta(days=180)
    run(world.app, "register_reminders", day_start(start - timedelta(days=1)) + timedelta(hours=6))
    assert _reminders("req@port.example") == []

    run(world.app, "register_reminders", day_start(start) + timedelta(hours=6))
    run(world.app, "register_reminders", day_start(start + timedelta(days=1)) + timedelta(hours=6))
    bodies = _reminders("req@port.example")
    assert len(bodies) == 1
    assert "must start now" in bodies[0] and details.given_names in bodies[0]


def test_one_mail_per_organisation_and_the_same_statements_for_2_and_6_due_people(world: World):
    def due(people: int) -> tuple[int, list[str]]:
        manager = world.requester(email=f"req{people}@port.example")
        function = world.factory.function(required_from=TODAY + timedelta(days=people * 100 + 7))
        for n in range(people):
            _member(world, manager, function, date(2026, 1, 5), number=f"P-{n}")
        with StatementCounter(world.app) as counter:
            run(world.app, "register_reminders", T0 + days(people * 100))
        return counter.count, _reminders(f"req{people}@port.example")

    run(world.app, "register_reminders", T0)  # the job's first run writes its lease: not what is measured
    two, six = due(2), due(6)
    assert len(two[1]) == 1 and len(six[1]) == 1
    assert six[1][0].count("Function") == 6
    assert two[0] == six[0]
