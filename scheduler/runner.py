"""The scheduler process: APScheduler 3 with the jobs and schedules of the ``[scheduler]`` section, and the
leases that keep exactly one process active however many are started.

Why a lease and not just "start one": production runs several nodes, and the one running the scheduler
may die. Every process started with ``screening scheduler`` runs the same schedule; before each job a
process renews (or takes) the ``scheduler`` lease and runs the job only if it holds it, and a heartbeat
renews the lease between jobs. A standby's lease attempts fail until the active process stops renewing;
then the next attempt succeeds and the standby is the active one. Each job also takes its own lease, so a
job still running when the active process changes, or started by hand (``screening jobs run``), never runs
twice at once. Web processes never start any of this.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from types import FrameType

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from scheduler.jobs import JOBS
from screening.clock import utcnow
from screening.config import Config
from screening.db import db, writer
from screening.jobs import leases
from screening.jobs.models import JobRun

log = logging.getLogger("screening.scheduler")

Clock = Callable[[], datetime]


class UnknownJob(KeyError):
    """No job of that name: the message lists the known ones."""


@dataclass(frozen=True)
class RunResult:
    job: str
    #: ``done``, ``failed``, or ``skipped`` (standby, or the job is running elsewhere).
    status: str
    items: int = 0
    error: str | None = None
    run_id: int | None = None


def run_job(
    app: Flask,
    name: str,
    *,
    holder: str,
    now: datetime | None = None,
    trigger: str = "manual",
    require_active: bool = False,
    clock: Clock = utcnow,
) -> RunResult:
    """Run job ``name`` once in an application context of ``app``, as of ``now`` (default: the clock).

    Leases are taken on the ``clock`` (they measure real liveness), the job works on ``now`` (which tests and
    ``--now`` move). With ``require_active`` the job runs only while ``holder`` holds the scheduler lease.
    """
    if name not in JOBS:
        raise UnknownJob(f"unknown job {name!r}; known jobs: {', '.join(JOBS)}")
    config: Config = app.extensions["screening.config"]
    with app.app_context(), writer():
        engine = db.engine
        if require_active and not leases.acquire(
            engine, leases.SCHEDULER, holder, clock(), config.scheduler.lease_seconds
        ):
            return RunResult(name, "skipped", error="standby: another scheduler is active")
        lease = leases.job_lease(name)
        if not leases.acquire(engine, lease, holder, clock(), config.scheduler.job_lease_seconds):
            return RunResult(name, "skipped", error="running in another process")
        try:
            return _run(name, holder, now or clock(), trigger, clock)
        finally:
            leases.release(engine, lease, holder, clock())


def _run(name: str, holder: str, now: datetime, trigger: str, clock: Clock) -> RunResult:
    run = JobRun(job=name, trigger=trigger, holder=holder, as_of=now, started_at=clock())
    db.session.add(run)
    db.session.commit()
    try:
        items = JOBS[name](now)
    except Exception as error:  # noqa: BLE001 - a failed job is recorded and the scheduler keeps going
        db.session.rollback()
        log.exception("job %s failed", name)
        message = f"{error.__class__.__name__}: {error}"[:2000]
        run.finished_at, run.error = clock(), message
        db.session.commit()
        return RunResult(name, "failed", error=message, run_id=run.id)
    run.finished_at, run.items = clock(), items
    db.session.commit()
    log.info("job %s done: %d items", name, items)
    return RunResult(name, "done", items=items, run_id=run.id)


class SchedulerProcess:
    """One ``screening scheduler`` process: active while it holds the scheduler lease, standby otherwise."""

    def __init__(self, app: Flask, *, holder: str | None = None, clock: Clock = utcnow) -> None:
        self.app = app
        self.config: Config = app.extensions["screening.config"]
        self.holder = holder or leases.new_holder()
        self.clock = clock
        self.active = False

    def heartbeat(self) -> bool:
        """Renew (or take over) the scheduler lease; log when this process becomes active or standby."""
        with self.app.app_context():
            active = leases.acquire(
                db.engine, leases.SCHEDULER, self.holder, self.clock(), self.config.scheduler.lease_seconds
            )
        if active != self.active:
            log.info("scheduler %s is now %s", self.holder, "active" if active else "standby")
        self.active = active
        return active

    def tick(self, name: str, now: datetime | None = None) -> RunResult:
        """A scheduled run of ``name`` (as of ``now``, default the clock): only the active process runs it."""
        return run_job(
            self.app, name, holder=self.holder, now=now, trigger="schedule", require_active=True, clock=self.clock
        )

    def build(self, factory: Callable[..., BaseScheduler] = BlockingScheduler) -> BaseScheduler:
        """An APScheduler with the heartbeat and every job switched on in the configuration.

        ``coalesce`` runs a job once when several runs were missed (the job catches up by date anyway) and
        ``max_instances=1`` keeps a slow job from overlapping itself within the process.
        """
        settings = self.config.scheduler
        scheduler = factory(
            timezone=settings.timezone,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        )
        scheduler.add_job(
            self.heartbeat, IntervalTrigger(seconds=max(1, settings.lease_seconds // 3)), id="heartbeat",
            next_run_time=self.clock(),
        )  # fmt: skip
        for name in JOBS:
            expression = settings.schedule(name)
            if expression:
                trigger = CronTrigger.from_crontab(expression, timezone=settings.timezone)
                scheduler.add_job(self.tick, trigger, args=[name], id=name, name=name)
        return scheduler

    def stop(self) -> None:
        """Give the lease up so a standby takes over at its next heartbeat instead of after the lease lapses."""
        with self.app.app_context():
            leases.release(db.engine, leases.SCHEDULER, self.holder, self.clock())
        self.active = False

    def run(self) -> None:
        """Block, running jobs, until SIGTERM or Ctrl-C; then release the lease."""
        scheduler = self.build()

        def _stop(_signum: int, _frame: FrameType | None) -> None:
            scheduler.shutdown(wait=False)

        signal.signal(signal.SIGTERM, _stop)
        log.info("scheduler %s starting (%d jobs)", self.holder, len(scheduler.get_jobs()) - 1)
        try:
            scheduler.start()
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.stop()
