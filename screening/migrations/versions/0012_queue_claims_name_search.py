"""queue claims and search by given name

Revision ID: 0012
Revises: 0011

Officers claim files (``applications.assigned_to_id``, ``assigned_at``; the queue's "assigned to me" reads
``ix_applications_assignee_state_submitted``), and find a file by the start of the given name as well as
the family name: ``persons.search_given`` holds the folded "given family" (lower case, accents removed,
like ``search_name``), filled here for the people already recorded, in batches.
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

import screening.db

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

BATCH = 1000
FOREIGN_KEY = "fk_applications_assigned_to_id_users"


def _fold(text: str) -> str:
    """``screening.people.operations.search_key`` as of this revision (a migration never imports the app)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def upgrade() -> None:
    bind = op.get_bind()
    # Columns added in place, never by copying the table (SQLite's batch mode would drop ``applications``,
    # which other tables reference): SQLite takes the foreign key inline in ADD COLUMN.
    if bind.dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE applications ADD COLUMN assigned_to_id INTEGER CONSTRAINT {FOREIGN_KEY} REFERENCES users (id)"
        )
    else:
        op.add_column("applications", sa.Column("assigned_to_id", sa.Integer(), nullable=True))
        op.create_foreign_key(FOREIGN_KEY, "applications", "users", ["assigned_to_id"], ["id"])
    op.add_column("applications", sa.Column("assigned_at", screening.db.UTCDateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_applications_assignee_state_submitted", "applications", ["assigned_to_id", "state", "submitted_at"]
    )
    op.add_column("persons", sa.Column("search_given", sa.String(length=201), nullable=False, server_default=""))
    op.create_index("ix_persons_search_given", "persons", ["search_given"])
    persons = sa.table("persons", sa.column("id"), sa.column("given_names"), sa.column("family_name"),
                       sa.column("search_given"))  # fmt: skip
    after = 0
    while True:
        rows = bind.execute(
            sa.select(persons.c.id, persons.c.given_names, persons.c.family_name)
            .where(persons.c.id > after).order_by(persons.c.id).limit(BATCH)
        ).all()  # fmt: skip
        if not rows:
            break
        bind.execute(
            persons.update().where(persons.c.id == sa.bindparam("pid")).values(search_given=sa.bindparam("key")),
            [{"pid": pid, "key": _fold(f"{given} {family}")} for pid, given, family in rows],
        )
        after = rows[-1][0]


def downgrade() -> None:
    op.drop_index("ix_persons_search_given", table_name="persons")
    op.drop_column("persons", "search_given")
    op.drop_index("ix_applications_assignee_state_submitted", table_name="applications")
    op.drop_column("applications", "assigned_at")
    if op.get_bind().dialect.name != "sqlite":  # SQLite drops the inline key with its column
        op.drop_constraint(FOREIGN_KEY, "applications", type_="foreignkey")
    op.drop_column("applications", "assigned_to_id")
