"""Access-control organisations: made by the administrator, without accounts; their tokens, made by the
administrator, hold the access-control scope only, and no employer's token ever holds it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from screening.actors import Actor
from screening.api.auth import token_user
from screening.api.models import ApiToken
from screening.api.operations import create_token
from screening.audit.models import AuditEntry
from screening.auth.models import User
from screening.db import db
from screening.errors import InvalidInput, NotAllowed
from screening.organisations.models import Organisation
from tests.api.conftest import ApiClient
from tests.conftest import csrf_token, fresh


def _post(client, url, data):
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, data={**data, "csrf_token": csrf_token(page.text)})


@pytest.fixture
def gates(factory):
    """An access-control organisation, as the administrator makes it."""
    organisation = factory.organisation(name="Terminal gates NV")
    organisation.kind = "access_control"
    factory.commit()
    return organisation


def test_the_admin_makes_an_access_control_organisation_on_the_form(as_role, factory):
    client, _admin = as_role("admin")
    page = client.get("/admin/organisations/new")
    assert "Kind of organisation" in page.text and "Access control" in page.text
    response = _post(
        client, "/admin/organisations/new",
        {"name": "Badges NV", "enterprise_number": "0403.170.701", "code": "badges", "kind": "access_control"},
    )  # fmt: skip
    assert response.status_code == 302
    fresh()
    made = db.session.scalar(select(Organisation).where(Organisation.code == "badges"))
    assert made.kind == "access_control"
    assert factory.organisation().kind == "employer"
    bad = _post(
        client, f"/admin/organisations/{made.id}",
        {"name": "Badges NV", "enterprise_number": "0403.170.701", "code": "badges", "kind": "gatekeeper"},
    )  # fmt: skip
    assert bad.status_code == 422
    assert "API tokens of this organisation" in client.get(f"/admin/organisations/{made.id}").text
    listed = client.get("/admin/organisations?q=Badges").text
    assert "Access control" in listed


def test_an_organisation_with_accounts_does_not_change_to_or_from_access_control(as_role, factory):
    client, _admin = as_role("admin")
    employer = factory.organisation()
    factory.user("requester", employer)
    response = _post(
        client, f"/admin/organisations/{employer.id}",
        {"name": employer.name, "enterprise_number": employer.enterprise_number, "code": employer.code,
         "kind": "access_control"},
    )  # fmt: skip
    assert response.status_code == 422
    assert "has accounts: it cannot become, or stop being, an access-control organisation" in response.text
    fresh()
    assert db.session.get(Organisation, employer.id).kind == "employer"


def test_an_access_control_organisation_has_no_accounts(factory, gates):
    with pytest.raises(InvalidInput, match="has no accounts"):
        factory.user("requester", gates)


def test_the_admin_makes_an_access_control_token_which_reads_no_application(app, as_role, gates):
    client, admin = as_role("admin")
    response = _post(client, f"/admin/organisations/{gates.id}/tokens", {"name": "Badge system"})
    assert response.status_code == 200
    secret = re.search(r'id="new-token">(scr_[A-Za-z0-9_-]{43})<', response.text).group(1)
    fresh()
    token = db.session.scalar(select(ApiToken).where(ApiToken.organisation_id == gates.id))
    assert token.scopes == "access-control" and token.created_by_id == admin.id
    trail = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "create_api_token"))
    assert trail.organisation_id == gates.id and trail.actor == admin.username
    api = ApiClient(app.test_client(), secret)
    for path in ("/api/v1/applications", "/api/v1/clearances"):
        refused = api.get(path)
        assert refused.status_code == 403, path
        assert refused.content_type == "application/problem+json"
    assert secret not in client.get(f"/admin/organisations/{gates.id}/tokens").text


def test_the_admin_revokes_an_access_control_token(app, as_role, gates):
    client, _admin = as_role("admin")
    _post(client, f"/admin/organisations/{gates.id}/tokens", {"name": "Badge system"})
    token = db.session.scalar(select(ApiToken).where(ApiToken.organisation_id == gates.id))
    page = client.get(f"/admin/organisations/{gates.id}/tokens")
    revoked = client.post(
        f"/admin/organisations/{gates.id}/tokens/{token.id}/revoke", data={"csrf_token": csrf_token(page.text)}
    )
    assert revoked.status_code == 302
    fresh()
    assert db.session.get(ApiToken, token.id).revoked_at is not None


def test_an_employer_has_no_admin_token_page_and_others_no_access(as_role, factory, gates):
    client, _admin = as_role("admin")
    assert client.get(f"/admin/organisations/{factory.organisation().id}/tokens").status_code == 404
    assert client.get("/admin/organisations/999999/tokens").status_code == 404
    for role in ("requester", "hr", "officer", "auditor"):
        other, _user = as_role(role)
        assert other.get(f"/admin/organisations/{gates.id}/tokens").status_code == 403, role


def test_an_employers_token_cannot_hold_the_access_control_scope(app, factory, gates):
    requester = factory.user("requester")
    with pytest.raises(InvalidInput, match="may hold only"):
        create_token(Actor.of(requester), name="sneaky", scopes=("read", "access-control"))
    token, secret = create_token(Actor.of(requester), name="HR", scopes=("read",))
    db.session.execute(update(ApiToken).where(ApiToken.id == token.id).values(scopes="read access-control"))
    db.session.commit()
    with app.test_request_context():
        assert token_user(secret).scopes == frozenset({"read"})


def test_an_access_control_token_holds_nothing_else_and_needs_an_active_admin(app, factory, gates):
    admin = factory.user("admin")
    with pytest.raises(InvalidInput, match="may hold only"):
        create_token(Actor.of(admin), name="x", scopes=("access-control", "read"), organisation=gates)
    with pytest.raises(NotAllowed):
        create_token(Actor.of(admin), name="x", scopes=("read",), organisation=factory.organisation())
    with pytest.raises(NotAllowed):
        create_token(Actor.of(factory.user("officer")), name="x", scopes=("access-control",), organisation=gates)
    token, secret = create_token(Actor.of(admin), name="Badges", scopes=("access-control",), organisation=gates)
    db.session.execute(update(ApiToken).where(ApiToken.id == token.id).values(scopes="access-control read write"))
    db.session.commit()
    with app.test_request_context():
        assert token_user(secret).scopes == frozenset({"access-control"})
        assert not token_user(secret).is_employer
    db.session.execute(update(User).where(User.id == admin.id).values(active=False))
    db.session.commit()
    with app.test_request_context():
        assert token_user(secret) is None
