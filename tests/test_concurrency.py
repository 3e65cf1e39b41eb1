"""Two officers act on the same application at the same moment: one wins, one is told of the conflict."""

from __future__ import annotations

import threading

from sqlalchemy import select

from screening.applications.models import Application
from screening.audit.models import AuditEntry
from screening.clearances.models import Clearance
from screening.db import db
from tests.conftest import fresh, step_fields


def _prepared_post(client, application_id: int, event: str, reason: str | None):
    token, version = step_fields(client, f"/applications/{application_id}", event)
    data = {f"{event}-csrf_token": token, f"{event}-version": version}
    if reason:
        data[f"{event}-reason"] = reason
    return lambda: client.post(f"/applications/{application_id}/{event}", data=data)


def _race(*posts):
    barrier = threading.Barrier(len(posts))
    results: list = [None] * len(posts)

    def run(index: int) -> None:
        barrier.wait()
        results[index] = posts[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(posts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_concurrent_advice_one_wins_one_conflict_one_audit_row(as_role, factory):
    first_client, _ = as_role("officer")
    second_client, _ = as_role("officer")
    application = factory.application("in_review")
    positive = _prepared_post(first_client, application.id, "advise_positive", None)
    negative = _prepared_post(second_client, application.id, "advise_negative", "Facts of 2026")
    responses = _race(positive, negative)
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [302, 409]
    loser = next(r for r in responses if r.status_code == 409)
    assert "Someone else changed this application meanwhile" in loser.text
    fresh()
    stored = db.session.get(Application, application.id)
    advice_rows = db.session.scalars(
        select(AuditEntry).where(
            AuditEntry.object_id == application.id,
            AuditEntry.action.in_(["advise_positive", "advise_negative"]),
        )
    ).all()
    assert len(advice_rows) == 1
    assert advice_rows[0].to_state == stored.state
    clearances = db.session.scalars(select(Clearance)).all()
    assert len(clearances) == (1 if stored.state == "positive" else 0)


def test_concurrent_same_action_twice(as_role, factory):
    first_client, _ = as_role("officer")
    second_client, _ = as_role("officer")
    application = factory.application("submitted")
    responses = _race(
        _prepared_post(first_client, application.id, "start_review", None),
        _prepared_post(second_client, application.id, "start_review", None),
    )
    assert sorted(r.status_code for r in responses) == [302, 409]
    fresh()
    rows = db.session.scalars(
        select(AuditEntry).where(AuditEntry.object_id == application.id, AuditEntry.action == "start_review")
    ).all()
    assert len(rows) == 1


def test_stale_page_gets_a_conflict(as_role, factory):
    """An officer who acts on a page shown before a colleague's decision is told, not overruled."""
    first_client, _ = as_role("officer")
    second_client, _ = as_role("officer")
    application = factory.application("in_review")
    late = _prepared_post(second_client, application.id, "request_info", "Which terminal?")
    assert _prepared_post(first_client, application.id, "advise_positive", None)().status_code == 302
    response = late()
    assert response.status_code == 409
    fresh()
    assert db.session.get(Application, application.id).state == "positive"
