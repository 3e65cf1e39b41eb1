"""decisions are records: advice, appeal, ruling, re-evaluation and revocation each a row of their own

Revision ID: 0017
Revises: 0016

``decisions`` (ZGW's "besluit": the day, the grounds, what the person may be told, validity dates, and the
decision it ends with the reason) and ``decision_documents`` (the appeal letter). The file's grounds move
there: each decided file gets its advice and, if it was appealed, its appeal and ruling; a ruling already
recorded had overwritten the advice's grounds and date, so that advice comes over dated by its notification
and without grounds (they were gone before this migration). Revocations and confirmations of clearances
come over from the audit trail, with the reason typed there as their grounds. ``applications.decision_id``
names the advice or ruling the outcome rests on; ``applications.grounds`` and ``disclosed_grounds`` go.
The states of the two appeal paths (``appealed_no_advice``, ``revocation_appealed``) join the CHECKs.
"""

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

from screening.db import UTCDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

BRUSSELS = ZoneInfo("Europe/Brussels")
OLD_APPLICATION_STATES = (
    "'draft', 'awaiting_consent', 'submitted', 'in_review', 'info_requested', 'positive', 'negative', 'appealed', "
    "'final_negative', 'consent_refused', 'consent_expired', 'withdrawn', 'covered'"
)
NEW_APPLICATION_STATES = OLD_APPLICATION_STATES.replace("'appealed', ", "'appealed', 'appealed_no_advice', ")
OLD_CLEARANCE_STATES = "'valid', 'under_reevaluation', 'revoked', 'expired'"
NEW_CLEARANCE_STATES = "'valid', 'under_reevaluation', 'revoked', 'revocation_appealed', 'expired'"
ADVICE_EVENTS = {
    "positive": "advise_positive",
    "positive_with_warning": "advise_positive_with_warning",
    "negative": "advise_negative",
}


def _day(moment: datetime | None) -> date | None:
    return moment.astimezone(BRUSSELS).date() if moment is not None else None


