"""separation of duties: account changes proposed by one administrator, approved by another

Revision ID: 0010
Revises: 0009

``account_proposals``: creating an officer, auditor or admin account, and granting or removing the
officer or auditor role (or making an admin), wait here for a second administrator. A CHECK keeps the
decider apart from the proposer. Only additions.
"""

import sqlalchemy as sa
from alembic import op

from screening.db import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("target_user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=120), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("previous_role", sa.String(length=20), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("proposed_by_id", sa.Integer(), nullable=False),
        sa.Column("proposed_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=True),
        sa.CheckConstraint("kind IN ('create', 'role')", name=op.f("ck_account_proposals_kind_known")),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('approved', 'rejected')", name=op.f("ck_account_proposals_outcome_known")
        ),
        sa.CheckConstraint(
            "(outcome IS NULL) = (decided_at IS NULL)", name=op.f("ck_account_proposals_decided_has_date")
        ),
        sa.CheckConstraint(
            "decided_by_id IS NULL OR decided_by_id <> proposed_by_id", name=op.f("ck_account_proposals_four_eyes")
        ),
        sa.CheckConstraint(
            "kind <> 'role' OR target_user_id IS NOT NULL", name=op.f("ck_account_proposals_role_has_target")
        ),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"], name=op.f("fk_account_proposals_decided_by_id_users")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_account_proposals_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"], ["users.id"], name=op.f("fk_account_proposals_proposed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["target_user_id"], ["users.id"], name=op.f("fk_account_proposals_target_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_proposals")),
    )
    op.create_index("ix_account_proposals_pending", "account_proposals", ["decided_at", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_account_proposals_pending", table_name="account_proposals")
    op.drop_table("account_proposals")
