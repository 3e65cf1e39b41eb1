"""``screening audit verify``: recompute the whole log from the entries and check every signed head.

One pass over the entries in leaf order, ``batch_size`` rows at a time, keeping only the tree's right
edge: memory stays bounded whatever the size of the log. At the size of every stored head (and of an
exported one, ``against``) the recomputed root must equal the head's root, and its signature must match a
configured public key; consecutive heads are also checked with RFC 9162 consistency proofs built from the
stored tree, as an outside verifier would. Then every blanked entry must be named by a sealed erasure event.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select

from screening.audit import offline
from screening.audit.log import LEAF_COLUMNS, LogError, entries, head_document, heads, stored_nodes
from screening.audit.models import AuditErasure
from screening.audit.tree import Frontier, consistency_ranges, nodes_of, range_hash

erasures = AuditErasure.__table__
EMPTY_DIGEST = offline.redactable_digest(None, None)


@dataclass
class Report:
    entries: int = 0
    heads: int = 0
    unsealed: int = 0
    erased: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _sealed_rows(connection: Connection, batch_size: int) -> Iterator[Any]:
    columns = [*LEAF_COLUMNS, entries.c.leaf_index, entries.c.reason, entries.c.client_address, erasures.c.erasure_id]
    last = -1
    while True:
        rows = connection.execute(
            select(*columns)
            .outerjoin(erasures, erasures.c.entry_id == entries.c.id)
            .where(entries.c.leaf_index > last)
            .order_by(entries.c.leaf_index)
            .limit(batch_size)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].leaf_index


def _heads(connection: Connection, batch_size: int) -> Iterator[Any]:
    last = -1
    while True:
        rows = connection.execute(
            select(heads).where(heads.c.tree_size > last).order_by(heads.c.tree_size).limit(batch_size)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].tree_size


def _check_entry(row: Any, report: Report) -> None:
    blanked = row.reason is None and row.client_address is None and row.redactable_digest != EMPTY_DIGEST
    if blanked:
        report.erased += 1
        if row.erasure_id is None:
            report.problems.append(f"audit entry {row.id} was blanked without an erasure event")
    elif offline.redactable_digest(row.reason, row.client_address) != row.redactable_digest:
        report.problems.append(f"audit entry {row.id}: its reason or address was changed")


def _check_head(head: Mapping[str, Any], root: bytes, keys: Mapping[str, Any], name: str, report: Report) -> None:
    problem = offline.verify_head(head, keys)
    if problem:
        report.problems.append(f"{name}: {problem}")
    if head["root_hash"] != root.hex():
        report.problems.append(f"{name}: the entries today give another root hash (an entry was changed)")


def verify(
    connection: Connection,
    public_keys: Mapping[str, Any],
    *,
    against: Mapping[str, Any] | None = None,
    batch_size: int = 5000,
) -> Report:
    report = Report()
    tree = Frontier()
    stored_heads = _heads(connection, batch_size)
    pending = next(stored_heads, None)
    previous: Any = None
    pairs: list[tuple[Any, Any]] = []
    exported_size = int(against["tree_size"]) if against is not None else None

    def checkpoints() -> None:
        nonlocal pending, previous
        root = tree.root()
        if exported_size == tree.size and against is not None:
            _check_head(against, root, public_keys, "the exported head", report)
        while pending is not None and pending.tree_size == tree.size:
            report.heads += 1
            _check_head(head_document(pending), root, public_keys, f"head of {pending.tree_size} entries", report)
            if previous is not None:
                pairs.append((previous, pending))
                if len(pairs) >= 200:
                    _check_consistency(connection, pairs, report)
                    pairs.clear()
            previous, pending = pending, next(stored_heads, None)

    checkpoints()
    width = len(LEAF_COLUMNS)
    for row in _sealed_rows(connection, batch_size):
        if row.leaf_index != tree.size:
            report.problems.append(f"leaf {tree.size} of the log is missing (entries were removed)")
            break
        _check_entry(row, report)
        tree.append(offline.leaf_hash(offline.leaf_values(row[:width])))
        report.entries += 1
        checkpoints()
        if len(report.problems) > 20:
            break
    _check_consistency(connection, pairs, report)
    if pending is not None:
        report.problems.append(
            f"a head covers {pending.tree_size} entries, the log holds {tree.size}: entries were removed"
        )
    if previous is None and tree.size:
        report.problems.append("no signed head covers the log")
    elif previous is not None and previous.tree_size != tree.size:
        report.problems.append(f"{tree.size - previous.tree_size} sealed entries are under no signed head")
    if exported_size is not None and exported_size > tree.size:
        report.problems.append(f"the exported head covers {exported_size} entries, the log holds {tree.size}")
    _check_erasures(connection, batch_size, report)
    report.unsealed = connection.scalar(select(func.count()).where(entries.c.leaf_index.is_(None))) or 0
    return report


def _check_consistency(connection: Connection, pairs: list[tuple[Any, Any]], report: Report) -> None:
    """RFC 9162 consistency proofs between consecutive heads, built from the stored tree: the nodes of a
    batch of pairs are fetched together."""
    if not pairs:
        return
    ranges = {(a.tree_size, b.tree_size): consistency_ranges(a.tree_size, b.tree_size) for a, b in pairs}
    try:
        stored = stored_nodes(connection, nodes_of(r for rs in ranges.values() for r in rs))
    except LogError as error:
        report.problems.append(f"consistency proofs: {error}")
        return
    for first, second in pairs:
        path = [range_hash(start, end, stored) for start, end in ranges[first.tree_size, second.tree_size]]
        roots = bytes.fromhex(first.root_hash), bytes.fromhex(second.root_hash)
        if not offline.verify_consistency(first.tree_size, second.tree_size, *roots, path):
            report.problems.append(f"heads of {first.tree_size} and {second.tree_size} entries are not consistent")


def _check_erasures(connection: Connection, batch_size: int, report: Report) -> None:
    """Every erasure event's sealed ``erases_digest`` must name exactly the entries recorded as its own."""
    event = entries.alias("event")
    current: Any = None
    named: list[int] = []

    def close() -> None:
        if current is None:
            return
        if current.leaf_index is None:
            report.problems.append(f"erasure event {current.erasure_id} is not sealed")
        elif current.erases_digest != offline.erases_digest(named):
            report.problems.append(f"erasure event {current.erasure_id} does not name the entries recorded as its own")

    last = (-1, -1)
    while True:
        rows = connection.execute(
            select(erasures.c.erasure_id, erasures.c.entry_id, event.c.erases_digest, event.c.leaf_index)
            .join(event, event.c.id == erasures.c.erasure_id)
            .where(
                (erasures.c.erasure_id > last[0])
                | ((erasures.c.erasure_id == last[0]) & (erasures.c.entry_id > last[1]))
            )
            .order_by(erasures.c.erasure_id, erasures.c.entry_id)
            .limit(batch_size)
        ).all()
        for row in rows:
            if current is None or row.erasure_id != current.erasure_id:
                close()
                current, named = row, []
            named.append(row.entry_id)
        if len(rows) < batch_size:
            close()
            return
        last = (rows[-1].erasure_id, rows[-1].entry_id)
