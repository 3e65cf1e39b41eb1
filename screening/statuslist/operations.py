"""Writing the status list: in the transaction of the clearances' change, one INSERT ... SELECT per change
set (every printed code of every clearance changed), and the ``status_list.changed`` webhook to
access-control organisations beside it. Operations flush, never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, insert, literal, select, text

from screening.certificates.models import CertificateIssue
from screening.clock import local_date
from screening.db import db
from screening.notifications.operations import app_link
from screening.statuslist.models import StatusEntry
from screening.webhooks.events import emit_access_control

#: The status a code takes when its clearance goes through an event of the clearance machine; events not
#: here change nothing a gate acts on (an appeal lodged against a revocation: the code stays revoked; an
#: appeal rejected: it was revoked already).
STATUS_OF_EVENT = {
    "start_reevaluation": "suspended",
    "confirm": "reinstated",
    "revoke": "revoked",
    "expire": "expired",
    "revocation_appeal_upheld": "reinstated",
}
CHANGED_EVENT = "status_list.changed"


def record_changes(clearance_ids: Sequence[int], event: str, now: datetime) -> int:
    """An entry for every code printed for ``clearance_ids``, which just went through ``event``, and the
    webhook event when there is any. Returns the entries written.

    On PostgreSQL the table's lock (readers go on) is held to the end of the transaction: sequence numbers
    are then committed in their order, so a gate that read up to 12 never finds a 11 committed later."""
    status = STATUS_OF_EVENT.get(event)
    if status is None or not clearance_ids:
        return 0
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("LOCK TABLE status_list_entries IN EXCLUSIVE MODE"))
    before = head()
    codes = (
        select(
            CertificateIssue.code, literal(status), literal(local_date(now), StatusEntry.entered_on.type),
            literal(now, StatusEntry.created_at.type),
        )
        .where(CertificateIssue.clearance_id.in_(sorted(set(clearance_ids))))
        .order_by(CertificateIssue.id)
    )  # fmt: skip
    columns = ("code", "status", "entered_on", "created_at")
    written = db.session.execute(insert(StatusEntry).from_select(columns, codes)).rowcount
    if written:
        after = head()
        link = app_link("api.status_list", since=before)
        emit_access_control(CHANGED_EVENT, {"sequence": after, "link": link}, now)
    return written


def head() -> int:
    """The highest sequence on the list (0 while it is empty)."""
    return db.session.scalar(select(func.coalesce(func.max(StatusEntry.id), 0))) or 0
