"""Audit entries are written like any row: two transactions writing entries at once do not wait on each other.

On PostgreSQL both transactions hold their inserted entry uncommitted at the same moment, the second with a
lock timeout of 1 s that never fires (the one-row chain head used to make it wait). SQLite has one writer
at a time by design: there, each transaction takes the database's write lock at BEGIN and the audit entry
adds no lock of its own, so writers only take turns (checked with threads), and every entry is sealed.
"""

from __future__ import annotations

import threading

from sqlalchemy import func, select, text

from screening.actors import Actor
from screening.audit.models import AuditEntry
from screening.audit.offline import redactable_digest
from screening.audit.setup import audit_keys
from screening.audit.verify import verify
from screening.clock import utcnow
from screening.db import db, session_factory, writer
from tests.conftest import fresh


def _entry(n: int) -> AuditEntry:
    actor = Actor.system(f"writer{n}")
    return AuditEntry(
        at=utcnow(), actor=actor.label, role="system", action="write", object_type="test", object_id=n,
        redactable_digest=redactable_digest(None, None),
    )  # fmt: skip


def _sealed_and_verified(app) -> int:
    from scheduler.runner import run_job

    fresh()
    assert run_job(app, "seal_audit_log", holder="test").status == "done"
    with db.engine.connect() as connection:
        report = verify(connection, audit_keys().public_keys)
    assert report.ok and report.unsealed == 0, report
    return report.entries


def test_two_transactions_write_audit_entries_at_once(app, backend):
    maker = session_factory(app)
    if backend == "postgresql":
        first, second = maker(), maker()
        try:
            first.add(_entry(1))
            first.flush()  # inserted, not committed: the first transaction is open
            second.execute(text("SET LOCAL lock_timeout = '1s'"))
            second.add(_entry(2))
            second.flush()  # would wait behind the first (and time out) if entries shared a lock
            second.commit()
            first.commit()
        finally:
            first.close()
            second.close()
    else:
        errors: list[BaseException] = []
        start = threading.Barrier(4)

        def write(n: int) -> None:
            try:
                start.wait()
                for _ in range(10):
                    with writer(), maker() as session, session.begin():
                        session.add(_entry(n))
            except BaseException as error:
                errors.append(error)

        with app.app_context():
            threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        assert errors == []
    fresh()
    total = db.session.scalar(select(func.count()).select_from(AuditEntry))
    assert total == (2 if backend == "postgresql" else 40)
    assert _sealed_and_verified(app) == total
