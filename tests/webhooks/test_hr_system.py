"""The HR system's side of issue 16's acceptance: it creates 100 files through the API (each request sent
twice with its idempotency key), submits them, and follows them to their decisions through webhooks alone,
received by a real HTTP server on loopback that verifies every signature with ``standardwebhooks``."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

from screening.actors import Actor
from screening.api.operations import create_token
from screening.applications import operations
from screening.applications.models import Application
from screening.db import db
from screening.extensions import settings
from tests.api.conftest import ApiClient, person_body
from tests.webhooks.conftest import deliveries, run, subscribe

FILES = 100


@pytest.mark.slow
def test_an_hr_system_follows_100_files_through_webhooks(hook_app: Any, factory: Any, receiver: Any) -> None:
    requester = factory.user("requester")
    function = factory.function()
    receiver.secrets.append(subscribe(requester, receiver.url()).secret)
    _token, secret = create_token(Actor.of(requester), name="SAP HR", scopes=("read", "write"))
    db.session.commit()
    client = ApiClient(hook_app.test_client(), secret)
    ids: dict[str, int] = {}
    for n in range(FILES):
        body = person_body(factory, function, external_id=f"PERS-{n:04d}")
        for _attempt in range(2):  # the retry after a lost answer changes nothing
            created = client.post("/api/v1/applications", json=body, headers={"Idempotency-Key": f"create-{n}"})
            assert created.status_code == 201, created.json
        file = created.json
        ids[body["external_id"]] = file["id"]
        headers = {"If-Match": f'"v{file["version"]}"', "Idempotency-Key": f"submit-{file['id']}"}
        for _attempt in range(2):
            assert client.post(f"/api/v1/applications/{file['id']}/submit", headers=headers).status_code == 200
    run(hook_app)

    # The person consents; an officer advises: positive for even numbers, negative for odd ones.
    db.session.rollback()
    officer = Actor(label="officer", role="officer")
    for external_id, application_id in ids.items():
        application = db.session.get(Application, application_id)
        operations.fire(application, "consent", Actor.person(application.person_id), settings().deadlines)
        operations.fire(application, "start_review", officer, settings().deadlines)
        advice = "advise_positive" if int(external_id[-4:]) % 2 == 0 else "advise_negative"
        operations.fire(application, advice, officer, settings().deadlines, reason="grounds that stay inside")
    db.session.commit()
    run(hook_app)

    assert receiver.rejected == []  # every request verified with the subscriber's secret
    assert len(receiver.ids()) == len(set(receiver.ids())) == 4 * FILES  # no event twice, none missing
    states: dict[str, set[str]] = defaultdict(set)
    for received in receiver.received:
        data = received.payload["data"]
        states[data["external_id"]].add(data["state"])
        assert "grounds" not in str(received.payload)
    for external_id, application_id in ids.items():
        final = "positive" if int(external_id[-4:]) % 2 == 0 else "negative"
        assert states[external_id] == {"awaiting_consent", "submitted", "in_review", final}
        assert client.get(f"/api/v1/applications/{application_id}").json["state"] == final  # as the API says
    assert {d.state for d in deliveries()} == {"delivered"}
