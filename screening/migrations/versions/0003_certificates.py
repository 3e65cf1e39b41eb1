"""certificate issues (clearance certificates and their verification codes)

Revision ID: 0003
Revises: 0002

Reserved for the certificates work; filled in by it.
"""

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
