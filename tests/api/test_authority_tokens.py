"""Tokens of the authority's own tools: made by a security officer on the API tokens page, read only; they
read every organisation's files and clearances (never grounds), write nothing, and stop when revoked or
when their maker is deactivated or no longer an officer."""

from __future__ import annotations

import re

from sqlalchemy import select, update

from screening.actors import Actor
from screening.api.models import ApiToken
from screening.applications import operations
from screening.auth.models import User
from screening.db import db
from screening.extensions import settings
from tests.api.conftest import ApiClient, person_body
from tests.conftest import csrf_token, fresh


def _make_on_page(client, **fields):
    page = client.get("/api-tokens")
    assert page.status_code == 200
    return client.post("/api-tokens", data={"csrf_token": csrf_token(page.text), "name": "Statistics", **fields})


def _authority_client(app, as_role):
    client, officer = as_role("officer")
    made = _make_on_page(client, read="y")
    assert made.status_code == 200
    secret = re.search(r'id="new-token">(scr_[A-Za-z0-9_-]{43})<', made.text).group(1)
    return ApiClient(app.test_client(), secret), officer, client


def test_an_officer_makes_a_read_only_token_that_reads_every_organisation(app, as_role, factory):
    ours = factory.application("positive", requester=factory.user("requester"))
    theirs = factory.application("in_review", requester=factory.user("requester"))
    operations.fire(theirs, "advise_positive_with_warning", Actor(label="o", role="officer"), settings().deadlines,
                    reason="SECRET GROUNDS", disclosed_grounds="DISCLOSED")  # fmt: skip
    db.session.commit()
    api, officer, _page = _authority_client(app, as_role)
    token = db.session.scalar(select(ApiToken))
    assert token.organisation_id is None and token.scopes == "read" and token.created_by_id == officer.id

    listed = api.get("/api/v1/applications?limit=200")
    assert listed.status_code == 200
    assert {ours.id, theirs.id} <= {item["id"] for item in listed.json["items"]}
    for application in (ours, theirs):
        one = api.get(f"/api/v1/applications/{application.id}")
        assert one.status_code == 200 and one.json["reference"] == application.reference
        assert one.json["actions"] == []
        assert "SECRET" not in one.text and "DISCLOSED" not in one.text
    clearances = {c["id"] for c in api.get("/api/v1/clearances").json["items"]}
    fresh()
    assert {ours.clearance_id, db.session.get(type(theirs), theirs.id).clearance_id} <= clearances
    assert api.get(f"/api/v1/clearances/{ours.clearance_id}").status_code == 200


def test_an_authority_token_writes_nothing(app, as_role, factory):
    asked = factory.application("info_requested", requester=factory.user("requester"))
    positive = factory.application("positive", requester=factory.user("requester"))
    api, _officer, _page = _authority_client(app, as_role)
    calls = [
        ("/api/v1/applications", {"json": person_body(factory, factory.function())}),
        (f"/api/v1/applications/{asked.id}/answer", {"json": {"answer": "x"}}),
        (f"/api/v1/applications/{asked.id}/withdraw", {"json": {"reason": "x"}}),
        (f"/api/v1/clearances/{positive.clearance_id}/certificate", {}),
        ("/api/v1/webhooks", {"json": {"url": "https://example.org/", "event_types": ["clearance.ended"]}}),
    ]
    for path, kwargs in calls:
        response = api.post(path, headers={"If-Match": '"v1"', "Idempotency-Key": "k"}, **kwargs)
        assert response.status_code == 403, path
        assert response.content_type == "application/problem+json"
    assert api.get("/api/v1/webhooks").status_code == 403  # no webhooks scope
    fresh()
    assert db.session.get(type(asked), asked.id).state == "info_requested"


def test_an_authority_token_holds_the_read_scope_only(as_role):
    client, _officer = as_role("officer")
    refused = _make_on_page(client, read="y", write="y")
    assert refused.status_code == 422
    assert "only reads: choose the read scope only" in refused.text
    fresh()
    assert db.session.scalar(select(ApiToken)) is None
    page = client.get("/api-tokens").text
    assert 'name="write"' not in page and "own tools" in page


def test_revoked_or_deactivated_authority_tokens_stop(app, as_role, factory):
    factory.application("draft", requester=factory.user("requester"))
    api, officer, page_client = _authority_client(app, as_role)
    assert api.get("/api/v1/applications").status_code == 200
    db.session.execute(update(User).where(User.id == officer.id).values(active=False))
    db.session.commit()
    assert api.get("/api/v1/applications").status_code == 401
    db.session.execute(update(User).where(User.id == officer.id).values(active=True, role="auditor"))
    db.session.commit()
    assert api.get("/api/v1/applications").status_code == 401  # no longer an officer
    db.session.execute(update(User).where(User.id == officer.id).values(role="officer"))
    db.session.commit()
    assert api.get("/api/v1/applications").status_code == 200
    colleague, _other = as_role("officer")
    token = db.session.scalar(select(ApiToken))
    listing = colleague.get("/api-tokens")
    assert "Statistics" in listing.text
    revoked = colleague.post(f"/api-tokens/{token.id}/revoke", data={"csrf_token": csrf_token(listing.text)})
    assert revoked.status_code == 302
    response = api.get("/api/v1/applications")
    assert response.status_code == 401 and 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_employers_and_the_authority_see_only_their_own_tokens(app, as_role, factory, make_token):
    _secret, employer_token = make_token(factory.user("requester"), name="Payroll of Acme")
    officer_client, _officer = as_role("officer")
    listing = officer_client.get("/api-tokens")
    assert "Payroll of Acme" not in listing.text
    revoke = officer_client.post(
        f"/api-tokens/{employer_token.id}/revoke", data={"csrf_token": csrf_token(listing.text)}
    )
    assert revoke.status_code == 404
    _make_on_page(officer_client, read="y")
    requester_client, _requester = as_role("requester")
    assert "Statistics" not in requester_client.get("/api-tokens").text
