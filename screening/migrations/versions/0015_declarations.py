"""what each employer declared

Revision ID: 0015
Revises: 0014

Each application keeps the person as its employer declared them (``declared_*`` columns): the employer's
pages, mails, letters and exports show these, never the shared ``persons`` row (issue 12). Existing files get
the person record's details as their declaration: the best that is known of what was typed, and what those
files showed until now. ``persons`` gains the document type and issuing country of document identities;
existing rows keep NULL there and their identity hash (see screening.people.operations: national register
numbers hash exactly as before; an old document hash is still found, for records without a type).

Columns are added in place, never by copying a table (SQLite's batch mode would drop ``applications`` and
``persons``, which other tables reference). SQLite cannot add a NOT NULL column without a default: there the
required columns carry a placeholder default ('' or 1900-01-01) that no row keeps, since this migration fills
every row; PostgreSQL adds them nullable, fills them and then requires them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

#: (column, the persons column it starts from, type, SQLite placeholder; None: the column may be NULL)
COPIED = (
    ("declared_given_names", "given_names", sa.String(length=100), ""),
    ("declared_family_name", "family_name", sa.String(length=100), ""),
    ("declared_search_name", "search_name", sa.String(length=201), ""),
    ("declared_search_given", "search_given", sa.String(length=201), ""),
    ("declared_date_of_birth", "date_of_birth", sa.Date(), "1900-01-01"),
    ("declared_nationality", "nationality", sa.String(length=2), ""),
    ("declared_email", "email", sa.String(length=254), None),
    ("declared_locale", "locale", sa.String(length=5), "nl"),
)
INDEXES = (
    ("ix_applications_org_declared_name", ["organisation_id", "declared_search_name"]),
    ("ix_applications_org_declared_given", ["organisation_id", "declared_search_given"]),
)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column("persons", sa.Column("document_type", sa.String(length=20), nullable=True))
    op.add_column("persons", sa.Column("document_country", sa.String(length=2), nullable=True))
    for name, _source, type_, placeholder in COPIED:
        default = "nl" if name == "declared_locale" else (placeholder if sqlite else None)
        required = sqlite and placeholder is not None
        op.add_column("applications", sa.Column(name, type_, nullable=not required, server_default=default))
    assignments = ", ".join(
        f"{name} = (SELECT persons.{source} FROM persons WHERE persons.id = applications.person_id)"  # noqa: S608
        for name, source, _type, _placeholder in COPIED
    )
    op.execute(f"UPDATE applications SET {assignments}")  # noqa: S608 - constants only
    if not sqlite:
        for name, _source, type_, placeholder in COPIED:
            if placeholder is not None:
                op.alter_column("applications", name, existing_type=type_, nullable=False)
    for index, columns in INDEXES:
        op.create_index(index, "applications", columns, unique=False)


def downgrade() -> None:
    for index, _columns in reversed(INDEXES):
        op.drop_index(index, table_name="applications")
    for name, _source, _type, _placeholder in reversed(COPIED):
        op.drop_column("applications", name)
    op.drop_column("persons", "document_country")
    op.drop_column("persons", "document_type")
