"""register reminders (issue 17 part 6)

Revision ID: 0031
Revises: 0030

``register_reminders``: one row per reminder sent about a register member (deadline level, or renewal),
which makes each one once-only; ``workforce_members.started_on`` indexed, so the daily scan reads only the
members whose deadline is near. Only additions.
"""

import sqlalchemy as sa
from alembic import op

import screening.db

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "register_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("days", sa.SmallInteger(), nullable=False),
        sa.Column("sent_at", screening.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["workforce_members.id"],
            name=op.f("fk_register_reminders_member_id_workforce_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_reminders")),
    )
    op.create_index(
        "uq_register_reminders_member_kind_due_days",
        "register_reminders",
        ["member_id", "kind", "due_on", "days"],
        unique=True,
    )
    op.create_index("ix_workforce_members_started_on", "workforce_members", ["started_on"])


def downgrade() -> None:
    op.drop_index("ix_workforce_members_started_on", table_name="workforce_members")
    op.drop_index("uq_register_reminders_member_kind_due_days", table_name="register_reminders")
    op.drop_table("register_reminders")
