"""two links: requests for consent with their short code, and the throttle of typed codes

Revision ID: 0021
Revises: 0020

``consent_requests``: one per file asked for consent: the keyed digest of the letter's short code while the
request is open, when it was answered, and the address the person gave on the consent page (the only one
the person's own file link and notices go to). Files already awaiting consent get theirs the first time
their letter, link or code is used. ``consent_code_attempts``: short codes that found nothing, counted per
client address for the guessing throttle. Only additions.
"""

import sqlalchemy as sa
from alembic import op

from screening.db import UTCDateTime

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consent_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("asked_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("code_round", sa.Integer(), nullable=False),
        sa.Column("code_digest", sa.String(length=64), nullable=True),
        sa.Column("answered_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("email_given_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"], ["applications.id"], name=op.f("fk_consent_requests_application_id_applications")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_requests")),
        sa.UniqueConstraint("application_id", name=op.f("uq_consent_requests_application_id")),
        sa.UniqueConstraint("code_digest", name=op.f("uq_consent_requests_code_digest")),
    )
    op.create_table(
        "consent_code_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("client_address", sa.String(length=45), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_code_attempts")),
    )
    op.create_index(
        "ix_consent_code_attempts_address_at", "consent_code_attempts", ["client_address", "at"], unique=False
    )
    op.create_index("ix_consent_code_attempts_at", "consent_code_attempts", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_consent_code_attempts_at", table_name="consent_code_attempts")
    op.drop_index("ix_consent_code_attempts_address_at", table_name="consent_code_attempts")
    op.drop_table("consent_code_attempts")
    op.drop_table("consent_requests")
