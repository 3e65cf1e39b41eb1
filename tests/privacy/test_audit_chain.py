"""The audit trail is a hash chain: `screening audit verify` passes on an intact trail and names the first
entry that was edited, removed or inserted behind the application's back."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from sqlalchemy import func, select, text

from screening.actors import Actor
from screening.audit.chain import verify
from screening.audit.models import AuditChainHead, AuditEntry
from screening.audit.operations import record
from screening.db import db
from tests.conftest import fresh


def _entries() -> list[AuditEntry]:
    fresh()
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_verify_passes_on_an_intact_trail(factory, cli):  # type: ignore[no-untyped-def]
    factory.application("negative")
    factory.application("consent_refused")
    count = len(_entries())
    assert count >= 10
    result = cli("audit", "verify", "--batch-size", "3")  # several batches
    assert result.exit_code == 0, result.output
    assert f"OK: {count} audit entries" in result.output


def test_verify_names_the_entry_edited_in_the_database(factory, cli, admin_engine):  # type: ignore[no-untyped-def]
    factory.application("negative")
    entries = _entries()
    edited = entries[len(entries) // 2]
    with admin_engine.begin() as connection:
        connection.execute(text("UPDATE audit_entries SET actor = 'someone else' WHERE id = :id"), {"id": edited.id})
    result = cli("audit", "verify")
    assert result.exit_code == 1
    assert f"audit entry {edited.id} is broken" in result.output


def test_verify_notices_a_rehashed_edit_and_a_removed_entry(factory, cli, admin_engine):  # type: ignore[no-untyped-def]
    factory.application("in_review")
    entries = _entries()
    # someone who edits a row and recomputes its hash still breaks the next one
    victim, following = entries[1], entries[2]
    from screening.audit.chain import FIELDS, chain_hash

    forged = {name: getattr(victim, name) for name in FIELDS} | {"reason": "nothing happened"}
    with admin_engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_entries SET reason = :reason, entry_hash = :hash WHERE id = :id"),
            {"reason": "nothing happened", "hash": chain_hash(entries[0].entry_hash, forged), "id": victim.id},
        )
    result = cli("audit", "verify")
    assert result.exit_code == 1
    assert f"audit entry {following.id} is broken" in result.output
    # removing the newest entry leaves the chain head pointing past the end
    with admin_engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_entries SET reason = :r WHERE id = :id"), {"r": victim.reason, "id": victim.id}
        )
        connection.execute(
            text("UPDATE audit_entries SET entry_hash = :h WHERE id = :id"), {"h": victim.entry_hash, "id": victim.id}
        )
        connection.execute(text("DELETE FROM audit_entries WHERE id = :id"), {"id": entries[-1].id})
    result = cli("audit", "verify")
    assert result.exit_code == 1
    assert "entries were removed" in result.output


def test_rolled_back_entries_leave_the_chain_intact(app, factory):  # type: ignore[no-untyped-def]
    factory.application("draft")
    record(Actor.system("test"), "noise", "application", 1)
    db.session.flush()
    db.session.rollback()
    record(Actor.system("test"), "kept", "application", 1)
    db.session.commit()
    with db.engine.connect() as connection:
        verdict = verify(connection)
    assert verdict.ok, verdict
    assert verdict.entries == len(_entries())


def test_concurrent_writers_do_not_fork_the_chain(app, factory):  # type: ignore[no-untyped-def]
    """Eight threads, each its own session, writing entries at once: every entry lands in one chain.

    PostgreSQL queues the writers on the chain head's row lock. SQLite has one writer at a time; a deferred
    transaction that loses the race is refused ("database is locked") rather than allowed to fork, and is
    retried here as the scheduler retries a job.
    """
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    factory.application("draft")
    engine = db.engine
    errors: list[BaseException] = []
    refused: list[int] = []
    start = threading.Barrier(8)

    def write(n: int) -> None:
        try:
            start.wait()
            for i in range(5):
                for _attempt in range(200):
                    try:
                        with Session(bind=engine) as session, session.begin():
                            for j in range(3):
                                session.add(
                                    AuditEntry(
                                        at=datetime.now(UTC), actor=f"writer{n}", role="system",
                                        action=f"write{i}.{j}", object_type="test", object_id=n,
                                    )
                                )  # fmt: skip
                        break
                    except OperationalError:
                        if engine.dialect.name != "sqlite":
                            raise
                        refused.append(n)
                        time.sleep(0.01)  # noqa: TID251 - a real retry between real threads, not a clock
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    before = len(_entries())
    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    fresh()
    with engine.connect() as connection:
        verdict = verify(connection)
    assert verdict.ok, verdict
    total = db.session.scalar(select(func.count()).select_from(AuditEntry))
    assert total == before + 8 * 5 * 3
    assert verdict.entries == total
    assert db.session.get(AuditChainHead, 1).entries == total
