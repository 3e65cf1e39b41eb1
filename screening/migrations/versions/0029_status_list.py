"""the status list for access control: an append-only table of verification codes and their status

Revision ID: 0029
Revises: 0028

``status_list_entries`` (code, status, the day it took effect, when written), the primary key being the
sequence gates ask deltas from. Backfilled here, in one INSERT ... SELECT, with every printed code of a
clearance that has already ended or is under re-evaluation: revoked (also while its appeal runs) on the
day of the revocation, expired or suspended on the day of its last change (UTC days: the clearances keep
no local date). Oldest first, so the sequence follows the dates.
"""

import sqlalchemy as sa
from alembic import op

from screening.db import UTCDateTime

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

BACKFILL = """
INSERT INTO status_list_entries (code, status, entered_on, created_at)
SELECT code, status, entered_on, CURRENT_TIMESTAMP FROM (
    SELECT i.id AS issue_id, i.code AS code,
           CASE c.state WHEN 'expired' THEN 'expired' WHEN 'under_reevaluation' THEN 'suspended'
                ELSE 'revoked' END AS status,
           date(CASE WHEN c.state IN ('revoked', 'revocation_appealed') THEN c.revoked_at
                     ELSE c.state_changed_at END) AS entered_on
    FROM certificate_issues i JOIN clearances c ON c.id = i.clearance_id
    WHERE c.state IN ('expired', 'under_reevaluation', 'revoked', 'revocation_appealed')
) AS ended
ORDER BY entered_on, issue_id
"""


def upgrade() -> None:
    op.create_table(
        "status_list_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=14), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("entered_on", sa.Date(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('revoked', 'expired', 'suspended', 'reinstated')",
            name=op.f("ck_status_list_entries_status_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_list_entries")),
    )
    op.create_index("ix_status_list_entries_code", "status_list_entries", ["code", "id"], unique=False)
    op.execute(BACKFILL)


def downgrade() -> None:
    op.drop_index("ix_status_list_entries_code", table_name="status_list_entries")
    op.drop_table("status_list_entries")
