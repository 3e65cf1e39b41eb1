"""The port-wide summary is memoised per (day, version): after every kind of change it depends on, the
version has moved and the memoised answer equals a fresh computation (and the one the per-organisation
grouping gives); a second application node sharing the database sees a change at once; an unchanged version
costs the one statement that reads it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, event, select, update

from screening.actors import Actor
from screening.catalogue.models import CriticalFunction
from screening.clearances.models import Clearance
from screening.db import db
from screening.organisations.models import Organisation
from screening.people.models import Person
from screening.workforce import compliance, summary
from screening.workforce.models import WorkforceMember
from screening.workforce.operations import record_leaver
from tests.conftest import sign_in, today_utc
from tests.workforce.test_compliance import _member

TODAY = today_utc()


def _grouped(organisation_id: int) -> tuple[int, int]:
    """(current, overdue) as the per-organisation counts decide them, fresh: the reference to meet."""
    counts = compliance.count_now(organisation_id, TODAY)  # fresh, not its own memo
    return counts.total, counts.overdue


def _check(organisation_id: int, before: int | None, expected: tuple[int, int, int]) -> int:
    """The version moved since ``before``, and memo, fresh computation and the grouping agree on ``expected``."""
    db.session.commit()
    now = summary.version()
    assert now is not None and (before is None or now > before)
    memoised = summary.figures(TODAY)
    assert memoised == summary.compute(TODAY)
    assert memoised[organisation_id] == expected
    assert _grouped(organisation_id) == expected[1:]
    return now


@pytest.fixture
def story(factory, as_role):
    """A register of three, started five days ago in a function required at once: Covered (a positive
    advice), Waiting (consent asked) and Nobody (no file); the last two are past their deadline."""
    _client, manager = as_role("requester")
    function = factory.function()
    people = {}
    for name, state in [("Covered", "positive"), ("Waiting", "awaiting_consent"), ("Nobody", None)]:
        details = factory.person_details(family_name=name)
        if state:
            factory.application(state, requester=manager, person=details)
        people[name] = (details, _member(manager, details, function, TODAY - timedelta(days=5)))
    return manager, function, people


def test_every_change_the_summary_reads_moves_its_version(story, factory):
    manager, function, people = story
    org = manager.organisation_id
    version = _check(org, None, (3, 3, 2))

    late = factory.person_details(family_name="Late")
    joiner = _member(manager, late, function, TODAY - timedelta(days=1))
    version = _check(org, version, (4, 4, 3))  # a new member
    record_leaver(Actor.of(manager), joiner, TODAY - timedelta(days=1), expected_version=joiner.version)
    version = _check(org, version, (4, 3, 2))  # a leaver

    covered = db.session.scalars(
        select(Clearance).join(Person, Person.id == Clearance.person_id).where(Person.family_name == "Covered")
    ).one()
    until = covered.valid_until
    ended = {"valid_from": TODAY - timedelta(days=10), "valid_until": TODAY - timedelta(days=1)}
    db.session.execute(update(Clearance).where(Clearance.id == covered.id).values(**ended))
    version = _check(org, version, (4, 3, 3))  # a clearance's end (a batch's write, no ORM)
    db.session.execute(update(Clearance).where(Clearance.id == covered.id).values(valid_until=until))
    version = _check(org, version, (4, 3, 2))
    db.session.execute(update(Clearance).where(Clearance.id == covered.id).values(state="expired"))
    version = _check(org, version, (4, 3, 3))  # a clearance's state
    db.session.execute(update(Clearance).where(Clearance.id == covered.id).values(state="under_reevaluation"))
    version = _check(org, version, (4, 3, 2))  # still covering

    later = TODAY + timedelta(days=60)
    db.session.execute(update(CriticalFunction).where(CriticalFunction.id == function.id).values(required_from=later))
    version = _check(org, version, (4, 3, 0))  # the function's deadline moved
    db.session.execute(update(CriticalFunction).where(CriticalFunction.id == function.id).values(required_from=None))
    version = _check(org, version, (4, 3, 2))

    nobody, member = people["Nobody"]
    factory.application("positive", requester=manager, person=nobody)
    version = _check(org, version, (4, 3, 1))  # a file and its clearance
    db.session.execute(update(Person).where(Person.family_name == "Nobody").values(identity_hash=f"erased:{member.id}"))
    version = _check(org, version, (4, 3, 2))  # the person erased: no longer matched

    db.session.execute(
        update(WorkforceMember).where(WorkforceMember.id == member.id).values(started_on=TODAY + timedelta(days=9))
    )
    version = _check(org, version, (4, 3, 1))  # a member's start (a Core write)
    db.session.execute(delete(WorkforceMember).where(WorkforceMember.id == member.id))
    version = _check(org, version, (3, 2, 1))  # a member removed

    far = TODAY + timedelta(days=20 * 365)  # every clearance has ended by then
    assert summary.figures(far) == summary.compute(far)
    assert summary.figures(far)[org] == (3, 2, 2)


def test_an_unchanged_version_costs_one_statement(story):
    manager, _function, _people = story
    db.session.commit()
    first = summary.figures(TODAY)
    seen: list[str] = []
    engine = db.session.get_bind()  # the test's own context (requests have theirs)

    def listener(*args):
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", listener)
    try:
        again = summary.figures(TODAY)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert again == first and len(seen) == 1 and "change_counters" in seen[0], seen


def test_a_second_node_sees_a_change_at_once(story, make_app, factory):
    manager, function, _people = story
    officer = factory.user("officer")
    nodes = [sign_in(app.test_client(), officer) for app in (make_app(), make_app())]
    for node in nodes:
        page = node.get("/workforce").text
        assert "Port-wide, 2 people in a critical function today have no valid advice" in page
    _member(manager, factory.person_details(family_name="Joiner"), function, TODAY)  # through neither node
    for node in nodes:
        page = node.get("/workforce").text
        assert "Port-wide, 3 people in a critical function today have no valid advice" in page
        assert "(4 people in a critical function today.)" in page
    db.session.execute(update(Organisation).where(Organisation.id == manager.organisation_id).values(name="Renamed"))
    db.session.commit()
    for node in nodes:
        assert ">Renamed</a>" in node.get("/workforce").text  # the names are memoised too


def test_without_its_counter_row_the_summary_is_computed_each_time(story):
    manager, function, _people = story
    db.session.execute(delete(summary.ChangeCounter))
    db.session.commit()
    assert summary.version() is None
    assert summary.figures(TODAY)[manager.organisation_id] == (3, 3, 2)
