"""the register of staff in critical functions (issue 17)

Revision ID: 0026
Revises: 0025

``workforce_members``: each person an employer declares in a critical function, keyed by the employer's
personnel number within the organisation; the national register number encrypted with its masked form and
keyed hash (as ``persons``), the function, start and end dates, a version for optimistic locking. Only
additions.
"""

import sqlalchemy as sa
from alembic import op

from screening.db import UTCDateTime

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workforce_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("personnel_number", sa.String(length=64), nullable=False),
        sa.Column("given_names", sa.String(length=100), nullable=False),
        sa.Column("family_name", sa.String(length=100), nullable=False),
        sa.Column("search_name", sa.String(length=201), nullable=False),
        sa.Column("search_given", sa.String(length=201), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("identity_hash", sa.String(length=64), nullable=False),
        sa.Column("national_number_encrypted", sa.Text(), nullable=False),
        sa.Column("national_number_masked", sa.String(length=16), nullable=False),
        sa.Column("function_id", sa.Integer(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "ended_on IS NULL OR ended_on >= started_on", name=op.f("ck_workforce_members_ended_after_start")
        ),
        sa.ForeignKeyConstraint(
            ["function_id"], ["critical_functions.id"], name=op.f("fk_workforce_members_function_id_critical_functions")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_workforce_members_organisation_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workforce_members")),
    )
    op.create_index(
        "uq_workforce_members_org_personnel", "workforce_members", ["organisation_id", "personnel_number"], unique=True
    )
    op.create_index("ix_workforce_members_org_name", "workforce_members", ["organisation_id", "search_name", "id"])
    op.create_index("ix_workforce_members_org_given", "workforce_members", ["organisation_id", "search_given"])
    op.create_index(
        "ix_workforce_members_identity_org", "workforce_members", ["identity_hash", "organisation_id", "ended_on"]
    )
    op.create_index(op.f("ix_workforce_members_function_id"), "workforce_members", ["function_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_workforce_members_function_id"), table_name="workforce_members")
    op.drop_index("ix_workforce_members_identity_org", table_name="workforce_members")
    op.drop_index("ix_workforce_members_org_given", table_name="workforce_members")
    op.drop_index("ix_workforce_members_org_name", table_name="workforce_members")
    op.drop_index("uq_workforce_members_org_personnel", table_name="workforce_members")
    op.drop_table("workforce_members")
