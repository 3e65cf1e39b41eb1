"""The employer's webhook pages: subscribe (the secret shown once), the delivery log, redeliver, a test
event, rotation; another organisation and other roles see none of it (404 / 403); bad input changes nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from screening.audit.models import AuditEntry
from screening.db import db
from screening.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.conftest import csrf_token, fresh, sign_in
from tests.webhooks.conftest import attempts, deliveries, run, subscribe

SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]{32}")


def _signed_in(app, user):
    return sign_in(app.test_client(), user)


def _endpoints() -> int:
    fresh()
    return db.session.scalar(select(func.count()).select_from(WebhookEndpoint)) or 0


def test_a_screening_manager_subscribes_and_sees_the_secret_once(hook_app, factory, receiver):
    requester = factory.user("requester")
    client = _signed_in(hook_app, requester)
    page = client.get("/webhooks")
    assert page.status_code == 200 and "Subscribe an endpoint" in page.text
    data = {"csrf_token": csrf_token(page.text), "url": receiver.url(), "description": "Payroll",
            "event_types": ["application.state_changed", "clearance.ended"]}  # fmt: skip
    answer = client.post("/webhooks", data=data)
    assert answer.status_code == 200
    (secret,) = SECRET.findall(answer.text)
    (endpoint,) = db.session.scalars(select(WebhookEndpoint))
    assert endpoint.event_types == ["application.state_changed", "clearance.ended"]
    assert secret not in endpoint.secret  # stored encrypted
    again = client.get(f"/webhooks/{endpoint.id}")
    assert again.status_code == 200 and not SECRET.findall(again.text) and "Delivery log" in again.text
    (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "subscribe"))
    assert secret not in (entry.reason or "") and entry.actor == requester.username

    # The HR system verifies what it receives with the secret it was shown.
    receiver.secrets.append(secret)
    factory.application("awaiting_consent", requester=requester)
    run(hook_app)
    assert [r.payload["data"]["state"] for r in receiver.received] == ["awaiting_consent"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:9/x", "https://"),
        ("https://user:pw@example.org/x", "user name or password"),
        ("https://exa mple.org/x", "without spaces"),
        ("https://example.org/\x00", "control characters"),
        ("ftp://example.org/", "https://"),
        ("https://127.0.0.1/x", "loopback"),
        ("https://169.254.169.254/latest/meta-data", "metadata"),
        ("https://10.1.2.3/x", "private"),
        ("https://[::1]/x", "loopback"),
        ("https://[::ffff:127.0.0.1]/x", "loopback"),
        ("https://localhost/x", "loopback"),
    ],
)
def test_private_and_malformed_endpoints_are_refused(make_app, url, message):
    from tests.conftest import Factory, data_context

    app = make_app()  # the default: private addresses and plain http refused
    with data_context(app):
        requester = Factory(app).user("requester")
        client = _signed_in(app, requester)
        token = csrf_token(client.get("/webhooks").text)
        answer = client.post("/webhooks", data={"csrf_token": token, "url": url, "event_types": ["clearance.ended"]})
        assert answer.status_code == 422 and message in answer.text
        assert _endpoints() == 0


def test_bad_choices_and_missing_csrf_change_nothing(hook_app, factory, receiver):
    client = _signed_in(hook_app, factory.user("requester"))
    token = csrf_token(client.get("/webhooks").text)
    assert client.post("/webhooks", data={"url": receiver.url(), "event_types": ["clearance.ended"]}).status_code == 400
    answer = client.post("/webhooks", data={"csrf_token": token, "url": receiver.url(), "event_types": ["nope"]})
    assert answer.status_code == 422
    assert client.post("/webhooks", data={"csrf_token": token, "url": receiver.url()}).status_code == 422
    assert _endpoints() == 0


def test_other_organisations_and_other_roles_see_nothing(hook_app, factory, receiver):
    owner = factory.user("requester")
    endpoint = subscribe(owner, receiver.url()).endpoint
    factory.application("awaiting_consent", requester=owner)
    run(hook_app)
    (delivery,) = deliveries()
    stranger = _signed_in(hook_app, factory.user("requester"))
    token = csrf_token(stranger.get("/webhooks").text)
    assert receiver.url() not in stranger.get("/webhooks").text
    for path in (f"/webhooks/{endpoint.id}", f"/webhooks/deliveries/{delivery.id}"):
        assert stranger.get(path).status_code == 404
    posts = [f"/webhooks/deliveries/{delivery.id}/redeliver", f"/webhooks/{endpoint.id}"]
    posts += [f"/webhooks/{endpoint.id}/{action}" for action in ("test", "rotate", "disable", "delete")]
    for path in posts:
        assert stranger.post(path, data={"csrf_token": token, "url": "https://example.org/"}).status_code == 404
    colleague_hr = _signed_in(hook_app, factory.user("hr", organisation=None))
    assert colleague_hr.get("/webhooks").status_code == 403
    assert _signed_in(hook_app, factory.user("officer")).get(f"/webhooks/{endpoint.id}").status_code == 403
    assert len(deliveries()) == 1 and len(attempts()) == 1  # nothing was redelivered or sent
    big = 2**63
    assert _signed_in(hook_app, owner).get(f"/webhooks/{big}").status_code == 404


def test_redeliver_test_event_and_rotation_from_the_page(hook_app, factory, receiver):
    requester = factory.user("requester")
    created = subscribe(requester, receiver.url())
    old_secret = created.secret
    receiver.secrets.append(old_secret)
    factory.application("awaiting_consent", requester=requester)
    run(hook_app)
    (first,) = deliveries()
    client = _signed_in(hook_app, requester)
    page = client.get(f"/webhooks/deliveries/{first.id}")
    assert page.status_code == 200 and "Attempts" in page.text and "200" in page.text
    token = csrf_token(page.text)

    answer = client.post(f"/webhooks/deliveries/{first.id}/redeliver", data={"csrf_token": token})
    assert answer.status_code == 302
    assert client.post(f"/webhooks/{created.endpoint.id}/test", data={"csrf_token": token}).status_code == 302
    run(hook_app)
    assert sorted(r.payload["type"] for r in receiver.received) == [
        "application.state_changed",
        "application.state_changed",
        "webhook.test",
    ]  # fmt: skip (sent concurrently: in any order)
    changes = [r.msg_id for r in receiver.received if r.payload["type"] == "application.state_changed"]
    assert changes[0] == changes[1]  # a redelivery keeps its webhook-id
    redelivered = db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.origin == "redelivery")).one()
    assert redelivered.redelivery_of_id == first.id and redelivered.state == "delivered"
    assert client.post(f"/webhooks/deliveries/{first.id}/redeliver", data={}).status_code == 400  # no CSRF

    rotated = client.post(f"/webhooks/{created.endpoint.id}/rotate", data={"csrf_token": token, "version": "1"})
    assert rotated.status_code == 200
    (new_secret,) = SECRET.findall(rotated.text)
    assert new_secret != old_secret
    # During the grace period both secrets sign: a receiver with only the new one verifies, as does the old.
    receiver.secrets[:] = [new_secret]
    fresh()
    factory.application("awaiting_consent", requester=requester)
    run(hook_app)
    receiver.secrets[:] = [old_secret]
    factory.application("awaiting_consent", requester=requester)
    run(hook_app)
    assert receiver.rejected == [] and len(receiver.received) == 5
    assert len(receiver.received[-1].signature.split(" ")) == 2
    stale = client.post(f"/webhooks/{created.endpoint.id}/rotate", data={"csrf_token": token, "version": "1"})
    assert stale.status_code == 302  # a stale version: refused with a message, nothing rotated
    assert "Someone else changed" in client.get(f"/webhooks/{created.endpoint.id}").text


def test_deleting_an_endpoint_from_its_page(hook_app, factory, receiver):
    requester = factory.user("requester")
    endpoint_id = subscribe(requester, receiver.url()).endpoint.id
    factory.application("awaiting_consent", requester=requester)
    run(hook_app)
    client = _signed_in(hook_app, requester)
    page = client.get(f"/webhooks/{endpoint_id}")
    assert "Delete" in page.text
    token = csrf_token(page.text)
    assert client.post(f"/webhooks/{endpoint_id}/delete", data={"version": "1"}).status_code == 400  # no CSRF
    stale = client.post(f"/webhooks/{endpoint_id}/delete", data={"csrf_token": token, "version": "7"})
    assert stale.status_code == 302 and _endpoints() == 1
    gone = client.post(f"/webhooks/{endpoint_id}/delete", data={"csrf_token": token, "version": "1"})
    assert gone.status_code == 302 and gone.headers["Location"].endswith("/webhooks")
    assert _endpoints() == 0 and deliveries() == [] and attempts() == []
    assert client.get(f"/webhooks/{endpoint_id}").status_code == 404
    (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "unsubscribe"))
    assert entry.actor == requester.username and receiver.url() in (entry.reason or "")
