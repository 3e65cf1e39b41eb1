"""Writing webhook events: one row per (event, organisation) and one delivery per subscribed endpoint, in
the transaction of the change, so a change that rolls back announced nothing and a committed one is
delivered even if the process dies a moment later.

Payloads are thin, the Standard Webhooks shape ``{"type", "timestamp", "data"}`` with ``data`` holding only
the reference, the employer's external id, the new state as the employer sees it, and a link to the page:
never grounds, notes, names or a national register number. The receiver fetches the rest with its token.
Access-control organisations hear one event only, ``status_list.changed``, whose ``data`` is the list's
highest sequence and the link to the delta.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from screening.db import db
from screening.organisations.models import ACCESS_CONTROL, Organisation
from screening.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from workflows.text import N_

#: Event types an endpoint may subscribe to, with their labels.
EVENT_TYPES = {
    "application.state_changed": N_("Application state changed"),
    "application.information_requested": N_("Information requested"),
    "clearance.expiring": N_("Clearance expiring"),
    "clearance.ended": N_("Clearance ended"),
    "clearance.reinstated": N_("Clearance valid again (revocation annulled on appeal)"),
}
#: The events of an access-control organisation (its endpoints subscribe to these only).
ACCESS_CONTROL_EVENT_TYPES = {"status_list.changed": N_("Status list changed")}
#: The event "Send a test event" sends; nobody subscribes to it.
TEST_EVENT = "webhook.test"
#: The only keys ``data`` may have (tests check every payload against it).
DATA_KEYS = frozenset({"reference", "external_id", "state", "valid_until", "link", "sequence"})


@dataclass(frozen=True)
class Notice:
    """One event for one organisation: its type and thin ``data``."""

    organisation_id: int
    event_type: str
    data: dict[str, Any]


def new_msg_id() -> str:
    return f"msg_{secrets.token_urlsafe(18)}"


def body(event_type: str, data: dict[str, Any], now: datetime) -> str:
    """The JSON body, compact and with sorted keys (what the signature covers)."""
    unknown = set(data) - DATA_KEYS
    if unknown:
        raise ValueError(f"webhook data may not carry {sorted(unknown)}")
    stamp = now.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return json.dumps({"type": event_type, "timestamp": stamp, "data": data}, separators=(",", ":"), sort_keys=True)


def emit(notices: Sequence[Notice], now: datetime) -> int:
    """Write the events of ``notices`` for organisations with an endpoint subscribed to them, with one
    delivery each, in the current transaction (a fixed number of statements whatever the batch). Disabled
    endpoints get their deliveries too: they go out once the endpoint is enabled again. Returns how many
    deliveries were written."""
    organisations = sorted({notice.organisation_id for notice in notices})
    if not organisations:
        return 0
    endpoints: dict[int, list[tuple[int, list[str]]]] = {}
    for endpoint_id, organisation_id, types in db.session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.organisation_id, WebhookEndpoint.event_types)
        .where(WebhookEndpoint.organisation_id.in_(organisations))
        .order_by(WebhookEndpoint.id)
    ):
        endpoints.setdefault(organisation_id, []).append((endpoint_id, list(types or [])))
    planned: list[tuple[WebhookEvent, list[int]]] = []
    for notice in notices:
        targets = [eid for eid, types in endpoints.get(notice.organisation_id, []) if notice.event_type in types]
        if targets:
            event = WebhookEvent(
                msg_id=new_msg_id(), organisation_id=notice.organisation_id, event_type=notice.event_type,
                body=body(notice.event_type, notice.data, now), created_at=now,
            )  # fmt: skip
            planned.append((event, targets))
    return _write(planned, now)


def emit_access_control(event_type: str, data: dict[str, Any], now: datetime) -> int:
    """One event for every access-control organisation with an endpoint subscribed to ``event_type``, in the
    current transaction (one query for the endpoints); returns the deliveries written."""
    targets: dict[int, list[int]] = {}
    for endpoint_id, organisation_id, types in db.session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.organisation_id, WebhookEndpoint.event_types)
        .join(Organisation, Organisation.id == WebhookEndpoint.organisation_id)
        .where(Organisation.kind == ACCESS_CONTROL, Organisation.active.is_(True))
        .order_by(WebhookEndpoint.id)
    ):
        if event_type in (types or []):
            targets.setdefault(organisation_id, []).append(endpoint_id)
    planned = [
        (WebhookEvent(
            msg_id=new_msg_id(), organisation_id=organisation_id, event_type=event_type,
            body=body(event_type, data, now), created_at=now,
        ), endpoint_ids)
        for organisation_id, endpoint_ids in targets.items()
    ]  # fmt: skip
    return _write(planned, now)


def emit_test(endpoint: WebhookEndpoint, link: str, now: datetime) -> WebhookDelivery:
    """A test event to one endpoint, through the same outbox as every other."""
    event = WebhookEvent(
        msg_id=new_msg_id(), organisation_id=endpoint.organisation_id, event_type=TEST_EVENT,
        body=body(TEST_EVENT, {"reference": None, "external_id": None, "state": None, "link": link}, now),
        created_at=now,
    )  # fmt: skip
    _write([(event, [endpoint.id])], now, origin="test")
    return db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.event_id == event.id)).one()


def _write(planned: list[tuple[WebhookEvent, list[int]]], now: datetime, origin: str = "event") -> int:
    if not planned:
        return 0
    db.session.add_all([event for event, _targets in planned])
    db.session.flush()  # one INSERT ... RETURNING for the batch
    deliveries = [
        WebhookDelivery(
            event_id=event.id,
            endpoint_id=endpoint_id,
            state="pending",
            attempts=0,
            next_attempt_at=now,
            origin=origin,
            created_at=now,
        )  # fmt: skip
        for event, targets in planned
        for endpoint_id in targets
    ]
    db.session.add_all(deliveries)
    db.session.flush()
    return len(deliveries)
