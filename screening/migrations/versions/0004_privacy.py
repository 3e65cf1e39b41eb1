"""privacy by design (audit hash chain, consent and notices, data subject tools)

Revision ID: 0004
Revises: 0003

Reserved for the privacy work; filled in by it.
"""

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
