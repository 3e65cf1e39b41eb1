"""the port-wide summary's version (issue 17)

Revision ID: 0033
Revises: 0032

``change_counters``: one row per counter, bumped by triggers in the transaction of every change the
port-wide compliance summary depends on (register members; a file's person, organisation or clearance; a
clearance's state, end or holder; a person's identity; a function's deadline; an organisation's name), whatever writes it (the ORM,
the scheduler's batches, retention, raw SQL). Each application node memoises the summary per (day, value)
and reads the value in one statement by primary key, so a change made on one node is seen on all at once.

On PostgreSQL the triggers are deferred constraint triggers that bump the counter once per transaction, at
its commit: the counter's row lock is then the last lock a writer takes, so it never waits on it while
holding a row another writer wants (no deadlock), and a batch of thousands of rows costs one bump. SQLite
has one writer at a time: plain row triggers. Only additions.
"""

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

COUNTER = "workforce_summary"
#: (table, events, a condition on the new row or None): what the summary reads.
WATCHED = [
    ("workforce_members", "INSERT OR UPDATE OR DELETE", None),
    ("applications", "INSERT", "NEW.clearance_id IS NOT NULL"),
    ("applications", "UPDATE OF clearance_id, person_id, organisation_id OR DELETE", None),
    ("clearances", "INSERT OR UPDATE OF state, valid_until, person_id OR DELETE", None),
    ("persons", "UPDATE OF identity_hash OR DELETE", None),
    ("critical_functions", "UPDATE OF required_from OR DELETE", None),
    ("organisations", "UPDATE OF name", None),  # the page shows the names
]
BUMP = (  # constants only: nothing from outside reaches these statements
    f"INSERT INTO change_counters (name, value) VALUES ('{COUNTER}', 1) "  # noqa: S608
    "ON CONFLICT (name) DO UPDATE SET value = change_counters.value + 1"
)
PG_FUNCTION = f"""
CREATE FUNCTION workforce_summary_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('screening.workforce_summary_bumped', true) IS DISTINCT FROM 'on' THEN
        PERFORM set_config('screening.workforce_summary_bumped', 'on', true);
        {BUMP};
    END IF;
    RETURN NULL;
END
$$
"""


def _names() -> list[tuple[str, str, str | None, str]]:
    return [(table, events, when, f"trg_summary_{table}_{i}") for i, (table, events, when) in enumerate(WATCHED)]


def upgrade() -> None:
    op.create_table(
        "change_counters",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_change_counters")),
    )
    op.execute(f"INSERT INTO change_counters (name, value) VALUES ('{COUNTER}', 1)")  # noqa: S608
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for table, events, when, name in _names():
            condition = f" WHEN ({when})" if when else ""
            op.execute(
                f"CREATE CONSTRAINT TRIGGER {name} AFTER {events} ON {table} DEFERRABLE INITIALLY DEFERRED "
                f"FOR EACH ROW{condition} EXECUTE FUNCTION workforce_summary_changed()"
            )
        return
    for table, events, when, name in _names():
        for n, event in enumerate(part.strip() for part in events.split(" OR ")):
            condition = f" WHEN {when}" if when else ""
            op.execute(f"CREATE TRIGGER {name}_{n} AFTER {event} ON {table} FOR EACH ROW{condition} BEGIN {BUMP}; END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, _events, _when, name in _names():
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute("DROP FUNCTION workforce_summary_changed()")
    else:
        for _table, events, _when, name in _names():
            for n in range(len(events.split(" OR "))):
                op.execute(f"DROP TRIGGER IF EXISTS {name}_{n}")
    op.drop_table("change_counters")
