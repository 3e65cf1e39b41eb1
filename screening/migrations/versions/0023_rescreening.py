"""periodic re-screening: when each clearance is due, and whether its re-evaluation is periodic

Revision ID: 0023
Revises: 0022

``clearances.rescreen_due_on`` (indexed with the state: the scheduler's scan reads only what is due) and
``clearances.rescreen_opened_at``. Existing clearances get no due day: their period starts at their next
advice, extension or confirmation. Only additions.
"""

import sqlalchemy as sa
from alembic import op

from screening.db import UTCDateTime

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("clearances", sa.Column("rescreen_due_on", sa.Date(), nullable=True))
    op.add_column("clearances", sa.Column("rescreen_opened_at", UTCDateTime(timezone=True), nullable=True))
    op.create_index("ix_clearances_state_rescreen_due_on", "clearances", ["state", "rescreen_due_on"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_clearances_state_rescreen_due_on", table_name="clearances")
    with op.batch_alter_table("clearances", schema=None) as batch_op:
        batch_op.drop_column("rescreen_opened_at")
        batch_op.drop_column("rescreen_due_on")
