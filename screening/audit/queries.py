"""Reading the audit trail: the check of its integrity, batch after batch (never the whole table)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, select

from screening.audit.chain import FIELDS, HEAD_ID, REDACTABLE, ChainCheck, Verdict
from screening.audit.models import AuditChainHead, AuditEntry


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
    """Recompute the chain from the first entry, ``batch_size`` rows at a time."""
    check = ChainCheck()
    for rows in _batches(connection, batch_size):
        if not check.feed(rows):
            break
    table = AuditChainHead.__table__
    head = connection.execute(select(table.c.entry_hash, table.c.entries).where(table.c.id == HEAD_ID)).first()
    return check.end(head.entry_hash if head else None, head.entries if head else None)
