"""audit log: the hash chain becomes a Merkle log with signed tree heads

Revision ID: 0008
Revises: 0007

First the hash chain of migration 0004 is checked once more, entry by entry (the migration stops, naming
the first broken entry, if it does not hold). Then its entries become the first leaves of the log, in id
order, with their tree nodes; entries whose texts were erased before this migration are named by one
erasure event, appended last. The head over these leaves is stored unsigned (a migration has no key):
the sealer's first run (``screening audit seal``, or the scheduler) signs it. The chain head and the
entries' chain hashes go: writers no longer lock anything shared.
"""

import hashlib
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from screening.audit.chain import FIELDS, HEAD_ID, REDACTABLE, ChainCheck
from screening.audit.offline import LEAF_FIELDS, leaf_data, leaf_hash, redactable_digest
from screening.audit.tree import Frontier
from screening.db import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BATCH = 5000
ERASURE_REASON = "texts erased before the audit log (migration 0008)"


def _entries(*, log: bool = True) -> sa.TableClause:
    """The entries as this migration reads them: the chain's columns, and (``log``) the ones it adds."""
    names = {*FIELDS, *REDACTABLE, *(LEAF_FIELDS if log else ())} - {"at", "id"}
    return sa.table(
        "audit_entries",
        sa.column("id", sa.Integer),
        sa.column("at", UTCDateTime),
        *(sa.column(name) for name in sorted(names)),
        sa.column("entry_hash", sa.String),
        *([sa.column("leaf_index", sa.BigInteger)] if log else []),
    )


def _batches(connection: sa.Connection, table: sa.TableClause, below: int | None = None):  # type: ignore[no-untyped-def]
    last = 0
    while True:
        statement = sa.select(table).where(table.c.id > last).order_by(table.c.id).limit(BATCH)
        if below is not None:
            statement = statement.where(table.c.id < below)
        rows = connection.execute(statement).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id


def _check_chain(connection: sa.Connection) -> None:
    check = ChainCheck()
    for rows in _batches(connection, _entries(log=False)):
        if not check.feed(rows):
            break
    head = connection.execute(
        sa.text("SELECT entry_hash, entries FROM audit_chain_head WHERE id = :id"), {"id": HEAD_ID}
    )
    row = head.first()
    verdict = check.end(row.entry_hash if row else None, row.entries if row else None)
    if not verdict.ok:
        where = f"entry {verdict.broken_id}" if verdict.broken_id else "its end"
        raise RuntimeError(f"the audit trail's hash chain is broken at {where}: {verdict.problem}; not migrated")


def _seal_existing(connection: sa.Connection) -> None:
    table = _entries()
    nodes = sa.table("audit_tree_nodes", sa.column("level"), sa.column("index"), sa.column("hash"))
    erasures = sa.table("audit_erasures", sa.column("entry_id"), sa.column("erasure_id"))
    now = datetime.now(UTC)
    empty = redactable_digest(None, None)
    blanked = connection.execute(
        sa.select(sa.func.count()).where(
            table.c.reason.is_(None), table.c.client_address.is_(None), table.c.redactable_digest != empty
        )
    ).scalar_one()
    event_id = None
    if blanked:
        event_id = connection.execute(
            sa.insert(table)
            .values(
                at=now,
                actor="system:migration",
                role="system",
                action="erase_trail_texts",
                object_type="audit",
                reason=ERASURE_REASON,
                redactable_digest=redactable_digest(ERASURE_REASON, None),
                entry_hash="",
                actor_user_id=None,
                object_id=None,
                organisation_id=None,
            )  # fmt: skip
            .returning(table.c.id)
        ).scalar_one()
    digest = hashlib.sha256(b"screening-audit-erases/1\n")
    tree, named = Frontier(), 0

    def append(rows: list) -> None:  # type: ignore[type-arg]
        positions, made = [], []
        for row in rows:
            positions.append({"row_id": row.id, "leaf": tree.size})
            made += [
                {"level": lv, "index": ix, "hash": h} for lv, ix, h in tree.append(leaf_hash(leaf_data(row._mapping)))
            ]
        connection.execute(
            table.update().where(table.c.id == sa.bindparam("row_id")).values(leaf_index=sa.bindparam("leaf")),
            positions,
        )
        connection.execute(nodes.insert(), made)

    for rows in _batches(connection, table, below=event_id):
        gone = [r.id for r in rows if r.reason is None and r.client_address is None and r.redactable_digest != empty]
        if gone:
            digest.update((b"," if named else b"") + ",".join(map(str, gone)).encode())
            named += len(gone)
            connection.execute(erasures.insert(), [{"entry_id": i, "erasure_id": event_id} for i in gone])
        append(rows)
    if event_id is not None:
        connection.execute(table.update().where(table.c.id == event_id).values(erases_digest=digest.hexdigest()))
        append(connection.execute(sa.select(table).where(table.c.id == event_id)).all())
    if tree.size:
        heads = sa.table(
            "audit_tree_heads", *(sa.column(n) for n in ("tree_size", "root_hash", "timestamp", "key_id", "signature")),
            sa.column("signed_at", UTCDateTime),
        )  # fmt: skip
        stamp = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        connection.execute(
            heads.insert().values(
                tree_size=tree.size,
                root_hash=tree.root().hex(),
                timestamp=stamp,
                key_id="",
                signature="",
                signed_at=now,
            )
        )


def upgrade() -> None:
    connection = op.get_bind()
    _check_chain(connection)
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erases_digest", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("leaf_index", sa.BigInteger(), nullable=True))
        batch_op.create_index("ix_audit_entries_leaf_index", ["leaf_index"], unique=True)
    op.create_table(
        "audit_erasures",
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("erasure_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["audit_entries.id"], name=op.f("fk_audit_erasures_entry_id_audit_entries")
        ),
        sa.ForeignKeyConstraint(
            ["erasure_id"], ["audit_entries.id"], name=op.f("fk_audit_erasures_erasure_id_audit_entries")
        ),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_audit_erasures")),
    )
    op.create_index(op.f("ix_audit_erasures_erasure_id"), "audit_erasures", ["erasure_id"], unique=False)
    op.create_table(
        "audit_tree_nodes",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "index", name=op.f("pk_audit_tree_nodes")),
    )
    op.create_table(
        "audit_tree_heads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.String(length=64), nullable=False),
        sa.Column("timestamp", sa.String(length=32), nullable=False),
        sa.Column("signed_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("signature", sa.String(length=100), nullable=False),
        sa.Column("exported_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_tree_heads")),
        sa.UniqueConstraint("tree_size", name=op.f("uq_audit_tree_heads_tree_size")),
    )
    op.create_index(op.f("ix_audit_tree_heads_signed_at"), "audit_tree_heads", ["signed_at"], unique=False)
    _seal_existing(connection)
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_column("entry_hash")
    op.drop_table("audit_chain_head")


def downgrade() -> None:
    raise RuntimeError("the audit log cannot be turned back into a hash chain: restore a backup instead")
