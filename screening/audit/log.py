"""The audit log: committed entries sealed into an RFC 9162 Merkle tree, and signed tree heads.

Writers insert :class:`AuditEntry` rows inside their own transactions and lock nothing else. The sealer
(:func:`seal_batch`, one at a time under its job lease) takes committed entries not yet sealed, gives
each the next leaf index in the order it seals them, stores the tree nodes they complete, and signs the
new tree head, all in one transaction: every sealed entry is always under a signed head. Memory is the
batch plus the tree's right edge (one node per level), whatever the size of the log.

Proofs (:func:`inclusion_proof`, :func:`consistency_proof`) are folds of stored nodes, fetched in one
query; the checks themselves are those of :mod:`screening.audit.offline`, which has no application import.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, tuple_, update

from screening.audit import offline
from screening.audit.keys import AuditKeys
from screening.audit.models import AuditEntry, AuditTreeHead, AuditTreeNode
from screening.audit.tree import (
    Frontier,
    Node,
    Range,
    consistency_ranges,
    frontier,
    inclusion_ranges,
    nodes_of,
    range_hash,
)

entries = AuditEntry.__table__
nodes = AuditTreeNode.__table__
heads = AuditTreeHead.__table__

#: The columns a leaf is made of.
LEAF_COLUMNS = [entries.c[name] for name in offline.LEAF_FIELDS]


class LogError(RuntimeError):
    """The log cannot be sealed or proven as it stands (a missing key, heads that disagree with the tree)."""


def leaf_of(row: Mapping[str, Any]) -> bytes:
    return offline.leaf_hash(offline.leaf_data(row))


def tree_size(connection: Connection) -> int:
    last = connection.scalar(select(func.max(entries.c.leaf_index)))
    return 0 if last is None else last + 1


def stored_nodes(connection: Connection, wanted: Iterable[Node]) -> dict[Node, bytes]:
    """The stored hashes of ``wanted`` nodes, in one query per thousand nodes."""
    wanted = sorted(set(wanted))
    found: dict[Node, bytes] = {}
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start : start + 1000]
        rows = connection.execute(
            select(nodes.c.level, nodes.c.index, nodes.c.hash).where(tuple_(nodes.c.level, nodes.c.index).in_(chunk))
        )
        found.update({(row.level, row.index): bytes(row.hash) for row in rows})
    missing = [node for node in wanted if node not in found]
    if missing:
        raise LogError(f"the stored tree lacks {len(missing)} node(s), e.g. level {missing[0][0]} #{missing[0][1]}")
    return found


def latest_head(connection: Connection) -> Any:
    return connection.execute(select(heads).order_by(heads.c.tree_size.desc()).limit(1)).first()


def head_document(row: Any) -> dict[str, Any]:
    """A tree head as exported and as :func:`offline.verify_head` reads it."""
    return {
        "log": "screening-audit",
        "tree_size": row.tree_size,
        "root_hash": row.root_hash,
        "timestamp": row.timestamp,
        "key_id": row.key_id,
        "signature": row.signature,
    }


def sign_head(keys: AuditKeys, size: int, root: bytes, now: datetime) -> dict[str, Any]:
    head = {"tree_size": size, "root_hash": root.hex(), "timestamp": offline.timestamp(now), "key_id": keys.kid}
    head["signature"] = base64.b64encode(keys.signing_key.sign(offline.head_message(head))).decode()
    return head


@dataclass(frozen=True)
class Sealed:
    entries: int
    tree_size: int


def _write(connection: Connection, positions: list[tuple[int, int]], made: list[tuple[int, int, bytes]]) -> None:
    """The batch's leaf indexes and new nodes, straight to the driver: one statement each on PostgreSQL
    (``unnest`` of arrays), one ``executemany`` each on SQLite; tens of thousands of rows per second."""
    if connection.dialect.name == "postgresql":
        leaves, ids = zip(*positions, strict=True)
        connection.exec_driver_sql(
            "UPDATE audit_entries AS e SET leaf_index = u.leaf FROM unnest(%s::bigint[], %s::bigint[]) AS u(leaf, id)"
            " WHERE e.id = u.id AND e.leaf_index IS NULL",
            (list(leaves), list(ids)),
        )
        levels, indexes, hashes = zip(*made, strict=True)
        connection.exec_driver_sql(
            'INSERT INTO audit_tree_nodes (level, "index", hash)'
            " SELECT * FROM unnest(%s::smallint[], %s::bigint[], %s::bytea[])",
            (list(levels), list(indexes), list(hashes)),
        )
        return
    connection.exec_driver_sql("UPDATE audit_entries SET leaf_index = ? WHERE id = ? AND leaf_index IS NULL", positions)
    connection.exec_driver_sql('INSERT INTO audit_tree_nodes (level, "index", hash) VALUES (?, ?, ?)', made)


def seal_batch(connection: Connection, keys: AuditKeys, now: datetime, *, limit: int) -> Sealed:
    """Seal up to ``limit`` committed entries and sign the new head; the caller commits."""
    size = tree_size(connection)
    head = latest_head(connection)
    if head is not None and not head.signature:
        head = _sign_migrated_head(connection, head, keys, now)
    if (head.tree_size if head else 0) != size:
        raise LogError(f"the log has {size} sealed entries but its latest signed head covers {head and head.tree_size}")
    rows = connection.execute(
        select(*LEAF_COLUMNS).where(entries.c.leaf_index.is_(None)).order_by(entries.c.id).limit(limit)
    ).all()
    if not rows:
        return Sealed(0, size)
    edge = frontier(size)
    known = stored_nodes(connection, edge)
    tree = Frontier(size, [known[node] for node in edge])
    made: list[tuple[int, int, bytes]] = []
    positions: list[tuple[int, int]] = []
    for row in rows:
        positions.append((tree.size, row.id))
        made += tree.append(offline.leaf_hash(offline.leaf_values(row)))
    _write(connection, positions, made)
    signed = sign_head(keys, tree.size, tree.root(), now)
    connection.execute(insert(heads).values(**signed, signed_at=now))
    return Sealed(len(rows), tree.size)


def _sign_migrated_head(connection: Connection, head: Any, keys: AuditKeys, now: datetime) -> Any:
    """Migration 0008 sealed the hash chain's entries but had no key: the first sealing run signs that head."""
    if connection.scalar(select(func.count()).select_from(heads)) != 1:
        raise LogError(f"the head of {head.tree_size} entries is unsigned and is not the only one")
    signed = sign_head(keys, head.tree_size, bytes.fromhex(head.root_hash), now)
    connection.execute(update(heads).where(heads.c.id == head.id).values(**signed, signed_at=now))
    return latest_head(connection)


