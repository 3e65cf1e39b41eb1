"""``/api/v1/webhooks``: the webhooks page as an API (the ``webhooks`` scope). Each endpoint parses, calls
the page's own form, queries and operations (scoping, URL and address checks, limits, audit), and
serialises; the signing secret is shown on the answer that makes it only."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask_babel import gettext as _

from screening.api import webhook_schemas as schemas
from screening.api.auth import scoped
from screening.api.http import (
    Refused,
    api_user,
    bp,
    check_version,
    etag,
    field_problem,
    form_data,
    form_problem,
    idempotent,
    if_match,
    json_body,
    no_body,
    replay_without,
)
from screening.api.schemas import PageQuery
from screening.api.spec import BEARER, IDEMPOTENCY_KEY, if_match_header
from screening.clock import utcnow
from screening.extensions import settings, vault
from screening.webhooks import operations, queries
from screening.webhooks.forms import EndpointForm
from screening.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

ID = "int"
FIELDS = {"url", "event_types", "description"}
LISTS = frozenset({"event_types"})
_SECURITY = BEARER
_KEY = IDEMPOTENCY_KEY
_IF_MATCH = if_match_header("the endpoint")


def _actor() -> Any:
    return api_user().actor(request.remote_addr)


def _user() -> Any:
    return api_user()


def _endpoint(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.id, "url": endpoint.url, "description": endpoint.description,
        "event_types": list(endpoint.event_types), "state": endpoint.state, "failing_since": endpoint.failing_since,
        "disabled_at": endpoint.disabled_at, "disabled_reason": endpoint.disabled_reason,
        "previous_secret_until": endpoint.previous_secret_until, "created_at": endpoint.created_at,
        "version": endpoint.version,
    }  # fmt: skip


def _delivery(delivery: WebhookDelivery, event: WebhookEvent) -> dict[str, Any]:
    return {
        "id": delivery.id, "endpoint_id": delivery.endpoint_id, "event_type": event.event_type,
        "webhook_id": event.msg_id, "state": delivery.state, "origin": delivery.origin,
        "redelivery_of": delivery.redelivery_of_id, "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at, "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error, "created_at": delivery.created_at, "delivered_at": delivery.delivered_at,
    }  # fmt: skip


def _with_secret(created: operations.NewSecret, status: int) -> tuple[dict[str, Any], int, dict[str, str]]:
    """The endpoint with its new secret; a retry with the same Idempotency-Key gets it without (never stored)."""
    body = {**_endpoint(created.endpoint), "secret": created.secret}
    replay_without(schemas.EndpointWithSecret().dumps({**body, "secret": None}).encode())
    headers = {"ETag": etag(created.endpoint.version)}
    if status == 201:
        headers["Location"] = url_for("api.webhook_endpoint", endpoint_id=created.endpoint.id)
    return body, status, headers


def _expected(endpoint: WebhookEndpoint) -> int:
    """The endpoint's version from If-Match, checked against its current one (412 when it changed)."""
    changed = _("Someone else changed this endpoint meanwhile. Review it and try again.")
    expected = if_match(_("Send If-Match with the ETag of the endpoint as you last read it."), changed)
    check_version(expected, endpoint.version, changed)
    return expected


def _form(values: dict[str, Any]) -> EndpointForm:
    """The page's form filled from JSON members; a problem at the field when it refuses them."""
    form = EndpointForm(formdata=form_data(values, FIELDS, LISTS), meta={"csrf": False})
    if not form.validate():
        raise Refused(form_problem(form))
    return form


# -- endpoints --------------------------------------------------------------------------------------------


@bp.route("/webhooks", methods=["GET"])
@scoped("webhooks")
@bp.response(200, schemas.EndpointList)
@bp.doc(operationId="listWebhookEndpoints", security=_SECURITY)
def webhook_endpoints() -> dict[str, Any]:
    """Your organisation's webhook endpoints, oldest first (never their secrets)."""
    return {"items": [_endpoint(endpoint) for endpoint in queries.endpoints(_user())]}


@bp.route("/webhooks", methods=["POST"])
@scoped("webhooks")
@idempotent
@bp.doc(
    operationId="createWebhookEndpoint", security=_SECURITY, parameters=[_KEY],
    requestBody={"required": True, "content": {"application/json": {"schema": schemas.EndpointCreate}}},
)  # fmt: skip
@bp.response(201, schemas.EndpointWithSecret)
def create_webhook_endpoint() -> Any:
    """Subscribe an https:// endpoint to events; the answer shows its signing secret, once."""
    body = json_body()
    form = _form(body)
    created = operations.subscribe(
        _actor(), vault(), settings().webhooks, url=form.url.data or "", event_types=form.event_types.data or [],
        description=form.description.data or "", now=utcnow(),
    )  # fmt: skip
    return _with_secret(created, 201)


@bp.route(f"/webhooks/<{ID}:endpoint_id>", methods=["GET"])
@scoped("webhooks")
@bp.response(200, schemas.EndpointOut)
@bp.doc(operationId="getWebhookEndpoint", security=_SECURITY)
def webhook_endpoint(endpoint_id: int) -> Any:
    """One endpoint; the ETag is its version."""
    endpoint = queries.get_endpoint(_user(), endpoint_id)
    return _endpoint(endpoint), 200, {"ETag": etag(endpoint.version)}


