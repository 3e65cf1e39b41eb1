"""The audit trail's hook on the application's own sessions, attached by :func:`init_audit` at start-up.

Nothing happens on import: ``create_app`` calls :func:`init_audit`, which listens on the sessions of that
app's session factory (``db.sessionmaker``), so every entry any of them flushes is hashed, and sessions
of other code (a migration, a tool) are left alone.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import Connection, event, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from screening.audit.chain import FIELDS, GENESIS_HASH, HEAD_ID, chain_hash, redactable_digest
from screening.audit.models import AuditChainHead, AuditEntry
from screening.db import session_factory


def init_audit(app: Flask) -> None:
    """Hash the entries flushed by this app's sessions."""
    event.listen(session_factory(app), "before_flush", _chain_new_entries)


def lock_head(connection: Connection) -> tuple[str, int]:
    """The chain head (hash of the newest entry, number of entries), locked until the transaction ends."""
    table = AuditChainHead.__table__
    statement = select(table.c.entry_hash, table.c.entries).where(table.c.id == HEAD_ID).with_for_update()
    row = connection.execute(statement).first()
    if row is None:
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        connection.execute(
            dialect.insert(table)
            .values(id=HEAD_ID, entry_hash=GENESIS_HASH, entries=0)
            .on_conflict_do_nothing(index_elements=["id"])
        )
        row = connection.execute(statement).one()
    return row.entry_hash, row.entries


def _chain_new_entries(session: Session, _context: Any, _instances: Any) -> None:
    """Hash the entries about to be inserted, in the order they were added (the order of their ids)."""
    new = [obj for obj in session.new if isinstance(obj, AuditEntry) and not obj.entry_hash]
    if not new:
        return
    new.sort(key=lambda obj: sa_inspect(obj).insert_order)
    connection = session.connection()
    previous, entries = lock_head(connection)
    for entry in new:
        entry.redactable_digest = redactable_digest(entry.reason, entry.client_address)
        previous = entry.entry_hash = chain_hash(previous, {name: getattr(entry, name) for name in FIELDS})
    table = AuditChainHead.__table__
    connection.execute(
        update(table).where(table.c.id == HEAD_ID).values(entry_hash=previous, entries=entries + len(new))
    )
