"""Every transition of the declaration, fired through the web by every account role.

The machine's own tests (test_workflows.py) prove the declaration; these prove the server enforces it: the
permitted role moves the file, every other role is refused, the file stays where it was and the audit trail
holds no trace of the attempt. Events only the person (signed link) or the system (scheduler) may fire are
refused for every account, and so is an event an account may record only with evidence (PAPER_ONLY: the
requester's consent is the upload of the signed form, tests/privacy/test_paper_consent.py), never by a button.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from screening.applications.models import Application
from screening.audit.models import AuditEntry
from screening.db import db
from tests.conftest import csrf_token, fresh
from workflows.application import ADVICE_EVENTS, APPLICATION, PAPER_ONLY
from workflows.clearance import CLEARANCE
from workflows.roles import ACCOUNT_ROLES

CASES = [
    (
        t.event,
        source,
        t.target,
        tuple(sorted(r for r in set(t.roles) & set(ACCOUNT_ROLES) if (t.event, r) not in PAPER_ONLY)),
    )
    for t in APPLICATION.transitions
    for source in t.sources
    # consent -> covered needs a clearance; consent -> submitted is the same event from the same state
    if not (t.event == "consent" and t.target == "covered")
]


def _audit_count(application_id: int, event: str) -> int:
    return db.session.scalar(
        select(func.count()).where(
            AuditEntry.object_type == "application", AuditEntry.object_id == application_id, AuditEntry.action == event
        )
    )


def _post(client: Any, application: Any, event: str) -> Any:
    """The step as the page takes it: an irreversible one is confirmed from its review page."""
    page = client.get(f"/applications/{application.id}")
    if page.status_code != 200:  # a role that may not see the file still gets a valid token of its own session
        page = client.get("/", follow_redirects=True)
    data = {
        f"{event}-csrf_token": csrf_token(page.text),
        f"{event}-version": str(application.version),
        f"{event}-reason": f"reason for {event}",
    }
    if event in APPLICATION.irreversible:
        page_event = "advice" if event in ADVICE_EVENTS else event
        review = client.get(f"/applications/{application.id}/decide/{page_event}")
        assert review.status_code in (200, 302, 403, 404), review.status_code
        if review.status_code != 200:
            return review  # refused before any form is shown
    return client.post(f"/applications/{application.id}/{event}", data=data)


def _state(application_id: int) -> str:
    fresh()
    return db.session.scalar(select(Application.state).where(Application.id == application_id))


@pytest.mark.parametrize(("event", "source", "target", "allowed"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_transition_through_the_web(as_role, factory, event, source, target, allowed):
    requester_client, requester = as_role("requester", None)
    # An appeal against a missing advice needs the legal term passed: the file was submitted 40 days ago.
    late = event == "lodge_appeal_missed_term" or source == "appealed_no_advice"
    application = factory.application(
        source, requester=requester, now=datetime.now(UTC) - timedelta(days=40) if late else None
    )
    clients = {role: requester_client if role == "requester" else as_role(role)[0] for role in ACCOUNT_ROLES}

    for role in (r for r in ACCOUNT_ROLES if r not in allowed):
        response = _post(clients[role], application, event)
        assert response.status_code in (400, 403, 404, 409, 422), (role, response.status_code)
        assert _state(application.id) == source, role
        assert _audit_count(application.id, event) == 0, role

    for role in allowed:  # at most one account role may fire any event
        response = _post(clients[role], application, event)
        assert response.status_code == 302, (role, response.text[:400])
        assert _state(application.id) == target
        assert _audit_count(application.id, event) == 1


def test_every_transition_is_covered():
    fired_by_accounts = {t.event for t in APPLICATION.transitions if set(t.roles) & set(ACCOUNT_ROLES)}
    covered = {event for event, *_rest in CASES}
    assert fired_by_accounts <= covered
    assert {"expire_consent", "close_appeal_window"} <= covered  # system events: refused for every account
    assert ("consent", "awaiting_consent", "submitted", ()) in CASES  # the bare "Record consent" is refused
    assert all(len(allowed) <= 1 for *_rest, allowed in CASES)


CLEARANCE_CASES = [
    (t.event, source, t.target, tuple(sorted(set(t.roles) & set(ACCOUNT_ROLES))))
    for t in CLEARANCE.transitions
    for source in t.sources
]


@pytest.mark.parametrize(
    ("event", "source", "target", "allowed"), CLEARANCE_CASES, ids=[f"{c[0]}-{c[1]}" for c in CLEARANCE_CASES]
)
def test_clearance_transition_through_the_web(as_role, factory, event, source, target, allowed):
    """The clearance machine the same way, the appeal against a revocation included."""
    from screening.clearances.models import Clearance
    from tests.test_review import _clearance_in

    clearance = _clearance_in(factory, source)
    clients = {role: as_role(role)[0] for role in ACCOUNT_ROLES}

    def post(client: Any) -> Any:
        page = client.get("/", follow_redirects=True)
        data = {f"{event}-csrf_token": csrf_token(page.text), f"{event}-version": str(clearance.version),
                f"{event}-reason": f"reason for {event}"}  # fmt: skip
        return client.post(f"/clearances/{clearance.id}/{event}", data=data)

    def state() -> str:
        fresh()
        return db.session.scalar(select(Clearance.state).where(Clearance.id == clearance.id))

    def trail() -> int:
        return db.session.scalar(
            select(func.count()).where(
                AuditEntry.object_type == "clearance", AuditEntry.object_id == clearance.id, AuditEntry.action == event
            )
        )

    before = trail()
    for role in (r for r in ACCOUNT_ROLES if r not in allowed):
        response = post(clients[role])
        assert response.status_code in (400, 403, 404, 409, 422), (role, response.status_code)
        assert state() == source, role
        assert trail() == before, role
    for role in allowed:
        response = post(clients[role])
        assert response.status_code == 302, (role, response.text[:400])
        assert state() == target
        assert trail() == before + 1
