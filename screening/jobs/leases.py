"""Leases in the database: how several scheduler processes agree that exactly one of them is active, and
that no job runs twice at once.

A lease is a row (name, holder, expires_at). :func:`acquire` is one atomic statement: take the row when it
is free, expired, or already ours (renewal), otherwise change nothing. On PostgreSQL the row lock makes a
second, simultaneous taker wait and then see the first one's lease; on SQLite the database write lock
serialises them. Each call commits on its own connection, so a lease is visible to the other processes at
once and never tied to a job's transaction.

Job leases are short and follow their holder: the process running a job renews the job's lease at every
heartbeat (:func:`renew`), and a process that takes the scheduler lease over from an expired holder releases
that holder's job leases at once (:func:`take_scheduler`): a dead process never keeps a job blocked for
longer than the scheduler lease.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from screening.db import writer
from screening.jobs.models import SchedulerLease

log = logging.getLogger("screening.scheduler")

#: The lease of the one active scheduler process.
SCHEDULER = "scheduler"
#: Job leases are named ``job:<name>``.
JOB_PREFIX = "job:"

_table = SchedulerLease.__table__


@dataclass(frozen=True)
class Lease:
    """Who holds lease ``name`` and until when (possibly already expired)."""

    name: str
    holder: str
    expires_at: datetime

    def held(self, now: datetime) -> bool:
        return self.expires_at > now


def new_holder(kind: str = "scheduler") -> str:
    """A holder id that names the machine and process, for the admin page and the logs."""
    return f"{kind}:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def job_lease(job: str) -> str:
    return f"{JOB_PREFIX}{job}"


def _take(connection: Connection, name: str, holder: str, now: datetime, seconds: int) -> bool:
    expires = now + timedelta(seconds=seconds)
    taken = connection.execute(
        update(_table)
        .where(_table.c.name == name, or_(_table.c.holder == holder, _table.c.expires_at <= now))
        .values(holder=holder, expires_at=expires, acquired_at=now)
    )
    if taken.rowcount == 1:
        return True
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    created = connection.execute(
        dialect.insert(_table)
        .values(name=name, holder=holder, acquired_at=now, expires_at=expires)
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(_table.c.name)
    )
    return created.first() is not None  # (rowcount is not reliable for INSERT ... ON CONFLICT)


def acquire(engine: Engine, name: str, holder: str, now: datetime, seconds: int) -> bool:
    """Take or renew lease ``name`` for ``seconds`` from ``now``; False when someone else holds it."""
    with writer(), engine.begin() as connection:
        return _take(connection, name, holder, now, seconds)


def take_scheduler(engine: Engine, holder: str, now: datetime, seconds: int) -> bool:
    """Take or renew the scheduler lease. Taking it over from another, expired holder also releases that
    holder's job leases (it stopped renewing them when it stopped renewing this one): the jobs it was
    running when it died may run again at once, instead of when their own leases lapse."""
    with writer(), engine.begin() as connection:  # IMMEDIATE on SQLite: the read below and the write are one
        statement = select(_table.c.holder).where(_table.c.name == SCHEDULER, _table.c.holder != holder)
        if connection.dialect.name == "postgresql":
            statement = statement.with_for_update()
        previous = connection.execute(statement).scalar()
        if not _take(connection, SCHEDULER, holder, now, seconds):
            return False
        if previous is None:
            return True
        released = connection.execute(
            update(_table)
            .where(_table.c.holder == previous, _table.c.name.startswith(JOB_PREFIX), _table.c.expires_at > now)
            .values(expires_at=now)
            .returning(_table.c.name)
        ).scalars().all()  # fmt: skip
    log.warning(
        "scheduler %s took over from %s; released its job leases: %s", holder, previous, ", ".join(released) or "none"
    )
    return True


def renew(engine: Engine, names: Collection[str], holder: str, now: datetime, seconds: int) -> set[str]:
    """Extend the leases ``names`` that ``holder`` still holds to ``seconds`` from ``now``, in one statement;
    returns those renewed (a lease missing from the answer was taken by someone else)."""
    if not names:
        return set()
    with writer(), engine.begin() as connection:
        renewed = connection.execute(
            update(_table)
            .where(_table.c.name.in_(sorted(names)), _table.c.holder == holder)
            .values(expires_at=now + timedelta(seconds=seconds))
            .returning(_table.c.name)
        ).scalars().all()  # fmt: skip
    return set(renewed)


def release(engine: Engine, name: str, holder: str, now: datetime) -> None:
    """Give the lease up at once (a clean stop), so a standby need not wait for it to lapse."""
    with writer(), engine.begin() as connection:
        connection.execute(
            update(_table).where(_table.c.name == name, _table.c.holder == holder).values(expires_at=now)
        )


def current(engine: Engine, name: str) -> tuple[str, datetime] | None:
    """Who holds lease ``name`` and until when (possibly already expired)."""
    with engine.connect() as connection:
        row = connection.execute(select(_table.c.holder, _table.c.expires_at).where(_table.c.name == name)).first()
    if row is None:
        return None
    return row.holder, row.expires_at


def everyone(engine: Engine) -> dict[str, Lease]:
    """Every lease by name (a few rows: the scheduler's and one per job), for the admin page."""
    with engine.connect() as connection:
        rows = connection.execute(select(_table.c.name, _table.c.holder, _table.c.expires_at)).all()
    return {row.name: Lease(row.name, row.holder, row.expires_at) for row in rows}
