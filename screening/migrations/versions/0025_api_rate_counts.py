"""the API's rate limit counted across nodes: each token's calls per window, added by every node now and then

Revision ID: 0025
Revises: 0024

``api_rate_counts`` (token, window start in seconds since 1970, count): every node adds its calls of a token
at most about once a second and learns the cluster's total (``screening/api/ratelimit.py``). Only an addition.
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_rate_counts",
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["api_tokens.id"],
            name=op.f("fk_api_rate_counts_token_id_api_tokens"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_id", "window_start", name=op.f("pk_api_rate_counts")),
    )


def downgrade() -> None:
    op.drop_table("api_rate_counts")
