"""recognition notices: functions marked for notice, and the notices written

Revision ID: 0022
Revises: 0021

``critical_functions.notify_recognition``: a final negative advice or a revocation for the function is told
to the ``[recognition]`` recipient (dockworkers). ``recognition_notices``: one row per outcome told, its
unique ``key`` making the notice exactly once. Only additions.
"""

import sqlalchemy as sa
from alembic import op

from screening.db import UTCDateTime

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("critical_functions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notify_recognition", sa.Boolean(), server_default="0", nullable=False))
    op.create_table(
        "recognition_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("clearance_id", sa.Integer(), nullable=True),
        sa.Column("function_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("no_longer_from", sa.Date(), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("outbox_key", sa.String(length=300), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["applications.id"], name=op.f("fk_recognition_notices_application_id_applications")
        ),
        sa.ForeignKeyConstraint(
            ["clearance_id"], ["clearances.id"], name=op.f("fk_recognition_notices_clearance_id_clearances")
        ),
        sa.ForeignKeyConstraint(
            ["function_id"],
            ["critical_functions.id"],
            name=op.f("fk_recognition_notices_function_id_critical_functions"),
        ),  # fmt: skip
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_recognition_notices_person_id_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recognition_notices")),
        sa.UniqueConstraint("key", name=op.f("uq_recognition_notices_key")),
    )
    op.create_index(
        op.f("ix_recognition_notices_application_id"), "recognition_notices", ["application_id"], unique=False
    )
    op.create_index(op.f("ix_recognition_notices_clearance_id"), "recognition_notices", ["clearance_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_recognition_notices_clearance_id"), table_name="recognition_notices")
    op.drop_index(op.f("ix_recognition_notices_application_id"), table_name="recognition_notices")
    op.drop_table("recognition_notices")
    with op.batch_alter_table("critical_functions", schema=None) as batch_op:
        batch_op.drop_column("notify_recognition")
