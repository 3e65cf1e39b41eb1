"""documents attached to an answer to a request for information

Revision ID: 0020
Revises: 0019

``info_attachments``: the requester's documents (PDF, JPEG, PNG, type sniffed from the bytes), stored like
the signed consent form and deleted with the file's personal data. Only an addition.
"""

import sqlalchemy as sa
from alembic import op

from screening.db import UTCDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "info_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=100), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["applications.id"], name=op.f("fk_info_attachments_application_id_applications")
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_info_attachments_uploaded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_info_attachments")),
    )
    op.create_index(op.f("ix_info_attachments_application_id"), "info_attachments", ["application_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_info_attachments_application_id"), table_name="info_attachments")
    op.drop_table("info_attachments")
