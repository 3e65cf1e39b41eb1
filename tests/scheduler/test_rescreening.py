"""Issue 18 part 5: periodic re-screening of active holders. A clearance granted for a category-1 function is
due a year later ([rescreening] months_by_category); the job opens its re-evaluation then, in batches, reading
only what is due; the officers' queue shows these apart; a confirmation starts the period again."""

from __future__ import annotations

from datetime import timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from screening.actors import Actor
from screening.audit.models import AuditEntry
from screening.clearances.models import Clearance
from screening.clearances.operations import fire_clearance
from screening.clock import day_start, local_date
from screening.db import db
from screening.extensions import settings
from tests.conftest import fresh, sign_in
from tests.scheduler.conftest import T0, StatementCounter, World, run


def _clearance(world: World, category: int) -> Clearance:
    application = world.application("positive", now=T0, function=world.factory.function(category=category))
    fresh()
    return db.session.get(Clearance, application.clearance_id)


def test_a_category_one_clearance_is_reopened_a_year_on_and_shown_apart_in_the_queue(world: World):
    yearly = _clearance(world, 1)
    never = _clearance(world, 3)  # months_by_category = [12, 0, 0, 0] by default
    advised = local_date(T0)
    assert yearly.rescreen_due_on == advised + relativedelta(months=12) and never.rescreen_due_on is None

    run(world.app, "rescreening", day_start(advised + relativedelta(months=12)) - timedelta(minutes=1))
    assert db.session.get(Clearance, yearly.id).state == "valid"  # the day before: nothing

    result = run(world.app, "rescreening", day_start(advised + relativedelta(months=12)) + timedelta(hours=1))
    assert result.items == 1
    opened = db.session.get(Clearance, yearly.id)
    assert opened.state == "under_reevaluation" and opened.rescreen_opened_at is not None
    assert opened.rescreen_due_on is None and db.session.get(Clearance, never.id).state == "valid"
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.object_id == yearly.id, AuditEntry.action == "start_reevaluation")
    )
    assert entry.actor == "system:rescreening" and entry.reason == "periodic re-screening"
    assert run(world.app, "rescreening", day_start(advised + relativedelta(months=13))).items == 0  # once

    officer = sign_in(world.app.test_client(), world.officer)
    queue = officer.get("/queue").text
    assert 'id="rescreenings"' in queue and "Periodic re-screenings" in queue
    assert "periodic re-screening" in officer.get(f"/clearances/{yearly.id}").text
    listed = officer.get("/clearances?periodic=1").text
    assert opened.reference in listed and never.reference not in listed and "periodic re-screening" in listed

    # the officer confirms: the next re-screening is due a year after the confirmation
    confirmed_on = day_start(advised + relativedelta(months=12, days=3)) + timedelta(hours=9)
    fresh()  # a new transaction after the pages' writes
    opened = db.session.get(Clearance, yearly.id)
    fire_clearance(opened, "confirm", Actor(label="officer-x", role="officer"), reason="nothing new",
                   deadlines=settings().deadlines, now=confirmed_on)  # fmt: skip
    db.session.commit()
    fresh()
    again = db.session.get(Clearance, yearly.id)
    assert again.state == "valid" and again.rescreen_opened_at is None
    assert again.rescreen_due_on == local_date(confirmed_on) + relativedelta(months=12)
    assert opened.reference not in officer.get("/clearances?periodic=1").text


def test_an_officers_reevaluation_is_not_a_periodic_one(world: World):
    clearance = _clearance(world, 1)
    fire_clearance(clearance, "start_reevaluation", Actor(label="officer-x", role="officer"), reason="new facts",
                   deadlines=settings().deadlines, now=T0 + timedelta(days=1))  # fmt: skip
    db.session.commit()
    fresh()
    clearance = db.session.get(Clearance, clearance.id)
    assert clearance.rescreen_opened_at is None and clearance.rescreen_due_on is None
    officer = sign_in(world.app.test_client(), world.officer)
    assert clearance.reference not in officer.get("/clearances?periodic=1").text


def test_the_scan_reads_only_what_is_due_in_batches(world: World):
    clearances = [_clearance(world, 1) for _ in range(5)]
    due = local_date(T0) + relativedelta(months=12)
    with StatementCounter(world.app) as before:
        run(world.app, "rescreening", day_start(due) - timedelta(hours=1))
    assert all(db.session.get(Clearance, c.id).state == "valid" for c in clearances)
    with StatementCounter(world.app) as counter:
        run(world.app, "rescreening", day_start(due) + timedelta(hours=1))
    assert {db.session.get(Clearance, c.id).state for c in clearances} == {"under_reevaluation"}
    # a fixed number of statements per batch, not per clearance
    assert counter.count - before.count < 20, (before.count, counter.count)
