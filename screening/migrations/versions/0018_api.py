"""API tokens, idempotent requests, the employer's external id of a file

Revision ID: 0018
Revises: 0017

Issue 16: ``api_tokens`` (only the SHA-256 of a token is kept), ``api_idempotent_requests`` (the first
answer to a POST with an Idempotency-Key, kept 24 hours), and on ``applications`` the employer's own
``external_id`` (unique per organisation) with an index for "what changed since" in order.
"""

import sqlalchemy as sa
from alembic import op

import screening.db

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=40), nullable=False),
        sa.Column("created_at", screening.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", screening.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", screening.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", screening.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(revoked_at IS NULL) = (revoked_by_id IS NULL)", name=op.f("ck_api_tokens_revoked_has_author")
        ),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_api_tokens_created_by_id_users")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_api_tokens_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(["revoked_by_id"], ["users.id"], name=op.f("fk_api_tokens_revoked_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index(op.f("ix_api_tokens_created_by_id"), "api_tokens", ["created_by_id"])
    op.create_index("ix_api_tokens_organisation_created", "api_tokens", ["organisation_id", "created_at"])
    op.create_table(
        "api_idempotent_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("created_at", screening.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("headers", sa.Text(), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["api_tokens.id"],
            name=op.f("fk_api_idempotent_requests_token_id_api_tokens"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_idempotent_requests")),
        sa.UniqueConstraint("token_id", "key", name="uq_api_idempotent_requests_token_key"),
    )
    op.create_index("ix_api_idempotent_requests_token_created", "api_idempotent_requests", ["token_id", "created_at"])
    op.add_column("applications", sa.Column("external_id", sa.String(length=64), nullable=True))
    op.create_index("uq_applications_org_external_id", "applications", ["organisation_id", "external_id"], unique=True)
    op.create_index("ix_applications_org_changed", "applications", ["organisation_id", "state_changed_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_applications_org_changed", table_name="applications")
    op.drop_index("uq_applications_org_external_id", table_name="applications")
    with op.batch_alter_table("applications") as batch:
        batch.drop_column("external_id")
    op.drop_table("api_idempotent_requests")
    op.drop_table("api_tokens")
