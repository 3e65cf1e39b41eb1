"""privacy by design (audit hash chain, consent and notices, data subject tools)

Revision ID: 0004
Revises: 0003

The audit trail becomes a hash chain: every existing entry is hashed here, in id order, in batches, and the
chain head is written. Negative advice gets the grounds the person may be told; paper consent forms get a
table of their own.
"""

import sqlalchemy as sa
from alembic import op

from screening.db import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BATCH = 1000


def _chain_existing_entries() -> None:
    from screening.audit.chain import FIELDS, GENESIS_HASH, HEAD_ID, REDACTABLE, chain_hash, redactable_digest

    connection = op.get_bind()
    entries = sa.table(
        "audit_entries",
        sa.column("id", sa.Integer),
        sa.column("at", UTCDateTime),
        *(sa.column(name) for name in (*FIELDS, *REDACTABLE) if name not in ("at", "redactable_digest")),
        sa.column("redactable_digest", sa.String),
        sa.column("entry_hash", sa.String),
    )
    previous, count, last = GENESIS_HASH, 0, 0
    while True:
        rows = connection.execute(
            sa.select(entries).where(entries.c.id > last).order_by(entries.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        updates = []
        for row in rows:
            digest = redactable_digest(row.reason, row.client_address)
            previous = chain_hash(previous, {**row._mapping, "redactable_digest": digest})
            updates.append({"row_id": row.id, "digest": digest, "hash": previous})
        connection.execute(
            entries.update()
            .where(entries.c.id == sa.bindparam("row_id"))
            .values(redactable_digest=sa.bindparam("digest"), entry_hash=sa.bindparam("hash")),
            updates,
        )
        count += len(rows)
        last = rows[-1].id
    head = sa.table("audit_chain_head", sa.column("id"), sa.column("entry_hash"), sa.column("entries"))
    connection.execute(head.insert().values(id=HEAD_ID, entry_hash=previous, entries=count))


def upgrade() -> None:
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("redactable_digest", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("entry_hash", sa.String(length=64), nullable=True))
    _chain_existing_entries()
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.alter_column("redactable_digest", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("entry_hash", existing_type=sa.String(length=64), nullable=False)

    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("disclosed_grounds", sa.Text(), nullable=True))

    op.create_table(
        "consent_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["applications.id"], name=op.f("fk_consent_documents_application_id_applications")
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_consent_documents_uploaded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_documents")),
        sa.UniqueConstraint("application_id", name=op.f("uq_consent_documents_application_id")),
    )


def downgrade() -> None:
    op.drop_table("consent_documents")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_column("disclosed_grounds")
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_column("entry_hash")
        batch_op.drop_column("redactable_digest")
    op.drop_table("audit_chain_head")
