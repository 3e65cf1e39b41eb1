"""API tokens: made on the screening manager's page, shown once, kept hashed, scoped, revoked, and stopped
when their organisation or maker is deactivated; last use recorded at most once a minute; rate limits."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import func, select, text, update

from screening.api.models import ApiToken
from screening.audit.models import AuditEntry
from screening.auth.models import User
from screening.db import db
from screening.organisations.models import Organisation
from tests.api.conftest import ApiClient
from tests.conftest import csrf_token


def _make_on_page(client, name="Payroll sync", **fields):
    page = client.get("/api-tokens")
    assert page.status_code == 200
    data = {"csrf_token": csrf_token(page.text), "name": name, "read": "y", **fields}
    return client.post("/api-tokens", data=data)


def test_the_screening_manager_makes_a_token_shown_once_and_kept_hashed(app, as_role):
    client, requester = as_role("requester")
    response = _make_on_page(client, write="y")
    assert response.status_code == 200
    secret = re.search(r'id="new-token">(scr_[A-Za-z0-9_-]{43})<', response.text).group(1)
    row = db.session.scalar(select(ApiToken).where(ApiToken.organisation_id == requester.organisation_id))
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert row.scopes == "read write" and row.prefix == secret[:10]
    dump = "\n".join(str(r) for r in db.session.execute(text("SELECT * FROM api_tokens")).all())
    assert secret not in dump
    again = client.get("/api-tokens")
    assert secret not in again.text and row.prefix in again.text
    api = ApiClient(app.test_client(), secret)
    assert api.get("/api/v1/applications").status_code == 200
    trail = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "create_api_token"))
    assert trail.organisation_id == requester.organisation_id and "Payroll sync" in trail.reason


def test_only_the_screening_manager_and_officers_have_the_page(as_role):
    for role in ("hr", "admin", "auditor"):
        client, _user = as_role(role)
        assert client.get("/api-tokens").status_code == 403, role


def test_a_token_needs_a_name_and_a_scope(as_role):
    client, _requester = as_role("requester")
    page = client.get("/api-tokens")
    response = client.post("/api-tokens", data={"csrf_token": csrf_token(page.text), "name": "x"})
    assert response.status_code == 422
    assert "Choose at least one scope." in response.text
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_a_revoked_token_gets_401(app, as_role):
    client, requester = as_role("requester")
    secret = re.search(r'id="new-token">([^<]+)<', _make_on_page(client).text).group(1)
    api = ApiClient(app.test_client(), secret)
    assert api.get("/api/v1/clearances").status_code == 200
    token = db.session.scalar(select(ApiToken))
    page = client.get("/api-tokens")
    assert client.post(f"/api-tokens/{token.id}/revoke", data={"csrf_token": csrf_token(page.text)}).status_code == 302
    response = api.get("/api/v1/clearances")
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    db.session.rollback()
    assert (
        db.session.scalar(select(AuditEntry.actor).where(AuditEntry.action == "revoke_api_token")) == requester.username
    )


def test_another_organisation_cannot_revoke_a_token(app, as_role, factory, make_token):
    _secret, token = make_token(factory.user("requester"))
    client, _other = as_role("requester")
    page = client.get("/api-tokens")
    assert client.post(f"/api-tokens/{token.id}/revoke", data={"csrf_token": csrf_token(page.text)}).status_code == 404
    db.session.rollback()
    assert db.session.get(ApiToken, token.id).revoked_at is None


def test_unknown_missing_and_forged_tokens_get_401(app, api):
    client, _requester = api()
    anonymous = app.test_client()
    assert anonymous.get("/api/v1/applications").status_code == 401
    for header in (
        "Bearer scr_" + "A" * 43,
        "Basic dXNlcjpwYXNz",
        "Bearer ",
        client.token[:-1] + "x",
        "Bearer scr_\x00",
    ):
        response = anonymous.get("/api/v1/applications", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.json["status"] == 401


def test_an_expired_token_gets_401(app, factory, make_token):
    requester = factory.user("requester")
    secret, _token = make_token(requester, expires_at=datetime.now(UTC) + timedelta(days=1))
    client = ApiClient(app.test_client(), secret)
    assert client.get("/api/v1/applications").status_code == 200
    with time_machine.travel(datetime.now(UTC) + timedelta(days=1, minutes=1)):
        assert client.get("/api/v1/applications").status_code == 401


def test_a_token_stops_when_its_maker_or_organisation_is_deactivated(app, api):
    client, requester = api()
    assert client.get("/api/v1/applications").status_code == 200
    db.session.execute(update(User).where(User.id == requester.id).values(active=False))
    db.session.commit()
    assert client.get("/api/v1/applications").status_code == 401
    db.session.execute(update(User).where(User.id == requester.id).values(active=True))
    db.session.execute(update(Organisation).where(Organisation.id == requester.organisation_id).values(active=False))
    db.session.commit()
    assert client.get("/api/v1/applications").status_code == 401
    db.session.execute(update(Organisation).where(Organisation.id == requester.organisation_id).values(active=True))
    db.session.execute(update(User).where(User.id == requester.id).values(role="hr"))
    db.session.commit()
    assert client.get("/api/v1/applications").status_code == 401  # no longer the screening manager


def test_a_missing_scope_is_403(api, factory):
    client, _requester = api(scopes=("read",))
    response = client.post("/api/v1/applications", json={"given_names": "A"})
    assert response.status_code == 403
    assert "insufficient_scope" in response.headers["WWW-Authenticate"]
    writer, _other = api(scopes=("write",))
    assert writer.get("/api/v1/applications").status_code == 403


def test_the_last_use_is_written_at_most_once_a_minute(app, api):
    client, _requester = api()
    start = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        assert client.get("/api/v1/applications").status_code == 200
    db.session.rollback()  # a fresh read
    assert db.session.scalar(select(ApiToken.last_used_at)) == start
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        client.get("/api/v1/applications")
    db.session.rollback()  # a fresh read
    assert db.session.scalar(select(ApiToken.last_used_at)) == start
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        client.get("/api/v1/applications")
    db.session.rollback()  # a fresh read
    assert db.session.scalar(select(ApiToken.last_used_at)) == start + timedelta(seconds=61)


def test_calls_beyond_the_rate_limit_get_429_with_retry_after(make_app, make_token):
    from tests.conftest import Factory, data_context

    app = make_app(api={"rate_limit": 3, "rate_window_seconds": 60})
    with data_context(app), time_machine.travel(datetime(2031, 3, 3, 9, 0, 10, tzinfo=UTC), tick=False):
        factory = Factory(app)
        secret, _token = make_token(factory.user("requester"))
        other, _token = make_token(factory.user("requester"))
        client = ApiClient(app.test_client(), secret)
        answers = [client.get("/api/v1/applications") for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert answers[0].headers["RateLimit-Policy"] == '"per-token";q=3;w=60'
        assert answers[0].headers["RateLimit"] == '"per-token";r=2;t=50'
        limited = answers[3]
        assert limited.headers["Retry-After"] == "50"
        assert limited.content_type == "application/problem+json"
        assert ApiClient(app.test_client(), other).get("/api/v1/applications").status_code == 200  # per token
    with data_context(app), time_machine.travel(datetime(2031, 3, 3, 9, 1, 0, tzinfo=UTC), tick=False):
        assert client.get("/api/v1/applications").status_code == 200


def test_an_api_call_sets_no_cookie_and_is_not_cached(app, api):
    client, _requester = api()
    fresh = ApiClient(app.test_client(use_cookies=False), client.token)
    response = fresh.get("/api/v1/applications")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
