"""applications by person, newest first: the officer's search by name answered from the index

Revision ID: 0032
Revises: 0031

An officer's search by name finds the persons from their two name indexes, then their files newest first.
``ix_applications_person_id`` gave each file's row id only, so every match read its row for its creation
moment before the sort; ``(person_id, created_at, id)`` holds both, so the search and its count read
indexes only (docs/benchmarks-pages.md). It replaces the one-column index, which it serves as well (a
prefix). No row changes.
"""

from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_applications_person_created", "applications", ["person_id", "created_at", "id"], unique=False)
    op.drop_index("ix_applications_person_id", table_name="applications")


def downgrade() -> None:
    op.create_index("ix_applications_person_id", "applications", ["person_id"], unique=False)
    op.drop_index("ix_applications_person_created", table_name="applications")
