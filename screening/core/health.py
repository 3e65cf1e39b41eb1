"""What the health endpoints prove (docs/operations.md, "Health and monitoring").

- Liveness (``/livez``): the process answers requests. It asks nothing of the database, so an orchestrator
  does not restart healthy web processes during a database outage (they recover on their own).
- Readiness (``/readyz``, and ``/healthz`` as before): this process can serve users now. The database
  accepts a write: a row is inserted in a transaction of its own that is rolled back, so nothing stays
  and a read-only database (a replica promoted wrongly, a file or disk gone read-only) answers 503, where
  a ``SELECT 1`` stayed green while every sign-in failed. Where ``scheduler.readiness_requires_scheduler``
  is set, some scheduler must also hold the scheduler lease (point a monitor there, not a load balancer:
  the web can serve without a scheduler).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert
from sqlalchemy.exc import SQLAlchemyError

from screening.jobs import leases
from screening.jobs.models import SchedulerLease

#: How long the write probe may wait on PostgreSQL before the database counts as not accepting writes.
PROBE_TIMEOUT_MS = 5000


@dataclass
class Readiness:
    ready: bool = True
    checks: dict[str, Any] = field(default_factory=dict)

    def fail(self, check: str, value: Any) -> None:
        self.ready = False
        self.checks[check] = value


def database_accepts_write(engine: Engine, now: datetime) -> str | None:
    """None when the database took a write (then rolled it back); else why not, in a few safe words (the
    class of the error: its text may name hosts and users)."""
    try:
        connection = engine.connect()
    except SQLAlchemyError as error:
        return f"unreachable ({error.__class__.__name__})"
    try:
        with connection:
            transaction = connection.begin()
            try:
                if engine.dialect.name == "postgresql":
                    connection.exec_driver_sql(f"SET LOCAL statement_timeout = {PROBE_TIMEOUT_MS}")
                connection.execute(
                    insert(SchedulerLease.__table__).values(
                        name=f"health:{uuid.uuid4().hex}", holder="readiness probe", acquired_at=now, expires_at=now
                    )
                )
            finally:
                transaction.rollback()
    except SQLAlchemyError as error:
        return f"refuses writes ({error.__class__.__name__})"
    return None


def readiness(engine: Engine, now: datetime, *, require_scheduler: bool) -> Readiness:
    result = Readiness()
    problem = database_accepts_write(engine, now)
    if problem:
        result.fail("database", problem)
        return result
    result.checks["database"] = "ok"
    try:
        lease = leases.current(engine, leases.SCHEDULER)
    except SQLAlchemyError as error:
        result.fail("database", f"unreachable ({error.__class__.__name__})")
        return result
    if lease is not None and lease[1] > now:
        result.checks["scheduler"] = {"holder": lease[0], "until": lease[1].isoformat()}
    elif require_scheduler:
        result.fail("scheduler", "no scheduler holds the lease")
    else:
        result.checks["scheduler"] = "none (not required)"
    return result
