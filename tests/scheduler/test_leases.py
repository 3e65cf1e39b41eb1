"""One active scheduler however many run: leases in the database, a standby taking over, and each job run
once even when two processes fire it at the same moment."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import Engine, select

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
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def test_a_lease_is_renewed_by_its_holder_and_taken_over_once_expired(app: Flask):
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


def test_a_standby_process_takes_over_when_the_active_one_stops_renewing(make_app):
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


def test_two_schedulers_on_one_database_run_each_job_once(make_app):
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
    done = [r.job for r in [*first, *second] if r.status == "done"]
    assert sorted(done) == sorted(JOBS)
    with data_context(web):
        fresh()
        runs = db.session.scalars(select(JobRun.job)).all()
        assert sorted(runs) == sorted(JOBS)
        keys = db.session.scalars(select(OutboxMessage.idempotency_key)).all()
        assert len(keys) == len(set(keys)) and keys


def test_a_job_never_runs_twice_at_once(make_app, monkeypatch):
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
    assert second.status == "skipped" and second.error.startswith("running in another process: one, lease until")
    assert results["first"].status == "done"
    assert run_job(apps[1], "overdue_reviews", holder="two", now=T0).status == "done"  # free again
    assert job_functions.overdue_reviews is not slow


def test_the_process_schedules_every_job_from_the_configuration(make_app):
    from apscheduler.schedulers.background import BackgroundScheduler

    app = make_app(scheduler={"schedules": {"weekly_report": "", "deliver_mail": "*/5 * * * *"}})
    process = SchedulerProcess(app, holder="node-1", clock=lambda: WALL)
    scheduler = process.build(BackgroundScheduler)
    ids = {job.id for job in scheduler.get_jobs()}
    assert ids == ({"heartbeat"} | set(JOBS)) - {"weekly_report"}
    later = WALL + timedelta(minutes=1)
    table = {info.name: info for info in job_table(app.extensions["screening.config"].scheduler, later)}
    assert table["weekly_report"].next_run is None
    assert table["deliver_mail"].next_run == WALL + timedelta(minutes=5)
    assert table["monthly_reports"].next_run == datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # 05:00 in Brussels


def test_the_sealer_runs_every_5_seconds_and_any_job_may_take_an_interval(make_app):
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    app = make_app(scheduler={"schedules": {"deliver_mail": "Every 30 seconds", "weekly_report": "every 2 minutes"}})
    config = app.extensions["screening.config"].scheduler
    assert config.schedule("seal_audit_log") == "every 5 seconds"
    scheduler = SchedulerProcess(app, holder="node-1", clock=lambda: WALL).build(BackgroundScheduler)
    triggers = {job.id: job.trigger for job in scheduler.get_jobs()}
    intervals = {name: trigger.interval for name, trigger in triggers.items() if isinstance(trigger, IntervalTrigger)}
    assert intervals["seal_audit_log"] == timedelta(seconds=5)
    assert intervals["deliver_mail"] == timedelta(seconds=30) and intervals["weekly_report"] == timedelta(minutes=2)
    assert isinstance(triggers["monthly_reports"], CronTrigger)
    table = {info.name: info for info in job_table(config, WALL)}
    assert table["seal_audit_log"].next_run == WALL + timedelta(seconds=5)
    assert table["seal_audit_log"].schedule == "every 5 seconds"


# -- job leases that follow their holder (issue 14) -------------------------------------------------------
def _engine(process: SchedulerProcess) -> Engine:
    return process.app.extensions["screening.engine"]


def _blocking_job(monkeypatch, name: str = "overdue_reviews") -> tuple[threading.Event, threading.Event]:
    started, release = threading.Event(), threading.Event()

    def slow(_now: datetime) -> int:
        started.set()
        assert release.wait(30)
        return 0

    monkeypatch.setitem(JOBS, name, slow)
    return started, release


def test_the_heartbeat_renews_the_lease_of_a_job_running_past_it(make_app, monkeypatch, caplog):
    """A job running three job leases long keeps its lease through the heartbeats: nobody starts it twice."""
    clock = {"now": WALL}
    active = SchedulerProcess(make_app(), holder="node-1", clock=lambda: clock["now"])
    other = make_app()
    started, release = _blocking_job(monkeypatch)
    assert active.heartbeat()
    results: dict[str, RunResult] = {}
    thread = threading.Thread(target=lambda: results.setdefault("run", active.tick("overdue_reviews", T0)))
    thread.start()
    try:
        assert started.wait(30)
        job_lease = active.config.scheduler.job_lease_seconds
        for _ in range(3 * job_lease // 20):  # a heartbeat every 20 s of (moved) time
            clock["now"] += timedelta(seconds=20)
            assert active.heartbeat()
        assert leases.current(_engine(active), "job:overdue_reviews") == (
            "node-1",
            clock["now"] + timedelta(seconds=job_lease),
        )
        caplog.set_level("INFO", logger="screening.scheduler")
        second = run_job(other, "overdue_reviews", holder="cli-x", now=T0, clock=lambda: clock["now"])
        assert second.status == "skipped" and second.error.startswith("running in another process: node-1, lease until")
        assert f"job overdue_reviews skipped: {second.error}" in caplog.text  # skipped runs say why
    finally:
        release.set()
        thread.join(30)
    assert results["run"].status == "done"
    assert active.held.names() == set()  # the finished job's lease is no longer renewed...
    assert run_job(other, "overdue_reviews", holder="cli-x", now=T0, clock=lambda: clock["now"]).status == "done"


def test_a_takeover_frees_the_job_leases_of_the_dead_scheduler(make_app, caplog):
    """The active scheduler dies inside deliver_mail (its job lease still valid for minutes): the standby
    sends mail at its first tick after the scheduler lease lapsed, not when the dead one's job lease would."""
    clock = {"now": WALL}
    dead = SchedulerProcess(make_app(), holder="node-1", clock=lambda: clock["now"])
    standby = SchedulerProcess(make_app(), holder="node-2", clock=lambda: clock["now"])
    settings = dead.config.scheduler
    assert dead.heartbeat() and not standby.heartbeat()
    # node-1 is killed in the middle of a delivery: it holds job:deliver_mail and never releases it.
    assert leases.acquire(_engine(dead), "job:deliver_mail", "node-1", clock["now"], settings.job_lease_seconds)
    assert leases.acquire(_engine(dead), "job:monthly_reports", "node-1", clock["now"], settings.job_lease_seconds)
    assert leases.acquire(_engine(dead), "job:weekly_report", "cli-y", clock["now"], settings.job_lease_seconds)
    died = clock["now"]
    clock["now"] += timedelta(seconds=settings.lease_seconds // 2)
    assert standby.tick("deliver_mail").status == "skipped"  # node-1's lease still runs: standby
    clock["now"] = died + timedelta(seconds=settings.lease_seconds + 1)
    caplog.set_level("WARNING", logger="screening.scheduler")
    assert standby.heartbeat()
    assert "node-2 took over from node-1; released its job leases: job:deliver_mail, job:monthly_reports" in caplog.text
    result = standby.tick("deliver_mail")
    assert result.status == "done"
    assert clock["now"] - died < timedelta(seconds=settings.lease_seconds + 60)  # scheduler lease + one tick
    assert clock["now"] - died < timedelta(seconds=settings.job_lease_seconds)  # before the job lease lapsed
    # A manual run's lease is another holder's: a takeover leaves it alone.
    assert leases.current(_engine(dead), "job:weekly_report")[0] == "cli-y"
    assert (
        run_job(standby.app, "weekly_report", holder="node-2", now=T0, clock=lambda: clock["now"]).status == "skipped"
    )


def test_a_takeover_by_a_scheduled_run_also_frees_the_dead_schedulers_jobs(make_app):
    """The standby's job tick may come before its heartbeat: taking the scheduler lease there frees them too."""
    clock = {"now": WALL}
    dead = SchedulerProcess(make_app(), holder="node-1", clock=lambda: clock["now"])
    standby = SchedulerProcess(make_app(), holder="node-2", clock=lambda: clock["now"])
    assert dead.heartbeat()
    assert leases.acquire(_engine(dead), "job:deliver_mail", "node-1", clock["now"], 3600)
    clock["now"] += timedelta(seconds=dead.config.scheduler.lease_seconds + 1)
    assert standby.tick("deliver_mail").status == "done"


def test_a_manual_run_renews_its_lease_without_a_scheduler(make_app, monkeypatch):
    """``screening jobs run`` has no heartbeat: a thread of the run renews the job lease (every third of it)."""
    clock = {"now": WALL}
    app = make_app(scheduler={"job_lease_seconds": 3})
    renewed = threading.Event()

    def long_job(_now: datetime) -> int:
        clock["now"] += timedelta(hours=1)  # the job runs for an hour of (moved) time...
        engine = app.extensions["screening.engine"]
        for _ in range(100):  # ...and within about a second of real time the run's thread renewed its lease
            if renewed.wait(0.1) or leases.current(engine, "job:overdue_reviews")[1] > clock["now"]:
                renewed.set()
                break
        return 1

    monkeypatch.setitem(JOBS, "overdue_reviews", long_job)
    result = run_job(app, "overdue_reviews", holder="cli-z", now=T0, clock=lambda: clock["now"])
    assert result.status == "done" and renewed.is_set()


def test_a_heartbeat_without_a_database_makes_the_process_standby(make_app, caplog):
    process = SchedulerProcess(
        make_app(database={"url": "postgresql+psycopg://nobody:x@127.0.0.1:1/none"}), holder="node-9",
        clock=lambda: WALL,
    )  # fmt: skip
    process.active = True
    caplog.set_level("WARNING", logger="screening.scheduler")
    assert process.heartbeat() is False and process.active is False
    assert "scheduler node-9: heartbeat failed: OperationalError" in caplog.text


def test_the_jobs_page_shows_who_holds_each_lease_and_until_when(make_app, factory):
    from tests.conftest import sign_in

    web = make_app()
    with data_context(web):
        admin = factory.user("admin")
    now, engine = datetime.now(UTC), web.extensions["screening.engine"]
    assert leases.acquire(engine, "scheduler", "scheduler:node-a:1:abc", now, 60)
    assert leases.acquire(engine, "job:deliver_mail", "scheduler:node-a:1:abc", now, 120)
    assert leases.acquire(engine, "job:retention_purge", "cli:node-b:2:def", now - timedelta(hours=1), 60)
    page = sign_in(web.test_client(), admin).get("/admin/jobs")
    assert page.status_code == 200
    row = page.text[page.text.index("<strong>deliver_mail</strong>") :].split("</tr>")[0]
    assert "scheduler:node-a:1:abc" in row and "until" in row
    purge = page.text[page.text.index("<strong>retention_purge</strong>") :].split("</tr>")[0]
    assert "cli:node-b:2:def" not in purge  # expired: nobody holds it
