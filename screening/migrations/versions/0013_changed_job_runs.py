"""the job runs that changed something

Revision ID: 0013
Revises: 0012

The jobs page hides the runs that changed nothing (the audit sealer alone runs every 5 seconds); a partial
index on ``job_runs(id)`` holds the others, so the page reads its 50 newest without walking the no-ops.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

CHANGED_RUNS = "NOT (finished_at IS NOT NULL AND error IS NULL AND items = 0)"


def upgrade() -> None:
    op.create_index(
        "ix_job_runs_changed", "job_runs", ["id"],
        sqlite_where=sa.text(CHANGED_RUNS), postgresql_where=sa.text(CHANGED_RUNS),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_job_runs_changed", table_name="job_runs")
