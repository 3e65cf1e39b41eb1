"""Deny by default: every endpoint states who may use it; CSRF on every form; web hygiene."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from screening.auth.access import endpoint_policies
from screening.auth.models import LoginAttempt
from screening.db import db
from tests.conftest import PASSWORD, csrf_token, fresh

PUBLIC = {
    "core.index",
    "core.healthz",
    "core.livez",
    "core.readyz",
    "auth.login",
    # The second step of signing in: open only to a session whose password was just checked.
    "factors.verify",
    "factors.key_sign_in_options",
    "factors.key_sign_in",
    "auth.language",
    "static",
    "bootstrap.static",
    # The person (no account): the consent link and the short code, the page after answering, the own file link.
    "person.consent",
    "person.answer",
    "person.answered",
    "person.code",
    "person.file",
    "person.withdraw",
    "person_notice.notice",
    "certificates.verify_form",
    "certificates.verify",
    # The public verification keys (a JWK Set): nothing secret, for offline checks.
    "certificates.key_set",
    # The API's own description: the OpenAPI document and the reference drawn from it (no data).
    "api_docs.openapi",
    "api_docs.reference",
}


def test_every_endpoint_declares_who_may_use_it(app):
    policies = endpoint_policies(app)
    assert "nobody" not in policies.values(), [e for e, p in policies.items() if p == "nobody"]
    assert {endpoint for endpoint, policy in policies.items() if policy == "public"} == PUBLIC


def test_an_unmarked_view_is_refused(make_app):
    from tests.conftest import Factory, data_context, sign_in

    app = make_app()
    app.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    with data_context(app):
        admin = Factory(app).user("admin")
        client = app.test_client()
        assert client.get("/forgotten").status_code == 302  # anonymous: to sign-in
        sign_in(client, admin)
        response = client.get("/forgotten")
        assert response.status_code == 403
        assert "secret" not in response.text


@pytest.mark.parametrize(
    "path", ["/home", "/applications", "/queue", "/applications/new", "/clearances", "/admin/users", "/audit"]
)
def test_anonymous_is_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


ROLE_PAGES = {
    "requester": {"/applications/new": 200, "/queue": 403, "/admin/users": 403, "/audit": 403, "/workforce": 302},
    "hr": {"/clearances": 200, "/applications/new": 403, "/queue": 403, "/admin/users": 403, "/workforce": 302},
    "officer": {"/queue": 200, "/applications/new": 403, "/admin/organisations": 403, "/audit": 403, "/workforce": 200},
    "admin": {
        "/admin/users": 200,
        "/admin/organisations": 200,
        "/admin/functions": 200,
        "/queue": 403,
        "/workforce": 403,
    },
    "auditor": {"/audit": 200, "/applications": 200, "/queue": 403, "/admin/users": 403, "/workforce": 200},
}


@pytest.mark.parametrize("role", sorted(ROLE_PAGES))
def test_role_matrix(as_role, role):
    client, _ = as_role(role)
    for path, status in ROLE_PAGES[role].items():
        assert client.get(path).status_code == status, path


def test_posts_without_csrf_are_refused(as_role, factory):
    client, requester = as_role("requester")
    application = factory.application("draft", requester=requester)
    response = client.post(f"/applications/{application.id}/submit", data={"submit-version": "1"})
    assert response.status_code == 400
    assert "Form expired" in response.text
    anonymous = client.application.test_client()
    response = anonymous.post("/login", data={"username": "x", "password": "y"})
    assert response.status_code == 400
    assert "Form expired" in response.text


def test_security_headers_and_cookie_flags(make_app, factory):
    app = make_app(app={"session_cookie_secure": True})
    client = app.test_client()
    response = client.get("/login")
    headers = response.headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    assert headers["Cache-Control"] == "no-store"
    cookie = headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_a_dead_database(tmp_path):
    from screening.app import create_app
    from screening.config import make_config

    (tmp_path / "ro").mkdir()
    app = create_app(make_config(database={"url": f"sqlite:///{tmp_path}/missing/dir/db.sqlite"}))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"
    app.extensions["screening.engine"].dispose()


def test_wrong_password_is_answered_on_the_page_and_counted(client, factory):
    user = factory.user("officer")
    page = client.get("/login")
    response = client.post(
        "/login", data={"csrf_token": csrf_token(page.text), "username": user.username, "password": "nope"}
    )
    assert response.status_code == 200
    assert "Unknown user name or wrong password." in response.text
    db.session.rollback()
    assert len(db.session.scalars(select(LoginAttempt)).all()) == 1


def test_sign_in_is_rate_limited_per_account(make_app, factory):
    from tests.conftest import Factory, data_context

    app = make_app(security={"login_attempts": 3})
    with data_context(app):
        user = Factory(app).user("officer")
        client = app.test_client()
        for _ in range(3):
            page = client.get("/login")
            client.post(
                "/login", data={"csrf_token": csrf_token(page.text), "username": user.username, "password": "x"}
            )
        page = client.get("/login")
        response = client.post(
            "/login", data={"csrf_token": csrf_token(page.text), "username": user.username, "password": PASSWORD}
        )
        assert response.status_code == 429
        assert "Too many failed attempts" in response.text


def test_open_redirect_is_refused(client, factory):
    user = factory.user("officer")
    page = client.get("/login?next=//evil.example/x")
    response = client.post(
        "/login?next=//evil.example/x",
        data={"csrf_token": csrf_token(page.text), "username": user.username, "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/home"


def test_unknown_page_is_a_clear_404(as_role):
    client, _ = as_role("officer")
    response = client.get("/applications/999999")
    assert response.status_code == 404
    assert "not yours to see" in response.text


def test_language_choice(client):
    page = client.get("/login")
    response = client.post("/language", data={"csrf_token": csrf_token(page.text), "locale": "nl", "next": "/login"})
    assert response.status_code == 302
    assert '<html lang="nl">' in client.get("/login").text


def test_the_client_address_behind_a_trusted_proxy(make_app, factory):
    """Throttling and the audit trail see the client's address: the proxy's header is trusted only when
    the configuration says a proxy is there."""
    for proxies, expected in ((0, "127.0.0.1"), (1, "203.0.113.9")):
        client = make_app(app={"trusted_proxies": proxies}).test_client()
        page = client.get("/login")
        client.post(
            "/login",
            data={"csrf_token": csrf_token(page.text), "username": "nobody", "password": "wrong"},
            headers={"X-Forwarded-For": "203.0.113.9"},
        )
        fresh()
        addresses = db.session.scalars(select(LoginAttempt.client_address).order_by(LoginAttempt.id.desc())).all()
        assert addresses[0] == expected
