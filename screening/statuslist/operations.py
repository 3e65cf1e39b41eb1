"""Writing the status list: in the transaction of the clearances' change, one INSERT ... SELECT per change
set (every printed code of every clearance changed), and the ``status_list.changed`` webhook to
access-control organisations beside it. Operations flush, never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, insert, literal, select, text
from sqlalchemy.orm import aliased

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


#: Statuses after which a gate turns a card back on: only a code listed with one of these is reinstated.
BLOCKING = ("suspended", "revoked", "expired")


def record_changes(clearance_ids: Sequence[int], event: str, now: datetime, *, periodic: bool = False) -> int:
    """An entry for every code printed for ``clearance_ids``, which just went through ``event``, and the
    webhook event when there is any. Returns the entries written.

    A periodic re-screening (``periodic``: opened by the scheduler because the holder's period came round)
    suspends nothing: it says nothing against the holder, whose clearance still covers them, and a gate that
    blocks suspended cards would lock out every holder of a category each year. A code is reinstated only
    when the list shows it blocked, so confirming a routine re-check adds no entry.

    On PostgreSQL the table's lock (readers go on) is held to the end of the transaction: sequence numbers
    are then committed in their order, so a gate that read up to 12 never finds a 11 committed later."""
    status = STATUS_OF_EVENT.get(event)
    if status is None or not clearance_ids or (periodic and status == "suspended"):
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
    if status == "reinstated":
        earlier = aliased(StatusEntry)
        latest = select(func.max(earlier.id)).where(earlier.code == CertificateIssue.code).correlate(CertificateIssue)
        listed_as = select(StatusEntry.status).where(StatusEntry.id == latest.scalar_subquery())
        codes = codes.where(listed_as.correlate(CertificateIssue).scalar_subquery().in_(BLOCKING))
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