def upgrade() -> None:
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("clearance_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("grounds", sa.Text(), nullable=True),
        sa.Column("disclosed_grounds", sa.Text(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("ends_id", sa.Integer(), nullable=True),
        sa.Column("end_reason", sa.String(length=24), nullable=True),
        sa.CheckConstraint("(application_id IS NULL) <> (clearance_id IS NULL)", name=op.f("ck_decisions_one_subject")),
        sa.CheckConstraint("(ends_id IS NULL) = (end_reason IS NULL)", name=op.f("ck_decisions_end_has_reason")),
        sa.CheckConstraint(
            "end_reason IS NULL OR end_reason IN "
            "('annulled_on_appeal', 'confirmed_on_appeal', 'revoked', 'annulled_revocation')",
            name=op.f("ck_decisions_end_reason_known"),
        ),
        sa.CheckConstraint(
            "kind IN ('advice', 'appeal', 'ruling', 'reevaluation', 'revocation')", name=op.f("ck_decisions_kind_known")
        ),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN "
            "('positive', 'positive_with_warning', 'negative', 'upheld', 'rejected', 'confirmed', 'revoked')",
            name=op.f("ck_decisions_outcome_known"),
        ),
        sa.CheckConstraint(
            "valid_until IS NULL OR valid_from IS NULL OR valid_until >= valid_from", name=op.f("ck_decisions_validity")
        ),
        sa.CheckConstraint("kind <> 'appeal' OR outcome IS NULL", name=op.f("ck_decisions_appeal_has_no_outcome")),
        sa.CheckConstraint("kind = 'appeal' OR outcome IS NOT NULL", name=op.f("ck_decisions_decision_has_outcome")),
        sa.ForeignKeyConstraint(
            ["application_id"], ["applications.id"], name=op.f("fk_decisions_application_id_applications")
        ),
        sa.ForeignKeyConstraint(["clearance_id"], ["clearances.id"], name=op.f("fk_decisions_clearance_id_clearances")),
        sa.ForeignKeyConstraint(["ends_id"], ["decisions.id"], name=op.f("fk_decisions_ends_id_decisions")),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"], name=op.f("fk_decisions_recorded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
    )
    op.create_index("ix_decisions_application", "decisions", ["application_id", "id"], unique=False)
    op.create_index("ix_decisions_clearance", "decisions", ["clearance_id", "id"], unique=False)
    op.create_table(
        "decision_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["decisions.id"], name=op.f("fk_decision_documents_decision_id_decisions")
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_decision_documents_uploaded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_documents")),
        sa.UniqueConstraint("decision_id", name=op.f("uq_decision_documents_decision_id")),
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    # ``applications`` and ``clearances`` are changed in place, never by copying them (SQLite's batch mode drops
    # the table, which the foreign keys of other tables refuse while they are enforced, as by `screening db
    # upgrade`): SQLite takes the foreign key inline in ADD COLUMN and drops a plain column itself.
    if sqlite:
        op.execute("ALTER TABLE applications ADD COLUMN decision_id INTEGER CONSTRAINT "
                   "fk_applications_decision_id_decisions REFERENCES decisions (id)")  # fmt: skip
    else:
        op.add_column("applications", sa.Column("decision_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_applications_decision_id_decisions"), "applications", "decisions", ["decision_id"], ["id"]
        )
    op.create_index(op.f("ix_applications_decision_id"), "applications", ["decision_id"], unique=False)
    _carry_over()
    for column in ("grounds", "disclosed_grounds"):
        if sqlite:
            op.execute(f"ALTER TABLE applications DROP COLUMN {column}")
        else:
            op.drop_column("applications", column)
    _replace_check("applications", "ck_applications_state_known", OLD_APPLICATION_STATES, NEW_APPLICATION_STATES)
    _replace_check("clearances", "ck_clearances_state_known", OLD_CLEARANCE_STATES, NEW_CLEARANCE_STATES)


def _replace_check(table: str, name: str, old: str, new: str) -> None:
    """``CHECK (state IN (old))`` becomes ``CHECK (state IN (new))``, a superset, so every row still passes.
    SQLite cannot alter a CHECK: its stored definition is rewritten in place, the procedure SQLite documents
    for loosening a constraint (lang_altertable, "other kinds of table schema changes"), in this transaction."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_constraint(op.f(name), table, type_="check")
        op.create_check_constraint(op.f(name), table, sa.text(f"state IN ({new})"))
        return
    sql = bind.execute(sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"), {"t": table})
    definition = sql.scalar_one()
    before = f"CONSTRAINT {name} CHECK (state IN ({old}))"
    if before not in definition:
        raise RuntimeError(f"{table}: the constraint {name} is not as migration 0017 expects; nothing was changed")
    version = bind.execute(sa.text("PRAGMA schema_version")).scalar_one()
    bind.execute(sa.text("PRAGMA writable_schema = ON"))
    bind.execute(
        sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = :t"),
        {"sql": definition.replace(before, f"CONSTRAINT {name} CHECK (state IN ({new}))"), "t": table},
    )
    bind.execute(sa.text(f"PRAGMA schema_version = {int(version) + 1}"))
    bind.execute(sa.text("PRAGMA writable_schema = OFF"))


def _carry_over() -> None:
    """The decisions already taken, as rows: one read of the decided files and of the clearances' trail, one
    insert of all the rows (ids given here so rulings can name the advice they end), one update of the files."""
    bind = op.get_bind()
    applications = sa.table(
        "applications", sa.column("id", sa.Integer()), sa.column("state", sa.String()),
        sa.column("advice_type", sa.String()), sa.column("decided_at", UTCDateTime()),
        sa.column("notified_at", UTCDateTime()), sa.column("appealed_at", UTCDateTime()),
        sa.column("grounds", sa.Text()), sa.column("disclosed_grounds", sa.Text()),
        sa.column("decision_id", sa.Integer()),
    )  # fmt: skip
    trail = sa.table(
        "audit_entries", sa.column("id", sa.Integer()), sa.column("at", UTCDateTime()),
        sa.column("actor_user_id", sa.Integer()), sa.column("action", sa.String()),
        sa.column("object_type", sa.String()), sa.column("object_id", sa.Integer()), sa.column("reason", sa.Text()),
    )  # fmt: skip
    clearances = sa.table("clearances", sa.column("id", sa.Integer()), sa.column("valid_until", sa.Date()))
    decisions = sa.table(
        "decisions", *(sa.column(name) for name in (
            "id", "application_id", "clearance_id", "kind", "event", "outcome", "decided_on", "grounds",
            "disclosed_grounds", "valid_from", "valid_until", "ends_id", "end_reason", "recorded_by_id",
        )), sa.column("recorded_at", UTCDateTime()),
    )  # fmt: skip
    rows: list[dict[str, Any]] = []
    in_force: list[dict[str, int]] = []

    def add(**values: Any) -> int:
        values = {"application_id": None, "clearance_id": None, "outcome": None, "grounds": None,
                  "disclosed_grounds": None, "valid_from": None, "valid_until": None, "ends_id": None,
                  "end_reason": None, "recorded_by_id": None} | values  # fmt: skip
        values["id"] = len(rows) + 1
        rows.append(values)
        return values["id"]

    decided = bind.execute(
        sa.select(applications).where(sa.or_(applications.c.advice_type.isnot(None), applications.c.appealed_at.isnot(None)))
        .order_by(applications.c.id)
    ).all()  # fmt: skip
    for a in decided:
        advice_at = a.notified_at or a.decided_at
        if a.appealed_at is None:
            current = add(
                application_id=a.id, kind="advice", event=ADVICE_EVENTS[a.advice_type], outcome=a.advice_type,
                decided_on=_day(advice_at), recorded_at=advice_at, grounds=a.grounds,
                disclosed_grounds=a.disclosed_grounds, valid_from=_day(advice_at),
            )  # fmt: skip
        else:
            ruled = a.state in ("positive", "final_negative")
            advice = add(
                application_id=a.id, kind="advice", event="advise_negative", outcome="negative",
                decided_on=_day(advice_at), recorded_at=advice_at, valid_from=_day(advice_at),
                grounds=None if ruled else a.grounds, disclosed_grounds=None if ruled else a.disclosed_grounds,
            )  # fmt: skip
            add(application_id=a.id, kind="appeal", event="lodge_appeal", decided_on=_day(a.appealed_at),
                recorded_at=a.appealed_at)  # fmt: skip
            current = advice
            if ruled:
                upheld = a.state == "positive"
                current = add(
                    application_id=a.id, kind="ruling", event="appeal_upheld" if upheld else "appeal_rejected",
                    outcome="upheld" if upheld else "rejected", decided_on=_day(a.decided_at),
                    recorded_at=a.decided_at, grounds=a.grounds, disclosed_grounds=a.disclosed_grounds,
                    valid_from=_day(a.decided_at), ends_id=advice if upheld else None,
                    end_reason="annulled_on_appeal" if upheld else None,
                )  # fmt: skip
        in_force.append({"file": a.id, "decision": current})
    entries = bind.execute(
        sa.select(trail, clearances.c.valid_until)
        .join(clearances, clearances.c.id == trail.c.object_id)
        .where(trail.c.object_type == "clearance", trail.c.action.in_(("confirm", "revoke")))
        .order_by(trail.c.id)
    ).all()
    for e in entries:
        revoke = e.action == "revoke"
        add(
            clearance_id=e.object_id, kind="revocation" if revoke else "reevaluation", event=e.action,
            outcome="revoked" if revoke else "confirmed", decided_on=_day(e.at), recorded_at=e.at,
            recorded_by_id=e.actor_user_id, grounds=e.reason, valid_from=_day(e.at),
            valid_until=None if revoke else e.valid_until,
        )  # fmt: skip
    if rows:
        bind.execute(sa.insert(decisions), rows)
        bind.execute(
            sa.update(applications).where(applications.c.id == sa.bindparam("file"))
            .values(decision_id=sa.bindparam("decision")), in_force,
        )  # fmt: skip
        if bind.dialect.name == "postgresql":
            bind.execute(
                sa.text("SELECT setval(pg_get_serial_sequence('decisions', 'id'), (SELECT MAX(id) FROM decisions))")
            )


def downgrade() -> None:
    """Back to the grounds on the file (those of the decision in force; earlier ones go). On SQLite run it with
    foreign keys off (a plain engine, as the tests do): dropping ``decision_id`` copies the table there."""
    _replace_check("clearances", "ck_clearances_state_known", NEW_CLEARANCE_STATES, OLD_CLEARANCE_STATES)
    _replace_check("applications", "ck_applications_state_known", NEW_APPLICATION_STATES, OLD_APPLICATION_STATES)
    op.add_column("applications", sa.Column("grounds", sa.Text(), nullable=True))
    op.add_column("applications", sa.Column("disclosed_grounds", sa.Text(), nullable=True))
    op.execute(
        "UPDATE applications SET grounds = (SELECT grounds FROM decisions WHERE decisions.id = applications.decision_id), "
        "disclosed_grounds = (SELECT disclosed_grounds FROM decisions WHERE decisions.id = applications.decision_id)"
    )
    op.drop_index(op.f("ix_applications_decision_id"), table_name="applications")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        if op.get_bind().dialect.name != "sqlite":
            batch_op.drop_constraint(op.f("fk_applications_decision_id_decisions"), type_="foreignkey")
        batch_op.drop_column("decision_id")
    op.drop_table("decision_documents")
    op.drop_index("ix_decisions_clearance", table_name="decisions")
    op.drop_index("ix_decisions_application", table_name="decisions")
    op.drop_table("decisions")
