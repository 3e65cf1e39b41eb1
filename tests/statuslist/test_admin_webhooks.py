"""The administrator subscribes an access-control organisation's endpoints (it has no accounts), to the status
list's event only; nobody else may, and an employer's endpoint cannot hear that event."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from screening.actors import Actor
from screening.db import db
from screening.errors import InvalidInput, NotAllowed
from screening.extensions import settings, vault
from screening.webhooks import operations
from screening.webhooks.models import WebhookEndpoint
from tests.conftest import csrf_token, fresh


def _subscribe(actor, organisation_id, types=("status_list.changed",)):
    return operations.subscribe(
        actor, vault(), settings().webhooks, url="http://127.0.0.1:9/hooks", event_types=list(types),
        description="", now=datetime.now(UTC),
        organisation_id=organisation_id,
    )  # fmt: skip


def test_the_admin_subscribes_disables_and_enables_an_endpoint(as_role, gates):
    client, _admin = as_role("admin")
    page = client.get(f"/admin/organisations/{gates.id}/webhooks")
    assert page.status_code == 200
    made = client.post(
        f"/admin/organisations/{gates.id}/webhooks",
        data={"csrf_token": csrf_token(page.text), "url": "http://127.0.0.1:9/hooks", "description": "Gate 4"},
    )
    assert made.status_code == 200 and 'id="signing-secret">whsec_' in made.text
    fresh()
    endpoint = db.session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.organisation_id == gates.id))
    assert endpoint.event_types == ["status_list.changed"]
    page = client.get(f"/admin/organisations/{gates.id}/webhooks")
    disabled = client.post(
        f"/admin/organisations/{gates.id}/webhooks/{endpoint.id}/disable",
        data={"csrf_token": csrf_token(page.text), "version": str(endpoint.version)},
    )
    assert disabled.status_code == 302
    fresh()
    assert db.session.get(WebhookEndpoint, endpoint.id).state == "disabled"
    bad = client.post(f"/admin/organisations/{gates.id}/webhooks", data={"url": "http://127.0.0.1:9/x"})
    assert bad.status_code in (400, 422)


def test_nobody_else_has_the_page_and_an_employer_has_none(as_role, factory, gates):
    admin_client, _admin = as_role("admin")
    assert admin_client.get(f"/admin/organisations/{factory.organisation().id}/webhooks").status_code == 404
    for role in ("requester", "hr", "officer", "auditor"):
        client, _user = as_role(role)
        assert client.get(f"/admin/organisations/{gates.id}/webhooks").status_code == 403, role


def test_the_status_list_event_is_access_controls_only(factory, gates):
    requester = factory.user("requester")
    admin = factory.user("admin")
    with pytest.raises(InvalidInput):
        _subscribe(Actor.of(requester), None, ("status_list.changed",))
    with pytest.raises(InvalidInput):
        _subscribe(Actor.of(admin), gates.id, ("clearance.ended",))
    with pytest.raises(NotAllowed):
        _subscribe(Actor.of(admin), factory.organisation().id, ("clearance.ended",))
    with pytest.raises(NotAllowed):
        _subscribe(Actor.of(requester), gates.id)
