"""The webhooks page as an API (``webhooks`` scope): subscribe (the secret shown once, on that answer only),
list, change, disable, delete; the delivery log, one delivery's attempts, redeliver, a test event. The
page's checks (https, public addresses, the events), its operations and its audit; another organisation's
ids are 404, a token without the scope 403."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from screening.audit.models import AuditEntry
from screening.db import db
from screening.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.api.conftest import ApiClient
from tests.conftest import Factory, data_context, fresh
from tests.webhooks.conftest import ALLOW_LOOPBACK, Receiver, deliveries, run

HOOKS = "/api/v1/webhooks"
EVENTS = ["application.state_changed", "clearance.ended"]


@pytest.fixture
def app(make_app: Any) -> Iterator[Any]:
    """Webhooks may go to the loopback receiver (as in the demo)."""
    application = make_app(webhooks=ALLOW_LOOPBACK)
    with data_context(application):
        yield application


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


def _hooks_client(api: Any) -> tuple[ApiClient, Any]:
    return api(scopes=("read", "webhooks"))


def _create(client: ApiClient, url: str, **headers: str) -> Any:
    return client.post(HOOKS, json={"url": url, "event_types": EVENTS, "description": "Payroll"}, headers=headers)


def _endpoints() -> int:
    fresh()
    return db.session.scalar(select(func.count()).select_from(WebhookEndpoint)) or 0


def _audited(action: str) -> list[str]:
    fresh()
    return list(db.session.scalars(select(AuditEntry.actor).where(AuditEntry.action == action)))


def test_an_hr_system_manages_its_webhooks_through_the_api(api, factory, receiver):
    client, requester = _hooks_client(api)
    created = _create(client, receiver.url())
    assert created.status_code == 201, created.json
    secret = created.json["secret"]
    assert secret.startswith("whsec_") and created.headers["ETag"] == '"v1"'
    endpoint_path = created.headers["Location"]
    endpoint = db.session.get(WebhookEndpoint, created.json["id"])
    assert secret not in endpoint.secret  # stored encrypted, as from the page
    listed = client.get(HOOKS).json["items"]
    assert [e["url"] for e in listed] == [receiver.url()] and "secret" not in listed[0]
    assert "secret" not in client.get(endpoint_path).json

    # A test event, verified by the receiver with the secret it was shown.
    receiver.secrets.append(secret)
    queued = client.post(f"{endpoint_path}/test")
    assert queued.status_code == 202 and queued.json["event_type"] == "webhook.test"
    run(factory.app)
    assert [r.payload["type"] for r in receiver.received] == ["webhook.test"]  # verified by Webhook(secret)
    log = client.get(f"{endpoint_path}/deliveries").json
    assert [(d["state"], d["origin"]) for d in log["items"]] == [("delivered", "test")] and not log["has_next"]
    detail = client.get(f"{HOOKS}/deliveries/{queued.json['id']}").json
    assert [(a["number"], a["outcome"], a["status_code"]) for a in detail["attempt_log"]] == [(1, "delivered", 200)]
    assert '"webhook.test"' in detail["body"]

    again = client.post(f"{HOOKS}/deliveries/{queued.json['id']}/redeliver")
    assert again.status_code == 202 and again.json["redelivery_of"] == queued.json["id"]
    assert again.json["webhook_id"] == queued.json["webhook_id"]
    run(factory.app)
    assert receiver.ids() == [queued.json["webhook_id"]] * 2

    changed = client.patch(endpoint_path, json={"event_types": ["clearance.ended"]}, headers={"If-Match": '"v1"'})
    assert changed.status_code == 200, changed.json
    assert changed.json["event_types"] == ["clearance.ended"] and changed.json["url"] == receiver.url()
    disabled = client.patch(endpoint_path, json={"state": "disabled"}, headers={"If-Match": changed.headers["ETag"]})
    assert disabled.status_code == 200 and disabled.json["state"] == "disabled"
    gone = client.delete(endpoint_path, headers={"If-Match": disabled.headers["ETag"]})
    assert gone.status_code == 204
    assert client.get(endpoint_path).status_code == 404 and _endpoints() == 0
    assert deliveries() == []

    actor = f"{requester.username} (API token: HR system)"
    for action in ("subscribe", "send_test", "redeliver", "change", "disable", "unsubscribe"):
        assert _audited(action) == [actor], action
    fresh()
    assert not db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.reason.contains(secret)))


def test_a_retried_subscription_replays_without_the_secret(api, receiver):
    client, _requester = _hooks_client(api)
    first = _create(client, receiver.url(), **{"Idempotency-Key": "sub-1"})
    second = _create(client, receiver.url(), **{"Idempotency-Key": "sub-1"})
    assert first.status_code == second.status_code == 201
    assert first.json["secret"].startswith("whsec_")
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json == {**first.json, "secret": None}
    assert _endpoints() == 1
    fresh()
    from screening.api.models import IdempotentRequest

    (kept,) = db.session.scalars(select(IdempotentRequest))
    assert first.json["secret"].encode() not in kept.body


def test_rotation_shows_the_new_secret_once(api, receiver):
    client, _requester = _hooks_client(api)
    created = _create(client, receiver.url()).json
    rotated = client.post(f"{HOOKS}/{created['id']}/rotate-secret", headers={"If-Match": '"v1"'})
    assert rotated.status_code == 200 and rotated.json["secret"] not in (None, created["secret"])
    assert rotated.json["previous_secret_until"] is not None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://127.0.0.1:9/x", "event_types": EVENTS}, "url"),
        ({"url": "https://127.0.0.1/x", "event_types": EVENTS}, "url"),
        ({"url": "https://10.1.2.3/x", "event_types": EVENTS}, "url"),
        ({"url": "https://user:pw@example.org/x", "event_types": EVENTS}, "url"),
        ({"event_types": EVENTS}, "url"),
    ],
)
def test_the_pages_checks_refuse_an_endpoint_at_its_field(make_app, make_token, body, field):
    app = make_app()  # the default: private addresses and plain http refused
    with data_context(app):
        requester = Factory(app).user("requester")
        secret, _token = make_token(requester, scopes=("webhooks",))
        client = ApiClient(app.test_client(), secret)
        answer = client.post(HOOKS, json=body)
        assert answer.status_code == 422, answer.json
        assert answer.content_type == "application/problem+json"
        assert [error["field"] for error in answer.json["errors"]] == [field]
        assert _endpoints() == 0


def test_private_addresses_match_the_page_message(make_app, make_token):
    app = make_app()
    with data_context(app):
        requester = Factory(app).user("requester")
        secret, _token = make_token(requester, scopes=("webhooks",))
        body = {"url": "https://127.0.0.1/x", "event_types": EVENTS}
        answer = ApiClient(app.test_client(), secret).post(HOOKS, json=body)
        assert answer.json["detail"] == (
            "127.0.0.1 resolves to 127.0.0.1, a loopback address: webhooks go to public addresses only."
        )


@pytest.mark.parametrize("events", [["nope"], [], None])
def test_the_events_are_checked_as_on_the_page(api, receiver, events):
    client, _requester = _hooks_client(api)
    answer = client.post(HOOKS, json={"url": receiver.url(), "event_types": events})
    assert answer.status_code == 422 and [e["field"] for e in answer.json["errors"]] == ["event_types"]
    assert _endpoints() == 0


def test_bad_shapes_are_400_at_their_field(api, receiver):
    client, _requester = _hooks_client(api)
    not_a_list = client.post(HOOKS, json={"url": receiver.url(), "event_types": "clearance.ended"})
    assert not_a_list.status_code == 400 and not_a_list.json["errors"][0]["field"] == "event_types"
    unknown = client.post(HOOKS, json={"url": receiver.url(), "event_types": EVENTS, "secret": "mine"})
    assert unknown.status_code == 400 and unknown.json["errors"][0]["field"] == "secret"
    created = _create(client, receiver.url()).json
    path = f"{HOOKS}/{created['id']}"
    assert client.patch(path, json={"state": "disabled"}).status_code == 428
    stale = client.patch(path, json={"state": "disabled"}, headers={"If-Match": '"v9"'})
    assert stale.status_code == 412 and "endpoint" in stale.json["detail"]
    wrong_state = client.patch(path, json={"state": "deleted"}, headers={"If-Match": '"v1"'})
    assert wrong_state.status_code == 422 and wrong_state.json["errors"][0]["field"] == "state"
    assert client.delete(path).status_code == 428
    assert _endpoints() == 1


def test_another_organisations_endpoint_and_deliveries_are_404(api, factory, receiver):
    owner, _requester = _hooks_client(api)
    created = _create(owner, receiver.url()).json
    queued = owner.post(f"{HOOKS}/{created['id']}/test").json
    stranger, _other = _hooks_client(api)
    assert stranger.get(HOOKS).json["items"] == []
    base = f"{HOOKS}/{created['id']}"
    calls = [
        ("get", base), ("patch", base), ("delete", base), ("post", f"{base}/test"), ("post", f"{base}/rotate-secret"),
        ("get", f"{base}/deliveries"), ("get", f"{HOOKS}/deliveries/{queued['id']}"),
        ("post", f"{HOOKS}/deliveries/{queued['id']}/redeliver"),
    ]  # fmt: skip
    for method, path in calls:
        kwargs = {"json": {"state": "disabled"}} if method == "patch" else {}
        response = getattr(stranger.client, method)(
            path, headers={"Authorization": f"Bearer {stranger.token}", "If-Match": '"v1"'}, **kwargs
        )
        assert response.status_code == 404, (method, path)
        assert response.content_type == "application/problem+json"
    assert stranger.get(f"{HOOKS}/{2**63}").status_code == 404
    assert _endpoints() == 1 and len(deliveries()) == 1
    assert _audited("rotate_secret") == [] and _audited("unsubscribe") == []


def test_a_token_without_the_webhooks_scope_is_403(api, receiver):
    owner, _requester = _hooks_client(api)
    created = _create(owner, receiver.url()).json
    reader, _other = api(scopes=("read", "write"))
    for method, path in [("get", HOOKS), ("post", HOOKS), ("get", f"{HOOKS}/{created['id']}")]:
        response = getattr(reader, method)(path, json={"url": receiver.url(), "event_types": EVENTS})
        assert response.status_code == 403, path
        assert 'error="insufficient_scope", scope="webhooks"' in response.headers["WWW-Authenticate"]
    assert _endpoints() == 1


def test_an_endpoint_is_not_deleted_while_a_delivery_is_in_flight(api, receiver):
    client, _requester = _hooks_client(api)
    created = _create(client, receiver.url()).json
    queued = client.post(f"{HOOKS}/{created['id']}/test").json
    fresh()
    db.session.get(WebhookDelivery, queued["id"]).claimed_by = "sender-1"  # a sender holds it
    db.session.commit()
    refused = client.delete(f"{HOOKS}/{created['id']}", headers={"If-Match": '"v1"'})
    assert refused.status_code == 409
    assert refused.json["detail"] == "A delivery to this endpoint is being sent. Try again in a minute."
    assert _endpoints() == 1 and len(deliveries()) == 1


def test_the_document_lists_the_webhook_operations(client):
    spec = client.get("/api/v1/openapi.json").json
    operations = {op["operationId"] for path in spec["paths"].values() for op in path.values() if "operationId" in op}
    assert {
        "listWebhookEndpoints", "createWebhookEndpoint", "getWebhookEndpoint", "changeWebhookEndpoint",
        "deleteWebhookEndpoint", "rotateWebhookSecret", "sendWebhookTest", "listWebhookDeliveries",
        "getWebhookDelivery", "redeliverWebhook",
    } <= operations  # fmt: skip
