"""tokens of the authority's own tools: an API token without an organisation, read-only

Revision ID: 0027
Revises: 0026

``api_tokens.organisation_id`` may be null: a token made by a security officer for the authority's own
tools, which reads every organisation's files as the officer's pages do. Such a token holds the ``read``
scope only (``authority_reads_only``).
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.alter_column("organisation_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_check_constraint(
            op.f("ck_api_tokens_authority_reads_only"), "organisation_id IS NOT NULL OR scopes = 'read'"
        )


def downgrade() -> None:
    op.execute(
        "DELETE FROM api_idempotent_requests WHERE token_id IN "
        "(SELECT id FROM api_tokens WHERE organisation_id IS NULL)"
    )
    op.execute("DELETE FROM api_tokens WHERE organisation_id IS NULL")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_api_tokens_authority_reads_only"), type_="check")
        batch_op.alter_column("organisation_id", existing_type=sa.Integer(), nullable=False)
