"""Writing the audit trail. Every state change, export and sensitive read goes through :func:`record`."""

from __future__ import annotations

from datetime import datetime

from screening.actors import Actor
from screening.audit.models import AuditEntry
from screening.clock import utcnow
from screening.db import db, write_at_request_end


def record(
    actor: Actor,
    action: str,
    object_type: str,
    object_id: int | None,
    *,
    organisation_id: int | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        at=now or utcnow(),
        actor_user_id=actor.user_id,
        actor=actor.label,
        role=actor.role,
        action=action,
        object_type=object_type,
        object_id=object_id,
        organisation_id=organisation_id,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        client_address=actor.client_address,
    )
    db.session.add(entry)
    return entry


def record_read(
    actor: Actor, action: str, object_type: str, object_id: int, *, organisation_id: int | None = None
) -> None:
    """Audit a sensitive read; the entry is written when the request ends, whatever its outcome.

    A read is a fact as soon as it happens; and a page that only reads keeps its read transaction while it
    renders (on SQLite a write there would queue every reader behind every writer), so the view commits
    nothing: the request's end writes the entry in a short transaction of its own.
    """
    write_at_request_end(
        AuditEntry(
            at=utcnow(),
            actor_user_id=actor.user_id,
            actor=actor.label,
            role=actor.role,
            action=action,
            object_type=object_type,
            object_id=object_id,
            organisation_id=organisation_id,
            client_address=actor.client_address,
        )
    )
