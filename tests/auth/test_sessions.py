"""Sessions end when they should: logout, password change, deactivation, an inactive organisation and
the absolute lifetime end them on the server, whatever cookie a browser (or an attacker) kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from screening.audit.models import AuditEntry
from screening.auth.models import User
from screening.db import db
from screening.organisations.models import Organisation
from tests.conftest import PASSWORD, csrf_token, fresh, sign_in

COOKIE = "screening_session"


def _post(client, url: str, data: dict | None = None, page: str = "/account"):
    form = client.get(page)
    assert form.status_code == 200, page
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(form.text)})


def _replay(app, cookie: str):
    """A new browser holding only the saved cookie."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, cookie)
    return thief


def _login(app, username: str, password: str):
    client = app.test_client()
    page = client.get("/login")
    return client.post("/login", data={"csrf_token": csrf_token(page.text), "username": username, "password": password})


def _signed_in(client) -> bool:
    response = client.get("/applications")
    return response.status_code == 200


def test_a_cookie_saved_before_logout_reads_nothing_after(app, as_role, factory):
    client, _ = as_role("officer")
    factory.application("in_review")
    assert _signed_in(client)
    saved = client.get_cookie(COOKIE).value
    assert _post(client, "/logout", page="/applications").status_code == 302
    thief = _replay(app, saved)
    response = thief.get("/applications")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert thief.get("/applications/1").status_code == 302


def test_logout_ends_every_session_of_the_account(app, factory):
    user = factory.user("requester")
    office, home = sign_in(app.test_client(), user), sign_in(app.test_client(), user)
    other = sign_in(app.test_client(), factory.user("requester"))
    assert _post(office, "/logout", page="/applications").status_code == 302
    assert not _signed_in(home)
    assert _signed_in(other)  # another account's sessions are untouched
    assert _signed_in(sign_in(app.test_client(), user))  # and signing in again works


def test_sign_out_everywhere_else_keeps_this_session(app, factory):
    user = factory.user("hr")
    here, elsewhere = sign_in(app.test_client(), user), sign_in(app.test_client(), user)
    response = _post(here, "/account/sessions")
    assert response.status_code == 302
    assert "Every other session" in here.get("/account").text
    assert _signed_in(here)
    assert not _signed_in(elsewhere)
    fresh()
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "end_sessions")) is not None


def test_password_change_ends_the_other_sessions(app, factory):
    user = factory.user("officer")
    here, elsewhere = sign_in(app.test_client(), user), sign_in(app.test_client(), user)
    wrong = _post(here, "/account/password", {"current_password": "not-it", "password": "a-new-long-password"})
    assert wrong.status_code == 422
    assert "current password is not right" in wrong.text
    short = _post(here, "/account/password", {"current_password": PASSWORD, "password": "short"})
    assert short.status_code == 422
    assert _signed_in(elsewhere)  # refusals changed nothing
    done = _post(here, "/account/password", {"current_password": PASSWORD, "password": "a-new-long-password"})
    assert done.status_code == 302
    assert _signed_in(here)
    assert not _signed_in(elsewhere)
    assert _login(app, user.username, PASSWORD).status_code == 200  # the old password no longer opens it


def test_deactivation_ends_the_session_at_its_next_request(app, as_role, factory):
    victim = factory.user("officer")
    session = sign_in(app.test_client(), victim)
    admin, _ = as_role("admin")
    assert _post(admin, f"/admin/users/{victim.id}/active", page="/admin/users").status_code == 302
    assert not _signed_in(session)
    fresh()
    reactivate = _post(admin, f"/admin/users/{victim.id}/active", page="/admin/users")
    assert reactivate.status_code == 302
    assert not _signed_in(session)  # reactivating does not bring the old session back


def test_the_absolute_lifetime_ends_an_active_session(make_app, factory):
    from tests.conftest import data_context

    app = make_app(app={"session_lifetime_minutes": 100_000, "session_absolute_minutes": 60})
    with data_context(app):
        user = factory.__class__(app).user("requester")
        start = datetime.now(UTC)
        with time_machine.travel(start, tick=False):
            client = sign_in(app.test_client(), user)
        for minutes in (20, 40, 59):  # active all along
            with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
                assert _signed_in(client), minutes
        with time_machine.travel(start + timedelta(minutes=60, seconds=1), tick=False):
            response = client.get("/applications")
            assert response.status_code == 302
            assert "Your session has ended" in client.get("/login").text


def test_an_inactive_organisation_stops_its_people(app, as_role, factory):
    organisation = factory.organisation()
    requester = factory.user("requester", organisation)
    session = sign_in(app.test_client(), requester)
    assert _signed_in(session)
    admin, _ = as_role("admin")
    response = _post(
        admin,
        f"/admin/organisations/{organisation.id}",
        {"name": organisation.name, "enterprise_number": organisation.enterprise_number, "code": organisation.code},
        page=f"/admin/organisations/{organisation.id}",
    )  # the unticked "Active" box deactivates
    assert response.status_code == 302
    fresh()
    assert db.session.get(Organisation, organisation.id).active is False
    stopped = session.get("/applications/new")
    assert stopped.status_code == 302
    assert "access has been deactivated" in session.get("/login").text
    assert session.post("/applications/new", data={}).status_code in (302, 400)
    again = _login(app, requester.username, PASSWORD)
    assert again.status_code == 200
    assert "access has been deactivated" in again.text
    fresh()
    assert db.session.get(User, requester.id).last_login_at is not None  # only the first sign-in


def test_a_role_change_from_the_directory_ends_the_old_sessions(app, factory):
    """The directory moves someone from HR to screening manager: sessions opened as HR end at once."""
    from screening.auth.directory.mapping import DirectoryAccount
    from screening.auth.operations import sync_directory_user

    organisation = factory.organisation(code="acme")

    def account(role: str) -> DirectoryAccount:
        return DirectoryAccount(
            dn="uid=dora,ou=people,dc=example", username="dora", display_name="Dora", email=None,
            groups=(), role=role, organisation_key="acme", server="ldap://127.0.0.1",
        )  # fmt: skip

    user = sync_directory_user(account("hr"), None)
    db.session.commit()
    before = user.session_generation
    sync_directory_user(account("hr"), None)  # nothing changed: the sessions stay
    db.session.commit()
    fresh()
    assert db.session.get(User, user.id).session_generation == before
    sync_directory_user(account("requester"), None)
    db.session.commit()
    fresh()
    assert db.session.get(User, user.id).session_generation == before + 1
    assert organisation.id == db.session.get(User, user.id).organisation_id
