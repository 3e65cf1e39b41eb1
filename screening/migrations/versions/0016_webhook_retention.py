"""webhook retention

Revision ID: 0016
Revises: 0015

An index on ``webhook_events(created_at, id)``: the retention purge deletes the oldest events (with their
deliveries and attempts) past ``retention.webhook_days`` without reading the rest of the table.
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.create_index("ix_webhook_events_created_at", ["created_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_events_created_at")
