"""The audit trail is a hash chain: `screening audit verify` passes on an intact trail and names the first
entry that was edited, removed or inserted behind the application's back."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from sqlalchemy import func, select, text

from screening.actors import Actor
from screening.audit.models import AuditChainHead, AuditEntry
from screening.audit.operations import record
from screening.audit.queries import verify
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
    factory.application("withdrawn")
    factory.application("draft")  # entries after the one edited
    entries = _entries()
    position = next(i for i, e in enumerate(entries) if e.action == "withdraw")
    victim, before, following = entries[position], entries[position - 1], entries[position + 1]
    assert victim.reason
    # an edit of a reason alone breaks its digest
    with admin_engine.begin() as connection:
        connection.execute(text("UPDATE audit_entries SET reason = 'nothing' WHERE id = :id"), {"id": victim.id})
    result = cli("audit", "verify")
    assert result.exit_code == 1 and f"audit entry {victim.id} is broken" in result.output
    # someone who also recomputes the digest and the entry's hash still breaks the next entry
    from screening.audit.chain import FIELDS, chain_hash, redactable_digest

    digest = redactable_digest("nothing", victim.client_address)
    forged = {name: getattr(victim, name) for name in FIELDS} | {"redactable_digest": digest}
    with admin_engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_entries SET redactable_digest = :d, entry_hash = :h WHERE id = :id"),
            {"d": digest, "h": chain_hash(before.entry_hash, forged), "id": victim.id},
        )
    result = cli("audit", "verify")
    assert result.exit_code == 1 and f"audit entry {following.id} is broken" in result.output
    # put it back: intact again; then removing the newest entry leaves the head pointing past the end
    with admin_engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_entries SET reason = :r, redactable_digest = :d, entry_hash = :h WHERE id = :id"),
            {"r": victim.reason, "d": victim.redactable_digest, "h": victim.entry_hash, "id": victim.id},
        )
    assert cli("audit", "verify").exit_code == 0
    with admin_engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_entries WHERE id = :id"), {"id": entries[-1].id})
    result = cli("audit", "verify")
    assert result.exit_code == 1
    assert "entries were removed" in result.output


def test_erasing_reasons_and_addresses_keeps_the_chain_verifiable(app, factory, cli):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from screening.clock import utcnow
    from screening.extensions import settings
    from screening.retention.operations import purge_due

    application = factory.application("withdrawn")
    purge_due(utcnow() + timedelta(days=400), settings().retention)
    db.session.commit()
    reasons = [
        (e.action, e.reason, e.client_address)
        for e in _entries()
        if e.object_type == "application" and e.object_id == application.id
    ]
    assert ("withdraw", None, None) in reasons  # "text for withdraw" is gone from the trail
    assert not any(reason and "text for" in reason for _a, reason, _c in reasons)
    result = cli("audit", "verify")
    assert result.exit_code == 0, result.output


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

    from screening.db import session_factory

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
                        with session_factory(app)() as session, session.begin():
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
