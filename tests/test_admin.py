"""The operator's pages: organisations, functions, local accounts."""

from __future__ import annotations

from sqlalchemy import func, select

from screening.audit.models import AuditEntry
from screening.auth.models import User
from screening.catalogue.models import CriticalFunction
from screening.db import db
from screening.organisations.models import Organisation
from tests.conftest import csrf_token, fresh, sign_in


def _post(client, url: str, data: dict):
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, data={**data, "csrf_token": csrf_token(page.text)})


def _count(model) -> int:
    fresh()
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_create_organisation_and_bad_enterprise_number(as_role):
    client, _ = as_role("admin")
    before = _count(Organisation)
    bad = _post(
        client, "/admin/organisations/new", {"name": "Acme", "enterprise_number": "0403.170.702", "code": "acme"}
    )
    assert bad.status_code == 422
    segment = bad.text.split('id="enterprise_number"', 1)[1].split('<div class="mb-3">', 1)[0]
    assert "wrong check number" in segment
    assert _count(Organisation) == before
    good = _post(
        client, "/admin/organisations/new", {"name": "Acme", "enterprise_number": "BE0403170701", "code": "ACME"}
    )
    assert good.status_code == 302
    fresh()
    org = db.session.scalar(select(Organisation).where(Organisation.code == "acme"))
    assert org.enterprise_number == "0403.170.701"
    duplicate = _post(
        client, "/admin/organisations/new", {"name": "Other", "enterprise_number": "0403.170.701", "code": "other"}
    )
    assert duplicate.status_code == 422
    assert "already uses this value" in duplicate.text
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "create_organisation")
        )
        == 1
    )


def test_edit_organisation(as_role, factory):
    client, _ = as_role("admin")
    org = factory.organisation()
    response = _post(
        client,
        f"/admin/organisations/{org.id}",
        {"name": "Renamed NV", "enterprise_number": org.enterprise_number, "code": org.code},
    )
    assert response.status_code == 302
    fresh()
    assert db.session.get(Organisation, org.id).name == "Renamed NV"
    assert client.get("/admin/organisations/999999").status_code == 404


def test_function_catalogue(as_role):
    client, _ = as_role("admin")
    data = {"code": "dock", "name_en": "Dockworker", "name_nl": "Havenarbeider", "name_fr": "Docker", "category": "5"}
    assert _post(client, "/admin/functions/new", data).status_code == 422
    assert _count(CriticalFunction) == 0
    assert _post(client, "/admin/functions/new", {**data, "category": "1"}).status_code == 302
    fresh()
    assert db.session.scalar(select(CriticalFunction.code)) == "DOCK"
    assert "Havenarbeider" not in client.get("/admin/functions").text  # English interface shows English names
    assert "Dockworker" in client.get("/admin/functions").text


def test_local_accounts(as_role, factory, app):
    client, admin = as_role("admin")
    org = factory.organisation(code="acme")
    weak = _post(
        client,
        "/admin/users/new",
        {"username": "rita", "display_name": "Rita", "role": "requester", "organisation": "acme", "password": "short"},
    )
    assert weak.status_code == 422
    no_org = _post(
        client,
        "/admin/users/new",
        {"username": "rita", "display_name": "Rita", "role": "requester", "organisation": "", "password": "x" * 14},
    )
    assert no_org.status_code == 422
    assert "Employer roles need an organisation." in no_org.text
    assert _count(User) == 1
    created = _post(
        client,
        "/admin/users/new",
        {"username": "Rita", "display_name": "Rita", "role": "requester", "organisation": "acme", "password": "x" * 14},
    )
    assert created.status_code == 302
    fresh()
    rita = db.session.scalar(select(User).where(User.username == "rita"))
    assert rita.organisation_id == org.id
    # deactivate: she can no longer sign in
    page = client.get("/admin/users")
    response = client.post(f"/admin/users/{rita.id}/active", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    fresh()
    assert db.session.get(User, rita.id).active is False
    login = app.test_client()
    page = login.get("/login")
    response = login.post(
        "/login", data={"csrf_token": csrf_token(page.text), "username": "rita", "password": "x" * 14}
    )
    assert "Unknown user name or wrong password." in response.text
    # an admin cannot lock themselves out
    response = client.post(f"/admin/users/{admin.id}/active", data={"csrf_token": csrf_token(page.text)})
    fresh()
    assert db.session.get(User, admin.id).active is True


def test_deactivated_user_loses_the_open_session(as_role, factory):
    client, user = as_role("officer")
    assert client.get("/queue").status_code == 200
    stored = db.session.get(User, user.id)
    stored.active = False
    db.session.commit()
    assert client.get("/queue").status_code == 302


def test_sign_in_and_out(client, factory):
    user = factory.user("auditor")
    sign_in(client, user)
    assert client.get("/home").status_code == 200
    page = client.get("/home")
    response = client.post("/logout", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    assert client.get("/home").status_code == 302


def test_the_organisation_search_reads_percent_and_underscore_as_letters(as_role, factory):
    client, _ = as_role("admin")
    factory.organisation(name="Port_Services NV")
    factory.organisation(name="PortXServices NV")
    factory.organisation(name="100% Stevedoring")
    factory.organisation(name="100 Stevedoring")
    underscore = client.get("/admin/organisations?q=port_")
    assert "Port_Services NV" in underscore.text
    assert "PortXServices NV" not in underscore.text
    percent = client.get("/admin/organisations?q=100%25")
    assert "100% Stevedoring" in percent.text
    assert "100 Stevedoring" not in percent.text