@bp.route(f"/webhooks/<{ID}:endpoint_id>", methods=["PATCH"])
@scoped("webhooks")
@bp.doc(
    operationId="changeWebhookEndpoint", security=_SECURITY, parameters=[_IF_MATCH],
    requestBody={"required": True, "content": {"application/json": {"schema": schemas.EndpointChange}}},
)  # fmt: skip
@bp.response(200, schemas.EndpointOut)
def change_webhook_endpoint(endpoint_id: int) -> Any:
    """Change the URL, the events or the description, or disable (`"state": "disabled"`: deliveries wait)
    and enable the endpoint again; the members not given stay as they are."""
    endpoint = queries.get_endpoint(_user(), endpoint_id)
    expected = _expected(endpoint)
    body = json_body()
    state = body.pop("state", None)
    if state is not None and state not in ("active", "disabled"):
        raise Refused(field_problem(422, "state", _("Not a valid choice.")))
    if body:
        current = {"url": endpoint.url, "event_types": list(endpoint.event_types), "description": endpoint.description}
        form = _form({**current, **body})
        operations.change(
            _actor(), settings().webhooks, endpoint, url=form.url.data or "", event_types=form.event_types.data or [],
            description=form.description.data or "", expected_version=expected, now=utcnow(),
        )  # fmt: skip
    if state is not None and state != endpoint.state:
        operations.set_state(_actor(), endpoint, state, expected_version=endpoint.version, now=utcnow())
    return _endpoint(endpoint), 200, {"ETag": etag(endpoint.version)}


@bp.route(f"/webhooks/<{ID}:endpoint_id>", methods=["DELETE"])
@scoped("webhooks")
@bp.doc(operationId="deleteWebhookEndpoint", security=_SECURITY, parameters=[_IF_MATCH])
@bp.response(204)
def delete_webhook_endpoint(endpoint_id: int) -> Any:
    """Delete the endpoint and its delivery log: nothing more is sent to it."""
    endpoint = queries.get_endpoint(_user(), endpoint_id)
    operations.unsubscribe(_actor(), endpoint, expected_version=_expected(endpoint), now=utcnow())
    return "", 204


@bp.route(f"/webhooks/<{ID}:endpoint_id>/rotate-secret", methods=["POST"])
@scoped("webhooks")
@idempotent
@bp.doc(operationId="rotateWebhookSecret", security=_SECURITY, parameters=[_IF_MATCH, _KEY])
@bp.response(200, schemas.EndpointWithSecret)
def rotate_webhook_secret(endpoint_id: int) -> Any:
    """A new signing secret, shown once; the old one keeps signing for `rotation_grace_hours` (24)."""
    endpoint = queries.get_endpoint(_user(), endpoint_id)
    expected = _expected(endpoint)
    no_body()
    rotated = operations.rotate_secret(
        _actor(), vault(), settings().webhooks, endpoint, expected_version=expected, now=utcnow()
    )
    return _with_secret(rotated, 200)


@bp.route(f"/webhooks/<{ID}:endpoint_id>/test", methods=["POST"])
@scoped("webhooks")
@idempotent
@bp.doc(operationId="sendWebhookTest", security=_SECURITY, parameters=[_KEY])
@bp.response(202, schemas.DeliveryOut)
def send_webhook_test(endpoint_id: int) -> Any:
    """Queue a `webhook.test` event to this endpoint; the next delivery run sends it (within seconds)."""
    endpoint = queries.get_endpoint(_user(), endpoint_id)
    no_body()
    delivery = operations.send_test(_actor(), endpoint, utcnow())
    return _delivery(*queries.get_delivery(_user(), delivery.id)), 202


# -- deliveries -------------------------------------------------------------------------------------------


@bp.route(f"/webhooks/<{ID}:endpoint_id>/deliveries", methods=["GET"])
@scoped("webhooks")
@bp.arguments(PageQuery, location="query", as_kwargs=True)
@bp.response(200, schemas.DeliveryList)
@bp.doc(operationId="listWebhookDeliveries", security=_SECURITY)
def webhook_deliveries(endpoint_id: int, page: int) -> dict[str, Any]:
    """The endpoint's delivery log, newest first, as its page shows it."""
    endpoint = queries.get_endpoint(_user(), endpoint_id)
    log = queries.delivery_log(_user(), endpoint, page, settings().app.page_size)
    items = [_delivery(delivery, event) for delivery, event in log.items]  # type: ignore[misc]
    return {"items": items, "page": log.page, "has_next": log.has_next}


@bp.route(f"/webhooks/deliveries/<{ID}:delivery_id>", methods=["GET"])
@scoped("webhooks")
@bp.response(200, schemas.DeliveryDetail)
@bp.doc(operationId="getWebhookDelivery", security=_SECURITY)
def webhook_delivery(delivery_id: int) -> dict[str, Any]:
    """One delivery: the signed body and every attempt (status code, latency, the start of the answer)."""
    delivery, event = queries.get_delivery(_user(), delivery_id)
    attempts = [
        {
            "number": a.number, "started_at": a.started_at, "outcome": a.outcome, "status_code": a.status_code,
            "latency_ms": a.latency_ms, "error": a.error, "response": a.response,
        }
        for a in queries.attempts(delivery)
    ]  # fmt: skip
    return {**_delivery(delivery, event), "body": event.body, "attempt_log": attempts}


@bp.route(f"/webhooks/deliveries/<{ID}:delivery_id>/redeliver", methods=["POST"])
@scoped("webhooks")
@idempotent
@bp.doc(operationId="redeliverWebhook", security=_SECURITY, parameters=[_KEY])
@bp.response(202, schemas.DeliveryOut)
def redeliver_webhook(delivery_id: int) -> Any:
    """Send a delivered or failed delivery again, as a new delivery of the same event (same `webhook-id`)."""
    found, _event = queries.get_delivery(_user(), delivery_id)
    endpoint = queries.get_endpoint(_user(), found.endpoint_id)
    no_body()
    again = operations.redeliver(_actor(), found, endpoint, utcnow())
    return _delivery(*queries.get_delivery(_user(), again.id)), 202
