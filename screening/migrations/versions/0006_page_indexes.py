"""page indexes: the unfiltered lists and the employer's clearances

Revision ID: 0006
Revises: 0005

The indexes docs/benchmarks-pages.md proposed after measuring the pages at 250,000 applications:
officers' and auditors' list of all files newest first (with and without a state filter), the
clearances an employer relies on (its applications' clearance ids), and the officers' clearance list
ordered by end of validity. Only additions: no row changes.
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_applications_created", "applications", ["created_at", "id"]),
    ("ix_applications_state_created", "applications", ["state", "created_at", "id"]),
    ("ix_applications_org_clearance", "applications", ["organisation_id", "clearance_id"]),
    ("ix_clearances_valid_until", "clearances", ["valid_until", "id"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
