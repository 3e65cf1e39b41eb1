"""one covering clearance per person

Revision ID: 0011
Revises: 0010

A partial unique index on ``clearances(person_id)`` where the state covers its holder (valid, under
re-evaluation): two positive advices at the same instant on two files of one person can no longer leave
two valid clearances (issue 14). A database that already holds such pairs is not changed behind anybody's
back: the upgrade stops and names them; an officer ends the surplus ones (re-evaluate, then revoke), and
the upgrade is run again.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

COVERING = "state IN ('valid', 'under_reevaluation')"


def upgrade() -> None:
    doubles = (
        op.get_bind()
        .execute(
            sa.text(
                f"SELECT person_id, COUNT(*) FROM clearances WHERE {COVERING} "  # noqa: S608 - a constant
                "GROUP BY person_id HAVING COUNT(*) > 1 ORDER BY person_id"
            )
        )
        .all()
    )
    if doubles:
        listed = ", ".join(f"person {person_id} ({count})" for person_id, count in doubles[:20])
        raise RuntimeError(
            f"{len(doubles)} people hold more than one valid clearance: {listed}. End the surplus ones "
            "(re-evaluate, then revoke) and run the upgrade again."
        )
    op.create_index(
        "uq_clearances_person_covering", "clearances", ["person_id"], unique=True,
        postgresql_where=sa.text(COVERING), sqlite_where=sa.text(COVERING),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("uq_clearances_person_covering", table_name="clearances")
