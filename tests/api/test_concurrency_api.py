"""Two requests at once: the same Idempotency-Key creates one file; two submits of one version move it once."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import func, select

from screening.applications.models import Application
from screening.db import db
from tests.api.conftest import ApiClient, person_body


def _twice(app: Any, token: str, method: str, path: str, **kwargs: Any) -> list[Any]:
    barrier = threading.Barrier(2)
    answers: list[Any] = [None, None]

    def send(index: int) -> None:
        client = ApiClient(app.test_client(), token)
        barrier.wait()
        answers[index] = getattr(client, method)(path, **kwargs)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def test_the_same_key_at_once_creates_one_file(app, api, factory):
    client, _requester = api()
    body = person_body(factory, factory.function(), external_id="TWIN-1")
    answers = _twice(app, client.token, "post", "/api/v1/applications", json=body, headers={"Idempotency-Key": "twin"})
    statuses = sorted(a.status_code for a in answers)
    assert statuses in ([201, 201], [201, 409]), [a.json for a in answers]
    created = [a for a in answers if a.status_code == 201]
    assert len({a.json["id"] for a in created}) == 1
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Application)) == 1


def test_two_submits_of_one_version_move_the_file_once(app, api, factory):
    client, requester = api()
    application = factory.application("draft", requester=requester)
    path = f"/api/v1/applications/{application.id}/submit"
    seen = application.version
    answers = _twice(app, client.token, "post", path, headers={"If-Match": f'"v{seen}"'})
    statuses = sorted(a.status_code for a in answers)
    assert statuses[0] == 200 and statuses[1] in (409, 412), [a.json for a in answers]
    assert {a.json["state"] for a in answers if a.status_code == 200} == {"awaiting_consent"}
    db.session.rollback()
    assert db.session.scalar(select(Application.version).where(Application.id == application.id)) == seen + 1
