"""The tamper-evident audit trail: every entry chains the hash of the one before it.

``entry_hash = SHA-256(previous entry's hash || canonical content)``, the canonical content being the
entry's fields as compact JSON in a fixed order (the id is left out: the order of the chain is the order of
ids). The two fields that may hold personal data, the free-text ``reason`` and the ``client_address``, enter
the chain through their digest (``redactable_digest``): erasure sets both to NULL and the chain still
verifies, while any other change to them is caught by the digest. Editing, removing or inserting an entry
afterwards breaks the chain at that entry; cutting entries off the end leaves the chain head (one row,
``audit_chain_head``) pointing past the last entry.

Hashes are computed when the entries are flushed, with the chain head locked (``SELECT ... FOR UPDATE`` on
PostgreSQL; on SQLite the transaction already holds the database's single write lock), so two writers queue
instead of forking the chain, and the head moves with the transaction: a rollback leaves it where it was.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, event, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from screening.audit.models import GENESIS_HASH, AuditChainHead, AuditEntry

#: The hashed fields, in their hashed order.
FIELDS = (
    "at", "actor_user_id", "actor", "role", "action", "object_type", "object_id", "organisation_id",
    "from_state", "to_state", "redactable_digest",
)  # fmt: skip
#: Fields that erasure may remove (together); the chain covers their digest instead of their text.
REDACTABLE = ("reason", "client_address")
HEAD_ID = 1


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def canonical(entry: Mapping[str, Any]) -> bytes:
    """The entry's content as it is hashed: a JSON array of :data:`FIELDS`, compact, UTF-8."""
    values = [_value(entry[name]) for name in FIELDS]
    return json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode()


def redactable_digest(reason: str | None, client_address: str | None) -> str:
    return hashlib.sha256(json.dumps([reason, client_address], ensure_ascii=False).encode()).hexdigest()


def chain_hash(previous: str, entry: Mapping[str, Any]) -> str:
    return hashlib.sha256(previous.encode() + b"\n" + canonical(entry)).hexdigest()


def _fields(entry: AuditEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in FIELDS}


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


def move_head(connection: Connection, entry_hash: str, entries: int) -> None:
    table = AuditChainHead.__table__
    connection.execute(update(table).where(table.c.id == HEAD_ID).values(entry_hash=entry_hash, entries=entries))


@event.listens_for(Session, "before_flush")
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
        previous = entry.entry_hash = chain_hash(previous, _fields(entry))
    move_head(connection, previous, entries + len(new))


# -- verification ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Verdict:
    """The outcome of a check: ``broken_id`` names the first entry whose hash does not match, if any."""

    entries: int
    broken_id: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _batches(connection: Connection, size: int) -> Iterator[list[Any]]:
    table = AuditEntry.__table__
    columns = [table.c.id, table.c.entry_hash, *(table.c[name] for name in (*FIELDS, *REDACTABLE))]
    last = 0
    while True:
        rows = connection.execute(select(*columns).where(table.c.id > last).order_by(table.c.id).limit(size)).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id


def verify(connection: Connection, *, batch_size: int = 1000) -> Verdict:
    """Recompute the chain from the first entry, ``batch_size`` rows at a time (never the whole table)."""
    previous, count = GENESIS_HASH, 0
    for rows in _batches(connection, batch_size):
        for row in rows:
            erased = row.reason is None and row.client_address is None
            if not erased and redactable_digest(row.reason, row.client_address) != row.redactable_digest:
                return Verdict(count, row.id, "its reason or address was changed")
            expected = chain_hash(previous, row._mapping)
            if row.entry_hash != expected:
                return Verdict(count, row.id, "its content or its place in the chain was changed")
            previous = row.entry_hash
            count += 1
    table = AuditChainHead.__table__
    head = connection.execute(select(table.c.entry_hash, table.c.entries).where(table.c.id == HEAD_ID)).first()
    if head is None and count == 0:
        return Verdict(0)
    if head is None or head.entry_hash != previous or head.entries != count:
        return Verdict(count, None, "the trail ends before the recorded chain head: entries were removed")
    return Verdict(count)
