"""sessions end when they should: a session generation per account

Revision ID: 0007
Revises: 0006

``users.session_generation`` is raised to end every session of an account at once (logout, password
or role change, deactivation); a session cookie is honoured only while it carries the current value.
Existing cookies carry none, so everybody signs in once more after the upgrade.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_generation", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_generation")
