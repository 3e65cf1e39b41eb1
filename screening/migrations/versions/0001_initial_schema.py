"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 07:51:30.672800

Applications and clearances refer to each other. SQLite accepts the forward reference inside
CREATE TABLE; other databases get the clearances -> applications foreign key once both tables exist.
"""

import sqlalchemy as sa
from alembic import op

import screening.db

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    sqlite = op.get_context().dialect.name == "sqlite"
    clearance_application_fk = (
        [
            sa.ForeignKeyConstraint(
                ["application_id"], ["applications.id"], name=op.f("fk_clearances_application_id_applications")
            )
        ]
        if sqlite
        else []
    )
    op.create_table(
        "critical_functions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("name_nl", sa.String(length=200), nullable=False),
        sa.Column("name_fr", sa.String(length=200), nullable=False),
        sa.Column("category", sa.SmallInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default="1", nullable=False),
        sa.CheckConstraint("category BETWEEN 1 AND 4", name=op.f("ck_critical_functions_category_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_critical_functions")),
        sa.UniqueConstraint("code", name=op.f("uq_critical_functions_code")),
    )
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", screening.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(length=120), nullable=False),
        sa.Column("client_address", sa.String(length=45), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.create_index("ix_login_attempts_address_at", ["client_address", "at"], unique=False)
        batch_op.create_index("ix_login_attempts_username_at", ["username", "at"], unique=False)

    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("enterprise_number", sa.String(length=12), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("active", sa.Boolean(), server_default="1", nullable=False),
        sa.Column(
            "created_at",
            screening.db.UTCDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("code", name=op.f("uq_organisations_code")),
        sa.UniqueConstraint("enterprise_number", name=op.f("uq_organisations_enterprise_number")),
    )
    op.create_table(
        "persons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("given_names", sa.String(length=100), nullable=False),
        sa.Column("family_name", sa.String(length=100), nullable=False),
        sa.Column("search_name", sa.String(length=201), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("nationality", sa.String(length=2), nullable=False),
        sa.Column("identity_hash", sa.String(length=64), nullable=False),
        sa.Column("national_number_encrypted", sa.Text(), nullable=True),
        sa.Column("national_number_masked", sa.String(length=16), nullable=True),
        sa.Column("document_number_encrypted", sa.Text(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("locale", sa.String(length=5), server_default="nl", nullable=False),
        sa.Column(
            "created_at",
            screening.db.UTCDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persons")),
        sa.UniqueConstraint("identity_hash", name=op.f("uq_persons_identity_hash")),
    )
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_persons_search_name"), ["search_name"], unique=False)

    op.create_table(
        "reference_counters",
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_reference_counters")),
    )
    op.create_table(
        "clearances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("advice_type", sa.String(length=24), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("created_at", screening.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state_changed_at", screening.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", screening.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("state <> 'revoked' OR revoked_at IS NOT NULL", name=op.f("ck_clearances_revoked_has_date")),
        sa.CheckConstraint(
            "state IN ('valid', 'under_reevaluation', 'revoked', 'expired')", name=op.f("ck_clearances_state_known")
        ),
        sa.CheckConstraint("valid_until >= valid_from", name=op.f("ck_clearances_validity_ordered")),
        *clearance_application_fk,
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_clearances_person_id_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clearances")),
        sa.UniqueConstraint("application_id", name=op.f("uq_clearances_application_id")),
        sa.UniqueConstraint("reference", name=op.f("uq_clearances_reference")),
    )
    with op.batch_alter_table("clearances", schema=None) as batch_op:
        batch_op.create_index("ix_clearances_person_state", ["person_id", "state"], unique=False)
        batch_op.create_index("ix_clearances_state_valid_until", ["state", "valid_until"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=120), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=10), server_default="local", nullable=False),
        sa.Column("active", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=True),
        sa.Column(
            "created_at",
            screening.db.UTCDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("last_login_at", screening.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IN ('requester', 'hr', 'officer', 'admin', 'auditor')", name=op.f("ck_users_role_known")
        ),
        sa.CheckConstraint(
            "role NOT IN ('requester', 'hr') OR organisation_id IS NOT NULL",
            name=op.f("ck_users_employer_has_organisation"),
        ),
        sa.CheckConstraint("source IN ('local', 'directory')", name=op.f("ck_users_source_known")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_users_organisation_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_organisation_id"), ["organisation_id"], unique=False)

    op.create_table(
        "applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("function_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", screening.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state_changed_at", screening.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", screening.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("decided_at", screening.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("advice_type", sa.String(length=24), nullable=True),
        sa.Column("grounds", sa.Text(), nullable=True),
        sa.Column("officer_notes", sa.Text(), nullable=True),
        sa.Column("info_request", sa.Text(), nullable=True),
        sa.Column("info_response", sa.Text(), nullable=True),
        sa.Column("notified_at", screening.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("appeal_deadline", sa.Date(), nullable=True),
        sa.Column("appealed_at", screening.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("clearance_id", sa.Integer(), nullable=True),
        sa.Column("withdrawal_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "advice_type IS NULL OR advice_type IN ('positive', 'positive_with_warning', 'negative')",
            name=op.f("ck_applications_advice_type_known"),
        ),
        sa.CheckConstraint(
            "state <> 'covered' OR clearance_id IS NOT NULL", name=op.f("ck_applications_covered_has_clearance")
        ),
        sa.CheckConstraint(
            "state IN ('draft', 'awaiting_consent', 'submitted', 'in_review', 'info_requested', 'positive', 'negative', 'appealed', 'final_negative', 'consent_refused', 'consent_expired', 'withdrawn', 'covered')",
            name=op.f("ck_applications_state_known"),
        ),
        sa.CheckConstraint(
            "state NOT IN ('appealed', 'final_negative', 'negative', 'positive') OR (decided_at IS NOT NULL AND advice_type IS NOT NULL)",
            name=op.f("ck_applications_decided_has_advice"),
        ),
        sa.ForeignKeyConstraint(
            ["clearance_id"], ["clearances.id"], name=op.f("fk_applications_clearance_id_clearances")
        ),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_applications_created_by_id_users")),
        sa.ForeignKeyConstraint(
            ["function_id"], ["critical_functions.id"], name=op.f("fk_applications_function_id_critical_functions")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_applications_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_applications_person_id_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
        sa.UniqueConstraint("reference", name=op.f("uq_applications_reference")),
    )
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_applications_clearance_id"), ["clearance_id"], unique=False)
        batch_op.create_index("ix_applications_org_created", ["organisation_id", "created_at"], unique=False)
        batch_op.create_index(
            "ix_applications_org_state_created", ["organisation_id", "state", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_applications_person_id"), ["person_id"], unique=False)
        batch_op.create_index("ix_applications_state_submitted", ["state", "submitted_at"], unique=False)
    if not sqlite:
        op.create_foreign_key(
            op.f("fk_clearances_application_id_applications"), "clearances", "applications", ["application_id"], ["id"]
        )

    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", screening.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("from_state", sa.String(length=20), nullable=True),
        sa.Column("to_state", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("client_address", sa.String(length=45), nullable=True),
        sa.ForeignKeyConstraint(["actor_user_id"], ["users.id"], name=op.f("fk_audit_entries_actor_user_id_users")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_audit_entries_organisation_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
    )
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.create_index("ix_audit_entries_object", ["object_type", "object_id", "id"], unique=False)
        batch_op.create_index("ix_audit_entries_organisation", ["organisation_id", "id"], unique=False)


def downgrade() -> None:
    if op.get_context().dialect.name != "sqlite":
        op.drop_constraint(op.f("fk_clearances_application_id_applications"), "clearances", type_="foreignkey")
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entries_organisation")
        batch_op.drop_index("ix_audit_entries_object")

    op.drop_table("audit_entries")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_state_submitted")
        batch_op.drop_index(batch_op.f("ix_applications_person_id"))
        batch_op.drop_index("ix_applications_org_state_created")
        batch_op.drop_index("ix_applications_org_created")
        batch_op.drop_index(batch_op.f("ix_applications_clearance_id"))

    op.drop_table("applications")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_organisation_id"))

    op.drop_table("users")
    with op.batch_alter_table("clearances", schema=None) as batch_op:
        batch_op.drop_index("ix_clearances_state_valid_until")
        batch_op.drop_index("ix_clearances_person_state")

    op.drop_table("clearances")
    op.drop_table("reference_counters")
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_persons_search_name"))

    op.drop_table("persons")
    op.drop_table("organisations")
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_login_attempts_username_at")
        batch_op.drop_index("ix_login_attempts_address_at")

    op.drop_table("login_attempts")
    op.drop_table("critical_functions")
