"""Leases in the database: how several scheduler processes agree that exactly one of them is active, and
that no job runs twice at once.

A lease is a row (name, holder, expires_at). :func:`acquire` is one atomic statement: take the row when it
is free, expired, or already ours (renewal), otherwise change nothing. On PostgreSQL the row lock makes a
second, simultaneous taker wait and then see the first one's lease; on SQLite the database write lock
serialises them. Each call commits on its own connection, so a lease is visible to the other processes at
once and never tied to a job's transaction.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from screening.jobs.models import SchedulerLease

#: The lease of the one active scheduler process.
SCHEDULER = "scheduler"

_table = SchedulerLease.__table__


def new_holder(kind: str = "scheduler") -> str:
    """A holder id that names the machine and process, for the admin page and the logs."""
    return f"{kind}:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def job_lease(job: str) -> str:
    return f"job:{job}"


def acquire(engine: Engine, name: str, holder: str, now: datetime, seconds: int) -> bool:
    """Take or renew lease ``name`` for ``seconds`` from ``now``; False when someone else holds it."""
    expires = now + timedelta(seconds=seconds)
    with engine.begin() as connection:
        taken = connection.execute(
            update(_table)
            .where(_table.c.name == name, or_(_table.c.holder == holder, _table.c.expires_at <= now))
            .values(holder=holder, expires_at=expires, acquired_at=now)
        )
        if taken.rowcount == 1:
            return True
        dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
        created = connection.execute(
            dialect.insert(_table)
            .values(name=name, holder=holder, acquired_at=now, expires_at=expires)
            .on_conflict_do_nothing(index_elements=["name"])
            .returning(_table.c.name)
        )
        return created.first() is not None  # (rowcount is not reliable for INSERT ... ON CONFLICT)


def release(engine: Engine, name: str, holder: str, now: datetime) -> None:
    """Give the lease up at once (a clean stop), so a standby need not wait for it to lapse."""
    with engine.begin() as connection:
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
