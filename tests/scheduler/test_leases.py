"""One active scheduler however many run: leases in the database, a standby taking over, and each job run
once even when two processes fire it at the same moment."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select

from scheduler import jobs as job_functions
from scheduler.jobs import JOBS
from scheduler.runner import RunResult, SchedulerProcess, run_job
from screening.db import db
from screening.jobs import leases
from screening.jobs.catalogue import job_table
from screening.jobs.models import JobRun
from screening.notifications.models import OutboxMessage
from tests.conftest import data_context, fresh
from tests.scheduler.conftest import T0, World, days

WALL = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def _race(*calls: Callable[[], object]) -> list[object]:
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = calls[index]()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def test_a_lease_is_renewed_by_its_holder_and_taken_over_once_expired(app: Flask):  # type: ignore[no-untyped-def]
    engine = db.engine
    assert leases.acquire(engine, "scheduler", "a", WALL, 60)
    assert not leases.acquire(engine, "scheduler", "b", WALL + timedelta(seconds=30), 60)
    assert leases.acquire(engine, "scheduler", "a", WALL + timedelta(seconds=50), 60)  # renewed until +110
    assert not leases.acquire(engine, "scheduler", "b", WALL + timedelta(seconds=100), 60)
    assert leases.acquire(engine, "scheduler", "b", WALL + timedelta(seconds=111), 60)  # a died: b takes over
    assert not leases.acquire(engine, "scheduler", "a", WALL + timedelta(seconds=112), 60)
    assert leases.current(engine, "scheduler") == ("b", WALL + timedelta(seconds=171))
    leases.release(engine, "scheduler", "b", WALL + timedelta(seconds=120))
    assert leases.acquire(engine, "scheduler", "a", WALL + timedelta(seconds=120), 60)


def test_a_standby_process_takes_over_when_the_active_one_stops_renewing(make_app):  # type: ignore[no-untyped-def]
    clock = {"now": WALL}
    first = SchedulerProcess(make_app(), holder="node-1", clock=lambda: clock["now"])
    second = SchedulerProcess(make_app(), holder="node-2", clock=lambda: clock["now"])
    assert first.heartbeat() and not second.heartbeat()
    clock["now"] += timedelta(seconds=20)
    assert first.heartbeat() and not second.heartbeat()
    assert second.tick("overdue_reviews").status == "skipped"
    clock["now"] += timedelta(seconds=81)  # node-1 died 81 s ago; its lease lasted 60 s
    assert second.heartbeat() and second.tick("overdue_reviews").status == "done"
    assert not first.heartbeat()
    second.stop()  # a clean stop hands over at once
    assert first.heartbeat()


def test_two_schedulers_on_one_database_run_each_job_once(make_app):  # type: ignore[no-untyped-def]
    """Two processes (two apps, two engines, two threads) fire every job at the same moment."""
    web = make_app()
    with data_context(web):
        world = World(web)
        for state in ("awaiting_consent", "info_requested", "appealed", "negative"):
            world.application(state)
    now = T0 + days(31)
    processes = [SchedulerProcess(make_app(), holder=f"node-{n}", clock=lambda: WALL) for n in (1, 2)]

    def all_jobs(process: SchedulerProcess) -> list[RunResult]:
        return [process.tick(name, now) for name in JOBS]

    first, second = _race(lambda: all_jobs(processes[0]), lambda: all_jobs(processes[1]))
    done = [r.job for r in [*first, *second] if r.status == "done"]  # type: ignore[union-attr]
    assert sorted(done) == sorted(JOBS)
    with data_context(web):
        fresh()
        runs = db.session.scalars(select(JobRun.job)).all()
        assert sorted(runs) == sorted(JOBS)
        keys = db.session.scalars(select(OutboxMessage.idempotency_key)).all()
        assert len(keys) == len(set(keys)) and keys


def test_a_job_never_runs_twice_at_once(make_app, monkeypatch):  # type: ignore[no-untyped-def]
    """Two manual runs of one job at the same moment (or a manual run during the scheduled one)."""
    started, release = threading.Event(), threading.Event()

    def slow(_now: datetime) -> int:
        started.set()
        assert release.wait(30)
        return 0

    monkeypatch.setitem(JOBS, "overdue_reviews", slow)
    apps = [make_app(), make_app()]
    results: dict[str, RunResult] = {}

    def first() -> None:
        results["first"] = run_job(apps[0], "overdue_reviews", holder="one", now=T0)

    thread = threading.Thread(target=first)
    thread.start()
    assert started.wait(30)
    second = run_job(apps[1], "overdue_reviews", holder="two", now=T0)
    release.set()
    thread.join(30)
    assert second.status == "skipped" and second.error == "running in another process"
    assert results["first"].status == "done"
    assert run_job(apps[1], "overdue_reviews", holder="two", now=T0).status == "done"  # free again
    assert job_functions.overdue_reviews is not slow


def test_the_process_schedules_every_job_from_the_configuration(make_app):  # type: ignore[no-untyped-def]
    from apscheduler.schedulers.background import BackgroundScheduler

    app = make_app(scheduler={"weekly_report": "", "deliver_mail": "*/5 * * * *"})
    process = SchedulerProcess(app, holder="node-1", clock=lambda: WALL)
    scheduler = process.build(BackgroundScheduler)
    ids = {job.id for job in scheduler.get_jobs()}
    assert ids == ({"heartbeat"} | set(JOBS)) - {"weekly_report"}
    later = WALL + timedelta(minutes=1)
    table = {info.name: info for info in job_table(app.extensions["screening.config"].scheduler, later)}
    assert table["weekly_report"].next_run is None
    assert table["deliver_mail"].next_run == WALL + timedelta(minutes=5)
    assert table["monthly_reports"].next_run == datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # 05:00 in Brussels
