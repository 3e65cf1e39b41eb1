"""directory sign-in (LDAP accounts and settings)

Revision ID: 0005
Revises: 0004

Reserved for the directory work; filled in by it.
"""

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
