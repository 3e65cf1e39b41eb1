"""Migration 0008 checks the old hash chain, then seals its entries, in order, as the first leaves of the log
(with an erasure event naming the entries erased before it); the first sealing run signs that head."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, insert, select, table, text

from screening import migrate
from screening.audit import chain
from screening.config import make_config
from tests.conftest import AUDIT_KEY

pytestmark = pytest.mark.nodb  # a database file of its own


def _chained_trail(engine, *, break_at: int | None = None) -> None:
    rows, previous = [], chain.GENESIS_HASH
    for n in range(1, 8):
        reason, address = (f"reason {n}", "10.0.0.1") if n != 3 else (None, None)
        entry = {
            "id": n, "at": datetime(2026, 11, n, 9, tzinfo=UTC), "actor_user_id": None, "actor": "system:test",
            "role": "system", "action": f"act{n}", "object_type": "application", "object_id": n,
            "organisation_id": None, "from_state": None, "to_state": None,
            "redactable_digest": chain.redactable_digest(f"reason {n}", "10.0.0.1"),
        }  # fmt: skip
        previous = chain.chain_hash(previous, entry)
        rows.append({**entry, "at": entry["at"].replace(tzinfo=None), "reason": reason, "client_address": address,
                     "entry_hash": previous if n != break_at else "0" * 64})  # fmt: skip
    with engine.begin() as connection:
        connection.execute(insert(table("audit_entries", *[__import__("sqlalchemy").column(k) for k in rows[0]])), rows)
        connection.execute(
            text("UPDATE audit_chain_head SET entry_hash = :h, entries = 7 WHERE id = 1"), {"h": previous}
        )


def test_the_chain_becomes_the_first_leaves_and_verifies(tmp_path):
    from screening.app import create_app
    from screening.audit.log import seal
    from screening.audit.setup import audit_keys
    from screening.audit.verify import verify
    from screening.db import db

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    migrate.upgrade(engine, "0007")
    _chained_trail(engine)  # entry 3 had its texts erased under the chain
    migrate.upgrade(engine)
    with engine.connect() as connection:
        leaves = connection.execute(text("SELECT id, leaf_index, action FROM audit_entries ORDER BY leaf_index")).all()
        head = connection.execute(text("SELECT tree_size, signature FROM audit_tree_heads")).one()
        named = connection.execute(text("SELECT entry_id FROM audit_erasures")).scalars().all()
    assert [(i, n) for i, n, _a in leaves[:7]] == [(n, n - 1) for n in range(1, 8)]
    assert leaves[7].action == "erase_trail_texts" and named == [3]
    assert head == (8, "")  # unsigned: the migration has no key
    engine.dispose()
    app = create_app(make_config(database={"url": url}, audit={"signing_key": AUDIT_KEY.decode()}))
    with app.app_context():
        with db.engine.connect() as connection:
            assert not verify(connection, audit_keys().public_keys).ok  # not signed yet
        seal(db.session.connection, audit_keys(), datetime.now(UTC), limit=100, commit=db.session.commit)
        with db.engine.connect() as connection:
            report = verify(connection, audit_keys().public_keys)
    app.extensions["screening.engine"].dispose()
    assert report.ok and (report.entries, report.heads, report.erased) == (8, 1, 1), report


def test_a_broken_chain_stops_the_migration(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'broken.db'}")
    migrate.upgrade(engine, "0007")
    _chained_trail(engine, break_at=5)
    with pytest.raises(RuntimeError, match="hash chain is broken at entry 5"):
        migrate.upgrade(engine)
    with engine.connect() as connection:
        assert connection.execute(select(text("version_num")).select_from(text("alembic_version"))).scalar() == "0007"
    engine.dispose()
