"""Separation of duties: the authority's roles are granted and removed by two administrators, an account
never holds admin together with officer, and the last administrator stays."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from screening.actors import Actor
from screening.audit.models import AuditEntry
from screening.auth.models import AccountProposal, User
from screening.clock import utcnow
from screening.db import db
from screening.errors import NotAllowed
from tests.conftest import csrf_token, fresh, sign_in

NEW_OFFICER = {"username": "olivia", "display_name": "Olivia", "role": "officer", "organisation": "",
               "password": "a-long-enough-password"}  # fmt: skip


def _post(client, url: str, data: dict | None = None, page: str = "/admin/users"):
    form = client.get(page)
    assert form.status_code == 200, page
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(form.text)})


def _user(username: str) -> User | None:
    fresh()
    return db.session.scalar(select(User).where(User.username == username))


def _pending() -> list[AccountProposal]:
    fresh()
    return list(db.session.scalars(select(AccountProposal).where(AccountProposal.decided_at.is_(None))))


def _login(app, username: str, password: str):
    client = app.test_client()
    page = client.get("/login")
    return client.post("/login", data={"csrf_token": csrf_token(page.text), "username": username, "password": password})


def test_an_admin_alone_cannot_make_an_officer(app, as_role):
    first, first_admin = as_role("admin")
    second, second_admin = as_role("admin")
    response = _post(first, "/admin/users/new", NEW_OFFICER, page="/admin/users/new")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/proposals"
    assert _user("olivia") is None  # nothing to sign in with yet
    assert _login(app, "olivia", NEW_OFFICER["password"]).status_code == 200
    (proposal,) = _pending()
    own = _post(first, f"/admin/proposals/{proposal.id}/approve", page="/admin/proposals")
    assert own.status_code == 302
    listed = first.get("/admin/proposals")
    assert listed.status_code == 200 and "Another administrator must decide" in listed.text
    assert "Another administrator decides." in listed.text  # no buttons for the proposer
    assert _user("olivia") is None and len(_pending()) == 1
    approved = _post(second, f"/admin/proposals/{proposal.id}/approve", page="/admin/proposals")
    assert approved.status_code == 302
    olivia = _user("olivia")
    assert olivia is not None and olivia.role == "officer" and olivia.source == "local"
    assert _login(app, "olivia", NEW_OFFICER["password"]).status_code == 302
    again = _post(second, f"/admin/proposals/{proposal.id}/approve", page="/admin/proposals")
    assert again.status_code == 302 and "decided already" in second.get("/admin/proposals").text
    fresh()
    trail = db.session.execute(select(AuditEntry.action, AuditEntry.actor).order_by(AuditEntry.id)).all()
    assert ("propose_account", first_admin.username) in trail
    assert ("approve_proposal", second_admin.username) in trail
    assert ("create_user", second_admin.username) in trail


def test_a_rejected_proposal_changes_nothing(app, as_role):
    first, _ = as_role("admin")
    second, _ = as_role("admin")
    _post(first, "/admin/users/new", {**NEW_OFFICER, "role": "auditor"}, page="/admin/users/new")
    (proposal,) = _pending()
    assert _post(second, f"/admin/proposals/{proposal.id}/reject", page="/admin/proposals").status_code == 302
    assert _user("olivia") is None and _pending() == []
    fresh()
    assert db.session.get(AccountProposal, proposal.id).outcome == "rejected"


def test_granting_and_removing_the_officer_role_takes_two(app, as_role, factory):
    first, _ = as_role("admin")
    second, _ = as_role("admin")
    organisation = factory.organisation(code="acme")
    requester = factory.user("requester", organisation)
    session = sign_in(app.test_client(), requester)
    page = f"/admin/users/{requester.id}"
    proposed = _post(first, page, {"role": "officer", "organisation": ""}, page=page)
    assert proposed.status_code == 302
    assert _user(requester.username).role == "requester"
    assert "waits for approval" in _post(first, page, {"role": "auditor", "organisation": ""}, page=page).text
    (proposal,) = _pending()
    _post(second, f"/admin/proposals/{proposal.id}/approve", page="/admin/proposals")
    assert _user(requester.username).role == "officer"
    assert session.get("/applications").status_code == 302  # the session opened as requester ended
    back = _post(second, page, {"role": "requester", "organisation": "acme"}, page=page)  # removing: two again
    assert back.status_code == 302 and _user(requester.username).role == "officer"
    (removal,) = _pending()
    assert removal.previous_role == "officer" and removal.role == "requester"


def test_employer_roles_change_with_one_admin_and_end_the_sessions(app, as_role, factory):
    admin, _ = as_role("admin")
    organisation = factory.organisation(code="acme")
    requester = factory.user("requester", organisation)
    session = sign_in(app.test_client(), requester)
    page = f"/admin/users/{requester.id}"
    assert _post(admin, page, {"role": "hr", "organisation": "acme"}, page=page).status_code == 302
    assert _user(requester.username).role == "hr" and _pending() == []
    assert session.get("/applications").status_code == 302


def test_never_admin_and_officer_and_never_ones_own_role(app, as_role, factory):
    first, first_admin = as_role("admin")
    _, second_admin = as_role("admin")
    officer = factory.user("officer")
    for target, role in ((second_admin, "officer"), (officer, "admin")):
        page = f"/admin/users/{target.id}"
        refused = _post(first, page, {"role": role, "organisation": ""}, page=page)
        assert refused.status_code == 422
        assert "never holds both the administrator and the officer role" in refused.text
    own = f"/admin/users/{first_admin.id}"
    refused = _post(first, own, {"role": "auditor", "organisation": ""}, page=own)
    assert refused.status_code == 403 and "your own role" in refused.text
    assert _pending() == []


def test_a_stale_proposal_is_refused(app, as_role, factory):
    first, _ = as_role("admin")
    second, _ = as_role("admin")
    organisation = factory.organisation(code="acme")
    requester = factory.user("requester", organisation)
    page = f"/admin/users/{requester.id}"
    _post(first, page, {"role": "auditor", "organisation": ""}, page=page)
    (proposal,) = _pending()
    stored = db.session.get(User, requester.id)
    stored.role = "hr"  # changed meanwhile (another way)
    db.session.commit()
    _post(second, f"/admin/proposals/{proposal.id}/approve", page="/admin/proposals")
    assert "changed since this proposal" in second.get("/admin/proposals").text
    assert _user(requester.username).role == "hr"


def test_the_last_active_admin_stays(app, as_role, factory):
    from screening.auth.duties import deactivate_or_activate

    admin, alone = as_role("admin")
    assert _post(admin, f"/admin/users/{alone.id}/active").status_code == 302
    assert "cannot deactivate your own account" in admin.get("/admin/users").text
    cli = Actor(label="cli", role="admin")
    with pytest.raises(NotAllowed, match="last active administrator"):
        deactivate_or_activate(cli, db.session.get(User, alone.id))
    db.session.rollback()
    assert _user(alone.username).active is True
    other = factory.user("admin")
    deactivate_or_activate(cli, db.session.get(User, other.id))  # with two, one may go
    db.session.commit()
    assert _user(other.username).active is False


def test_the_database_refuses_a_proposer_deciding(app, factory):
    admin = factory.user("admin")
    db.session.add(AccountProposal(
        kind="create", username="x", display_name="x", role="officer", proposed_by_id=admin.id,
        proposed_at=utcnow(), decided_by_id=admin.id, decided_at=utcnow(), outcome="approved",
    ))  # fmt: skip
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
