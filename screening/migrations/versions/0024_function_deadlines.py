"""deadlines per critical function: when a positive advice is required, when a renewal must start

Revision ID: 0024
Revises: 0023

``critical_functions.required_from`` (nullable: required at once) and ``renewal_days`` (days before a
clearance ends when its renewal must start; 180 for the existing functions), with a range check. Only
additions.
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("critical_functions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("required_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("renewal_days", sa.SmallInteger(), server_default="180", nullable=False))
        batch_op.create_check_constraint(
            op.f("ck_critical_functions_renewal_days_range"), "renewal_days BETWEEN 0 AND 1826"
        )


def downgrade() -> None:
    with op.batch_alter_table("critical_functions", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_critical_functions_renewal_days_range"), type_="check")
        batch_op.drop_column("renewal_days")
        batch_op.drop_column("required_from")