def seal(connection: Callable[[], Connection], keys: AuditKeys, now: datetime, *, limit: int, commit: Any) -> Sealed:
    """Seal everything committed, ``limit`` entries per transaction (``commit()`` after each; ``connection()``
    gives the connection of the next transaction)."""
    total = 0
    while True:
        sealed = seal_batch(connection(), keys, now, limit=limit)
        commit()
        total += sealed.entries
        if sealed.entries < limit:
            return Sealed(total, sealed.tree_size)


# -- proofs ----------------------------------------------------------------------------------------------------
def _hashes(connection: Connection, ranges: Sequence[Range]) -> list[bytes]:
    stored = stored_nodes(connection, nodes_of(ranges))
    return [range_hash(start, end, stored) for start, end in ranges]


def inclusion_proof(connection: Connection, index: int, size: int) -> list[bytes]:
    return _hashes(connection, inclusion_ranges(index, size))


def consistency_proof(connection: Connection, first: int, second: int) -> list[bytes]:
    return _hashes(connection, consistency_ranges(first, second))


def entry_document(row: Mapping[str, Any]) -> dict[str, Any]:
    """An entry as ``prove`` prints it: its leaf fields (time as in the leaf), reason and address."""
    out = {name: row[name] for name in offline.LEAF_FIELDS}
    out["at"] = offline.timestamp(row["at"])
    out["reason"], out["client_address"] = row["reason"], row["client_address"]
    return out


def prove(connection: Connection, entry_id: int, against: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The inclusion proof of one entry against the latest head (and, given an exported head, the
    consistency proof from it), as JSON that ``offline.py`` checks."""
    row = connection.execute(
        select(*LEAF_COLUMNS, entries.c.leaf_index, entries.c.reason, entries.c.client_address).where(
            entries.c.id == entry_id
        )
    ).first()
    if row is None:
        raise LogError(f"no audit entry {entry_id}")
    if row.leaf_index is None:
        raise LogError(f"audit entry {entry_id} is not sealed yet (the sealer runs every minute)")
    head = latest_head(connection)
    proof: dict[str, Any] = {
        "entry": entry_document(row._mapping),
        "leaf_index": row.leaf_index,
        "head": head_document(head),
        "inclusion": [h.hex() for h in inclusion_proof(connection, row.leaf_index, head.tree_size)],
    }
    if against is not None:
        first = int(against["tree_size"])
        if first > head.tree_size:
            raise LogError(f"the exported head covers {first} entries, more than the log holds ({head.tree_size})")
        proof["consistency_from"] = first
        proof["consistency"] = [h.hex() for h in consistency_proof(connection, first, head.tree_size)]
    return proof


def dumps(document: Mapping[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2)
