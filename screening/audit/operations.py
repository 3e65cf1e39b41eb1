"""Writing the audit trail. Every state change, export and sensitive read goes through :func:`record`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict, Unpack

from sqlalchemy import insert, or_, select, update

from screening.actors import Actor
from screening.audit.models import AuditEntry, AuditErasure
from screening.audit.offline import erases_digest, redactable_digest
from screening.clock import utcnow
from screening.db import db, write_at_request_end


class EntryFields(TypedDict, total=False):
    """The optional fields of an entry, named once for :func:`record` and :func:`record_read`."""

    organisation_id: int | None
    from_state: str | None
    to_state: str | None
    reason: str | None
    now: datetime | None


def record(
    actor: Actor, action: str, object_type: str, object_id: int | None, **fields: Unpack[EntryFields]
) -> AuditEntry:
    entry = _entry(actor, action, object_type, object_id, **fields)
    db.session.add(entry)
    return entry


def _entry(
    actor: Actor, action: str, object_type: str, object_id: int | None, **fields: Unpack[EntryFields]
) -> AuditEntry:
    """One entry as the actor makes it; its personal fields enter the log through their digest."""
    if unknown := fields.keys() - EntryFields.__annotations__.keys():
        raise TypeError(f"unknown audit entry fields: {sorted(unknown)}")  # a TypedDict is not checked at run time
    reason = fields.get("reason")
    return AuditEntry(
        at=fields.get("now") or utcnow(),
        actor_user_id=actor.user_id,
        actor=actor.label,
        role=actor.role,
        action=action,
        object_type=object_type,
        object_id=object_id,
        organisation_id=fields.get("organisation_id"),
        from_state=fields.get("from_state"),
        to_state=fields.get("to_state"),
        reason=reason,
        client_address=actor.client_address,
        redactable_digest=redactable_digest(reason, actor.client_address),
    )


def record_read(
    actor: Actor,
    action: str,
    object_type: str,
    object_id: int | None,
    *,
    organisation_id: int | None = None,
    reason: str | None = None,
) -> None:
    """Audit a sensitive read; the entry is written when the request ends, whatever its outcome.

    A read is a fact as soon as it happens; and a page that only reads keeps its read transaction while it
    renders (on SQLite a write there would queue every reader behind every writer), so the view commits
    nothing: the request's end writes the entry in a short transaction of its own. Downloads (reports,
    registers, subject exports) are reads of this kind: a write inside a GET's read transaction fails on
    SQLite with "database is locked" as soon as another request committed since the read began.
    """
    write_at_request_end(_entry(actor, action, object_type, object_id, organisation_id=organisation_id, reason=reason))


def blank_entries(condition: Any, actor: Actor, now: datetime, *, reason: str | None = None) -> int:
    """Erase the reason and address of the entries matching ``condition`` (a Core condition on
    ``audit_entries``), as an erasure event of the log: one entry naming the blanked ones (through the
    digest of their ids, which its leaf covers, and one :class:`AuditErasure` row each). Entries with
    nothing left to erase are not named. Returns how many were blanked."""
    trail = AuditEntry.__table__
    ids = list(
        db.session.scalars(
            select(trail.c.id)
            .where(condition, or_(trail.c.reason.is_not(None), trail.c.client_address.is_not(None)))
            .order_by(trail.c.id)
        )
    )
    if not ids:
        return 0
    event = record(actor, "erase_trail_texts", "audit", None, reason=reason, now=now)
    event.erases_digest = erases_digest(ids)
    db.session.flush()
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        db.session.execute(update(trail).where(trail.c.id.in_(chunk)).values(reason=None, client_address=None))
    db.session.execute(insert(AuditErasure.__table__), [{"entry_id": i, "erasure_id": event.id} for i in ids])
    return len(ids)
