"""organisation kinds: employer (every existing organisation), authority, access control

Revision ID: 0028
Revises: 0027

``organisations.kind`` with a check of the known kinds; every existing row becomes ``employer``. Only
additions.
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=20), server_default="employer", nullable=False))
        batch_op.create_check_constraint(
            op.f("ck_organisations_kind_known"), "kind IN ('employer', 'authority', 'access_control')"
        )


def downgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_organisations_kind_known"), type_="check")
        batch_op.drop_column("kind")
