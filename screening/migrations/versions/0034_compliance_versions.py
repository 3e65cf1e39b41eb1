"""a version per organisation of what its compliance view shows (issue 17)

Revision ID: 0034
Revises: 0033

``change_counters`` gets one row per organisation, ``compliance:<id>``, bumped by triggers in the transaction
of every change of what that organisation's compliance view shows (its register's members; its files'
state, advice, person and clearance; the clearances and identities of the people it has files on; its
name; a new organisation gets its row), and one row ``compliance:0`` for what every organisation's view shows (the critical functions'
names and deadlines). Each application node memoises a rendered page per (organisation, day, both values,
filters, page, language, role) and reads the two values in one statement by primary key, so a change made
on one node is seen on all at once, and a change in one organisation never empties another's memo.

A clearance or an identity names the organisations with a file on the person (an indexed look-up of the
person's files): a superset of the organisations whose files link to the clearance, which is harmless.

SQLite has one writer at a time: plain row triggers bump the rows as they go. On PostgreSQL a row trigger
notes the organisations in a setting local to the transaction, and a deferred constraint trigger bumps them
at commit, all in one statement in the order of their ids: every writer takes these row locks last and in
the same order (and before the port-wide summary's counter, whose triggers sort after these by name and
watch a subset of these changes), so two writers never wait on each other in a cycle, and a batch of
thousands of rows costs one statement. Existing organisations get their rows now. Only additions.
"""

from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None

PREFIX = "compliance:"
#: Every organisation's views (the catalogue).
ALL = 0

#: (table, events, condition or None, SQL giving the organisation ids the row touches, on SQLite as
#: ``NEW``/``OLD``): what the compliance view reads. One entry per event kind where NEW or OLD differs.
_PERSON_FILES = "SELECT organisation_id AS id FROM applications WHERE person_id = {row}.person_id"
WATCHED = [
    ("workforce_members", "INSERT", None, "SELECT NEW.organisation_id AS id"),
    ("workforce_members", "UPDATE", None, "SELECT NEW.organisation_id AS id UNION SELECT OLD.organisation_id"),
    ("workforce_members", "DELETE", None, "SELECT OLD.organisation_id AS id"),
    ("applications", "INSERT", None, "SELECT NEW.organisation_id AS id"),
    (
        "applications",
        "UPDATE OF state, advice_type, clearance_id, person_id, organisation_id",
        None,
        "SELECT NEW.organisation_id AS id UNION SELECT OLD.organisation_id",
    ),  # fmt: skip
    ("applications", "DELETE", None, "SELECT OLD.organisation_id AS id"),
    ("clearances", "INSERT", None, _PERSON_FILES.format(row="NEW")),
    (
        "clearances",
        "UPDATE OF state, valid_until, person_id",
        None,
        f"{_PERSON_FILES.format(row='NEW')} UNION {_PERSON_FILES.format(row='OLD')}",
    ),  # fmt: skip
    ("clearances", "DELETE", None, _PERSON_FILES.format(row="OLD")),
    (
        "persons",
        "UPDATE OF identity_hash",
        None,
        "SELECT organisation_id AS id FROM applications WHERE person_id = OLD.id UNION "
        "SELECT organisation_id FROM workforce_members WHERE identity_hash IN (OLD.identity_hash, NEW.identity_hash)",
    ),  # fmt: skip
    (
        "persons",
        "DELETE",
        None,
        "SELECT organisation_id AS id FROM applications WHERE person_id = OLD.id UNION "
        "SELECT organisation_id FROM workforce_members WHERE identity_hash = OLD.identity_hash",
    ),  # fmt: skip
    ("critical_functions", "INSERT", None, f"SELECT {ALL} AS id"),
    ("critical_functions", "UPDATE", None, f"SELECT {ALL} AS id"),
    ("critical_functions", "DELETE", None, f"SELECT {ALL} AS id"),
    ("organisations", "INSERT", None, "SELECT NEW.id AS id"),  # a new organisation's counter from its start
    ("organisations", "UPDATE OF name", None, "SELECT NEW.id AS id"),
]

_UPSERT = (  # constants only: nothing from outside reaches these statements
    "INSERT INTO change_counters (name, value) SELECT '{prefix}' || ids.id, 1 FROM ({ids}) AS ids {tail}"
    "ON CONFLICT (name) DO UPDATE SET value = change_counters.value + 1"
)

PG_NOTE = """
CREATE FUNCTION compliance_note_{n}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    noted text := coalesce(current_setting('screening.compliance_orgs', true), '');
    org bigint;
BEGIN
    FOR org IN {ids} LOOP
        IF org IS NOT NULL AND position(',' || org || ',' IN noted) = 0 THEN
            noted := CASE WHEN noted = '' THEN ',' ELSE noted END || org || ',';
        END IF;
    END LOOP;
    PERFORM set_config('screening.compliance_orgs', noted, true);
    RETURN NULL;
END
$$
"""
PG_FLUSH = """
CREATE FUNCTION compliance_flush() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    noted text := coalesce(current_setting('screening.compliance_orgs', true), '');
BEGIN
    IF noted <> '' THEN
        PERFORM set_config('screening.compliance_orgs', '', true);
        {upsert};
    END IF;
    RETURN NULL;
END
$$
"""
_NOTED_IDS = "SELECT DISTINCT unnest(string_to_array(trim(BOTH ',' FROM noted), ','))::bigint AS id"


def upgrade() -> None:
    seed = (
        f"INSERT INTO change_counters (name, value) SELECT '{PREFIX}' || id, 1 FROM organisations "  # noqa: S608
        f"UNION ALL SELECT '{PREFIX}{ALL}', 1"
    )
    op.execute(seed)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FLUSH.format(upsert=_UPSERT.format(prefix=PREFIX, ids=_NOTED_IDS, tail="ORDER BY ids.id ")))
        for n, (table, events, when, ids) in enumerate(WATCHED):
            condition = f" WHEN ({when})" if when else ""
            op.execute(PG_NOTE.format(n=n, ids=ids))
            op.execute(
                f"CREATE TRIGGER trg_compliance_note_{n} AFTER {events} ON {table} FOR EACH ROW{condition} "
                f"EXECUTE FUNCTION compliance_note_{n}()"
            )
            op.execute(
                f"CREATE CONSTRAINT TRIGGER trg_compliance_{n} AFTER {events} ON {table} DEFERRABLE INITIALLY DEFERRED "
                f"FOR EACH ROW{condition} EXECUTE FUNCTION compliance_flush()"
            )
        return
    for n, (table, events, when, ids) in enumerate(WATCHED):
        condition = f" WHEN {when}" if when else ""
        upsert = _UPSERT.format(prefix=PREFIX, ids=ids, tail="WHERE ids.id IS NOT NULL ")
        op.execute(
            f"CREATE TRIGGER trg_compliance_{n} AFTER {events} ON {table} FOR EACH ROW{condition} BEGIN {upsert}; END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for n, (table, _events, _when, _ids) in enumerate(WATCHED):
            op.execute(f"DROP TRIGGER IF EXISTS trg_compliance_{n} ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS trg_compliance_note_{n} ON {table}")
            op.execute(f"DROP FUNCTION compliance_note_{n}()")
        op.execute("DROP FUNCTION compliance_flush()")
    else:
        for n, (_table, _events, _when, _ids) in enumerate(WATCHED):
            op.execute(f"DROP TRIGGER IF EXISTS trg_compliance_{n}")
    op.execute(f"DELETE FROM change_counters WHERE name LIKE '{PREFIX}%'")  # noqa: S608
