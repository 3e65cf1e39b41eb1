"""register imports (issue 17 part 4)

Revision ID: 0030
Revises: 0029

``register_imports``: an uploaded register file between its upload and its confirmation (the file kept
encrypted until applied, refused or discarded), its state, progress and counts; ``register_import_rows``:
what each row of it does (add, update, unchanged, error), the messages of its wrong cells and, until it is
written, its checked values (encrypted). Only additions.
"""

import sqlalchemy as sa
from alembic import op

import screening.db

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "register_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=False),
        sa.Column("confirmed_by", sa.Integer(), nullable=True),
        sa.Column("confirmed_from", sa.String(length=64), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("to_add", sa.Integer(), nullable=False),
        sa.Column("to_update", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("created_at", screening.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", screening.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "state IN ('checking', 'checked', 'refused', 'applying', 'applied', 'discarded')",
            name=op.f("ck_register_imports_state_known"),
        ),
        sa.ForeignKeyConstraint(["confirmed_by"], ["users.id"], name=op.f("fk_register_imports_confirmed_by_users")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_register_imports_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(["uploaded_by"], ["users.id"], name=op.f("fk_register_imports_uploaded_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_imports")),
    )
    with op.batch_alter_table("register_imports", schema=None) as batch_op:
        batch_op.create_index("ix_register_imports_org_id", ["organisation_id", "id"], unique=False)
        batch_op.create_index("ix_register_imports_state", ["state", "id"], unique=False)

    op.create_table(
        "register_import_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("personnel_number", sa.String(length=64), nullable=False),
        sa.Column("family_name", sa.String(length=100), nullable=False),
        sa.Column("given_names", sa.String(length=100), nullable=False),
        sa.Column("problems", sa.Text(), nullable=True),
        sa.Column("changes", sa.String(length=200), nullable=True),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["register_imports.id"],
            name=op.f("fk_register_import_rows_import_id_register_imports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_import_rows")),
    )
    with op.batch_alter_table("register_import_rows", schema=None) as batch_op:
        batch_op.create_index("ix_register_import_rows_import_line", ["import_id", "line"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("register_import_rows", schema=None) as batch_op:
        batch_op.drop_index("ix_register_import_rows_import_line")

    op.drop_table("register_import_rows")
    with op.batch_alter_table("register_imports", schema=None) as batch_op:
        batch_op.drop_index("ix_register_imports_state")
        batch_op.drop_index("ix_register_imports_org_id")

    op.drop_table("register_imports")
