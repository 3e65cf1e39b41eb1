"""The scheduler process: APScheduler 3 with the jobs and schedules of the ``[scheduler]`` section, and the
leases that keep exactly one process active however many are started.

Why a lease and not just "start one": production runs several nodes, and the one running the scheduler
may die. Every process started with ``screening scheduler`` runs the same schedule; before each job a
process renews (or takes) the ``scheduler`` lease and runs the job only if it holds it, and a heartbeat
renews the lease between jobs. A standby's lease attempts fail until the active process stops renewing;
then the next attempt succeeds and the standby is the active one. Each job also takes its own, short lease,
so a job still running when the active process changes, or started by hand (``screening jobs run``), never
runs twice at once: the heartbeat renews the leases of the jobs running in its process, and a takeover
releases the job leases of the process that died, so its jobs run again at the next tick instead of after
a long lease. Web processes never start any of this.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from types import FrameType

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from scheduler.jobs import JOBS
from screening.clock import utcnow
from screening.config import Config, SchedulerConfig, schedule_trigger
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


class HeldLeases:
    """The job leases a process holds while their jobs run: the heartbeat renews exactly these."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._names: set[str] = set()

    def add(self, name: str) -> None:
        with self._lock:
            self._names.add(name)

    def discard(self, name: str) -> None:
        with self._lock:
            self._names.discard(name)

    def names(self) -> set[str]:
        with self._lock:
            return set(self._names)


@contextmanager
def _renewed_in_background(app: Flask, lease: str, holder: str, clock: Clock, seconds: int) -> Iterator[None]:
    """A run without a scheduler heartbeat (``screening jobs run``) renews its job lease from a thread of its
    own, every third of the lease, until the job ends."""
    engine = app.extensions["screening.engine"]
    done = threading.Event()

    def keep() -> None:
        while not done.wait(max(1, seconds // 3)):
            try:
                leases.renew(engine, [lease], holder, clock(), seconds)
            except SQLAlchemyError as error:
                log.warning("cannot renew %s: %s", lease, error)

    thread = threading.Thread(target=keep, name=f"renew-{lease}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=5)


def _skipped(name: str, reason: str) -> RunResult:
    log.info("job %s skipped: %s", name, reason)
    return RunResult(name, "skipped", error=reason)


def run_job(
    app: Flask,
    name: str,
    *,
    holder: str,
    now: datetime | None = None,
    trigger: str = "manual",
    require_active: bool = False,
    clock: Clock = utcnow,
    held: HeldLeases | None = None,
) -> RunResult:
    """Run job ``name`` once in an application context of ``app``, as of ``now`` (default: the clock).

    Leases are taken on the ``clock`` (they measure real liveness), the job works on ``now`` (which tests and
    ``--now`` move). With ``require_active`` the job runs only while ``holder`` holds the scheduler lease.
    The job's lease is renewed while it runs: by the scheduler's heartbeat when ``held`` (the process's
    :class:`HeldLeases`) is given, else by a thread of this run.
    """
    if name not in JOBS:
        raise UnknownJob(f"unknown job {name!r}; known jobs: {', '.join(JOBS)}")
    config: Config = app.extensions["screening.config"]
    seconds = config.scheduler.job_lease_seconds
    with app.app_context(), writer():
        engine = db.engine
        if require_active and not leases.take_scheduler(engine, holder, clock(), config.scheduler.lease_seconds):
            return _skipped(name, f"standby: {_holder_of(engine, leases.SCHEDULER)} is the active scheduler")
        lease = leases.job_lease(name)
        if not leases.acquire(engine, lease, holder, clock(), seconds):
            return _skipped(name, f"running in another process: {_holder_of(engine, lease)}")
        if held is not None:
            held.add(lease)
        try:
            if held is not None:
                return _run(name, holder, now or clock(), trigger, clock)
            with _renewed_in_background(app, lease, holder, clock, seconds):
                return _run(name, holder, now or clock(), trigger, clock)
        finally:
            if held is not None:
                held.discard(lease)
            leases.release(engine, lease, holder, clock())


def _holder_of(engine: Engine, name: str) -> str:
    found = leases.current(engine, name)
    return "another process" if found is None else f"{found[0]}, lease until {found[1]:%Y-%m-%d %H:%M:%S} UTC"


def _run(name: str, holder: str, now: datetime, trigger: str, clock: Clock) -> RunResult:
    run = JobRun(job=name, trigger=trigger, holder=holder, as_of=now, started_at=clock())
    db.session.add(run)
    db.session.commit()
    try:
        items = JOBS[name](now)
    except Exception as error:
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


def heartbeat_seconds(settings: SchedulerConfig) -> int:
    """Every third of the shorter lease: two heartbeats may fail before a lease lapses."""
    return max(1, min(settings.lease_seconds, settings.job_lease_seconds) // 3)


class SchedulerProcess:
    """One ``screening scheduler`` process: active while it holds the scheduler lease, standby otherwise."""

    def __init__(self, app: Flask, *, holder: str | None = None, clock: Clock = utcnow) -> None:
        self.app = app
        self.config: Config = app.extensions["screening.config"]
        self.holder = holder or leases.new_holder()
        self.clock = clock
        self.active = False
        self.held = HeldLeases()

    def heartbeat(self) -> bool:
        """Renew (or take over) the scheduler lease and the leases of the jobs running in this process; log
        when this process becomes active or standby. A database that does not answer makes it standby."""
        settings = self.config.scheduler
        engine = self.app.extensions["screening.engine"]
        running = self.held.names()
        try:
            now = self.clock()
            active = leases.take_scheduler(engine, self.holder, now, settings.lease_seconds)
            lost = running - leases.renew(engine, running, self.holder, now, settings.job_lease_seconds)
        except SQLAlchemyError as error:
            log.warning("scheduler %s: heartbeat failed: %s", self.holder, error.__class__.__name__)
            active, lost = False, set()
        for name in sorted(lost):
            log.error("scheduler %s lost %s while the job was running here", self.holder, name)
        if active != self.active:
            log.info("scheduler %s is now %s", self.holder, "active" if active else "standby")
        self.active = active
        return active

    def tick(self, name: str, now: datetime | None = None) -> RunResult:
        """A scheduled run of ``name`` (as of ``now``, default the clock): only the active process runs it."""
        return run_job(
            self.app, name, holder=self.holder, now=now, trigger="schedule", require_active=True, clock=self.clock,
            held=self.held,
        )  # fmt: skip

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
            self.heartbeat, IntervalTrigger(seconds=heartbeat_seconds(settings)), id="heartbeat",
            next_run_time=self.clock(),
        )  # fmt: skip
        for name in JOBS:
            expression = settings.schedule(name)
            if expression:
                trigger = schedule_trigger(expression, settings.timezone)
                scheduler.add_job(self.tick, trigger, args=[name], id=name, name=name)
        return scheduler

    def stop(self) -> None:
        """Give the lease up so a standby takes over at its next heartbeat instead of after the lease lapses."""
        with self.app.app_context():
            leases.release(db.engine, leases.SCHEDULER, self.holder, self.clock())
        self.active = False

    def run(self, scheduler: BaseScheduler | None = None) -> None:
        """Block, running jobs, until SIGTERM or Ctrl-C; then release the lease. ``scheduler`` is one made by
        :meth:`build` and changed by the caller (the fault tests tick every second instead of every minute)."""
        scheduler = scheduler or self.build()

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
