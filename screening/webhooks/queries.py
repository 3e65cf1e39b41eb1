"""Reading webhooks: an organisation's screening managers see their own organisation's endpoints and
deliveries, nobody else's (404). Scoping happens here, so no view can forget it."""

from __future__ import annotations

from flask import abort
from sqlalchemy import Select, func, select

from screening.actors import Account
from screening.db import db
from screening.pagination import Page, paginate
from screening.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

#: The role that manages its organisation's webhooks (an employer's screening manager).
MANAGER = "requester"


def _organisation(user: Account) -> int:
    if user.role != MANAGER or user.organisation_id is None:
        abort(404)
    return user.organisation_id


def endpoints(user: Account) -> list[WebhookEndpoint]:
    """The organisation's endpoints (at most ``webhooks.max_endpoints``), oldest first."""
    return endpoints_of(_organisation(user))


def endpoints_of(organisation_id: int) -> list[WebhookEndpoint]:
    """One organisation's endpoints (the administrator's page of an access-control organisation)."""
    return list(
        db.session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.organisation_id == organisation_id)
            .order_by(WebhookEndpoint.id)
        )
    )


def endpoint_count(organisation_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count()).select_from(WebhookEndpoint).where(WebhookEndpoint.organisation_id == organisation_id)
        )
        or 0
    )


def get_endpoint(user: Account, endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.session.scalar(
        select(WebhookEndpoint).where(
            WebhookEndpoint.id == endpoint_id, WebhookEndpoint.organisation_id == _organisation(user)
        )
    )
    if endpoint is None:
        abort(404)
    return endpoint


def _deliveries(user: Account) -> Select[tuple[WebhookDelivery, WebhookEvent]]:
    return (
        select(WebhookDelivery, WebhookEvent)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookEndpoint.organisation_id == _organisation(user))
    )


def delivery_log(user: Account, endpoint: WebhookEndpoint, page: int, per_page: int) -> Page[object]:
    """The endpoint's deliveries, newest first, with their events (one query per page and a bounded count)."""
    statement = _deliveries(user).where(WebhookDelivery.endpoint_id == endpoint.id)
    return paginate(statement.order_by(WebhookDelivery.id.desc()), page, per_page, scalars=False)


def get_delivery(user: Account, delivery_id: int) -> tuple[WebhookDelivery, WebhookEvent]:
    row = db.session.execute(_deliveries(user).where(WebhookDelivery.id == delivery_id)).first()
    if row is None:
        abort(404)
    return row[0], row[1]


def attempts(delivery: WebhookDelivery) -> list[WebhookAttempt]:
    """Every attempt of one delivery, in order (bounded: retries end after ``give_up_hours``)."""
    return list(
        db.session.scalars(
            select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery.id).order_by(WebhookAttempt.number)
        )
    )
